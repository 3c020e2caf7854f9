/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device's objects by id: vports, steering tables, counters, RSS
 * contexts. Pure reads of struct emu_dev, calling nothing: the rule checker,
 * the pipeline and the feature files ask here instead of asking each other,
 * so no two of them call each other in a circle.
 */
#include "emu_dev_priv.h"

bool
emu_vport_exists(const struct emu_dev *dev, uint32_t vport)
{
    return vport <= dev->caps.num_vfs;
}

struct emu_table *
emu_steer_table(const struct emu_dev *dev, uint32_t group)
{
    for (uint32_t i = 0; i < dev->caps.max_tables; i++) {
        struct emu_table *t = dev->steer.tables[i];

        if (t != NULL && t->group == group)
            return t;
    }
    return NULL;
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

const struct emu_rss_ctx *
emu_rss_get(const struct emu_dev *dev, uint32_t id)
{
    if (id == 0 || id > EMU_RSS_CTX_MAX || !dev->rss[id - 1].used)
        return NULL;
    return &dev->rss[id - 1];
}
