/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keeping rules across a driver restart (devarg keep_rules=1): the rules an
 * earlier instance left in the card are found at probe, adopted by the
 * creates that ask for them, and the rest purged when the application says
 * so (the design is in include/snic/rte_pmd_emunic.h and emunic.h).
 *
 * What makes two rules the same: the table (group), the priority, the
 * match (value and mask, as the card stores them: value already masked)
 * and the action list, action by action, except the counter id of COUNT
 * (allocated per driver instance; the adopted rule keeps the orphan's
 * counter, so its counts go on). A rule with an RSS action over several
 * queues is never adopted: its context's key, types and queues cannot be
 * read back from the card, so sameness cannot be proved; such an orphan
 * is purged and the new rule added. Tombstones (a rule whose VF went
 * away, rewritten to drop) are purged too.
 *
 * The listing is read defensively: a page is checked against its own
 * out_size, each entry's size against its action count, and the walk
 * ends after as many pages as the card can hold rules, whatever the
 * cursors say.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <ethdev_driver.h>

#include "emunic.h"
#include "snic/rte_pmd_emunic.h"
#include "snic_clock.h"
#include "snic_hash.h"
#include "snic_poison.h"
#include "snic_populate.h"
#include "snic_zmap.h"

struct emunic_orphan {
    struct snic_hmap_node node;     /* in ad->orphans, by content */
    struct emunic_orphan_block *block;  /* carved from */
    uint32_t rule_id;
    uint32_t group;
    uint16_t priority;
    uint16_t n_actions;
    bool adoptable;                 /* no tombstone, no RSS context */
    uint32_t marked_at;             /* its place in ad->marked, or
                                     * ORPHAN_UNMARKED */
    struct fw_match value;
    struct fw_match mask;
    struct fw_action actions[];     /* n_actions, as the card runs them */
};

/*
 * Orphans are carved from blocks of ORPHAN_BLOCK bytes made resident in
 * one call as each is opened (snic_populate.h): a card's 100,000 rules
 * are about 32 MB of orphans read in one go at probe, and from the heap
 * each of their 8,000 pages was a page fault of its own, at 7.5-15 µs a
 * fault on the virtual machines measured here. A block goes back when
 * its last orphan goes (adopted, purged, dropped): for most, within the
 * application's first commit and purge after a start.
 */
#define ORPHAN_BLOCK    (1u << 20)
#define ORPHAN_ALIGN    16u
#define ORPHAN_UNMARKED UINT32_MAX

struct emunic_orphan_block {
    struct emunic_orphan_block *next;
    size_t used;                    /* bytes carved, this header's too */
    uint32_t live;                  /* orphans carved and not freed */
};

static size_t
orphan_size(uint16_t n_actions)
{
    size_t n = sizeof(struct emunic_orphan) +
               n_actions * sizeof(struct fw_action);

    return (n + ORPHAN_ALIGN - 1) & ~(size_t)(ORPHAN_ALIGN - 1);
}

static struct emunic_orphan *
orphan_alloc_locked(struct emunic_adapter *ad, uint16_t n_actions)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_orphan_block *b = ad->orphan_blocks;
    size_t size = orphan_size(n_actions);
    struct emunic_orphan *o;

    if (b == NULL || b->used + size > ORPHAN_BLOCK) {
        b = snic_zmap(ORPHAN_BLOCK);
        if (b == NULL)
            return NULL;
        snic_populate(b, ORPHAN_BLOCK);
        b->used = (sizeof(*b) + ORPHAN_ALIGN - 1) &
                  ~(size_t)(ORPHAN_ALIGN - 1);
        b->next = ad->orphan_blocks;
        ad->orphan_blocks = b;
        SNIC_POISON((uint8_t *)b + b->used, ORPHAN_BLOCK - b->used);
    }
    o = (struct emunic_orphan *)((uint8_t *)b + b->used);
    SNIC_UNPOISON(o, size);
    b->used += size;
    b->live++;
    o->block = b;
    o->n_actions = n_actions;
    o->marked_at = ORPHAN_UNMARKED;
    return o;
}

/*
 * The orphans whose rule sets a MARK, in a list of their own: what
 * rte_pmd_emunic_orphan_marks() answers. An application asks it at
 * start, on the way to forwarding (snicd, once a port until one answers),
 * and a walk of every orphan there cost 20 ms a question at 100,000 of
 * them, most of them marking nothing (#13). An orphan leaves the list
 * when it is freed, its place taken by the last one.
 */
static bool
orphan_sets_mark(const struct emunic_orphan *o)
{
    for (uint16_t i = 0; i < o->n_actions; i++)
        if (o->actions[i].type == FW_ACT_MARK)
            return true;
    return false;
}

static int
marked_add_locked(struct emunic_adapter *ad, struct emunic_orphan *o)
    SNIC_REQUIRES(ad->lock)
{
    if (ad->n_marked == ad->cap_marked) {
        uint32_t cap = ad->cap_marked ? ad->cap_marked * 2 : 64;
        struct emunic_orphan **v;

        if (cap <= ad->cap_marked)
            return -ENOMEM;
        v = realloc(ad->marked, cap * sizeof(*v));
        if (v == NULL)
            return -ENOMEM;
        ad->marked = v;
        ad->cap_marked = cap;
    }
    o->marked_at = ad->n_marked;
    ad->marked[ad->n_marked++] = o;
    return 0;
}

static void
marked_del_locked(struct emunic_adapter *ad, struct emunic_orphan *o)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_orphan *last;

    if (o->marked_at == ORPHAN_UNMARKED)
        return;
    last = ad->marked[--ad->n_marked];
    ad->marked[o->marked_at] = last;
    last->marked_at = o->marked_at;
    o->marked_at = ORPHAN_UNMARKED;
    if (ad->n_marked == 0) {
        /* orphans come only at probe: none will need it again */
        free(ad->marked);
        ad->marked = NULL;
        ad->cap_marked = 0;
    }
}

static void
orphan_free_locked(struct emunic_adapter *ad, struct emunic_orphan *o)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_orphan_block *b = o->block, **pp;

    marked_del_locked(ad, o);
    SNIC_POISON(o, orphan_size(o->n_actions));
    if (--b->live > 0)
        return;
    for (pp = &ad->orphan_blocks; *pp != b; pp = &(*pp)->next)
        ;
    *pp = b->next;
    /* mapped memory the next mapping may reuse: not left poisoned */
    SNIC_UNPOISON(b, ORPHAN_BLOCK);
    snic_zunmap(b, ORPHAN_BLOCK);
}

/* The action as it identifies a rule: COUNT without its counter id. */
static void
action_key(const struct fw_action *a, struct fw_action *k)
{
    *k = *a;
    if (k->type == FW_ACT_COUNT)
        k->u.count.counter_id = 0;
}

static uint64_t
rule_hash(uint32_t group, uint16_t priority, uint16_t n_actions,
          const struct fw_match *value, const struct fw_match *mask,
          const struct fw_action *actions)
{
    uint64_t h = SNIC_HASH_BASIS;

    h = snic_hash_mix(h, ((uint64_t)group << 32) |
                         ((uint64_t)priority << 16) | n_actions);
    h = snic_hash_bytes(value, sizeof(*value), h);
    h = snic_hash_bytes(mask, sizeof(*mask), h);
    for (uint16_t i = 0; i < n_actions; i++) {
        struct fw_action k;

        action_key(&actions[i], &k);
        h = snic_hash_bytes(&k, sizeof(k), h);
    }
    return snic_hash_final(h);
}

static bool
rule_same(const struct emunic_orphan *o, const struct fw_rule_add_in *r)
{
    if (o->group != r->group || o->priority != r->priority ||
        o->n_actions != r->n_actions ||
        memcmp(&o->value, &r->value, sizeof(o->value)) != 0 ||
        memcmp(&o->mask, &r->mask, sizeof(o->mask)) != 0)
        return false;
    for (uint16_t i = 0; i < o->n_actions; i++) {
        struct fw_action a, b;

        action_key(&o->actions[i], &a);
        action_key(&r->actions[i], &b);
        if (memcmp(&a, &b, sizeof(a)) != 0)
            return false;
    }
    return true;
}

/* The group's table is the card's already: a create into it, or jumping
 * to it, must not make it again, and no rollback may destroy it. */
static void
group_note_locked(struct emunic_adapter *ad, uint32_t group)
    SNIC_REQUIRES(ad->lock)
{
    if (group == 0)
        return;
    for (uint32_t i = 0; i < ad->n_groups; i++)
        if (ad->groups[i] == group)
            return;
    /* past the cache's size the create path finds it (EXISTS) */
    if (ad->n_groups < EMUNIC_MAX_GROUPS)
        ad->groups[ad->n_groups++] = group;
}

static int
orphan_add_locked(struct emunic_adapter *ad, const struct fw_rule_entry *e)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_orphan *o = orphan_alloc_locked(ad, e->n_actions);

    if (o == NULL)
        return -ENOMEM;
    o->rule_id = e->rule_id;
    o->group = e->group;
    o->priority = e->priority;
    o->value = e->value;
    o->mask = e->mask;
    memcpy(o->actions, e->actions, e->n_actions * sizeof(struct fw_action));
    /* a TAG match is not in the entry: the same value and mask could be
     * another flow's, so such a rule is never taken for one */
    o->adoptable = !(e->flags & (FW_RULE_E_TOMBSTONE | FW_RULE_E_TAGS));
    group_note_locked(ad, o->group);
    for (uint16_t i = 0; i < o->n_actions; i++) {
        if (o->actions[i].type == FW_ACT_RSS)
            o->adoptable = false;
        if (o->actions[i].type == FW_ACT_JUMP)
            group_note_locked(ad, o->actions[i].u.jump.group);
    }
    if (orphan_sets_mark(o) && marked_add_locked(ad, o) < 0) {
        orphan_free_locked(ad, o);
        return -ENOMEM;
    }
    snic_hmap_insert(&ad->orphans, &o->node,
                     rule_hash(o->group, o->priority, o->n_actions, &o->value,
                               &o->mask, o->actions));
    return 0;
}

union rule_page {
    struct fw_rule_query_out o;
    uint8_t raw[FW_SLOT_OUT_MAX];
};

/* A page the card answered @status for, read into orphans; its next
 * cursor in *@next. A page that does not hold together, or whose next
 * cursor neither moves on within [cursor, end) nor ends, is -EPROTO. */
static int
page_take_locked(struct emunic_adapter *ad, const union rule_page *out,
                 uint8_t status, uint32_t synd, uint32_t cursor,
                 uint32_t end, uint32_t *next)
    SNIC_REQUIRES(ad->lock)
{
    size_t off = sizeof(out->o), size = out->o.hdr.out_size;
    uint32_t nc = out->o.next_cursor;
    char sbuf[96];
    int ret;

    if (status != FW_STATUS_OK) {
        EMUNIC_LOG(ERR, "%s: keep_rules: the card refused to list its "
                   "rules: %s (%s)", ad->name, fw_status_str(status),
                   fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
        return -EIO;
    }
    if (size < sizeof(out->o) || size > sizeof(*out) ||
        out->o.n_rules > FW_RULE_QUERY_MAX ||
        (nc != FW_RULE_QUERY_END && (nc <= cursor || nc >= end)))
        goto malformed;
    for (unsigned k = 0; k < out->o.n_rules; k++) {
        const struct fw_rule_entry *e = (const void *)(out->raw + off);

        if (off + sizeof(*e) > size || e->n_actions == 0 ||
            e->n_actions > FW_RULE_MAX_ACTIONS ||
            e->size != sizeof(*e) + e->n_actions * sizeof(struct fw_action) ||
            off + e->size > size)
            goto malformed;
        ret = orphan_add_locked(ad, e);
        if (ret < 0)
            return ret;
        off += e->size;
    }
    *next = nc;
    return 0;

malformed:
    EMUNIC_LOG(ERR, "%s: keep_rules: malformed RULE_QUERY page at cursor %u "
               "(out_size %zu, %u rules, next cursor %u)", ad->name, cursor,
               size, (unsigned)out->o.n_rules, nc);
    return -EPROTO;
}

/* The first page of the listing; its next cursor in *@cursor, where the
 * slots end in *@slots (0: a card before ABI 1.8 does not say). */
static int
first_page_locked(struct emunic_adapter *ad, uint32_t *cursor,
                  uint32_t *slots)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_rule_query_in in = { .max_rules = FW_RULE_QUERY_MAX };
    union rule_page out;
    uint8_t status = 0;
    uint32_t synd = 0;
    int ret;

    memset(&out.o, 0, sizeof(out.o));
    /* 32 bytes: what a card before 1.8 knows, and all the first page
     * needs */
    ad->list_round_trips++;
    ret = emunic_adapter_exec_locked(ad, FW_CMD_RULE_QUERY, &in,
                                     offsetof(struct fw_rule_query_in, end),
                                     &out, sizeof(out), &status, &synd);
    if (ret < 0)
        return ret;
    ret = page_take_locked(ad, &out, status, synd, 0, UINT32_MAX, cursor);
    *slots = fw_chan_abi_minor(ad->chan) >= 8 ? out.o.slots : 0;
    return ret;
}

/* One range of the slots walked a page at a time, beside the others. */
struct range_walk {
    uint32_t cursor, end;       /* cursor FW_RULE_QUERY_END: done */
    uint8_t status;
    uint32_t synd;
    struct fw_rule_query_in in;
    union rule_page out;
};

/* Post a page of every range not done; 0 (none left), how many, or the
 * transport's negative errno. */
static int
ranges_post_locked(struct emunic_adapter *ad, struct range_walk *w,
                   unsigned n)
    SNIC_REQUIRES(ad->lock)
{
    int posted = 0, ret;

    for (unsigned i = 0; i < n; i++) {
        if (w[i].cursor == FW_RULE_QUERY_END)
            continue;
        memset(&w[i].in, 0, sizeof(w[i].in));
        w[i].in.cursor = w[i].cursor;
        w[i].in.end = w[i].end;
        w[i].in.max_rules = FW_RULE_QUERY_MAX;
        memset(&w[i].out.o, 0, sizeof(w[i].out.o));
        ret = fw_chan_post(ad->chan, FW_CMD_RULE_QUERY, &w[i].in,
                           sizeof(w[i].in), &w[i].out, sizeof(w[i].out),
                           &w[i]);
        if (ret < 0)
            return ret;
        posted++;
    }
    if (posted > 0 && (ret = fw_chan_doorbell(ad->chan)) < 0)
        return ret;
    return posted;
}

/*
 * The slots from @from to @slots in as many ranges as the channel has
 * slots free, a page of each in flight at once: a round trip per round
 * instead of per page (20,000 rules: about 30 rounds, against 7,000 round
 * trips one page at a time). A range is at least a page's worth of slots
 * (FW_RULE_QUERY_MAX): 2,000 rules on a channel of 1,024 slots are 250
 * commands of 8 rules, not 1,000 of two (and as many 1 KB pages cleared
 * for the answers). *@pages counts the commands; more than @max_pages is
 * a card whose cursors do not end.
 */
static int
ranges_walk_locked(struct emunic_adapter *ad, uint32_t from, uint32_t slots,
                   uint64_t *pages, uint64_t max_pages)
    SNIC_REQUIRES(ad->lock)
{
    unsigned n = fw_chan_space(ad->chan);
    uint32_t per;
    struct range_walk *w;
    int ret = 0;

    if (n == 0)
        return -EBUSY;
    per = (uint32_t)((slots - from + n - 1) / n);
    if (per < FW_RULE_QUERY_MAX)
        per = FW_RULE_QUERY_MAX;
    n = (slots - from + per - 1) / per;
    w = calloc(n, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    for (unsigned i = 0; i < n; i++) {
        w[i].cursor = from + i * per;
        w[i].end = slots - w[i].cursor > per ? w[i].cursor + per : slots;
    }
    for (;;) {
        int posted = ranges_post_locked(ad, w, n), got = 0;

        if (posted <= 0) {
            ret = posted;
            break;
        }
        *pages += (uint64_t)posted;
        ad->list_round_trips++;
        if (*pages > max_pages) {
            EMUNIC_LOG(ERR, "%s: keep_rules: the card's rule listing does "
                       "not end (%" PRIu64 " pages)", ad->name, *pages);
            ret = -EPROTO;
        }
        while (got < posted) {
            struct fw_completion c[64];
            int k = fw_chan_reap(ad->chan, c, RTE_DIM(c),
                                 EMUNIC_CMD_TIMEOUT_MS);

            if (k <= 0) {
                ret = k < 0 ? k : -ETIMEDOUT;
                emunic_adapter_fail_locked(ad, ret);
                goto out;
            }
            for (int j = 0; j < k; j++) {
                struct range_walk *r = c[j].cookie;

                r->status = c[j].status;
                r->synd = c[j].syndrome;
            }
            got += k;
        }
        if (ret < 0)
            break;
        for (unsigned i = 0; i < n && ret == 0; i++)
            if (w[i].cursor != FW_RULE_QUERY_END)
                ret = page_take_locked(ad, &w[i].out, w[i].status,
                                       w[i].synd, w[i].cursor, w[i].end,
                                       &w[i].cursor);
        if (ret < 0)
            break;
    }
    if (ret < 0 && ret != -EPROTO && ret != -EIO && ret != -ENOMEM)
        emunic_adapter_fail_locked(ad, ret);
out:
    free(w);
    return ret;
}

/*
 * What the earlier driver held beyond its rules: counter ranges no rule
 * counts into (a bulk pool's unused ids, counters of rules it deleted) and
 * RSS contexts no rule names (its ports' defaults). Nobody can name them
 * any more, and a pool of the same size could not be allocated next to
 * them: STEERING_RECLAIM (ABI 1.7) frees them, before this driver
 * allocates anything. An older card keeps them (logged).
 */
static int
orphans_reclaim_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_steering_reclaim_in in;
    struct fw_steering_reclaim_out out;
    uint8_t status = 0;
    uint32_t synd = 0;
    char sbuf[96];
    int ret;

    if (fw_chan_abi_minor(ad->chan) < 7) {
        EMUNIC_LOG(WARNING, "%s: keep_rules: the card speaks ABI 1.%u: "
                   "counters and RSS contexts an earlier driver held "
                   "without a rule stay allocated (STEERING_RECLAIM is 1.7)",
                   ad->name, fw_chan_abi_minor(ad->chan));
        return 0;
    }
    memset(&in, 0, sizeof(in));
    memset(&out, 0, sizeof(out));
    ret = emunic_adapter_exec_locked(ad, FW_CMD_STEERING_RECLAIM, &in,
                                     sizeof(in), &out, sizeof(out), &status,
                                     &synd);
    if (ret < 0)
        return ret;
    if (status != FW_STATUS_OK) {
        EMUNIC_LOG(ERR, "%s: keep_rules: STEERING_RECLAIM refused: %s (%s)",
                   ad->name, fw_status_str(status),
                   fw_syndrome_str(synd, sbuf, sizeof(sbuf)));
        return -EIO;
    }
    ad->reclaimed_counters = out.counters;
    ad->reclaimed_rss = out.rss_ctxs;
    ad->counters_kept = out.counters_left;
    if (out.counters > 0 || out.rss_ctxs > 0)
        EMUNIC_LOG(INFO, "%s: keep_rules: freed what no rule of the earlier "
                   "driver used: %u counters in %u ranges, %u RSS contexts",
                   ad->name, out.counters, out.counter_ranges, out.rss_ctxs);
    return 0;
}

/* The pages after @cursor one at a time (a card before ABI 1.8). */
static int
seq_walk_locked(struct emunic_adapter *ad, uint32_t *cursor, uint64_t *pages,
                uint64_t max_pages)
    SNIC_REQUIRES(ad->lock)
{
    int ret = 0;

    while (ret == 0 && *cursor != FW_RULE_QUERY_END) {
        struct fw_rule_query_in in = {
            .cursor = *cursor, .max_rules = FW_RULE_QUERY_MAX,
        };
        union rule_page out;
        uint8_t status = 0;
        uint32_t synd = 0;

        if (++*pages > max_pages) {
            EMUNIC_LOG(ERR, "%s: keep_rules: the card's rule listing does "
                       "not end (%" PRIu64 " pages)", ad->name, *pages - 1);
            return -EPROTO;
        }
        memset(&out.o, 0, sizeof(out.o));
        ad->list_round_trips++;
        ret = emunic_adapter_exec_locked(ad, FW_CMD_RULE_QUERY, &in,
                                         offsetof(struct fw_rule_query_in,
                                                  end),
                                         &out, sizeof(out), &status, &synd);
        if (ret == 0)
            ret = page_take_locked(ad, &out, status, synd, *cursor,
                                   UINT32_MAX, cursor);
    }
    return ret;
}

int
emunic_orphans_load(struct emunic_adapter *ad)
    SNIC_EXCLUDES(ad->lock)
{
    uint64_t pages, max_pages = (uint64_t)ad->caps.max_rules_total + 1;
    uint64_t t0 = snic_now_ns();
    uint32_t cursor = 0, slots = 0;
    int ret = 0;

    snic_mutex_lock(&ad->lock);
    emunic_async_drain_locked(ad);
    pages = 1;
    ret = first_page_locked(ad, &cursor, &slots);
    if (slots > ad->caps.max_rules_total)
        slots = ad->caps.max_rules_total;   /* cursors go no further */
    /* ABI 1.8: the rest in ranges side by side; before, a page a time */
    if (ret == 0 && cursor != FW_RULE_QUERY_END && slots > cursor)
        ret = ranges_walk_locked(ad, cursor, slots, &pages, max_pages);
    else
        ret = ret < 0 ? ret : seq_walk_locked(ad, &cursor, &pages, max_pages);
    if (ret < 0)
        emunic_orphans_drop_locked(ad);
    else
        ret = orphans_reclaim_locked(ad);
    ad->orphans_found = (uint32_t)snic_hmap_count(&ad->orphans);
    snic_mutex_unlock(&ad->lock);
    if (ret == 0 && ad->orphans_found > 0)
        EMUNIC_LOG(INFO, "%s: keep_rules: %u rules of an earlier driver "
                   "found in the card in %.1f ms, %" PRIu64 " commands "
                   "(adopted by identical creates, the rest removed by "
                   "rte_pmd_emunic_orphans_purge)", ad->name,
                   ad->orphans_found, (double)(snic_now_ns() - t0) / 1e6,
                   pages);
    return ret;
}

bool
emunic_orphan_adopt_locked(struct emunic_port *p,
                           const struct fw_rule_add_in *rule, int count_idx,
                           struct rte_flow *flow)
    SNIC_REQUIRES(p->ad->lock)
{
    struct emunic_adapter *ad = p->ad;
    struct emunic_orphan *o;
    uint64_t h;

    snic_mutex_held(&ad->lock);         /* it is p->ad->lock */
    if (snic_hmap_is_empty(&ad->orphans))
        return false;
    h = rule_hash(rule->group, rule->priority, rule->n_actions, &rule->value,
                  &rule->mask, rule->actions);
    SNIC_HMAP_FOR_EACH_WITH_HASH(o, node, h, &ad->orphans) {
        if (!o->adoptable || !rule_same(o, rule))
            continue;
        snic_hmap_remove(&ad->orphans, &o->node);
        flow->rule_id = o->rule_id;
        flow->generation = ad->generation;
        if (count_idx >= 0) {
            flow->has_counter = true;
            flow->counter_id = o->actions[count_idx].u.count.counter_id;
        }
        ad->orphans_adopted++;
        orphan_free_locked(ad, o);
        if (snic_hmap_is_empty(&ad->orphans))
            snic_hmap_clear(&ad->orphans);  /* its buckets back */
        return true;
    }
    return false;
}

void
emunic_orphans_drop_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    struct emunic_orphan *o;

    SNIC_HMAP_FOR_EACH_SAFE(o, node, &ad->orphans) {
        snic_hmap_remove(&ad->orphans, &o->node);
        orphan_free_locked(ad, o);
    }
    snic_hmap_fini(&ad->orphans);
}

/* ------------------------------------------------------------------------
 * Purge: every command posted into the channel, one doorbell per fill,
 * every completion reaped before the lock is let go
 * ------------------------------------------------------------------------ */

struct purge_cmd {
    uint16_t opcode;
    uint8_t status;
    bool answered;
    uint32_t in_size;
    union {
        struct fw_cmd_hdr hdr;
        struct fw_rule_delete_in del;
        struct fw_counter_free_in cfree;
        struct fw_rss_ctx_destroy_in rss;
    } in;
};

/* Run @n commands; each one's status lands in it. 0, or the transport's
 * negative errno (the adapter is then dead). */
static int
purge_run_locked(struct emunic_adapter *ad, struct purge_cmd *c, size_t n)
    SNIC_REQUIRES(ad->lock)
{
    struct fw_out_hdr scratch;  /* outputs are headers only: not read */
    size_t posted = 0, reaped = 0;
    int ret = 0;

    emunic_async_drain_locked(ad);
    if (!emunic_adapter_alive(ad))
        return -EPIPE;
    while (reaped < n) {
        struct fw_completion cmpl[64];
        unsigned fresh = 0;

        while (posted < n && fw_chan_space(ad->chan) > 0) {
            ret = fw_chan_post(ad->chan, c[posted].opcode, &c[posted].in,
                               c[posted].in_size, &scratch, sizeof(scratch),
                               &c[posted]);
            if (ret < 0)
                goto fail;
            posted++;
            fresh++;
        }
        if (fresh > 0 && (ret = fw_chan_doorbell(ad->chan)) < 0)
            goto fail;
        ret = fw_chan_reap(ad->chan, cmpl, RTE_DIM(cmpl),
                           EMUNIC_CMD_TIMEOUT_MS);
        if (ret < 0)
            goto fail;
        if (ret == 0) {
            ret = -ETIMEDOUT;
            goto fail;
        }
        for (int i = 0; i < ret; i++) {
            struct purge_cmd *pc = cmpl[i].cookie;

            pc->status = cmpl[i].status;
            pc->answered = true;
        }
        reaped += (size_t)ret;
    }
    return 0;

fail:
    emunic_adapter_fail_locked(ad, ret);
    return ret;
}

static void
purge_cmd_set(struct purge_cmd *pc, uint16_t opcode, size_t in_size)
{
    memset(pc, 0, sizeof(*pc));
    pc->opcode = opcode;
    pc->in_size = (uint32_t)in_size;
}

/* Delete every orphan's rule, then free the counters and RSS contexts of
 * those the card no longer holds. A rule the card would not delete stays
 * an orphan (a later purge tries again). Returns the rules removed. */
static int
orphans_purge_locked(struct emunic_adapter *ad)
    SNIC_REQUIRES(ad->lock)
{
    size_t n = snic_hmap_count(&ad->orphans), n_extra = 0, k = 0, e = 0;
    struct emunic_orphan **v, *o;
    struct purge_cmd *del, *extra;
    int removed = 0, ret;

    if (n == 0)
        return 0;
    v = malloc(n * sizeof(*v));
    del = malloc(n * sizeof(*del));
    SNIC_HMAP_FOR_EACH(o, node, &ad->orphans) {
        for (uint16_t i = 0; i < o->n_actions; i++)
            if (o->actions[i].type == FW_ACT_COUNT ||
                o->actions[i].type == FW_ACT_RSS)
                n_extra++;
    }
    extra = malloc((n_extra + 1) * sizeof(*extra));
    if (v == NULL || del == NULL || extra == NULL) {
        ret = -ENOMEM;
        goto out;
    }
    SNIC_HMAP_FOR_EACH(o, node, &ad->orphans) {
        v[k] = o;
        purge_cmd_set(&del[k], FW_CMD_RULE_DELETE, sizeof(del[k].in.del));
        del[k].in.del.rule_id = o->rule_id;
        k++;
    }
    ret = purge_run_locked(ad, del, n);
    if (ret < 0)
        goto out;
    for (k = 0; k < n; k++) {
        o = v[k];
        /* BAD_RESOURCE: gone already, which is the goal */
        if (del[k].status != FW_STATUS_OK &&
            del[k].status != FW_STATUS_BAD_RESOURCE) {
            EMUNIC_LOG(ERR, "%s: keep_rules: the card would not delete "
                       "orphan rule 0x%08x: %s", ad->name, o->rule_id,
                       fw_status_str(del[k].status));
            continue;
        }
        for (uint16_t i = 0; i < o->n_actions; i++) {
            const struct fw_action *a = &o->actions[i];

            if (a->type == FW_ACT_COUNT) {
                /* a counter the earlier driver took from a bulk range is
                 * freed with its range, not alone: the card says
                 * BAD_RESOURCE and the range stays (docs/pmd.md) */
                purge_cmd_set(&extra[e], FW_CMD_COUNTER_FREE,
                              sizeof(extra[e].in.cfree));
                extra[e].in.cfree.base_id = a->u.count.counter_id;
                extra[e].in.cfree.count = 1;
                e++;
            } else if (a->type == FW_ACT_RSS) {
                purge_cmd_set(&extra[e], FW_CMD_RSS_CTX_DESTROY,
                              sizeof(extra[e].in.rss));
                extra[e].in.rss.ctx_id = a->u.rss.ctx_id;
                e++;
            }
        }
        snic_hmap_remove(&ad->orphans, &o->node);
        orphan_free_locked(ad, o);
        removed++;
    }
    ad->orphans_purged += (uint64_t)removed;
    /* the rules are gone whatever happens to these */
    if (e > 0)
        (void)purge_run_locked(ad, extra, e);
    ret = removed;
out:
    free(v);
    free(del);
    free(extra);
    return ret;
}

/* The adapter of a PF or representor port net_emunic drives, or NULL with
 * *@err set. */
static struct emunic_adapter *
port_adapter(uint16_t port_id, int *err)
{
    struct rte_eth_dev *dev;
    struct emunic_port *p;

    *err = -ENODEV;
    if (!rte_eth_dev_is_valid_port(port_id))
        return NULL;
    dev = &rte_eth_devices[port_id];
    if (dev->rx_pkt_burst != emunic_rx_burst || dev->data->dev_private == NULL)
        return NULL;
    p = dev->data->dev_private;
    if (p->ad == NULL)
        return NULL;
    *err = -ENOTSUP;
    if (p->role != EMUNIC_ROLE_PF && p->role != EMUNIC_ROLE_REP)
        return NULL;
    return p->ad;
}

int
rte_pmd_emunic_orphans_purge(uint16_t port_id)
{
    struct emunic_adapter *ad;
    int ret, err;

    ad = port_adapter(port_id, &err);
    if (ad == NULL)
        return err;
    snic_mutex_lock(&ad->lock);
    /* a reset took them with everything else */
    emunic_adapter_sync_locked(ad);
    if (snic_hmap_is_empty(&ad->orphans))
        ret = 0;
    else if (!emunic_adapter_alive(ad))
        ret = -EIO;
    else
        ret = orphans_purge_locked(ad);
    if (ret < 0 && !emunic_adapter_alive(ad))
        ret = -EIO;
    if (snic_hmap_is_empty(&ad->orphans))
        snic_hmap_clear(&ad->orphans);  /* its buckets back */
    snic_mutex_unlock(&ad->lock);
    if (ret > 0)
        EMUNIC_LOG(INFO, "%s: keep_rules: %d orphan rules removed (%" PRIu64
                   " adopted)", ad->name, ret, ad->orphans_adopted);
    return ret;
}

int
rte_pmd_emunic_orphans_get(uint16_t port_id,
                           struct rte_pmd_emunic_orphans *out)
{
    struct emunic_adapter *ad;
    int err;

    ad = port_adapter(port_id, &err);
    if (ad == NULL)
        return err;
    snic_mutex_lock(&ad->lock);
    emunic_adapter_sync_locked(ad);
    out->found = ad->orphans_found;
    out->left = (uint32_t)snic_hmap_count(&ad->orphans);
    out->adopted = ad->orphans_adopted;
    out->purged = ad->orphans_purged;
    out->reclaimed_counters = ad->reclaimed_counters;
    out->reclaimed_rss = ad->reclaimed_rss;
    out->list_round_trips = ad->list_round_trips;
    snic_mutex_unlock(&ad->lock);
    return 0;
}

int
rte_pmd_emunic_orphan_marks(uint16_t port_id,
                            struct rte_pmd_emunic_orphan_mark *v,
                            unsigned max)
{
    struct emunic_adapter *ad;
    unsigned n = 0;
    int err;

    ad = port_adapter(port_id, &err);
    if (ad == NULL)
        return err;
    snic_mutex_lock(&ad->lock);
    emunic_adapter_sync_locked(ad);
    for (uint32_t k = 0; k < ad->n_marked; k++) {
        const struct emunic_orphan *o = ad->marked[k];
        struct rte_pmd_emunic_orphan_mark m = {
            .group = o->group, .jump_group = UINT32_MAX,
        };

        for (uint16_t i = 0; i < o->n_actions; i++) {
            if (o->actions[i].type == FW_ACT_MARK)
                m.mark = o->actions[i].u.mark.id;
            else if (o->actions[i].type == FW_ACT_JUMP)
                m.jump_group = o->actions[i].u.jump.group;
        }
        if (n < max && v != NULL)
            v[n] = m;
        n++;
    }
    snic_mutex_unlock(&ad->lock);
    return n > INT32_MAX ? INT32_MAX : (int)n;
}
