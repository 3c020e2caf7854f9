/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RULE_QUERY (ABI 1.3): the rules in the device, a page at a time, so a
 * tool can show what a driver installed without trusting that driver.
 *
 * The cursor is a rule slot index: a page walks slots upwards from it and
 * the next page starts after the last slot it looked at. Slots are never
 * compacted, so a cursor stays meaningful across deletes and adds (a
 * listing is not a snapshot, and says so). The entries are the device's
 * own state: the value as stored (pre-masked), the tuple's mask, the
 * actions as they run now (a tombstone's rewritten list).
 *
 * ABI 1.8: a page may stop at a cursor (end), and each page says where
 * the slots end, so a driver lists disjoint ranges side by side, many
 * commands in flight, instead of one page per round trip.
 */
#include <stddef.h>
#include <string.h>

#include "emu_dev_priv.h"

static uint32_t
emu_rule_entry_size(const struct emu_rule *r)
{
    return (uint32_t)(sizeof(struct fw_rule_entry) +
                      r->n_actions * sizeof(struct fw_action));
}

static void
emu_rule_entry_fill(const struct emu_rule *r, uint8_t *at)
{
    struct fw_rule_entry e;
    struct emu_key mask;

    memset(&e, 0, sizeof(e));
    e.rule_id = r->id;
    e.group = r->table->group;
    e.priority = r->priority;
    e.n_actions = r->n_actions;
    memcpy(&mask, r->tuple->mask, sizeof(mask));
    e.flags = (uint16_t)((r->tombstone ? FW_RULE_E_TOMBSTONE : 0) |
                         (emu_bytes_zero(mask.tag, sizeof(mask.tag)) ? 0 :
                          FW_RULE_E_TAGS));
    e.size = (uint16_t)emu_rule_entry_size(r);
    memcpy(&e.value, r->value, sizeof(e.value));
    memcpy(&e.mask, r->tuple->mask, sizeof(e.mask));
    memcpy(at, &e, sizeof(e));
    memcpy(at + sizeof(e), r->actions,
           r->n_actions * sizeof(struct fw_action));
}

/* Input checks in the documented order; no state is read but the caps. */
static uint8_t
emu_rule_query_check(const struct emu_dev *dev, struct emu_cmd *cmd,
                     const struct fw_rule_query_in *in)
{
    bool by_group = (in->flags & FW_RULE_Q_GROUP) != 0;

    if ((in->flags & ~(uint32_t)FW_RULE_Q_GROUP) != 0 || in->rsvd != 0 ||
        in->rsvd2 != 0 || (!by_group && in->group != 0))
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (in->max_rules == 0 || in->max_rules > FW_RULE_QUERY_MAX)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_PAGE));
    /* a slot index the device could ever have, or the end marker; an
     * end past the cursor and within the same bound */
    if (in->cursor != FW_RULE_QUERY_END &&
        in->cursor > dev->caps.max_rules_total)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CURSOR, 0, 0));
    if (in->end != 0 && (in->end > dev->caps.max_rules_total ||
                         (in->cursor != FW_RULE_QUERY_END &&
                          in->end <= in->cursor)))
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CURSOR, 0, 1));
    if (by_group && in->group > dev->caps.max_group)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_TABLE, 0, in->group));
    if (by_group && emu_steer_table(dev, in->group) == NULL)
        return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                        FW_SYND(FW_SYND_TABLE, 0, in->group));
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_rule_query(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_rule_query_in in;
    struct fw_rule_query_out out;
    const struct emu_steering *s = &dev->steer;
    /* the page ends where the driver's buffer or the slot's half ends */
    uint32_t room = cmd->hdr.out_size < FW_SLOT_OUT_MAX ?
                    cmd->hdr.out_size : FW_SLOT_OUT_MAX;
    uint32_t used = sizeof(out), idx, stop;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(out))) != 0 ||
        (st = emu_rule_query_check(dev, cmd, &in)) != 0)
        return st;

    memset(&out, 0, sizeof(out));
    out.total = s->n_rules;
    out.slots = s->n_slots;
    stop = in.end != 0 && in.end < s->n_slots ? in.end : s->n_slots;
    idx = in.cursor == FW_RULE_QUERY_END ? stop : in.cursor;
    for (; idx < stop && out.n_rules < in.max_rules; idx++) {
        const struct emu_rule *r = s->slots[idx].rule;
        uint32_t size;

        if (r == NULL ||
            ((in.flags & FW_RULE_Q_GROUP) && r->table->group != in.group))
            continue;
        size = emu_rule_entry_size(r);
        if (used + size > room) {
            /* not even one rule fits: say how much one needs */
            if (out.n_rules == 0)
                return emu_fail(cmd, FW_STATUS_BAD_OUTPUT_LEN,
                                FW_SYND(FW_SYND_LENGTH, 0, used + size));
            break;
        }
        emu_rule_entry_fill(r, cmd->out + used);
        used += size;
        out.n_rules++;
    }
    out.next_cursor = idx < stop ? idx : FW_RULE_QUERY_END;
    memcpy(cmd->out + sizeof(struct fw_out_hdr),
           (const uint8_t *)&out + sizeof(struct fw_out_hdr),
           sizeof(out) - sizeof(struct fw_out_hdr));
    cmd->out_len = used;
    return FW_STATUS_OK;
}
