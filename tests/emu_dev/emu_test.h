/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the device-model tests: a device with a recording deliver
 * callback, command builders that go through emu_dev_exec() exactly as the
 * server would, and small frame builders.
 */
#ifndef EMU_TEST_H
#define EMU_TEST_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "emu_dev.h"
#include "snic/fw_abi.h"

#define T_MAX_PKTS 64

struct t_pkt {
    struct emu_dest dest;
    uint32_t len;
    uint8_t data[FW_PKT_BUF_SIZE + 256];
};

struct t_rec {
    unsigned n;
    struct t_pkt pkts[T_MAX_PKTS];
    bool refuse;                /* deliver() returns false */
    unsigned resets;
    unsigned sriov_calls;
    uint16_t last_num_vfs;
};

static struct t_rec t_rec;

static inline bool
t_deliver(void *ctx, const struct emu_dest *dest, const uint8_t *frame,
          uint32_t len)
{
    struct t_rec *r = ctx;

    if (r->refuse)
        return false;
    if (r->n < T_MAX_PKTS) {
        struct t_pkt *p = &r->pkts[r->n];

        p->dest = *dest;
        p->len = len;
        memcpy(p->data, frame, len < sizeof(p->data) ? len : sizeof(p->data));
    }
    r->n++;
    return true;
}

static inline void
t_sriov_changed(void *ctx, uint16_t num_vfs)
{
    struct t_rec *r = ctx;

    r->sriov_calls++;
    r->last_num_vfs = num_vfs;
}

static inline void
t_reset_cb(void *ctx)
{
    ((struct t_rec *)ctx)->resets++;
}

static const struct emu_dev_ops t_ops = {
    .deliver = t_deliver,
    .sriov_changed = t_sriov_changed,
    .reset = t_reset_cb,
};

static const uint8_t T_PF_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static inline struct emu_dev *
t_dev_new(const char *profile, uint16_t max_vfs, uint16_t num_vfs,
          uint8_t mode)
{
    struct emu_config cfg;
    const struct emu_profile *p = emu_profile_find(profile);

    cr_assert_not_null(p, "profile %s", profile);
    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = *p;
    cfg.max_vfs = max_vfs;
    cfg.num_vfs = num_vfs;
    cfg.esw_mode = mode;
    memcpy(cfg.base_mac, T_PF_MAC, 6);
    cfg.max_queues_per_port = 4;
    cfg.max_queue_depth = 1024;
    cfg.max_link_speed = 25000;
    memset(&t_rec, 0, sizeof(t_rec));
    struct emu_dev *dev = emu_dev_create(&cfg, &t_ops, &t_rec);
    cr_assert_not_null(dev);
    return dev;
}

/*
 * The fixture most suites share: a file-wide `dev`, a card made with
 * t_dev_new(@profile, @max_vfs, @num_vfs, @mode) by the suite's .init and
 * destroyed by its .fini; the rest are Criterion's suite options
 * (.timeout...). Once per file, in place of TestSuite().
 */
#define T_DEV_SUITE(suite, profile, max_vfs, num_vfs, mode, ...)             \
    static struct emu_dev *dev;                                             \
    static void                                                             \
    suite##_dev_up(void)                                                    \
    {                                                                       \
        dev = t_dev_new(profile, max_vfs, num_vfs, mode);                   \
    }                                                                       \
    static void                                                             \
    suite##_dev_down(void)                                                  \
    {                                                                       \
        emu_dev_destroy(dev);                                               \
    }                                                                       \
    TestSuite(suite, .init = suite##_dev_up, .fini = suite##_dev_down,       \
              __VA_ARGS__)

/* Output of the last t_exec (whole output half of a slot). */
static union {
    uint8_t raw[FW_SLOT_OUT_MAX];
    struct fw_out_hdr hdr;
    uint64_t align;
} t_out;
static uint32_t t_synd;
static unsigned t_flags;

/* Issue @in (starting with fw_cmd_hdr) as @function; opcode, in_size and
 * a generous out_size are filled in unless already set. */
static inline uint8_t
t_exec_raw(struct emu_dev *dev, uint16_t function, void *in, uint32_t in_size)
{
    static union { uint8_t raw[FW_SLOT_IN_MAX]; uint64_t align; } slot;

    memset(slot.raw, 0, sizeof(slot.raw));
    memcpy(slot.raw, in, in_size < FW_SLOT_IN_MAX ? in_size : FW_SLOT_IN_MAX);
    memset(t_out.raw, 0xa5, sizeof(t_out.raw));
    t_flags = emu_dev_exec(dev, function, slot.raw, FW_SLOT_IN_MAX, t_out.raw);
    t_synd = t_out.hdr.syndrome;
    return t_out.hdr.status;
}

static inline uint8_t
t_exec(struct emu_dev *dev, uint16_t function, uint16_t opcode, void *in,
       uint32_t in_size)
{
    struct fw_cmd_hdr *h = in;

    h->opcode = opcode;
    h->in_size = in_size;
    if (h->out_size == 0)
        h->out_size = FW_SLOT_OUT_MAX;
    h->token = 0x1234u + opcode;
    return t_exec_raw(dev, function, in, in_size);
}

#define T_EXEC(dev, fn, op, in) t_exec(dev, fn, op, &(in), sizeof(in))

/* ---- command builders (PF unless stated) ---- */

static inline uint8_t
t_sriov_enable(struct emu_dev *dev, uint16_t n)
{
    struct fw_sriov_enable_in in = { .num_vfs = n };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_ENABLE, in);
}

static inline uint8_t
t_sriov_disable(struct emu_dev *dev)
{
    struct fw_sriov_disable_in in = { 0 };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_SRIOV_DISABLE, in);
}

static inline uint8_t
t_set_mode(struct emu_dev *dev, uint8_t mode)
{
    struct fw_eswitch_set_mode_in in = { .mode = mode };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_ESWITCH_SET_MODE, in);
}

static inline uint8_t
t_table_create(struct emu_dev *dev, uint32_t group, uint32_t level)
{
    struct fw_table_create_in in = { .group = group, .level = level };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_TABLE_CREATE, in);
}

static inline uint8_t
t_table_destroy(struct emu_dev *dev, uint32_t group)
{
    struct fw_table_destroy_in in = { .group = group };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_TABLE_DESTROY, in);
}

static inline uint8_t
t_counter_alloc(struct emu_dev *dev, uint32_t count, uint32_t *base)
{
    struct fw_counter_alloc_in in = { .count = count };
    uint8_t st = T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_ALLOC, in);

    if (st == 0 && base != NULL)
        *base = ((struct fw_counter_alloc_out *)t_out.raw)->base_id;
    return st;
}

static inline uint8_t
t_counter_free(struct emu_dev *dev, uint32_t base, uint32_t count)
{
    struct fw_counter_free_in in = { .base_id = base, .count = count };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_COUNTER_FREE, in);
}

static inline uint8_t
t_counter_read(struct emu_dev *dev, uint32_t id, bool clear,
               struct fw_counter_value *v)
{
    struct fw_counter_query_in in = { .n = 1, .ids = { id } };

    in.flags = clear ? FW_COUNTER_Q_CLEAR : 0;
    uint8_t st = t_exec(dev, FW_FUNC_PF, FW_CMD_COUNTER_QUERY, &in,
                        (uint32_t)(offsetof(struct fw_counter_query_in, ids) +
                                   sizeof(uint32_t)));
    if (st == 0 && v != NULL)
        *v = ((struct fw_counter_query_out *)t_out.raw)->values[0];
    return st;
}

/* A rule under construction. */
struct t_rule {
    struct fw_rule_add_in in;
};

static inline void
t_rule_init(struct t_rule *r, uint32_t group, uint16_t prio)
{
    memset(r, 0, sizeof(*r));
    r->in.group = group;
    r->in.priority = prio;
}

static inline struct fw_action *
t_rule_act(struct t_rule *r, uint16_t type)
{
    struct fw_action *a = &r->in.actions[r->in.n_actions++];

    a->type = type;
    return a;
}

static inline void
t_rule_fwd(struct t_rule *r, uint16_t type, uint16_t vport, uint16_t queue)
{
    struct fw_action *a = t_rule_act(r, type);

    a->u.fwd.vport = vport;
    a->u.fwd.queue = queue;
}

static inline uint8_t
t_rule_add(struct emu_dev *dev, struct t_rule *r, uint32_t *id)
{
    uint32_t size = (uint32_t)(offsetof(struct fw_rule_add_in, actions) +
                               r->in.n_actions * sizeof(struct fw_action));
    uint8_t st = t_exec(dev, FW_FUNC_PF, FW_CMD_RULE_ADD, &r->in, size);

    if (st == 0 && id != NULL)
        *id = ((struct fw_rule_add_out *)t_out.raw)->rule_id;
    return st;
}

static inline uint8_t
t_rule_delete(struct emu_dev *dev, uint32_t id)
{
    struct fw_rule_delete_in in = { .rule_id = id };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_RULE_DELETE, in);
}

static inline uint8_t
t_vport_modify(struct emu_dev *dev, uint16_t function, uint16_t vport,
               uint32_t sel, const struct fw_vport_ctx *ctx)
{
    struct fw_vport_modify_in in;

    memset(&in, 0, sizeof(in));
    in.vport = vport;
    in.field_select = sel;
    in.ctx = *ctx;
    return T_EXEC(dev, function, FW_CMD_VPORT_MODIFY, in);
}

static inline struct fw_vport_ctx
t_vport_query(struct emu_dev *dev, uint16_t vport)
{
    struct fw_vport_query_in in = { .vport = vport };

    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_VPORT_QUERY, in), 0);
    return ((struct fw_vport_query_out *)t_out.raw)->ctx;
}

static inline struct fw_vport_stats_out
t_vport_stats(struct emu_dev *dev, uint16_t vport)
{
    struct fw_vport_query_in in = { .vport = vport };

    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_VPORT_STATS, in), 0);
    return *(struct fw_vport_stats_out *)t_out.raw;
}

static inline struct fw_query_health_out
t_health(struct emu_dev *dev)
{
    struct fw_cmd_hdr in = { 0 };

    cr_assert_eq(T_EXEC(dev, FW_FUNC_PF, FW_CMD_QUERY_HEALTH, in), 0);
    return *(struct fw_query_health_out *)t_out.raw;
}

static inline uint8_t
t_fault(struct emu_dev *dev, uint32_t fault, uint16_t opcode, uint8_t status,
        uint32_t count, uint32_t value)
{
    struct fw_debug_fault_in in = {
        .fault = fault, .opcode = opcode, .status = status,
        .count = count, .value = value,
    };

    return T_EXEC(dev, FW_FUNC_PF, FW_CMD_DEBUG_FAULT, in);
}

/* ---- frames ---- */

static inline void
t_mac(uint8_t *m, uint8_t last)
{
    static const uint8_t base[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x00 };

    memcpy(m, base, 6);
    m[5] = last;
}

/* Ethernet (+ optional 802.1Q tag when vid >= 0) + IPv4 + UDP, @payload
 * bytes of UDP payload. Returns the frame length. */
static inline uint32_t
t_udp_frame(uint8_t *buf, const uint8_t *dst, const uint8_t *src, int vid,
            uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport,
            uint32_t payload)
{
    uint32_t off = 12;
    uint16_t v16;

    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    if (vid >= 0) {
        v16 = htons(0x8100);
        memcpy(buf + off, &v16, 2);
        v16 = htons((uint16_t)vid);
        memcpy(buf + off + 2, &v16, 2);
        off += 4;
    }
    v16 = htons(0x0800);
    memcpy(buf + off, &v16, 2);
    off += 2;
    uint8_t *ip = buf + off;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    v16 = htons((uint16_t)(20 + 8 + payload));
    memcpy(ip + 2, &v16, 2);
    ip[8] = 64;
    ip[9] = 17;
    uint32_t a = htonl(sip), b = htonl(dip);
    memcpy(ip + 12, &a, 4);
    memcpy(ip + 16, &b, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)((ip[i] << 8) | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    v16 = htons((uint16_t)~sum);
    memcpy(ip + 10, &v16, 2);
    uint8_t *udp = ip + 20;
    v16 = htons(sport);
    memcpy(udp, &v16, 2);
    v16 = htons(dport);
    memcpy(udp + 2, &v16, 2);
    v16 = htons((uint16_t)(8 + payload));
    memcpy(udp + 4, &v16, 2);
    udp[6] = udp[7] = 0;
    memset(udp + 8, 0x5a, payload);
    return off + 20 + 8 + payload;
}

#endif /* EMU_TEST_H */
