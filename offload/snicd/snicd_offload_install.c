/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The install step: one flow that placement (snicd_offload_place.c)
 * allows in hardware at a level becomes a rule on the device. Full
 * translation first, else partial (match + MARK, software finishes) when
 * only an action was refused, else software with the reason; a flow of a
 * tunnel port goes in its decap context's group. Also the flow-level
 * undo: retire a rule keeping its counts, take a flow to software.
 *
 * Calls forward only: the translator (snicd_xlate*.c), the device
 * operations (snicd_offload_rule.c: validate by shape, trace), the decap
 * contexts (snicd_offload_tun.c: get, pop, put) and the marks
 * (snicd_offload_marks.c). Nothing of those calls back here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_flow.h>
#include <rte_pause.h>

#include "snicd_log.h"
#include "snicd_offload_priv.h"
#include "snicd_xlate.h"

/* The mark @f should carry as @kind: its own if it already means that. */
static uint32_t
mark_want(struct snicd_offload *o, const struct snicd_oflow *f, uint8_t kind)
{
    if (f->mark != 0 && f->mark_kind == kind)
        return f->mark;
    return snicd_offload_mark_alloc(o, false);
}

static void queue_pull_until(struct snicd_offload *o, uint32_t keep);

/* Destroy @h: on the flow queue when there is one and this pass uses it,
 * else (or when the queue refuses) with rte_flow_destroy. */
static void
rule_destroy(struct snicd_offload *o, struct rte_flow *h)
{
    struct rte_flow_error err;

    if (o->fq != NULL && !o->fq_off) {
        if (snicd_fq_full(o->fq) && !o->fq_flushing) {
            /* room for the next half only: the card works on the older
             * half while this one is enqueued (a whole drain left the card
             * idle while snicd enqueued, and snicd idle while the card
             * deleted: a delete of every flow took both times, #13). A
             * create refused in what is pulled marks its table at the
             * commit's flush, as before */
            o->fq_flushing = true;
            queue_pull_until(o, snicd_fq_size(o->fq) / 2);
            o->fq_flushing = false;
        }
        if (snicd_fq_destroy(o->fq, h) == 0)
            return;
    }
    /* a refusal to delete leaves nothing we could do better */
    (void)rte_flow_destroy(o->cfg.proxy_port, h, &err);
}

/* Drop rule @h of @f (where it was @was), keeping what its counter said:
 * @f's current rule, or the one a confirmed create replaced. */
static void
rule_drop(struct snicd_offload *o, struct snicd_oflow *f, struct rte_flow *h,
          uint8_t was)
{
    /* its NORMAL conversations sit above it and were derived from it */
    snicd_conv_drop_flow(o, f);
    if (!o->dead) {
        if (was == SNICD_WHERE_HW) {
            uint64_t pkts = f->cur_pkts, bytes = f->cur_bytes;

            (void)snicd_offload_rule_count(o, h, &f->cur_pkts,
                                           &f->cur_bytes);
            /* a last reading that moved since the last read: no counter
             * is left to tell the next read (the total held otherwise is
             * the one reported) */
            if (f->cur_pkts != pkts || f->cur_bytes != bytes)
                snicd_offload_moved_touch(o, f);
        }
        /* the order rules go in, for the tests (test_offload.c) */
        snicd_log(SNICD_LOG_DEBUG, "rule destroyed: flow %" PRIu64
                  " table %u", f->id, (unsigned)f->table_id);
        rule_destroy(o, h);
        o->st.rules_destroyed++;
        o->ops++;
    }
    if (was == SNICD_WHERE_HW) {
        f->acc_pkts += f->cur_pkts;
        f->acc_bytes += f->cur_bytes;
    }
    f->cur_pkts = f->cur_bytes = 0;
    o->space_freed = true;
    o->drops++;
}

/* Drop @f's rule, keeping what its counter said. */
void
snicd_offload_rule_retire(struct snicd_offload *o, struct snicd_oflow *f)
{
    /* a rule still on the flow queue is known only once pulled */
    if (f->queued)
        (void)snicd_offload_queue_flush(o);
    if (f->handle == NULL)
        return;
    rule_drop(o, f, f->handle, f->where);
    f->handle = NULL;
    snicd_tun_release(o, f);
}

void
snicd_offload_to_sw(struct snicd_offload *o, struct snicd_oflow *f,
                    const char *reason, bool no_space)
{
    snicd_offload_rule_retire(o, f);
    snicd_oflow_where(o, f, SNICD_WHERE_SW);
    f->reg_whole = false;       /* no rule: nothing of it is whole */
    f->no_space = no_space;
    f->create_failed = false;
    f->changed = false;
    snicd_oflow_reason(o, f, reason);
    snicd_offload_mark_settle(o, f, 0, 0);
}

/* @f's new rule @h is in (or on the flow queue): the flow's state says
 * so. */
static void
rule_in(struct snicd_offload *o, struct snicd_oflow *f, struct rte_flow *h,
        uint32_t level, enum snicd_where where, uint32_t mark, uint8_t kind,
        const char *reason)
{
    f->handle = h;
    f->seq = ++o->seq;
    snicd_oflow_where(o, f, where);
    f->level = level;
    f->changed = false;
    f->no_space = false;
    f->create_failed = false;
    snicd_offload_mark_settle(o, f, mark, kind);
    /* not a format: this runs for every rule a resync puts back */
    snicd_oflow_reason(o, f, reason);
}

/* Create @x's rule for @f with rte_flow_create; the old rule (if any)
 * goes after the new one is in, so traffic never falls through between
 * the two. */
static enum snicd_where
rule_install_sync(struct snicd_offload *o, struct snicd_oflow *f,
                  const struct snicd_xlate *x, uint32_t level,
                  enum snicd_where where, uint32_t mark, uint8_t kind,
                  const char *reason)
{
    struct rte_flow_error err;
    struct rte_flow *h;
    char msg[SNICD_REASON_SIZE], why[SNICD_REASON_SIZE];
    int code;

    memset(&err, 0, sizeof(err));
    h = rte_flow_create(o->cfg.proxy_port, &x->attr, x->items, x->actions,
                        &err);
    if (h == NULL && rte_errno == ENOSPC && o->fq != NULL &&
        snicd_fq_inflight(o->fq) > 0 && !o->fq_flushing) {
        /* the room may be in destroys still on the flow queue */
        (void)snicd_offload_queue_flush(o);
        memset(&err, 0, sizeof(err));
        h = rte_flow_create(o->cfg.proxy_port, &x->attr, x->items,
                            x->actions, &err);
    }
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
        snicd_offload_error_text(&err, code, msg, sizeof(msg));
        snicd_offload_rule_trace(o, x, "refused by create", msg);
        if (mark != f->mark)
            snicd_offload_mark_release(o, mark);
        /* EIO is also what a firmware's internal error maps to: only a
         * device that fails a trivial validation too is gone; otherwise
         * the failure may pass and the flow is tried again later */
        if (code == EIO && !snicd_offload_device_answers(o))
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
    rule_in(o, f, h, level, where, mark, kind, reason);
    return where;
}

/* Enqueue @x's create on the flow queue; @f's old rule stays until the
 * create is confirmed (snicd_offload_queue_flush). False when the queue
 * does not take it: no template for its shape, or a refusal that
 * rte_flow_create will repeat with its reason. */
static bool
rule_queue(struct snicd_offload *o, struct snicd_oflow *f,
           const struct snicd_xlate *x, uint32_t level,
           enum snicd_where where, uint32_t mark, uint8_t kind,
           const char *reason)
{
    struct rte_flow_error err;
    struct snicd_qop *op;
    struct rte_flow *h;
    bool no_table;

    /* a create goes after the destroys queued before it are done: the
     * room and the pooled counters they free are handed out at push */
    if (snicd_fq_full(o->fq) || snicd_fq_destroys(o->fq) > 0)
        (void)snicd_offload_queue_flush(o);
    op = snicd_fq_op_get(o->fq);
    if (op == NULL)
        return false;
    memset(&err, 0, sizeof(err));
    h = snicd_fq_create(o->fq, x, op, &no_table, &err);
    if (h == NULL) {
        snicd_fq_op_put(o->fq, op);
        if (no_table)
            o->st.queue_no_template++;
        return false;
    }
    /* logged as the rule the device is given (a refusal in the batch is
     * logged again when the create is asked once more) */
    snicd_offload_rule_trace(o, x, "installed", NULL);
    op->f = f;
    op->old = f->handle;
    op->old_where = f->where;
    op->where = (uint8_t)where;
    op->level = level;
    op->mark = mark;
    op->kind = kind;
    f->queued = true;
    o->ops++;
    rule_in(o, f, h, level, where, mark, kind, reason);
    return true;
}

/* Install @x's rule for @f: on the flow queue when the port has one and
 * this pass uses it, else (and when the queue does not take the rule)
 * with rte_flow_create. */
enum snicd_where
snicd_offload_rule_install(struct snicd_offload *o, struct snicd_oflow *f,
                           const struct snicd_xlate *x, uint32_t level,
                           enum snicd_where where, uint32_t mark,
                           uint8_t kind, const char *reason)
{
    if (f->queued)
        (void)snicd_offload_queue_flush(o);
    /* a flow in a decap context keeps the context's reference with its
     * rule: that hand-over is made with rte_flow_create */
    if (o->fq != NULL && !o->fq_off && !o->fq_flushing &&
        snicd_oflow_dctx(f) == NULL &&
        rule_queue(o, f, x, level, where, mark, kind, reason))
        return where;
    return rule_install_sync(o, f, x, level, where, mark, kind, reason);
}

/* ------------------------------------------------------------------------
 * The flow queue's results
 * ------------------------------------------------------------------------ */

/* One create's result. Confirmed: the rule it replaces goes now. Refused:
 * the queue's result has no reason, so the rule is asked again with
 * rte_flow_create, from the flow's old state (its old rule still in):
 * either the device takes it now (a counter pool used up, a transient
 * refusal) or it says why, and the flow goes to software with that. */
static void
queue_settle(struct snicd_offload *o, struct snicd_qop *op, bool ok)
{
    struct snicd_oflow *f = op->f;
    struct snicd_xlate_ctx c;
    struct flow fl;
    char reason[SNICD_REASON_SIZE];
    enum snicd_where w;
    bool off = o->fq_off;

    f->queued = false;
    if (ok) {
        o->st.rules_created++;
        if (op->old != NULL)
            rule_drop(o, f, op->old, op->old_where);
        return;
    }
    o->st.queue_refused++;
    if (o->dead) {
        /* gone: its rules are forgotten, not asked again */
        f->handle = NULL;
        snicd_offload_to_sw(o, f, "device not answering", false);
        return;
    }
    snicd_log(SNICD_LOG_DEBUG, "flow %" PRIu64 ": its rule was refused in "
              "the flow queue's batch: asked again with rte_flow_create",
              f->id);
    /* the failed create's handle is gone with its operation */
    f->handle = op->old;
    snicd_oflow_where(o, f, (enum snicd_where)op->old_where);
    snicd_say(reason, sizeof(reason), "%s", f->reason);
    snicd_offload_xlate_ctx(o, f, &c, op->level, op->mark,
              op->where == SNICD_WHERE_PARTIAL ? SNICD_XLATE_PARTIAL
                                               : SNICD_XLATE_FULL);
    /* all of it now: a full device's room is in the old rule, which
     * must be gone before the create is asked again */
    o->fq_off = true;
    snicd_oflow_flow(f, &fl);
    if (snicd_xlate_flow(&fl, &c, o->fq_x) < 0) {
        /* the same translation succeeded when it was queued */
        snicd_offload_to_sw(o, f, o->fq_x->reason, false);
        w = SNICD_WHERE_SW;
    } else {
        w = rule_install_sync(o, f, o->fq_x, op->level,
                              (enum snicd_where)op->where, op->mark,
                              op->kind, reason);
    }
    o->fq_off = off;
    if (w != SNICD_WHERE_SW)
        return;
    /* its table is placed again: what it overlaps was placed as if it
     * were in hardware. The flow itself is not asked again in this
     * commit, unless it waits for room and a rule went since */
    f->refused_commit = (uint32_t)o->commits;
    f->refused_drops = (uint32_t)o->drops;
    o->fq_refused_table[f->table_id] = true;
    o->fq_refused++;
}

/* A dead manager gives up every operation still on its flow queue: each
 * create is lost (its flow to software; the handles stay the queue's),
 * each destroy forgotten, and the queue is never pulled again. What it
 * may still answer belongs to operations given up, whose records are
 * reused: only a new driver instance, after the device's re-attach
 * (snicd_device.c), puts the queue, and the rules it may still create,
 * in a known state. */
static void
queue_forget(struct snicd_offload *o)
{
    struct snicd_qop *op;

    for (uint32_t i = 0; (op = snicd_fq_op_at(o->fq, i)) != NULL; i++) {
        struct snicd_oflow *f = op->f;

        if (!op->in_use || f == NULL)
            continue;
        f->queued = false;
        f->handle = NULL;
        snicd_offload_to_sw(o, f, "device not answering", false);
        op->f = NULL;
        snicd_fq_op_put(o->fq, op);
    }
    snicd_fq_forget(o->fq);
}

/* The device does not answer pulls (@err: the pull's error, or
 * -ETIMEDOUT after @timeout_ms of silence): the manager is dead, even
 * when the device still answers a validation, and its queue forgotten. */
static void
queue_abandon(struct snicd_offload *o, int err, uint32_t timeout_ms)
{
    o->dead = true;
    if (err == -ETIMEDOUT)
        snicd_say(o->dead_reason, sizeof(o->dead_reason), "device not "
                  "answering (its flow queue answered none of %u "
                  "operations in %u ms)", snicd_fq_inflight(o->fq),
                  timeout_ms);
    else
        snicd_say(o->dead_reason, sizeof(o->dead_reason), "device not "
                  "answering (flow queue pull: %s)", strerror(-err));
    queue_forget(o);
}

/* Pull and settle results until at most @keep operations are in flight
 * (o->fq_flushing set by the caller). */
static void
queue_pull_until(struct snicd_offload *o, uint32_t keep)
{
    uint32_t timeout_ms = o->cfg.queue_timeout_ms != 0 ?
                          o->cfg.queue_timeout_ms : SNICD_QUEUE_TIMEOUT_MS;
    struct snicd_qop *ops[64];
    bool ok[64];
    uint64_t silent_since = 0;
    int n;

    if (o->dead) {
        /* dead for another reason (an EIO, the device gone) with
         * operations in flight: they are given up the same way */
        if (snicd_fq_inflight(o->fq) > 0)
            queue_forget(o);
        return;
    }
    while (snicd_fq_inflight(o->fq) > keep) {
        /* no more than that: what the card has done beyond it stays on
         * the queue, so the next pull hands it out without a wait */
        n = snicd_fq_pull(o->fq, ops, ok,
                          RTE_MIN(64u, snicd_fq_inflight(o->fq) - keep));
        if (n < 0) {
            queue_abandon(o, n, timeout_ms);
            break;
        }
        if (n == 0) {
            /* a pull need not wait for the card (a hardware completion
             * queue does not): an empty one is no verdict, a queue
             * silent for the timeout is */
            uint64_t now = snic_now_ns();

            if (silent_since == 0) {
                silent_since = now;
            } else if (now - silent_since >= timeout_ms * 1000000ull) {
                queue_abandon(o, -ETIMEDOUT, timeout_ms);
                break;
            }
            rte_pause();
            continue;
        }
        silent_since = 0;
        for (int i = 0; i < n; i++) {
            if (ops[i] == NULL) {
                o->st.queue_destroy_failures += !ok[i];
                continue;
            }
            queue_settle(o, ops[i], ok[i]);
            snicd_fq_op_put(o->fq, ops[i]);
        }
    }
}

int
snicd_offload_queue_flush(struct snicd_offload *o)
{
    int refused;

    if (o->fq == NULL || o->fq_flushing)
        return 0;
    o->fq_flushing = true;
    queue_pull_until(o, 0);
    o->fq_flushing = false;
    /* only the outermost flush (the commit's) marks tables: a placement
     * pass ends by clearing its table's mark */
    refused = (int)o->fq_refused;
    o->fq_refused = 0;
    for (unsigned t = 0; refused > 0 && t < SNICD_NUM_TABLES; t++)
        if (o->fq_refused_table[t]) {
            o->fq_refused_table[t] = false;
            o->tables[t].dirty = true;
        }
    return refused;
}

void
snicd_offload_queue_push(struct snicd_offload *o)
{
    if (o->fq != NULL && !o->dead)
        snicd_fq_push(o->fq);
}

void
snicd_offload_queue_attach(struct snicd_offload *o, bool port_closed)
{
    snicd_offload_queue_detach(o, port_closed);
    if (!o->cfg.enabled || o->cfg.no_flow_queue)
        return;
    if (o->fq_x == NULL) {
        o->fq_x = malloc(sizeof(*o->fq_x));
        if (o->fq_x == NULL)
            return;
    }
    o->fq = snicd_fq_open(o->cfg.proxy_port);
}

void
snicd_offload_queue_detach(struct snicd_offload *o, bool port_closed)
{
    if (o->fq == NULL)
        return;
    if (!port_closed && !o->dead)
        (void)snicd_offload_queue_flush(o);
    snicd_fq_close(o->fq, !port_closed && !o->dead);
    o->fq = NULL;
}

static enum snicd_where
try_partial(struct snicd_offload *o, struct snicd_oflow *f, uint32_t level,
            const char *full_reason)
{
    struct snicd_xlate *x = o->x;
    const struct snicd_shape_result *r;
    struct snicd_xlate_ctx c;
    struct flow fl;
    char why[SNICD_REASON_SIZE];
    uint32_t m = mark_want(o, f, SNICD_MARK_PARTIAL);

    if (m == 0) {
        snicd_say(why, sizeof(why), "%s; partial: no free mark", full_reason);
        goto sw;
    }
    snicd_offload_xlate_ctx(o, f, &c, level, m, SNICD_XLATE_PARTIAL);
    snicd_oflow_flow(f, &fl);
    if (snicd_xlate_flow(&fl, &c, x) < 0) {
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
    bool has_goto = snicd_oflow_jump(f) >= 0;
    struct flow fl;
    uint32_t m = 0;

    if (f->handle != NULL && !f->changed && f->level == level &&
        f->where != SNICD_WHERE_SW)
        return f->where;        /* already right */
    /* refused in this commit's batch and asked again then: the retry
     * waits for the next commit (snicd_offload_retry_failed), or for room
     * if that was what it lacked */
    if (f->where == SNICD_WHERE_SW &&
        f->refused_commit == (uint32_t)o->commits &&
        (!f->no_space || f->refused_drops == (uint32_t)o->drops))
        return SNICD_WHERE_SW;
    if (has_goto && (m = mark_want(o, f, SNICD_MARK_RESUME)) == 0) {
        snicd_offload_to_sw(o, f, "no free mark for goto_table (every "
                            "mark is in use or was released too recently)",
                            false);
        return SNICD_WHERE_SW;
    }
    snicd_offload_xlate_ctx(o, f, &c, level, m, SNICD_XLATE_FULL);
    snicd_oflow_flow(f, &fl);
    if (snicd_xlate_flow(&fl, &c, x) < 0) {
        /* held back only by its register writes before the jump: the
         * manager lets it through where the target is sealed */
        f->reg_gated = x->regs_gated;
        if (m != f->mark)
            snicd_offload_mark_release(o, m);
        if (x->refusal != SNICD_XLATE_REFUSED_ACTION) {
            snicd_offload_to_sw(o, f, x->reason, false);
            return SNICD_WHERE_SW;
        }
        snicd_say(why, sizeof(why), "%s", x->reason);
        return try_partial(o, f, level, why);
    }
    f->reg_gated = f->reg_whole;
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
    const struct snicd_port_info *tun;
    struct flow flow, *fl = &flow;

    if (!o->cfg.enabled)
        return "offload disabled";
    if (o->dead)
        return o->dead_reason[0] != '\0' ? o->dead_reason
               : "device not answering (waiting for resync)";
    if (o->n_levels == 0)
        return o->probe_reason;
    if (o->n_gone == 0)
        return NULL;
    snicd_oflow_flow(f, &flow);
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

/* A flow of a tunnel port at @level of its decap context's group: the
 * context (snicd_offload_tun.c) is taken pinned, the flow's rule
 * translated against it and validated; the context's mark is published
 * before its pop rule is made (the workers must know the mark before the
 * first frame can carry it: unknown, the inner frame would look as if it
 * came from the wire), then the flow's rule. */
enum snicd_where
snicd_offload_try_decap(struct snicd_offload *o, struct snicd_oflow *f,
                        uint32_t level)
{
    const struct snicd_shape_result *r;
    struct snicd_xlate *x = o->x;
    struct snicd_xlate_ctx xc;
    char why[SNICD_REASON_SIZE];
    enum snicd_where w;
    struct snicd_dctx *c;
    struct flow fl;
    int ret;

    if (f->handle != NULL && !f->changed && f->level == level &&
        f->where != SNICD_WHERE_SW && snicd_oflow_dctx(f) != NULL &&
        snicd_oflow_dctx(f)->pop != NULL)
        return f->where;        /* already right */
    /* where the pin will be kept, before anything is asked of the card */
    if (snicd_oflow_rare(f) == NULL) {
        snicd_say(why, sizeof(why), "no memory for the flow's decap "
                  "context");
        goto sw;
    }
    c = snicd_tun_ctx_get(o, f, why, sizeof(why));
    if (c == NULL)
        goto sw;
    snicd_offload_xlate_ctx(o, f, &xc, level, 0, SNICD_XLATE_FULL);
    /* the rule is in the decap context's group, where no guard holds
     * the first levels */
    xc.priority = level;
    xc.decap = &c->key;
    snicd_oflow_flow(f, &fl);
    if (snicd_xlate_flow(&fl, &xc, x) < 0) {
        snicd_say(why, sizeof(why), "%s", x->reason);
        goto unpin;
    }
    r = snicd_offload_validate(o, x);
    if (r == NULL || r->rc != 0) {
        snicd_say(why, sizeof(why), "refused by the device: %s",
                  r != NULL ? r->msg : "not answering");
        goto unpin;
    }
    ret = 0;
    if (c->pop == NULL && snicd_offload_marks_publish(o) < 0) {
        snicd_say(why, sizeof(why), "the decap mark could not be published "
                  "(no memory)");
        ret = -ENOMEM;
    }
    if (ret == 0)
        ret = snicd_tun_ctx_pop(o, c, why, sizeof(why));
    if (ret < 0) {
        snicd_tun_ctx_put(o, c);
        snicd_offload_to_sw(o, f, why, ret == -ENOSPC);
        f->create_failed = ret != -ENOSPC && ret != -ENOTSUP && !o->dead;
        return SNICD_WHERE_SW;
    }
    /* the pop rule used the scratch translation: make the flow's again */
    (void)snicd_xlate_flow(&fl, &xc, x);
    w = rule_install_sync(o, f, x, level, SNICD_WHERE_HW, 0, 0, "");
    if (w == SNICD_WHERE_SW) {
        snicd_tun_ctx_put(o, c);
        return w;
    }
    f->rare->dctx = c;  /* the pin becomes the flow's reference */
    return w;

unpin:
    snicd_tun_ctx_put(o, c);
sw:
    snicd_offload_to_sw(o, f, why, false);
    return SNICD_WHERE_SW;
}
