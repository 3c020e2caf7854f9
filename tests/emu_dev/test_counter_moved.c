/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * COUNTER_MOVED (ABI 1.6): the counters that changed since a reader's
 * epoch, a page at a time; every refusal with its syndrome, and the walk
 * against a model that remembers what changed.
 */
#include "emu_test.h"

/* A device like "full" but with @n counters and 2 VFs. */
static struct emu_dev *
t_dev_moved(uint32_t n)
{
    struct emu_config cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.profile = *emu_profile_find("full");
    cfg.profile.max_counters = n;
    cfg.esw_mode = FW_ESW_SWITCHDEV;
    cfg.max_vfs = 2;
    cfg.num_vfs = 2;
    cfg.max_queues_per_port = 4;
    cfg.max_queue_depth = 1024;
    cfg.max_link_speed = 25000;
    memcpy(cfg.base_mac, T_PF_MAC, 6);
    memset(&t_rec, 0, sizeof(t_rec));
    struct emu_dev *d = emu_dev_create(&cfg, &t_ops, &t_rec);
    cr_assert_not_null(d);
    return d;
}

static uint8_t
t_moved(struct emu_dev *d, uint64_t since, uint32_t cursor, uint16_t max)
{
    struct fw_counter_moved_in in;

    memset(&in, 0, sizeof(in));
    in.since = since;
    in.cursor = cursor;
    in.max = max;
    return T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in);
}

static const struct fw_counter_moved_out *
t_moved_out(void)
{
    return (const struct fw_counter_moved_out *)(const void *)t_out.raw;
}

/*
 * One whole walk from @since: the listed ids into @seen (counts how often
 * each was listed), their values into @val; returns the epoch of the
 * first page. Checks page shapes on the way.
 */
static uint64_t
t_walk(struct emu_dev *d, uint64_t since, uint16_t max, uint8_t *seen,
       struct fw_counter_value *val, uint32_t n_ids)
{
    uint32_t cursor = 0, last_id = 0;
    uint64_t epoch = 0;
    unsigned pages = 0;

    do {
        const struct fw_counter_moved_out *o = t_moved_out();

        cr_assert_eq(t_moved(d, since, cursor, max), 0, "page %u", pages);
        cr_assert(o->n <= max, "page of %u > max %u", o->n, max);
        cr_assert_eq(t_out.hdr.out_size,
                     offsetof(struct fw_counter_moved_out, entries) +
                     o->n * sizeof(o->entries[0]));
        if (pages++ == 0)
            epoch = o->epoch;
        for (uint32_t i = 0; i < o->n; i++) {
            uint32_t id = o->entries[i].id;

            cr_assert(id >= 1 && id <= n_ids, "id %u", id);
            cr_assert(id > last_id, "ids in order: %u after %u", id, last_id);
            cr_assert_eq(o->entries[i].rsvd, 0);
            last_id = id;
            seen[id]++;
            if (val != NULL) {
                val[id].packets = o->entries[i].packets;
                val[id].bytes = o->entries[i].bytes;
            }
        }
        cursor = o->next_cursor;
        cr_assert(pages < 100000, "walk never ends");
    } while (cursor != FW_COUNTER_MOVED_END);
    return epoch;
}

TestSuite(emu_dev_counter_moved, .timeout = 30);

Test(emu_dev_counter_moved, refusals_name_the_field_and_change_nothing)
{
    struct emu_dev *d = t_dev_moved(100);
    struct fw_counter_moved_in in;
    uint64_t e1, e2;

    cr_assert_eq(t_moved(d, 0, 0, 1), 0);
    e1 = t_moved_out()->epoch;
    cr_expect_eq(e1, 2, "the card starts at epoch 1, a walk starts 2");

    memset(&in, 0, sizeof(in));
    in.max = 1;
    in.flags = 1;
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_RSVD, 0, 0));
    in.flags = 0;
    in.max = 0;
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_PAGE));
    in.max = FW_COUNTER_MOVED_MAX + 1;
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_PAGE));
    in.max = 4;
    in.hdr.out_size = 32 + 3 * 24;
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_OUTPUT_LEN);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_LENGTH, 0, 32 + 4 * 24));
    in.hdr.out_size = 0;
    in.cursor = 100;            /* ids 1..100: cursors 0..99 */
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CURSOR, 0, 0));
    in.cursor = FW_COUNTER_MOVED_END;
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CURSOR, 0, 0));
    in.cursor = 9;
    in.end = 9;                 /* an empty range */
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CURSOR, 0, 0));
    in.cursor = 0;
    in.end = 101;               /* past the last counter */
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CURSOR, 0, 0));
    in.end = 0;
    in.rsvd = 1;
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_RSVD, 0, 0));
    in.rsvd = 0;
    in.since = e1 + 1;          /* an epoch the card never gave */
    cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_VALUE, 0, 0));
    in.since = 0;
    /* a newer driver's field this card does not know */
    {
        struct { struct fw_counter_moved_in in; uint32_t more; } big;

        memset(&big, 0, sizeof(big));
        big.in.max = 1;
        big.more = 1;
        cr_expect_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, big),
                     FW_STATUS_BAD_INPUT_LEN);
        cr_expect_eq(t_synd, FW_SYND(FW_SYND_LENGTH, 0,
                                     sizeof(struct fw_counter_moved_in)));
    }
    /* a truncated input reads max 0 */
    cr_expect_eq(t_exec(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, &in, 28),
                 FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_PAGE));
    /* only the eSwitch manager reads counters */
    in.max = 1;
    cr_expect_eq(T_EXEC(d, FW_FUNC_VF(0), FW_CMD_COUNTER_MOVED, in),
                 FW_STATUS_NO_PERM);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIVILEGE);

    /* none of those started an epoch */
    cr_assert_eq(t_moved(d, e1, 0, 1), 0);
    e2 = t_moved_out()->epoch;
    cr_expect_eq(e2, e1 + 1, "refused walks moved the epoch: %llu -> %llu",
                 (unsigned long long)e1, (unsigned long long)e2);
    /* a page after the first (cursor != 0) starts none either */
    cr_assert_eq(t_moved(d, e1, 5, 1), 0);
    cr_expect_eq(t_moved_out()->epoch, e2);
    emu_dev_destroy(d);
}

/* Counting through a rule stamps the counter; the walk lists exactly the
 * counters that counted, with the card's values. */
Test(emu_dev_counter_moved, lists_what_counted_with_its_values)
{
    enum { N = 5000 };
    struct emu_dev *d = t_dev_moved(N);
    static uint8_t seen[N + 1];
    static struct fw_counter_value val[N + 1];
    uint32_t base = 0, other = 0;
    uint8_t f[128], dm[6], sm[6];
    struct t_rule r;
    uint64_t e;

    cr_assert_eq(t_counter_alloc(d, 1000, &base), 0);
    cr_assert_eq(t_counter_alloc(d, 1000, &other), 0);
    memset(seen, 0, sizeof(seen));
    e = t_walk(d, 0, FW_COUNTER_MOVED_MAX, seen, val, N);
    for (uint32_t i = 1; i <= N; i++)
        cr_assert_eq(seen[i], (i >= base && i < base + 1000) ||
                     (i >= other && i < other + 1000) ? 1 : 0,
                     "since 0 lists each allocated counter once: id %u", i);
    /* nothing happened: nothing listed */
    memset(seen, 0, sizeof(seen));
    e = t_walk(d, e, FW_COUNTER_MOVED_MAX, seen, val, N);
    for (uint32_t i = 1; i <= N; i++)
        cr_assert_eq(seen[i], 0, "idle walk listed %u", i);

    t_rule_init(&r, 0, 0);
    r.in.mask.src_vport = 0xffff;
    r.in.value.src_vport = 1;
    t_rule_act(&r, FW_ACT_COUNT)->u.count.counter_id = other + 777;
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 2, 0);
    cr_assert_eq(t_rule_add(d, &r, NULL), 0);
    t_mac(dm, 2);
    t_mac(sm, 1);
    uint32_t len = t_udp_frame(f, dm, sm, -1, 1, 2, 3, 4, 18);
    emu_dev_input(d, 1, f, len);
    emu_dev_input(d, 1, f, len);
    emu_dev_input(d, 1, f, len);
    cr_assert_eq(t_counter_read(d, base + 5, true, NULL), 0);   /* CLEAR */

    memset(seen, 0, sizeof(seen));
    memset(val, 0xee, sizeof(val));
    uint64_t e2 = t_walk(d, e, 7, seen, val, N);
    for (uint32_t i = 1; i <= N; i++)
        cr_assert_eq(seen[i], i == other + 777 || i == base + 5 ? 1 : 0,
                     "id %u listed %u times", i, seen[i]);
    cr_expect_eq(val[other + 777].packets, 3);
    cr_expect_eq(val[other + 777].bytes, 3ull * len);
    cr_expect_eq(val[base + 5].packets, 0);
    cr_expect(e2 > e);

    /* a freed range is not listed; a range allocated again is (it reads 0
     * now, whatever its ids counted before) */
    cr_assert_eq(t_counter_free(d, base, 1000), 0);
    memset(seen, 0, sizeof(seen));
    e = t_walk(d, e2, FW_COUNTER_MOVED_MAX, seen, NULL, N);
    for (uint32_t i = 1; i <= N; i++)
        cr_assert_eq(seen[i], 0, "freed id %u listed", i);
    uint32_t again = 0;
    cr_assert_eq(t_counter_alloc(d, 10, &again), 0);
    memset(seen, 0, sizeof(seen));
    (void)t_walk(d, e, FW_COUNTER_MOVED_MAX, seen, NULL, N);
    for (uint32_t i = 1; i <= N; i++)
        cr_assert_eq(seen[i], i >= again && i < again + 10 ? 1 : 0,
                     "id %u after a new allocation", i);
    emu_dev_destroy(d);
}

/* A change during a walk: behind the cursor it waits for the next walk;
 * ahead of it, it is listed now and again next time. Never lost. */
Test(emu_dev_counter_moved, a_change_during_a_walk_is_never_lost)
{
    enum { N = 9000 };
    struct emu_dev *d = t_dev_moved(N);
    static uint8_t seen[N + 1];
    uint32_t cursor;
    uint64_t e, e_next;

    for (int i = 0; i < 8; i++)
        cr_assert_eq(t_counter_alloc(d, 1024, NULL), 0);
    e = t_walk(d, 0, FW_COUNTER_MOVED_MAX, seen, NULL, N);
    /* change two counters, walk one page, then change one behind the
     * cursor and one ahead of it */
    cr_assert_eq(t_counter_read(d, 100, true, NULL), 0);
    cr_assert_eq(t_counter_read(d, 8000, true, NULL), 0);
    cr_assert_eq(t_moved(d, e, 0, 1), 0);
    cr_assert_eq(t_moved_out()->n, 1);
    cr_assert_eq(t_moved_out()->entries[0].id, 100);
    e_next = t_moved_out()->epoch;
    cursor = t_moved_out()->next_cursor;
    cr_assert_eq(t_counter_read(d, 50, true, NULL), 0);    /* behind */
    cr_assert_eq(t_counter_read(d, 6000, true, NULL), 0);  /* ahead */
    memset(seen, 0, sizeof(seen));
    while (cursor != FW_COUNTER_MOVED_END) {
        cr_assert_eq(t_moved(d, e, cursor, FW_COUNTER_MOVED_MAX), 0);
        for (uint32_t i = 0; i < t_moved_out()->n; i++)
            seen[t_moved_out()->entries[i].id]++;
        cursor = t_moved_out()->next_cursor;
    }
    cr_expect_eq(seen[6000], 1);
    cr_expect_eq(seen[8000], 1);
    cr_expect_eq(seen[50], 0);
    memset(seen, 0, sizeof(seen));
    (void)t_walk(d, e_next, FW_COUNTER_MOVED_MAX, seen, NULL, N);
    for (uint32_t i = 1; i <= N; i++)
        cr_assert_eq(seen[i], i == 50 || i == 6000 ? 1 : 0, "id %u", i);
    emu_dev_destroy(d);
}

/* Random allocations, frees and changes; two readers walking at their own
 * pace each see exactly the allocated counters that changed since their
 * last walk (nothing concurrent here, so nothing is listed twice). */
Test(emu_dev_counter_moved, two_readers_against_a_model)
{
    enum { N = 20000, LIVE = 64, READERS = 2 };
    struct emu_dev *d = t_dev_moved(N);
    static bool alloc[N + 1];
    static bool changed[READERS][N + 1];
    static uint8_t seen[N + 1];
    uint32_t base[LIVE], count[LIVE], n_live = 0;
    uint64_t since[READERS] = { 0, 0 };
    uint64_t x = 0x9e3779b97f4a7c15ull;

    for (int op = 0; op < 3000; op++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned what = (unsigned)(x % 16);

        if (what < 3 && n_live < LIVE) {
            uint32_t want = 1 + (uint32_t)(x >> 20) % 700, b = 0;

            if (t_counter_alloc(d, want, &b) != 0)
                continue;
            for (uint32_t i = 0; i < want; i++) {
                alloc[b + i] = true;
                for (int k = 0; k < READERS; k++)
                    changed[k][b + i] = true;
            }
            base[n_live] = b;
            count[n_live++] = want;
        } else if (what < 5 && n_live > 0) {
            uint32_t k = (uint32_t)(x >> 24) % n_live;

            cr_assert_eq(t_counter_free(d, base[k], count[k]), 0);
            for (uint32_t i = 0; i < count[k]; i++)
                alloc[base[k] + i] = false;
            base[k] = base[--n_live];
            count[k] = count[n_live];
        } else if (what < 13 && n_live > 0) {
            uint32_t k = (uint32_t)(x >> 24) % n_live;
            uint32_t id = base[k] + (uint32_t)(x >> 40) % count[k];

            cr_assert_eq(t_counter_read(d, id, true, NULL), 0);
            for (int r = 0; r < READERS; r++)
                changed[r][id] = true;
        } else {
            int r = (int)((x >> 33) % READERS);
            uint16_t max = (uint16_t)(1 + (x >> 45) % FW_COUNTER_MOVED_MAX);

            memset(seen, 0, sizeof(seen));
            since[r] = t_walk(d, since[r], max, seen, NULL, N);
            for (uint32_t i = 1; i <= N; i++) {
                bool want = alloc[i] && changed[r][i];

                cr_assert_eq(seen[i], want ? 1 : 0, "op %d reader %d id %u: "
                             "listed %u, changed %d, allocated %d", op, r, i,
                             seen[i], changed[r][i], alloc[i]);
                changed[r][i] = false;
            }
        }
    }
    emu_dev_destroy(d);
}

/* A firmware reset takes every counter and starts the epochs again: a
 * reader's old epoch is refused (VALUE), so it knows to walk from 0. */
Test(emu_dev_counter_moved, firmware_reset_refuses_an_old_epoch)
{
    struct emu_dev *d = t_dev_moved(100);
    struct fw_function_reset_in in;
    uint64_t e = 0;

    cr_assert_eq(t_counter_alloc(d, 10, NULL), 0);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(t_moved(d, e, 0, 10), 0);
        e = t_moved_out()->epoch;
    }
    memset(&in, 0, sizeof(in));
    cr_assert_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_FUNCTION_RESET, in), 0);
    cr_expect_eq(t_moved(d, e, 0, 10), FW_STATUS_BAD_PARAM);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_VALUE, 0, 0));
    cr_assert_eq(t_moved(d, 0, 0, 10), 0);
    cr_expect_eq(t_moved_out()->n, 0, "no counter survives a reset");
    cr_expect_eq(t_moved_out()->next_cursor, FW_COUNTER_MOVED_END);
    emu_dev_destroy(d);
}

/* Ranges walked side by side (cursor 0 first, as a driver pipelines them)
 * list together exactly what one walk lists. */
Test(emu_dev_counter_moved, ranges_side_by_side_list_what_one_walk_lists)
{
    enum { N = 10000, K = 4 };
    struct emu_dev *d = t_dev_moved(N);
    static uint8_t one[N + 1], split[N + 1];
    uint32_t cur[K], end[K];
    uint64_t e, e1, e2 = 0;
    bool active = true;

    for (int i = 0; i < 9; i++)
        cr_assert_eq(t_counter_alloc(d, 1000, NULL), 0);
    e = t_walk(d, 0, FW_COUNTER_MOVED_MAX, one, NULL, N);
    for (uint32_t id = 3; id <= 9000; id += 7)
        cr_assert_eq(t_counter_read(d, id, true, NULL), 0);
    memset(one, 0, sizeof(one));
    e1 = t_walk(d, e, FW_COUNTER_MOVED_MAX, one, NULL, N);
    /* the same changes again, walked as K ranges */
    for (uint32_t id = 3; id <= 9000; id += 7)
        cr_assert_eq(t_counter_read(d, id, true, NULL), 0);
    for (uint32_t k = 0; k < K; k++) {
        cur[k] = k * (N / K);
        end[k] = k + 1 == K ? N : (k + 1) * (N / K);
    }
    while (active) {
        active = false;
        for (uint32_t k = 0; k < K; k++) {
            struct fw_counter_moved_in in;
            const struct fw_counter_moved_out *o = t_moved_out();

            if (cur[k] == FW_COUNTER_MOVED_END)
                continue;
            memset(&in, 0, sizeof(in));
            in.since = e1;
            in.cursor = cur[k];
            in.end = end[k];
            in.max = 13;
            cr_assert_eq(T_EXEC(d, FW_FUNC_PF, FW_CMD_COUNTER_MOVED, in), 0);
            if (cur[k] == 0)
                e2 = o->epoch;
            for (uint32_t i = 0; i < o->n; i++) {
                uint32_t id = o->entries[i].id;

                cr_assert(id > k * (N / K) && id <= end[k], "id %u outside "
                          "range %u", id, k);
                split[id]++;
            }
            cur[k] = o->next_cursor;
            active = true;
        }
    }
    for (uint32_t id = 1; id <= N; id++)
        cr_assert_eq(split[id], one[id], "id %u: %u split, %u whole", id,
                     split[id], one[id]);
    cr_expect_eq(e2, e1 + 1, "only the range at cursor 0 started an epoch");
    emu_dev_destroy(d);
}
