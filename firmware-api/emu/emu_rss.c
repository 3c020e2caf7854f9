/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS (ABI 1.5): the card's Toeplitz hash and its contexts.
 *
 * A context is a hash configuration (types, 40-byte key) plus the table of
 * representor queues of one vport it spreads over. Rules name one with
 * FW_ACT_RSS; a vport's default context spreads its misses. The hash is
 * computed here, in the packet engine, on the fields the parser found, so
 * a driver reads it from the rx descriptor exactly as a NIC reports it.
 *
 * Context ids are index + 1; an id is free again after its context is
 * destroyed (no generation: contexts are few and long-lived).
 */
#include <arpa/inet.h>
#include <string.h>

#include "emu_dev_priv.h"
#include "emu_packet.h"

uint32_t
emu_rss_toeplitz(const uint8_t key[FW_RSS_KEY_SIZE], const uint8_t *in,
                 size_t n)
{
    /* the 32 key bits aligned with the current input bit, sliding left */
    uint32_t win = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 |
                   (uint32_t)key[2] << 8 | key[3];
    uint32_t hash = 0;

    for (size_t i = 0; i < n; i++) {
        for (int b = 7; b >= 0; b--) {
            size_t next = i * 8u + (size_t)(7 - b) + 32u;
            uint32_t bit = 0;

            if (in[i] & (1u << b))
                hash ^= win;
            if (next < FW_RSS_KEY_SIZE * 8u)
                bit = (key[next / 8u] >> (7u - next % 8u)) & 1u;
            win = win << 1 | bit;
        }
    }
    return hash;
}

bool
emu_rss_hash(uint32_t types, const uint8_t key[FW_RSS_KEY_SIZE],
             const struct fw_match *k, const struct emu_layout *lay,
             uint32_t *hash)
{
    uint8_t in[36];
    size_t alen, n;
    uint32_t t_ip, t_tcp, t_udp;
    bool ports;

    if (lay->l3_kind == 4) {
        alen = 4;
        memcpy(in, &k->ipv4_src, 4);
        memcpy(in + 4, &k->ipv4_dst, 4);
        t_ip = FW_RSS_IPV4;
        t_tcp = FW_RSS_IPV4_TCP;
        t_udp = FW_RSS_IPV4_UDP;
    } else if (lay->l3_kind == 6) {
        alen = 16;
        memcpy(in, k->ipv6_src, 16);
        memcpy(in + 16, k->ipv6_dst, 16);
        t_ip = FW_RSS_IPV6;
        t_tcp = FW_RSS_IPV6_TCP;
        t_udp = FW_RSS_IPV6_UDP;
    } else {
        return false;
    }
    n = 2 * alen;
    /* l4_proto is 0 for a later fragment: it has no ports to hash */
    ports = (lay->l4_proto == EMU_PROTO_TCP && (types & t_tcp)) ||
            (lay->l4_proto == EMU_PROTO_UDP && (types & t_udp));
    if (ports) {
        memcpy(in + n, &k->l4_src, 2);
        memcpy(in + n + 2, &k->l4_dst, 2);
        n += 4;
    } else if (!(types & t_ip)) {
        return false;
    }
    *hash = emu_rss_toeplitz(key, in, n);
    return true;
}

void
emu_rss_pick(const struct emu_rss_ctx *c, const struct fw_match *k,
             const struct emu_layout *lay, struct emu_rss_pick *out)
{
    out->has_hash = emu_rss_hash(c->types, c->key, k, lay, &out->hash);
    out->queue = c->queues[out->has_hash ? out->hash % c->n_queues : 0];
    if (!out->has_hash)
        out->hash = 0;
}

void
emu_rss_flush(struct emu_dev *dev)
{
    memset(dev->rss, 0, sizeof(dev->rss));
    for (uint32_t v = 0; v < dev->caps.num_vports; v++)
        dev->vports[v].rss_default = 0;
}

uint32_t
emu_rss_reclaim(struct emu_dev *dev)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < EMU_RSS_CTX_MAX; i++) {
        struct emu_rss_ctx *c = &dev->rss[i];

        if (!c->used || c->refs != 0)
            continue;
        if (dev->vports[c->vport].rss_default == i + 1)
            dev->vports[c->vport].rss_default = 0;
        memset(c, 0, sizeof(*c));
        n++;
    }
    return n;
}

uint8_t
emu_cmd_rss_ctx_create(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_rss_ctx_create_in in;
    struct fw_rss_ctx_create_out *out = (void *)cmd->out;
    struct emu_rss_ctx *c = NULL;
    uint32_t known = sizeof(in), id;
    uint8_t st;

    memset(&in, 0, sizeof(in));
    memcpy(&in, cmd->raw,
           cmd->hdr.in_size < sizeof(in) ? cmd->hdr.in_size : sizeof(in));
    /* the known layout ends after queues[n_queues - 1] */
    if (in.n_queues >= 1 && in.n_queues <= FW_RSS_QUEUES_MAX)
        known = (uint32_t)(offsetof(struct fw_rss_ctx_create_in, queues) +
                           in.n_queues * sizeof(in.queues[0]));
    if ((st = emu_cmd_trailing(cmd, known)) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    if ((in.flags & ~(uint16_t)FW_RSS_F_VPORT_DEFAULT) != 0 ||
        in.rsvd0 != 0 || in.rsvd1 != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (!(dev->caps.actions & FW_ACTION_BIT(FW_ACT_RSS)))
        return emu_fail(cmd, FW_STATUS_NOT_SUPPORTED,
                        FW_SYND(FW_SYND_ACTION, 0, FW_ACT_RSS));
    if (!emu_vport_exists(dev, in.vport))
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_VPORT, 0, in.vport));
    if ((in.hash_types & ~dev->caps.rss_hash_types) != 0)
        return emu_fail(cmd, FW_STATUS_NOT_SUPPORTED,
                        FW_SYND(FW_SYND_RSS, 0, in.hash_types &
                                ~dev->caps.rss_hash_types));
    if (in.n_queues == 0 || in.n_queues > FW_RSS_QUEUES_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_QUEUES));
    for (unsigned i = 0; i < in.n_queues; i++)
        if (in.queues[i] >= dev->caps.max_queues_per_port)
            return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                            FW_SYND(FW_SYND_CAPACITY, i & 0xffu,
                                    FW_LIMIT_QUEUES));
    for (id = 1; id <= EMU_RSS_CTX_MAX && c == NULL; id++)
        if (!dev->rss[id - 1].used)
            c = &dev->rss[id - 1];
    if (c == NULL)
        return emu_fail(cmd, FW_STATUS_NO_SPACE,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_RSS_CTX));
    id--;
    memset(c, 0, sizeof(*c));
    c->used = true;
    c->vport = in.vport;
    c->types = in.hash_types;
    memcpy(c->key, in.key, sizeof(c->key));
    c->n_queues = in.n_queues;
    memcpy(c->queues, in.queues, in.n_queues * sizeof(in.queues[0]));
    if (in.flags & FW_RSS_F_VPORT_DEFAULT)
        dev->vports[in.vport].rss_default = id;
    out->ctx_id = id;
    out->rsvd = 0;
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_rss_ctx_destroy(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_rss_ctx_destroy_in in;
    struct emu_rss_ctx *c;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    c = (struct emu_rss_ctx *)emu_rss_get(dev, in.ctx_id);
    if (c == NULL)
        return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                        FW_SYND(FW_SYND_RSS, 0, in.ctx_id));
    if (c->refs != 0)
        return emu_fail(cmd, FW_STATUS_BUSY,
                        FW_SYND(FW_SYND_RSS, 0, in.ctx_id));
    if (dev->vports[c->vport].rss_default == in.ctx_id)
        dev->vports[c->vport].rss_default = 0;
    memset(c, 0, sizeof(*c));
    return FW_STATUS_OK;
}
