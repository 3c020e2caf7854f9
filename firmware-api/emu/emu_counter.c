/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow counters: contiguous ranges handed out by COUNTER_ALLOC, freed
 * whole, read in bulk. Ids run 1..max_counters so that a zeroed action
 * never names a live counter by accident.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_dev_priv.h"

int
emu_counter_init(struct emu_dev *dev)
{
    uint32_t n = dev->caps.max_counters;

    dev->counters = calloc(n ? n : 1, sizeof(*dev->counters));
    return dev->counters != NULL ? 0 : -1;
}

void
emu_counter_fini(struct emu_dev *dev)
{
    free(dev->counters);
    dev->counters = NULL;
}

void
emu_counter_flush(struct emu_dev *dev)
{
    memset(dev->counters, 0,
           (size_t)dev->caps.max_counters * sizeof(*dev->counters));
}

struct emu_counter *
emu_counter_get(const struct emu_dev *dev, uint32_t id)
{
    if (id == 0 || id > dev->caps.max_counters)
        return NULL;
    if (dev->counters[id - 1].range_base == 0)
        return NULL;
    return &dev->counters[id - 1];
}

/* First fit over the id space: counters are allocated in bulk and rarely,
 * so a scan is cheaper than keeping a free-range index exact. */
static uint32_t
emu_counter_find_range(const struct emu_dev *dev, uint32_t count)
{
    uint32_t run = 0;

    for (uint32_t i = 0; i < dev->caps.max_counters; i++) {
        if (dev->counters[i].range_base != 0) {
            run = 0;
            continue;
        }
        if (++run == count)
            return i + 2 - count; /* id of the run's first counter */
    }
    return 0;
}

uint8_t
emu_cmd_counter_alloc(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_counter_alloc_in in;
    struct fw_counter_alloc_out *out = (void *)cmd->out;
    uint32_t base;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    if (in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (in.count == 0 || in.count > EMU_COUNTER_ALLOC_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_COUNTER, 0, in.count));
    base = emu_counter_find_range(dev, in.count);
    if (base == 0)
        return emu_fail(cmd, FW_STATUS_NO_SPACE,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_COUNTERS));
    for (uint32_t i = 0; i < in.count; i++) {
        struct emu_counter *c = &dev->counters[base - 1 + i];

        memset(c, 0, sizeof(*c));
        c->range_base = base;
    }
    dev->counters[base - 1].range_count = in.count;
    out->base_id = base;
    out->rsvd = 0;
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_counter_free(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_counter_free_in in;
    struct emu_counter *c;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    c = emu_counter_get(dev, in.base_id);
    if (c == NULL || c->range_base != in.base_id ||
        c->range_count != in.count)
        return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                        FW_SYND(FW_SYND_COUNTER, 0, in.base_id));
    for (uint32_t i = 0; i < in.count; i++)
        if (c[i].refs != 0)
            return emu_fail(cmd, FW_STATUS_BUSY,
                            FW_SYND(FW_SYND_COUNTER, 0, in.base_id + i));
    memset(c, 0, (size_t)in.count * sizeof(*c));
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_counter_query(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_counter_query_in in;
    struct fw_counter_query_out *out = (void *)cmd->out;
    uint32_t known;
    uint8_t st;

    memset(&in, 0, sizeof(in));
    memcpy(&in, cmd->raw,
           cmd->hdr.in_size < sizeof(in) ? cmd->hdr.in_size : sizeof(in));
    /* the known layout ends after ids[n - 1] */
    known = sizeof(in);
    if (in.n >= 1 && in.n <= FW_COUNTER_QUERY_MAX)
        known = (uint32_t)(offsetof(struct fw_counter_query_in, ids) +
                           in.n * sizeof(in.ids[0]));
    if ((st = emu_cmd_trailing(cmd, known)) != 0)
        return st;
    if (in.n == 0 || in.n > FW_COUNTER_QUERY_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_COUNTER, 0, in.n));
    if ((st = emu_cmd_need_out(cmd, (uint32_t)(sizeof(out->hdr) +
                                     in.n * sizeof(out->values[0])))) != 0)
        return st;
    if (in.flags & ~(uint32_t)FW_COUNTER_Q_CLEAR)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    for (uint32_t i = 0; i < in.n; i++)
        if (emu_counter_get(dev, in.ids[i]) == NULL)
            return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                            FW_SYND(FW_SYND_COUNTER, i, in.ids[i]));
    /* read everything before clearing: a repeated id reads the same value */
    for (uint32_t i = 0; i < in.n; i++) {
        const struct emu_counter *c = emu_counter_get(dev, in.ids[i]);

        out->values[i].packets = c->packets;
        out->values[i].bytes = c->bytes;
    }
    if (in.flags & FW_COUNTER_Q_CLEAR)
        for (uint32_t i = 0; i < in.n; i++) {
            struct emu_counter *c = emu_counter_get(dev, in.ids[i]);

            c->packets = 0;
            c->bytes = 0;
        }
    cmd->out_len = (uint32_t)(sizeof(out->hdr) +
                              in.n * sizeof(out->values[0]));
    return FW_STATUS_OK;
}
