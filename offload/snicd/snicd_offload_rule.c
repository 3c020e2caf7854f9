/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's device side: install a flow at a level (full
 * translation, else partial, else software with the reason), validate by
 * shape, retire rules keeping their counts, marks, and the probe of how many
 * priority levels the device has. snicd_offload_place.c decides which flows
 * may be in hardware; this file makes it so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_flow.h>

#include "snicd_log.h"
#include "snicd_offload_priv.h"
#include "snicd_testpmd.h"
#include "snicd_xlate.h"

#define PROBE_MAX_LEVEL 4096u

void
snicd_say(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

uint64_t
snicd_offload_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------
 * Marks
 * ------------------------------------------------------------------------ */

uint32_t
snicd_offload_mark_alloc(struct snicd_offload *o, bool decap)
{
    return snicd_mark_pool_get(decap ? &o->decap_marks : &o->flow_marks,
                               snicd_offload_now_ns());
}

void
snicd_offload_mark_release(struct snicd_offload *o, uint32_t m)
{
    if (m == 0)
        return;
    snicd_mark_pool_put(snicd_mark_is_decap(m) ? &o->decap_marks
                                               : &o->flow_marks,
                        m, snicd_offload_now_ns());
}

/* The mark @f should carry as @kind: its own if it already means that. */
static uint32_t
mark_want(struct snicd_offload *o, const struct snicd_oflow *f, uint8_t kind)
{
    if (f->mark != 0 && f->mark_kind == kind)
        return f->mark;
    return snicd_offload_mark_alloc(o, false);
}

void
snicd_offload_mark_settle(struct snicd_offload *o, struct snicd_oflow *f,
                          uint32_t m, uint8_t kind)
{
    if (f->mark != m) {
        snicd_offload_mark_release(o, f->mark);
        o->marks_dirty = true;
        if (f->mark != 0)
            o->n_marks--;
        if (m != 0)
            o->n_marks++;
        f->mark = m;
    }
    if (m != 0 && f->mark_kind != kind) {
        f->mark_kind = kind;
        o->marks_dirty = true;
    }
}

int
snicd_offload_marks_publish(struct snicd_offload *o)
{
    struct snicd_mark *marks;
    struct snicd_oflow *f;
    unsigned n = 0, room;
    int rc;

    if (!o->marks_dirty || o->cfg.marks_changed == NULL)
        return 0;
    room = o->n_marks + snicd_tun_n_marks(o);
    marks = calloc(room ? room : 1, sizeof(*marks));
    if (marks == NULL)
        return -ENOMEM; /* stays dirty: next commit retries */
    n = snicd_tun_marks(o, marks, room);
    SNIC_HMAP_FOR_EACH(f, id_node, &o->ids) {
        const struct flow *fl = &f->flow;

        if (f->mark == 0 || n >= room)
            continue;
        marks[n].mark = f->mark;
        marks[n].kind = f->mark_kind;
        marks[n].flow_id = f->id;
        if (f->mark_kind == SNICD_MARK_RESUME && fl->n_actions > 0)
            marks[n].table = fl->actions[fl->n_actions - 1].u.table;
        n++;
    }
    rc = o->cfg.marks_changed(o->cfg.ctx, marks, n);
    free(marks);
    if (rc < 0)
        return rc;      /* stays dirty: next commit retries */
    /* released decap marks still quiet: published again without them once
     * they have expired */
    o->marks_dirty = snicd_tun_n_marks(o) > 0;
    return 0;
}

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

static bool
flow_has_goto(const struct flow *f)
{
    return f->n_actions > 0 &&
           f->actions[f->n_actions - 1].type == FLOW_ACT_GOTO_TABLE;
}

static const struct rte_flow_action count_action[] = {
    { .type = RTE_FLOW_ACTION_TYPE_COUNT },
};

int
snicd_offload_rule_count(struct snicd_offload *o, struct rte_flow *h,
                         uint64_t *pkts, uint64_t *bytes)
{
    struct rte_flow_query_count qc = { .reset = 0 };
    struct rte_flow_error err;

    if (rte_flow_query(o->cfg.proxy_port, h, count_action, &qc, &err) != 0)
        return -rte_errno;
    *pkts = qc.hits_set ? qc.hits : 0;
    *bytes = qc.bytes_set ? qc.bytes : 0;
    return 0;
}

/* Drop @f's rule, keeping what its counter said. */
void
snicd_offload_rule_retire(struct snicd_offload *o, struct snicd_oflow *f)
{
    struct rte_flow_error err;

    if (f->handle == NULL)
        return;
    if (!o->dead) {
        if (f->where == SNICD_WHERE_HW)
            (void)snicd_offload_rule_count(o, f->handle, &f->cur_pkts,
                                           &f->cur_bytes);
        /* a refusal to delete leaves nothing we could do better */
        (void)rte_flow_destroy(o->cfg.proxy_port, f->handle, &err);
        o->st.rules_destroyed++;
        o->ops++;
    }
    if (f->where == SNICD_WHERE_HW) {
        f->acc_pkts += f->cur_pkts;
        f->acc_bytes += f->cur_bytes;
    }
    f->cur_pkts = f->cur_bytes = 0;
    f->handle = NULL;
    o->space_freed = true;
    snicd_tun_release(o, f);
}

void
snicd_offload_to_sw(struct snicd_offload *o, struct snicd_oflow *f,
                    const char *reason, bool no_space)
{
    snicd_offload_rule_retire(o, f);
    f->where = SNICD_WHERE_SW;
    f->no_space = no_space;
    f->create_failed = false;
    f->changed = false;
    snicd_say(f->reason, sizeof(f->reason), "%s", reason);
    snicd_offload_mark_settle(o, f, 0, 0);
}

static bool
is_action_error(enum rte_flow_error_type t)
{
    return t == RTE_FLOW_ERROR_TYPE_ACTION ||
           t == RTE_FLOW_ERROR_TYPE_ACTION_NUM ||
           t == RTE_FLOW_ERROR_TYPE_ACTION_CONF;
}

static void
error_text(const struct rte_flow_error *err, int code, char *buf, size_t size)
{
    if (err->message != NULL)
        snicd_say(buf, size, "%s", err->message);
    else
        snicd_say(buf, size, "%s", strerror(code));
}

static int probe_prio(struct snicd_offload *o, uint32_t prio, char *msg,
                      size_t size);

void
snicd_offload_rule_trace(const struct snicd_offload *o,
                         const struct snicd_xlate *x, const char *verdict,
                         const char *why)
{
    char line[2048];

    if (!snicd_log_enabled(SNICD_LOG_DEBUG))
        return;
    snicd_testpmd_line(o->cfg.proxy_port, &x->attr, x->items, x->actions,
                       line, sizeof(line));
    snicd_log(SNICD_LOG_DEBUG, "rule %s%s%s: %s", verdict, why ? ": " : "",
              why ? why : "", line);
}

/* rte_flow_validate, asked once per shape. NULL when the device is gone. */
const struct snicd_shape_result *
snicd_offload_validate(struct snicd_offload *o, const struct snicd_xlate *x)
{
    static struct snicd_shape_result uncached;
    const struct snicd_shape_result *r;
    struct snicd_shape_result res;
    struct rte_flow_error err;
    int len = snicd_xlate_shape(x, o->shape, sizeof(o->shape));

    if (len >= 0) {
        r = snicd_shape_lookup(o->shapes, o->shape, (size_t)len);
        if (r != NULL) {
            o->st.validate_cache_hits++;
            return r;
        }
    }
    memset(&err, 0, sizeof(err));
    memset(&res, 0, sizeof(res));
    o->st.validate_calls++;
    res.rc = rte_flow_validate(o->cfg.proxy_port, &x->attr, x->items,
                               x->actions, &err);
    if (res.rc != 0) {
        res.action = is_action_error(err.type);
        error_text(&err, -res.rc, res.msg, sizeof(res.msg));
        snicd_offload_rule_trace(o, x, "refused by validate (once per shape)", res.msg);
        if (res.rc == -EIO) {
            o->dead = true;
            return NULL;
        }
    }
    if (len >= 0 && snicd_shape_insert(o->shapes, o->shape, (size_t)len,
                                       &res) == 0)
        return snicd_shape_lookup(o->shapes, o->shape, (size_t)len);
    uncached = res;
    return &uncached;
}

/* Create @x's rule for @f; the old rule (if any) goes after the new one is
 * in, so traffic never falls through between the two. */
enum snicd_where
snicd_offload_rule_install(struct snicd_offload *o, struct snicd_oflow *f,
                           const struct snicd_xlate *x, uint32_t level,
                           enum snicd_where where, uint32_t mark,
                           uint8_t kind, const char *reason)
{
    struct rte_flow_error err;
    struct rte_flow *h;
    char msg[SNICD_REASON_SIZE], why[SNICD_REASON_SIZE];
    int code;

    memset(&err, 0, sizeof(err));
    h = rte_flow_create(o->cfg.proxy_port, &x->attr, x->items, x->actions,
                        &err);
    if (h == NULL && rte_errno == ENOSPC && f->handle != NULL) {
        /* full: the old rule's place is the only room there is */
        snicd_offload_rule_retire(o, f);
        memset(&err, 0, sizeof(err));
        h = rte_flow_create(o->cfg.proxy_port, &x->attr, x->items,
                            x->actions, &err);
    }
    if (h == NULL) {
        code = rte_errno;
        o->st.create_failures++;
        error_text(&err, code, msg, sizeof(msg));
        snicd_offload_rule_trace(o, x, "refused by create", msg);
        if (mark != f->mark)
            snicd_offload_mark_release(o, mark);
        /* EIO is also what a firmware's internal error maps to: only a
         * device that fails a trivial validation too is gone; otherwise
         * the failure may pass and the flow is tried again later */
        if (code == EIO && probe_prio(o, 0, NULL, 0) == -EIO)
            o->dead = true;
        snicd_say(why, sizeof(why), "%s: %s", code == ENOSPC ?
                  "no space in hardware (ENOSPC)" : o->dead ?
                  "device not answering" : "rule create failed (will retry)",
                  msg);
        snicd_offload_to_sw(o, f, why, code == ENOSPC);
        f->create_failed = code != ENOSPC && !o->dead;
        return SNICD_WHERE_SW;
    }
    snicd_offload_rule_trace(o, x, "installed", NULL);
    o->st.rules_created++;
    o->ops++;
    snicd_offload_rule_retire(o, f);
    f->handle = h;
    f->seq = ++o->seq;
    f->where = where;
    f->level = level;
    f->changed = false;
    f->no_space = false;
    f->create_failed = false;
    snicd_offload_mark_settle(o, f, mark, kind);
    snicd_say(f->reason, sizeof(f->reason), "%s", reason);
    return where;
}

/* Group 0's first levels belong to the tunnel guards: a flow's level
 * there is counted below them. */
static void
xlate_ctx(const struct snicd_offload *o, const struct snicd_oflow *f,
          struct snicd_xlate_ctx *c, uint32_t level, uint32_t mark,
          enum snicd_xlate_mode mode)
{
    memset(c, 0, sizeof(*c));
    c->ports = o->ports;
    c->n_ports = o->n_ports;
    c->priority = level + (f->flow.table_id == 0 ? o->root_reserved : 0);
    c->mark = mark;
    c->mode = mode;
}

static enum snicd_where
try_partial(struct snicd_offload *o, struct snicd_oflow *f, uint32_t level,
            const char *full_reason)
{
    struct snicd_xlate *x = o->x;
    const struct snicd_shape_result *r;
    struct snicd_xlate_ctx c;
    char why[SNICD_REASON_SIZE];
    uint32_t m = mark_want(o, f, SNICD_MARK_PARTIAL);

    if (m == 0) {
        snicd_say(why, sizeof(why), "%s; partial: no free mark", full_reason);
        goto sw;
    }
    xlate_ctx(o, f, &c, level, m, SNICD_XLATE_PARTIAL);
    if (snicd_xlate_flow(&f->flow, &c, x) < 0) {
        snicd_say(why, sizeof(why), "%s; partial: %s", full_reason, x->reason);
        goto sw;
    }
    r = snicd_offload_validate(o, x);
    if (r == NULL || r->rc != 0) {
        snicd_say(why, sizeof(why), "%s; partial refused by the device: %s",
                  full_reason, r ? r->msg : "not answering");
        goto sw;
    }
    snicd_say(why, sizeof(why), "partial: %s", full_reason);
    return snicd_offload_rule_install(o, f, x, level, SNICD_WHERE_PARTIAL, m,
                                      SNICD_MARK_PARTIAL, why);
sw:
    if (m != f->mark)
        snicd_offload_mark_release(o, m);
    snicd_offload_to_sw(o, f, why, false);
    return SNICD_WHERE_SW;
}

enum snicd_where
snicd_offload_try_hw(struct snicd_offload *o, struct snicd_oflow *f,
                     uint32_t level)
{
    struct snicd_xlate *x = o->x;
    const struct snicd_shape_result *r;
    struct snicd_xlate_ctx c;
    char why[SNICD_REASON_SIZE];
    bool has_goto = flow_has_goto(&f->flow);
    uint32_t m = 0;

    if (f->handle != NULL && !f->changed && f->level == level &&
        f->where != SNICD_WHERE_SW)
        return f->where;        /* already right */
    if (has_goto && (m = mark_want(o, f, SNICD_MARK_RESUME)) == 0) {
        snicd_offload_to_sw(o, f, "no free mark for goto_table (every "
                            "mark is in use or was released too recently)",
                            false);
        return SNICD_WHERE_SW;
    }
    xlate_ctx(o, f, &c, level, m, SNICD_XLATE_FULL);
    if (snicd_xlate_flow(&f->flow, &c, x) < 0) {
        if (m != f->mark)
            snicd_offload_mark_release(o, m);
        if (x->refusal != SNICD_XLATE_REFUSED_ACTION) {
            snicd_offload_to_sw(o, f, x->reason, false);
            return SNICD_WHERE_SW;
        }
        snicd_say(why, sizeof(why), "%s", x->reason);
        return try_partial(o, f, level, why);
    }
    r = snicd_offload_validate(o, x);
    if (r != NULL && r->rc == 0)
        return snicd_offload_rule_install(o, f, x, level, SNICD_WHERE_HW, m,
                                          has_goto ? SNICD_MARK_RESUME : 0,
                                          "");
    if (m != f->mark)
        snicd_offload_mark_release(o, m);
    snicd_say(why, sizeof(why), "refused by the device: %s",
              r ? r->msg : "not answering");
    if (r == NULL || !r->action) {
        snicd_offload_to_sw(o, f, why, false);
        return SNICD_WHERE_SW;
    }
    return try_partial(o, f, level, why);
}

bool
snicd_offload_port_is_gone(const struct snicd_offload *o, uint32_t ofport)
{
    for (unsigned i = 0; i < o->n_gone; i++)
        if (o->gone[i] == ofport)
            return true;
    return false;
}

/* "port vf2 gone (OpenFlow port 4)": users name ports as snicctl shows
 * them; the number is what an OpenFlow controller sees. */
static const char *
gone_reason(const struct snicd_offload *o, uint32_t ofport,
            const char *under, char *buf, size_t size)
{
    const struct snicd_port_info *p = snicd_xlate_port(o->ports, o->n_ports,
                                                       ofport);
    char tail[48] = "";

    if (under != NULL)
        snicd_say(tail, sizeof(tail), ", the underlay of %s", under);
    if (p != NULL && p->name[0] != '\0')
        snicd_say(buf, size, "port %s gone (OpenFlow port %u%s)", p->name,
                  ofport, tail);
    else
        snicd_say(buf, size, "OpenFlow port %u gone%s%s%s", ofport,
                  under != NULL ? " (" : "", tail + (under != NULL ? 2 : 0),
                  under != NULL ? ")" : "");
    return buf;
}

bool
snicd_offload_flow_touches(const struct snicd_offload *o,
                           const struct flow *fl, uint32_t ofport)
{
    const struct snicd_port_info *p;

    if (fl->match.mask.in_port == UINT32_MAX) {
        if (fl->match.value.in_port == ofport)
            return true;
        p = snicd_xlate_port(o->ports, o->n_ports,
                             fl->match.value.in_port);
        if (p != NULL && p->is_tunnel && p->tun_underlay == ofport)
            return true;
    }
    for (unsigned i = 0; i < fl->n_actions; i++) {
        if (fl->actions[i].type != FLOW_ACT_OUTPUT)
            continue;
        /* ALL and FLOOD send to every port: a port gone or back changes
         * their rule */
        if (fl->actions[i].u.port == ofport
            || fl->actions[i].u.port == FLOW_PORT_ALL
            || fl->actions[i].u.port == FLOW_PORT_FLOOD)
            return true;
        p = snicd_xlate_port(o->ports, o->n_ports, fl->actions[i].u.port);
        if (p != NULL && p->is_tunnel && p->tun_underlay == ofport)
            return true;
    }
    return false;
}

const char *
snicd_offload_blocked(struct snicd_offload *o, const struct snicd_oflow *f,
                      char *buf, size_t size)
{
    const struct flow *fl = &f->flow;
    const struct snicd_port_info *tun;

    if (!o->cfg.enabled)
        return "offload disabled";
    if (o->dead)
        return o->dead_reason[0] != '\0' ? o->dead_reason
               : "device not answering (waiting for resync)";
    if (o->n_levels == 0)
        return o->probe_reason;
    if (o->n_gone == 0)
        return NULL;
    if (fl->match.mask.in_port == UINT32_MAX &&
        snicd_offload_port_is_gone(o, fl->match.value.in_port))
        return gone_reason(o, fl->match.value.in_port, NULL, buf, size);
    tun = snicd_xlate_tunnel_of(fl, o->ports, o->n_ports);
    if (tun != NULL && snicd_offload_port_is_gone(o, tun->tun_underlay))
        return gone_reason(o, tun->tun_underlay, tun->name, buf, size);
    for (unsigned i = 0; i < fl->n_actions; i++) {
        uint32_t port = fl->actions[i].u.port;

        if (fl->actions[i].type != FLOW_ACT_OUTPUT)
            continue;
        if (snicd_offload_port_is_gone(o, port))
            return gone_reason(o, port, NULL, buf, size);
        tun = snicd_xlate_port(o->ports, o->n_ports, port);
        if (tun != NULL && tun->is_tunnel &&
            snicd_offload_port_is_gone(o, tun->tun_underlay))
            return gone_reason(o, tun->tun_underlay, tun->name, buf, size);
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Device probe: how many rte_flow priorities does a transfer rule get?
 * ------------------------------------------------------------------------ */

static int
probe_prio(struct snicd_offload *o, uint32_t prio, char *msg, size_t size)
{
    const struct rte_flow_attr attr = { .transfer = 1, .priority = prio };
    const struct rte_flow_item pattern[] = {
        { .type = RTE_FLOW_ITEM_TYPE_ETH },
        { .type = RTE_FLOW_ITEM_TYPE_END },
    };
    const struct rte_flow_action actions[] = {
        { .type = RTE_FLOW_ACTION_TYPE_DROP },
        { .type = RTE_FLOW_ACTION_TYPE_END },
    };
    struct rte_flow_error err;
    int ret;

    memset(&err, 0, sizeof(err));
    ret = rte_flow_validate(o->cfg.proxy_port, &attr, pattern, actions, &err);
    if (ret != 0 && msg != NULL)
        error_text(&err, -ret, msg, size);
    return ret;
}

bool
snicd_offload_device_answers(struct snicd_offload *o)
{
    return probe_prio(o, 0, NULL, 0) != -EIO;
}

void
snicd_offload_probe_levels(struct snicd_offload *o)
{
    char msg[SNICD_REASON_SIZE];
    uint32_t lo = 0, hi;
    int ret;

    o->n_levels = 0;
    ret = probe_prio(o, 0, msg, sizeof(msg));
    if (ret != 0) {
        snicd_say(o->probe_reason, sizeof(o->probe_reason), "the device "
                  "refuses a trivial transfer rule: %s", msg);
        if (ret == -EIO)
            o->dead = true;
        return;
    }
    for (hi = 1; hi < PROBE_MAX_LEVEL; hi <<= 1) {
        if (probe_prio(o, hi, NULL, 0) != 0)
            break;
        lo = hi;
    }
    if (hi >= PROBE_MAX_LEVEL) {
        o->n_levels = PROBE_MAX_LEVEL;
        return;
    }
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (probe_prio(o, mid, NULL, 0) == 0)
            lo = mid;
        else
            hi = mid;
    }
    o->n_levels = lo + 1;
}
