/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The subtables' filters (offload/dp_cls_priv.h, struct subtable): the
 * bits all of a subtable's rules agree on turn a key away before it is
 * hashed, and a subtable of one rule is matched without a probe. A
 * filter that is too narrow loses a match, so every lookup here (one
 * key, a burst, through the exact-match cache) is checked against
 * flow_table_lookup(), the linear reference, while rules that widen and
 * narrow what the subtables agree on come and go: in a subtable large
 * enough to be brought up to date rule by rule (its filter narrowed, never
 * recomputed), in small ones (recomputed), and in subtables left with a
 * single rule or none.
 */
#include <criterion/criterion.h>

#include "dp_test_env.h"

/* in_port=1, ip (and @proto unless 0), nw_dst=@dst/@len, @prio, output:@port */
static void
flow_dst(struct flow_mod *fm, int cmd, uint8_t proto, uint32_t dst,
         unsigned len, uint16_t prio, uint32_t port)
{
    memset(fm, 0, sizeof(*fm));
    fm->cmd = cmd;
    fm->out_port = FLOW_PORT_ANY;
    fm->flow.priority = prio;
    fm->flow.match.mask.in_port = UINT32_MAX;
    fm->flow.match.value.in_port = 1;
    fm->flow.match.mask.dl_type = 0xffff;
    fm->flow.match.value.dl_type = htons(0x0800);
    if (proto != 0) {
        fm->flow.match.mask.nw_proto = 0xff;
        fm->flow.match.value.nw_proto = proto;
    }
    fm->flow.match.mask.nw_dst = t_prefix32(len);
    fm->flow.match.value.nw_dst = htonl(dst) & t_prefix32(len);
    fm->flow.n_actions = 1;
    fm->flow.actions[0].type = FLOW_ACT_OUTPUT;
    fm->flow.actions[0].u.port = port;
    flow_match_normalise(&fm->flow.match);
}

static void
apply(struct dp_env *wd, int cmd, uint8_t proto, uint32_t dst, unsigned len,
      uint16_t prio, uint32_t port)
{
    struct flow_mod fm;

    flow_dst(&fm, cmd, proto, dst, len, prio, port);
    if (proto == 6) {
        fm.flow.match.mask.tp_dst = 0xffff;
        fm.flow.match.value.tp_dst = htons(80);
    }
    cr_assert_geq(flow_table_apply(wd->ft, &fm, 0), 0, "flow %08x/%u",
                  dst, len);
}

/* Keys over 10.0.0.0/14 and 10.5.0.0/16 (every address of a few ranges,
 * a stride elsewhere), UDP and TCP to port 80 and others. */
static size_t
make_keys(struct flow_key *keys, size_t max)
{
    static const uint32_t from[] = { 0x0a000000u, 0x0a001300u, 0x0a00fe00u,
                                     0x0a050000u, 0x0a0a0000u };
    size_t n = 0;

    for (size_t r = 0; r < sizeof(from) / sizeof(from[0]); r++) {
        for (uint32_t i = 0; i < 300 && n < max; i++) {
            struct flow_key *k = &keys[n++];

            memset(k, 0, sizeof(*k));
            k->in_port = i % 11 == 0 ? 2 : 1;
            k->dl_type = htons(i % 13 == 0 ? 0x86dd : 0x0800);
            k->nw_proto = i % 3 == 0 ? 6 : 17;
            k->tp_dst = htons(i % 5 == 0 ? 80 : 1000 + i);
            k->nw_dst = htonl(from[r] + i * (r == 4 ? 97 : 1));
        }
    }
    for (uint32_t i = 0; n < max; i++) {
        struct flow_key *k = &keys[n++];

        memset(k, 0, sizeof(*k));
        k->in_port = 1;
        k->dl_type = htons(0x0800);
        k->nw_proto = i & 1 ? 6 : 17;
        k->tp_dst = htons(80);
        k->nw_dst = htonl(0x0a000000u + i * 1021);
    }
    return n;
}

#define N_KEYS  2000u

static void
compare(struct dp_env *wd, const char *step)
{
    static struct flow_key keys[N_KEYS];
    const struct dp_cls_snap *snap;
    size_t n = make_keys(keys, N_KEYS);
    unsigned hits = 0;

    snic_role_enter(&snic_control);
    cr_assert_eq(dp_commit(wd->dp), 0, "%s: publish", step);
    dp_worker_online(wd->w);
    snap = dp_cls_snap_get(dp_classifier(wd->dp));
    for (size_t i = 0; i < n; i++) {
        const struct flow_entry *want = flow_table_lookup(wd->ft, 0, &keys[i]);
        const struct dp_rule *got = dp_cls_lookup(snap, 0, &keys[i]);
        const struct dp_rule *emc = dp_worker_classify(wd->w, 0, &keys[i]);

        cr_assert_eq(got ? got->id : 0, want ? want->id : 0,
                     "%s: key %zu (dst %08x, proto %u): classifier chose "
                     "flow %llu, reference %llu", step, i,
                     ntohl(keys[i].nw_dst), keys[i].nw_proto,
                     (unsigned long long)(got ? got->id : 0),
                     (unsigned long long)(want ? want->id : 0));
        cr_assert_eq(emc, got, "%s: key %zu: through the cache", step, i);
        hits += want != NULL && want->flow.priority != 0;
    }
    /* every burst size, the keys in order: neighbours in and out of a
     * subtable's range share bursts */
    for (size_t done = 0, size = 1; done < n;
         done += size, size = size % DP_BURST_MAX + 1) {
        const struct dp_rule *rules[DP_BURST_MAX];
        size_t m = size < n - done ? size : n - done;

        dp_cls_lookup_burst(snap, 0, &keys[done], (unsigned)m, rules);
        for (size_t i = 0; i < m; i++)
            cr_assert_eq(rules[i], dp_cls_lookup(snap, 0, &keys[done + i]),
                         "%s: burst of %zu, key %zu differs", step, m, i);
    }
    /* the keys reach the rules, not only the default */
    cr_assert_gt(hits, n / 10, "%s: %u of %zu keys took a rule", step, hits,
                 n);
    dp_worker_quiesce(wd->w);
    dp_worker_offline(wd->w);
}

#define BIG     2100u           /* exact rules: a copy of 8,192 slots */

Test(dp_cls_filter, turns_away_only_what_no_rule_matches, .timeout = 60)
{
    struct dp_env wd;

    dp_env_init(&wd, 0, NULL);
    /* exact destinations 10.0.0.0 + i (the rules agree on the high bits),
     * every fourth /24 (on the low bits of the third octet), TCP port 80
     * to 10.0.0-31.0/24, one /16, a default */
    for (uint32_t i = 0; i < BIG; i++)
        apply(&wd, FLOW_CMD_ADD, 0, 0x0a000000u + i, 32, 100, 2);
    for (uint32_t k = 0; k < 256; k += 4)
        apply(&wd, FLOW_CMD_ADD, 0, 0x0a000000u | k << 8, 24, 300, 3);
    for (uint32_t k = 0; k < 32; k++)
        apply(&wd, FLOW_CMD_ADD, 6, 0x0a000000u | k << 8, 24, 400, 4);
    apply(&wd, FLOW_CMD_ADD, 0, 0x0a050000u, 16, 200, 5);
    apply(&wd, FLOW_CMD_ADD, 0, 0, 0, 0, 6);
    compare(&wd, "built");

    /* exact rules far outside the range, one publish each: the large
     * copy narrows its filter rule by rule (the spare, twice over) */
    for (uint32_t i = 0; i < 4; i++) {
        apply(&wd, FLOW_CMD_ADD, 0, 0x0a050000u + 7 * i, 32, 100, 7);
        apply(&wd, FLOW_CMD_ADD, 0, 0x0a0a0000u + 97 * i, 32, 100, 7);
        compare(&wd, "exact rules added outside the range");
    }
    /* a /24 out of step (10.0.19.0: the low bits disagree now), one
     * that was there removed */
    apply(&wd, FLOW_CMD_ADD, 0, 0x0a001300u, 24, 300, 8);
    apply(&wd, FLOW_CMD_DELETE_STRICT, 0, 0x0a000400u, 24, 300, 0);
    compare(&wd, "a /24 out of step");
    /* every /24 but one removed: a single rule, matched without a probe */
    for (uint32_t k = 0; k < 256; k += 4)
        if (k != 0xfc)
            apply(&wd, FLOW_CMD_DELETE_STRICT, 0, 0x0a000000u | k << 8, 24,
                  300, 0);
    apply(&wd, FLOW_CMD_DELETE_STRICT, 0, 0x0a001300u, 24, 300, 0);
    compare(&wd, "one /24 left");
    /* the single /16 replaced by another: its filter follows */
    apply(&wd, FLOW_CMD_DELETE_STRICT, 0, 0x0a050000u, 16, 200, 0);
    apply(&wd, FLOW_CMD_ADD, 0, 0x0a000000u, 16, 200, 9);
    compare(&wd, "the /16 replaced");
    /* the big subtable down to one rule (slots for thousands), then a
     * second rule again */
    for (uint32_t i = 1; i < BIG; i++)
        apply(&wd, FLOW_CMD_DELETE_STRICT, 0, 0x0a000000u + i, 32, 100, 0);
    for (uint32_t i = 0; i < 4; i++) {
        apply(&wd, FLOW_CMD_DELETE_STRICT, 0, 0x0a050000u + 7 * i, 32, 100,
              0);
        apply(&wd, FLOW_CMD_DELETE_STRICT, 0, 0x0a0a0000u + 97 * i, 32, 100,
              0);
    }
    compare(&wd, "one exact rule left");
    apply(&wd, FLOW_CMD_ADD, 0, 0x0a0a0000u + 97 * 3, 32, 100, 10);
    compare(&wd, "two exact rules");
    /* the single TCP rule's subtable emptied: no rule, no match */
    for (uint32_t k = 0; k < 32; k++)
        apply(&wd, FLOW_CMD_DELETE_STRICT, 6, 0x0a000000u | k << 8, 24, 400,
              0);
    compare(&wd, "no TCP rule");
    dp_env_fini(&wd);
}
