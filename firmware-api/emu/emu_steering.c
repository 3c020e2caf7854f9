/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Steering tables and the rule classifier.
 *
 * Classifier: tuple space search. Each table keeps one hash map per
 * distinct mask ("tuple"); a rule lives in the tuple of its mask, hashed by
 * its (pre-masked) value. Adding is O(1) amortised: find the tuple by mask
 * hash, insert by value hash; nothing is ever sorted. A lookup masks the
 * key once per tuple and probes; tuples whose best priority cannot beat
 * the match found so far are skipped. Among equal priorities the earliest
 * added rule wins (rules carry an add sequence number), so identical rules
 * are allowed and the first one added keeps matching until it is deleted.
 *
 * Rule ids are handles: slot index in the low idx_bits, the slot's
 * generation above it. A slot's generation moves on whenever its rule
 * goes, so a stale id never reaches a later rule in the same slot.
 * Tombstones (emu_steer_vports_removed) keep their id, slot and tuple.
 */
#include <stdlib.h>
#include <string.h>

#include "emu_dev_priv.h"
#include "snic_hash.h"

#define EMU_NO_SLOT UINT32_MAX

/* Rules and tuples are keyed by whole emu_key words (a rule's value, a
 * tuple's mask): common/snic_hash.h over them. */
static uint64_t
emu_hash_words(const uint64_t *w)
{
    return snic_hash_words(w, EMU_KEY_WORDS, SNIC_HASH_BASIS);
}

/* ------------------------------------------------------------------------
 * Tables and tuples
 * ------------------------------------------------------------------------ */

/* A table not yet placed in dev->steer.tables. */
static struct emu_table *
emu_table_alloc(uint32_t group, uint32_t level)
{
    struct emu_table *t;

    t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    snic_hmap_init(&t->tuples);
    t->group = group;
    t->level = level;
    return t;
}

static struct emu_table *
emu_table_new(struct emu_dev *dev, uint32_t group, uint32_t level)
{
    struct emu_table *t;

    for (uint32_t i = 0; i < dev->caps.max_tables; i++) {
        if (dev->steer.tables[i] != NULL)
            continue;
        t = emu_table_alloc(group, level);
        if (t == NULL)
            return NULL;
        dev->steer.tables[i] = t;
        dev->steer.n_tables++;
        return t;
    }
    return NULL;
}

static void
emu_tuple_free(struct emu_tuple *tu)
{
    snic_hmap_fini(&tu->rules);
    free(tu->prio_count);
    free(tu);
}

static struct emu_tuple *
emu_tuple_find(const struct emu_table *t, const uint64_t *mask, uint64_t hash)
{
    struct emu_tuple *tu;

    SNIC_HMAP_FOR_EACH_WITH_HASH(tu, node, hash, &t->tuples)
        if (memcmp(tu->mask, mask, sizeof(tu->mask)) == 0)
            return tu;
    return NULL;
}

static struct emu_tuple *
emu_tuple_new(struct emu_dev *dev, struct emu_table *t, const uint64_t *mask,
              uint64_t hash)
{
    struct emu_tuple *tu;

    if (t->n_tvec == t->cap_tvec) {
        uint32_t cap = t->cap_tvec ? t->cap_tvec * 2u : 8u;
        struct emu_tuple **v = realloc(t->tvec, cap * sizeof(*v));

        if (v == NULL)
            return NULL;
        t->tvec = v;
        t->cap_tvec = cap;
    }
    tu = calloc(1, sizeof(*tu));
    if (tu == NULL)
        return NULL;
    tu->prio_count = calloc(dev->caps.prio_per_table,
                            sizeof(*tu->prio_count));
    if (tu->prio_count == NULL) {
        free(tu->prio_count);
        free(tu);
        return NULL;
    }
    memcpy(tu->mask, mask, sizeof(tu->mask));
    tu->best_prio = UINT16_MAX;
    snic_hmap_init(&tu->rules);
    snic_hmap_insert(&t->tuples, &tu->node, hash);
    t->tvec[t->n_tvec++] = tu;
    return tu;
}

static void
emu_tuple_unlink(struct emu_table *t, struct emu_tuple *tu)
{
    snic_hmap_remove(&t->tuples, &tu->node);
    for (uint32_t i = 0; i < t->n_tvec; i++)
        if (t->tvec[i] == tu) {
            t->tvec[i] = t->tvec[--t->n_tvec];
            break;
        }
    emu_tuple_free(tu);
}

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

/* Every object a rule names, taken (+1) or released (-1) together. */
static void
emu_rule_refs(struct emu_dev *dev, const struct emu_rule *r,
              const struct fw_match *value, int delta)
{
    if (value->src_vport != 0 && value->src_vport < dev->caps.num_vports)
        dev->vports[value->src_vport].rule_refs += (uint32_t)delta;
    if (r->jump != NULL)
        r->jump->jump_refs += (uint32_t)delta;
    for (unsigned i = 0; i < r->n_actions; i++) {
        const struct fw_action *a = &r->actions[i];
        struct emu_counter *c;

        if ((a->type == FW_ACT_FWD_VPORT || a->type == FW_ACT_FWD_REP) &&
            a->u.fwd.vport != 0 && a->u.fwd.vport < dev->caps.num_vports)
            dev->vports[a->u.fwd.vport].rule_refs += (uint32_t)delta;
        if (a->type == FW_ACT_COUNT &&
            (c = emu_counter_get(dev, a->u.count.counter_id)) != NULL)
            c->refs += (uint32_t)delta;
        if (a->type == FW_ACT_RSS &&
            emu_rss_get(dev, a->u.rss.ctx_id) != NULL)
            dev->rss[a->u.rss.ctx_id - 1].refs += (uint32_t)delta;
    }
}

static void
emu_rule_free(struct emu_dev *dev, struct emu_rule *r, bool release_refs)
{
    struct fw_match value;

    if (release_refs) {
        memcpy(&value, r->value, sizeof(value));
        emu_rule_refs(dev, r, &value, -1);
    }
    free(r);
}

const struct emu_rule *
emu_steer_rule(const struct emu_dev *dev, uint32_t id)
{
    const struct emu_steering *s = &dev->steer;
    uint32_t idx = id & ((1u << s->idx_bits) - 1u);
    uint32_t gen = id >> s->idx_bits;

    if (idx >= s->n_slots || s->slots[idx].rule == NULL ||
        s->slots[idx].gen != gen)
        return NULL;
    return s->slots[idx].rule;
}

/* The unlink of a rule walks its tuple map's bucket from the head: in a
 * table of a million rules that bucket, and often the first node of its
 * chain, are a cache and TLB miss each, three quarters of the card's time
 * for a delete of all of them (#13). The command loop says a few commands
 * ahead which rule goes; an id that names no live rule is ignored (the
 * driver wrote it, and the command checks it again when it runs). */
void
emu_steer_prefetch_delete(const struct emu_dev *dev, uint32_t id,
                          unsigned stage)
{
    const struct emu_rule *r = emu_steer_rule(dev, id);
    struct snic_hmap_node **b;

    if (r == NULL)
        return;
    b = snic_hmap_bucket_(&r->tuple->rules, r->node.hash);
    if (stage == 0)
        __builtin_prefetch(b, 1, 3);
    else if (*b != NULL && *b != &r->node)
        __builtin_prefetch(*b, 0, 3);
}

static uint32_t
emu_slot_gen_next(const struct emu_steering *s, uint32_t gen)
{
    uint32_t max = (uint32_t)((1ull << (32u - s->idx_bits)) - 1u);

    return gen >= max ? 1u : gen + 1u;
}

/* A free slot index, growing the array; EMU_NO_SLOT on allocation failure.
 * The caller has checked max_rules_total already. */
static uint32_t
emu_slot_get(struct emu_dev *dev)
{
    struct emu_steering *s = &dev->steer;
    uint32_t idx;

    if (s->free_head == EMU_NO_SLOT) {
        if (s->n_slots == s->cap_slots) {
            uint32_t cap = s->cap_slots ? s->cap_slots * 2u : 1024u;
            struct emu_rule_slot *v;

            if (cap > dev->caps.max_rules_total)
                cap = dev->caps.max_rules_total;
            if (cap <= s->cap_slots)
                return EMU_NO_SLOT;
            v = realloc(s->slots, (size_t)cap * sizeof(*v));
            if (v == NULL)
                return EMU_NO_SLOT;
            s->slots = v;
            s->cap_slots = cap;
        }
        idx = s->n_slots++;
        s->slots[idx].rule = NULL;
        s->slots[idx].gen = 1;
        s->slots[idx].next_free = EMU_NO_SLOT;
        return idx;
    }
    idx = s->free_head;
    s->free_head = s->slots[idx].next_free;
    return idx;
}

static void
emu_slot_put(struct emu_steering *s, uint32_t idx)
{
    s->slots[idx].rule = NULL;
    s->slots[idx].gen = emu_slot_gen_next(s, s->slots[idx].gen);
    s->slots[idx].next_free = s->free_head;
    s->free_head = idx;
}

static void
emu_rule_unlink(struct emu_dev *dev, struct emu_rule *r)
{
    struct emu_tuple *tu = r->tuple;
    struct emu_table *t = r->table;

    snic_hmap_remove(&tu->rules, &r->node);
    tu->n_rules--;
    tu->prio_count[r->priority]--;
    t->n_rules--;
    dev->steer.n_rules--;
    if (r->tombstone)
        dev->steer.n_tombstones--;
    if (tu->n_rules == 0) {
        emu_tuple_unlink(t, tu);
    } else if (r->priority == tu->best_prio &&
               tu->prio_count[r->priority] == 0) {
        uint16_t p = r->priority;

        while (p < dev->caps.prio_per_table && tu->prio_count[p] == 0)
            p++;
        tu->best_prio = p;
    }
}

const struct emu_rule *
emu_steer_lookup(const struct emu_table *t, const struct emu_key *key)
{
    uint64_t kw[EMU_KEY_WORDS], mk[EMU_KEY_WORDS];
    const struct emu_rule *best = NULL;

    if (t == NULL)
        return NULL;
    memcpy(kw, key, sizeof(kw));
    for (uint32_t i = 0; i < t->n_tvec; i++) {
        const struct emu_tuple *tu = t->tvec[i];
        const struct emu_rule *r;
        uint64_t h;

        if (best != NULL && tu->best_prio > best->priority)
            continue;
        for (unsigned w = 0; w < EMU_KEY_WORDS; w++)
            mk[w] = kw[w] & tu->mask[w];
        h = emu_hash_words(mk);
        SNIC_HMAP_FOR_EACH_WITH_HASH(r, node, h, &tu->rules) {
            if (memcmp(r->value, mk, sizeof(mk)) != 0)
                continue;
            if (best == NULL || r->priority < best->priority ||
                (r->priority == best->priority && r->seq < best->seq))
                best = r;
        }
    }
    return best;
}

/* ------------------------------------------------------------------------
 * Lifecycle
 * ------------------------------------------------------------------------ */

int
emu_steer_init(struct emu_dev *dev)
{
    struct emu_steering *s = &dev->steer;
    uint32_t bits = 1;

    while ((1ull << bits) < dev->caps.max_rules_total)
        bits++;
    s->idx_bits = bits;
    s->free_head = EMU_NO_SLOT;
    s->tables = calloc(dev->caps.max_tables, sizeof(*s->tables));
    return s->tables != NULL ? 0 : -1;
}

static void
emu_steer_clear(struct emu_dev *dev, bool release_refs)
{
    struct emu_steering *s = &dev->steer;

    for (uint32_t i = 0; i < s->n_slots; i++)
        if (s->slots[i].rule != NULL) {
            emu_rule_free(dev, s->slots[i].rule, release_refs);
            s->slots[i].rule = NULL;
            s->slots[i].gen = emu_slot_gen_next(s, s->slots[i].gen);
        }
    /* rebuild the free list over every slot, lowest index first */
    s->free_head = EMU_NO_SLOT;
    for (uint32_t i = s->n_slots; i-- > 0;) {
        s->slots[i].next_free = s->free_head;
        s->free_head = i;
    }
    s->n_rules = 0;
    s->n_tombstones = 0;
    for (uint32_t i = 0; i < dev->caps.max_tables; i++) {
        struct emu_table *t = s->tables[i];

        if (t == NULL)
            continue;
        for (uint32_t j = 0; j < t->n_tvec; j++)
            emu_tuple_free(t->tvec[j]);
        free(t->tvec);
        snic_hmap_fini(&t->tuples);
        free(t);
        s->tables[i] = NULL;
    }
    s->n_tables = 0;
}

int
emu_steer_flush(struct emu_dev *dev, bool switchdev)
{
    emu_steer_clear(dev, true);
    if (switchdev && emu_table_new(dev, 0, 0) == NULL)
        return -1;
    return 0;
}

void
emu_steer_fini(struct emu_dev *dev)
{
    if (dev->steer.tables != NULL)
        emu_steer_clear(dev, false);
    free(dev->steer.tables);
    free(dev->steer.slots);
    memset(&dev->steer, 0, sizeof(dev->steer));
}

/* ------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------ */

uint8_t
emu_cmd_table_create(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_table_create_in in;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (in.flags != 0 || in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (dev->caps.esw_mode != FW_ESW_SWITCHDEV)
        return emu_fail(cmd, FW_STATUS_BAD_STATE,
                        FW_SYND(FW_SYND_MODE, 0, dev->caps.esw_mode));
    if (in.group == 0 || in.group > dev->caps.max_group || in.level == 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_TABLE, 0, in.group));
    if (emu_steer_table(dev, in.group) != NULL)
        return emu_fail(cmd, FW_STATUS_EXISTS,
                        FW_SYND(FW_SYND_TABLE, 0, in.group));
    if (dev->steer.n_tables >= dev->caps.max_tables)
        return emu_fail(cmd, FW_STATUS_NO_SPACE,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_TABLES));
    if (emu_table_new(dev, in.group, in.level) == NULL)
        return emu_fail(cmd, FW_STATUS_INTERNAL, 0);
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_table_destroy(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_table_destroy_in in;
    struct emu_table *t;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (dev->caps.esw_mode != FW_ESW_SWITCHDEV)
        return emu_fail(cmd, FW_STATUS_BAD_STATE,
                        FW_SYND(FW_SYND_MODE, 0, dev->caps.esw_mode));
    if (in.group == 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_TABLE, 0, 0));
    t = emu_steer_table(dev, in.group);
    if (t == NULL)
        return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                        FW_SYND(FW_SYND_TABLE, 0, in.group));
    if (t->n_rules != 0 || t->jump_refs != 0)
        return emu_fail(cmd, FW_STATUS_BUSY,
                        FW_SYND(FW_SYND_TABLE, 0, in.group));
    for (uint32_t i = 0; i < dev->caps.max_tables; i++)
        if (dev->steer.tables[i] == t)
            dev->steer.tables[i] = NULL;
    dev->steer.n_tables--;
    free(t->tvec);
    snic_hmap_fini(&t->tuples);
    free(t);
    return FW_STATUS_OK;
}

/* Everything RULE_ADD checks, in the documented order; no state touched. */
static uint8_t
emu_rule_add_check(struct emu_dev *dev, struct emu_cmd *cmd,
                   const struct fw_rule_add_in *in, struct emu_table **tp)
{
    const struct emu_profile *p = &dev->cfg.profile;
    struct emu_table *t;
    uint32_t synd = 0;
    uint8_t st;

    if (in->flags != 0 || in->rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (dev->caps.esw_mode != FW_ESW_SWITCHDEV)
        return emu_fail(cmd, FW_STATUS_BAD_STATE,
                        FW_SYND(FW_SYND_MODE, 0, dev->caps.esw_mode));
    t = emu_steer_table(dev, in->group);
    if (t == NULL)
        return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                        FW_SYND(FW_SYND_TABLE, 0, in->group));
    if (in->priority >= dev->caps.prio_per_table)
        return emu_fail(cmd, FW_STATUS_NOT_SUPPORTED,
                        FW_SYND(FW_SYND_PRIORITY, 0, in->priority));
    if (in->n_actions == 0 || in->n_actions > FW_RULE_MAX_ACTIONS)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_ACTIONS));
    if (in->n_actions > p->max_actions)
        return emu_fail(cmd, FW_STATUS_NOT_SUPPORTED,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_ACTIONS));
    if ((st = emu_rule_check_match(dev, &in->value, &in->mask, &synd)) != 0 ||
        (st = emu_rule_check_tags(dev, &in->tags, &synd)) != 0 ||
        (st = emu_rule_check_actions(dev, t, in->actions, in->n_actions,
                                     &synd)) != 0)
        return emu_fail(cmd, st, synd);
    if (t->n_rules >= dev->caps.max_rules_per_table)
        return emu_fail(cmd, FW_STATUS_NO_SPACE,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_RULES_TABLE));
    if (dev->steer.n_rules >= dev->caps.max_rules_total)
        return emu_fail(cmd, FW_STATUS_NO_SPACE,
                        FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_RULES_TOTAL));
    *tp = t;
    return FW_STATUS_OK;
}

uint8_t
emu_cmd_rule_add(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_rule_add_in in;
    struct fw_rule_add_out *out = (void *)cmd->out;
    struct emu_steering *s = &dev->steer;
    struct emu_table *t = NULL;
    struct emu_tuple *tu;
    struct emu_rule *r;
    struct emu_key value, mask;
    uint64_t mw[EMU_KEY_WORDS], mhash;
    uint32_t known, idx;
    size_t asize;
    uint8_t st;

    memset(&in, 0, sizeof(in));
    memcpy(&in, cmd->raw,
           cmd->hdr.in_size < sizeof(in) ? cmd->hdr.in_size : sizeof(in));
    /* the known layout ends after actions[n_actions - 1]; an input that
     * reaches the TAG block (1.9) ends after it, and the unused action
     * slots between are still past the list: zero, or LENGTH as before */
    known = sizeof(in);
    if (in.n_actions >= 1 && in.n_actions <= FW_RULE_MAX_ACTIONS) {
        known = (uint32_t)(offsetof(struct fw_rule_add_in, actions) +
                           in.n_actions * sizeof(in.actions[0]));
        if (cmd->hdr.in_size > offsetof(struct fw_rule_add_in, tags)) {
            if (!emu_bytes_zero(cmd->raw + known,
                                offsetof(struct fw_rule_add_in, tags) - known))
                return emu_fail(cmd, FW_STATUS_BAD_INPUT_LEN,
                                FW_SYND(FW_SYND_LENGTH, 0, known));
            known = sizeof(in);
        }
    }
    if ((st = emu_cmd_trailing(cmd, known)) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0 ||
        (st = emu_rule_add_check(dev, cmd, &in, &t)) != 0)
        return st;

    asize = (size_t)in.n_actions * sizeof(in.actions[0]);
    r = malloc(sizeof(*r) + asize);
    if (r == NULL)
        goto fail;
    memset(&value, 0, sizeof(value));
    memset(&mask, 0, sizeof(mask));
    value.m = in.value;
    mask.m = in.mask;
    memcpy(value.tag, in.tags.value, sizeof(value.tag));
    memcpy(mask.tag, in.tags.mask, sizeof(mask.tag));
    memcpy(mw, &mask, sizeof(mw));
    mhash = emu_hash_words(mw);
    tu = emu_tuple_find(t, mw, mhash);
    if (tu == NULL && (tu = emu_tuple_new(dev, t, mw, mhash)) == NULL)
        goto free_rule;
    idx = emu_slot_get(dev);
    if (idx == EMU_NO_SLOT)
        goto drop_tuple;

    memcpy(r->value, &value, sizeof(r->value));
    r->tuple = tu;
    r->table = t;
    r->jump = NULL;
    r->seq = s->next_seq++;
    r->priority = in.priority;
    r->n_actions = in.n_actions;
    r->tombstone = false;
    memcpy(r->actions, in.actions, asize);
    for (unsigned i = 0; i < in.n_actions; i++)
        if (in.actions[i].type == FW_ACT_JUMP)
            r->jump = emu_steer_table(dev, in.actions[i].u.jump.group);
    r->id = (s->slots[idx].gen << s->idx_bits) | idx;
    s->slots[idx].rule = r;
    /* A full bucket array grows four times over, not two: growing moves
     * every rule (a cache miss each), and a driver putting 100,000 rules
     * back after a reset otherwise pays that at every doubling (a tenth
     * of the card's time). At most 4 buckets a rule; a failure leaves
     * the insert to grow by two. */
    if (snic_hmap_count(&tu->rules) >= snic_hmap_buckets(&tu->rules) &&
        snic_hmap_count(&tu->rules) >= 1024)
        (void)snic_hmap_reserve(&tu->rules,
                                4 * snic_hmap_buckets(&tu->rules));
    snic_hmap_insert(&tu->rules, &r->node, emu_hash_words(r->value));
    tu->n_rules++;
    tu->prio_count[in.priority]++;
    if (in.priority < tu->best_prio)
        tu->best_prio = in.priority;
    t->n_rules++;
    s->n_rules++;
    emu_rule_refs(dev, r, &in.value, +1);
    s->n_added++;

    out->rule_id = r->id;
    out->rsvd = 0;
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;

drop_tuple:
    if (tu->n_rules == 0)
        emu_tuple_unlink(t, tu);
free_rule:
    free(r);
fail:
    return emu_fail(cmd, FW_STATUS_INTERNAL, 0);
}

uint8_t
emu_cmd_rule_delete(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_rule_delete_in in;
    struct emu_rule *r;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    r = (struct emu_rule *)emu_steer_rule(dev, in.rule_id);
    if (r == NULL)
        return emu_fail(cmd, FW_STATUS_BAD_RESOURCE,
                        FW_SYND(FW_SYND_RULE, 0, 0));
    emu_rule_unlink(dev, r);
    emu_slot_put(&dev->steer, r->id & ((1u << dev->steer.idx_bits) - 1u));
    emu_rule_free(dev, r, true);
    dev->steer.n_deleted++;
    return FW_STATUS_OK;
}

/* Can @r match only frames from vports >= @first? Exactly: no vport below
 * @first passes its src_vport mask (which need not be all ones). */
static bool
emu_rule_only_from(const struct emu_rule *r, uint16_t first)
{
    struct fw_match value, mask;

    memcpy(&value, r->value, sizeof(value));
    memcpy(&mask, r->tuple->mask, sizeof(mask));
    if (mask.src_vport == 0)
        return false;
    for (uint32_t v = 0; v < first; v++)
        if ((v & mask.src_vport) == value.src_vport)
            return false;
    return true;
}

static bool
emu_action_sends_to(const struct fw_action *a, uint16_t first)
{
    return (a->type == FW_ACT_FWD_VPORT || a->type == FW_ACT_FWD_REP) &&
           a->u.fwd.vport >= first;
}

/*
 * Make @r a tombstone: take its outputs to vports >= @first out of the
 * list, in place (the list only shrinks, so this cannot fail). A rule left
 * without a fate becomes its COUNTs then DROP: it keeps its priority and
 * match, so the frames it took stay taken and are dropped, as the software
 * pipeline drops an output to a port that is gone, instead of falling to a
 * lower-priority rule that sends them to another VF.
 */
static void
emu_rule_bury(struct emu_dev *dev, struct emu_rule *r, uint16_t first)
{
    struct fw_action *acts = r->actions;
    unsigned n = 0, k = 0;
    bool fate = false;

    for (unsigned i = 0; i < r->n_actions; i++) {
        if (emu_action_sends_to(&acts[i], first)) {
            if (acts[i].u.fwd.vport < dev->caps.num_vports)
                dev->vports[acts[i].u.fwd.vport].rule_refs--;
            continue;
        }
        fate |= acts[i].type == FW_ACT_DROP || acts[i].type == FW_ACT_JUMP ||
                acts[i].type == FW_ACT_FWD_VPORT ||
                acts[i].type == FW_ACT_FWD_REP || acts[i].type == FW_ACT_RSS;
        acts[n++] = acts[i];
    }
    if (!fate) {
        for (unsigned i = 0; i < n; i++)
            if (acts[i].type == FW_ACT_COUNT)
                acts[k++] = acts[i];
        memset(&acts[k], 0, sizeof(acts[k]));
        acts[k++].type = FW_ACT_DROP;
        n = k;
    }
    r->n_actions = (uint16_t)n;
    if (!r->tombstone) {
        r->tombstone = true;
        dev->steer.n_tombstones++;
    }
}

/* Rules that can only match a removed vport's frames go: nothing can come
 * from it any more, and a VF created later under the same number is a new
 * function no rule names. Rules that send to it stay as tombstones, owned
 * by the PF under the same id, until its driver deletes them; their
 * counters stay referenced. */
void
emu_steer_vports_removed(struct emu_dev *dev, uint16_t first)
{
    struct emu_steering *s = &dev->steer;

    if (first == FW_VPORT_UPLINK)
        first = FW_VPORT_VF(0);
    for (uint32_t i = 0; i < s->n_slots; i++) {
        struct emu_rule *r = s->slots[i].rule;
        bool sends = false;

        if (r == NULL)
            continue;
        if (emu_rule_only_from(r, first)) {
            emu_rule_unlink(dev, r);
            emu_slot_put(s, i);
            emu_rule_free(dev, r, true);
            continue;
        }
        for (unsigned a = 0; a < r->n_actions; a++)
            sends |= emu_action_sends_to(&r->actions[a], first);
        if (sends)
            emu_rule_bury(dev, r, first);
    }
}

/* The eSwitch manager's driver starting afresh: every rule, every table but
 * the root and every counter go. The only step that can fail, allocating
 * the new empty root, comes before anything is destroyed, so a refused
 * flush leaves the device exactly as it was. Unlike a firmware reset,
 * reset_generation and packet queues are not touched: no other driver of
 * the card is told anything happened. */
uint8_t
emu_cmd_steering_flush(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_steering_flush_in in;
    struct emu_table *root = NULL;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0)
        return st;
    if (in.flags != 0 || in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    if (dev->caps.esw_mode == FW_ESW_SWITCHDEV) {
        root = emu_table_alloc(0, 0);
        if (root == NULL)
            return emu_fail(cmd, FW_STATUS_INTERNAL, 0);
    }
    /* releasing each rule's references leaves every vport's rule_refs and
     * every counter's refs at zero before the counters themselves go */
    emu_steer_clear(dev, true);
    if (root != NULL) {
        dev->steer.tables[0] = root;
        dev->steer.n_tables = 1;
    }
    emu_counter_flush(dev);
    emu_rss_flush(dev);
    return FW_STATUS_OK;
}

/* A driver that took over the rules an earlier one left (RULE_QUERY, not
 * STEERING_FLUSH) drops what that driver held beyond them: counter ranges
 * and RSS contexts no rule uses. Freeing cannot fail, so nothing needs to
 * be checked before the first one goes. */
uint8_t
emu_cmd_steering_reclaim(struct emu_dev *dev, struct emu_cmd *cmd)
{
    struct fw_steering_reclaim_in in;
    struct fw_steering_reclaim_out *out = (void *)cmd->out;
    uint32_t ranges, ids, left;
    uint8_t st;

    if ((st = emu_cmd_input(cmd, &in, sizeof(in))) != 0 ||
        (st = emu_cmd_need_out(cmd, sizeof(*out))) != 0)
        return st;
    if (in.flags != 0 || in.rsvd != 0)
        return emu_fail(cmd, FW_STATUS_BAD_PARAM, FW_SYND(FW_SYND_RSVD, 0, 0));
    emu_counter_reclaim(dev, &ranges, &ids, &left);
    out->counter_ranges = ranges;
    out->counters = ids;
    out->rss_ctxs = emu_rss_reclaim(dev);
    out->counters_left = left;
    cmd->out_len = sizeof(*out);
    return FW_STATUS_OK;
}
