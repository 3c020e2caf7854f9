/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The card's MPLS actions (firmware ABI 1.10, emunic's emu_rewrite) give
 * a frame the bytes snicd's software datapath gives it (dp_mpls.c), or
 * both drop it: the promise that lets snicd put an MPLS flow on the card
 * (docs/firmware-abi.md 6.5). Random frames (0 to 2 tags; stacks of 0 to
 * 4 entries with the bottom anywhere or nowhere, cut short, TTLs 0, 1 and
 * others; IPv4, IPv6 with and without a readable header, ARP, other
 * types) meet random lists of 1 to 3 MPLS actions: the software flow
 * "in_port=K,actions=LIST,output:100" against the card's rewrites one by
 * one, a refusal ending the frame.
 */
#include <stdio.h>

#include <criterion/criterion.h>

#include "dp_test_capture.h"
#include "dp_test_env.h"

#include "emu_packet.h"

#define N_LISTS     48
#define N_FRAMES    400
#define MAX_ACTS    3

struct card_act {
    const char *text;       /* the flow language's spelling, %u: ttl */
    uint16_t type;
    uint16_t ethertype;
};

static const struct card_act acts[] = {
    { "push_mpls:0x8847", FW_ACT_PUSH_MPLS, 0x8847 },
    { "push_mpls:0x8848", FW_ACT_PUSH_MPLS, 0x8848 },
    { "pop_mpls:0x8847", FW_ACT_POP_MPLS, 0x8847 },
    { "pop_mpls:0x8848", FW_ACT_POP_MPLS, 0x8848 },
    { "pop_mpls:0x0800", FW_ACT_POP_MPLS, 0x0800 },
    { "pop_mpls:0x86dd", FW_ACT_POP_MPLS, 0x86dd },
    { "pop_mpls:0x88b5", FW_ACT_POP_MPLS, 0x88b5 },
    { "set_mpls_ttl:%u", FW_ACT_SET_MPLS_TTL, 0 },
    { "dec_mpls_ttl", FW_ACT_DEC_MPLS_TTL, 0 },
};

struct list {
    unsigned n;
    struct fw_action a[MAX_ACTS];
    char line[256];
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32) % n;
}

static void
make_list(struct list *l, unsigned port)
{
    int at = snprintf(l->line, sizeof(l->line), "in_port=%u,actions=", port);

    l->n = 1 + rnd(MAX_ACTS);
    for (unsigned i = 0; i < l->n; i++) {
        const struct card_act *c = &acts[rnd(sizeof(acts) / sizeof(acts[0]))];
        struct fw_action *a = &l->a[i];
        unsigned ttl = rnd(4) == 0 ? rnd(2) : rnd(256);

        memset(a, 0, sizeof(*a));
        a->type = c->type;
        if (c->type == FW_ACT_SET_MPLS_TTL)
            a->u.set_mpls_ttl.ttl = (uint8_t)ttl;
        else
            a->u.mpls.ethertype = htons(c->ethertype);
        at += snprintf(l->line + at, sizeof(l->line) - (size_t)at, c->text,
                       ttl);
        at += snprintf(l->line + at, sizeof(l->line) - (size_t)at, ",");
    }
    snprintf(l->line + at, sizeof(l->line) - (size_t)at, "output:100");
}

static size_t
put32(uint8_t *p, uint32_t v)
{
    t_wr16(p, (uint16_t)(v >> 16));
    t_wr16(p + 2, (uint16_t)v);
    return 4;
}

/* A random frame of at most 200 bytes into @f; its length. */
static size_t
make_frame(uint8_t *f)
{
    static const uint16_t types[] = { 0x8847, 0x8848, 0x8847, 0x8848,
                                      0x0800, 0x86dd, 0x0806, 0x88b5 };
    size_t l = 12, n;
    unsigned tags = rnd(4) == 0 ? 1 + rnd(2) : 0;
    uint16_t type = types[rnd(sizeof(types) / sizeof(types[0]))];

    for (size_t i = 0; i < 12; i++)
        f[i] = (uint8_t)(0x10 + i);
    for (unsigned i = 0; i < tags; i++) {
        t_wr16(f + l, rnd(2) ? 0x8100 : 0x88a8);
        t_wr16(f + l + 2, (uint16_t)rnd(4096));
        l += 4;
    }
    t_wr16(f + l, type);
    l += 2;
    if (type == 0x8847 || type == 0x8848) {
        unsigned entries = rnd(5), bos = rnd(entries + 2);

        for (unsigned i = 0; i < entries; i++) {
            uint32_t ttl = rnd(3) == 0 ? rnd(3) : rnd(256);

            l += put32(f + l, rnd(1u << 20) << 12 | rnd(8) << 9 |
                              (i + 1 == bos ? 0x100u : 0) | ttl);
        }
        if (rnd(6) == 0) {          /* an entry cut short */
            f[l++] = 0xab;
            f[l++] = 0xcd;
            return l;
        }
        type = rnd(2) ? 0x0800 : 0x86dd;
    }
    if (type == 0x0800) {
        uint8_t *ip = f + l;
        size_t pay = 8 + rnd(16);

        t_ipv4(ip, 17, pay, "10.0.0.1", "10.0.0.2");
        ip[1] = (uint8_t)rnd(256);
        ip[8] = (uint8_t)(rnd(4) == 0 ? 0 : rnd(256));
        memset(ip + 20, 0x5a, pay);
        t_ipv4_fix(ip);
        if (rnd(8) == 0)
            t_wr16(ip + 2, 2000);   /* longer than the frame: unreadable */
        return l + 20 + pay;
    }
    if (type == 0x86dd) {
        uint8_t *ip = f + l;

        memset(ip, 0, 48);
        ip[0] = (uint8_t)(0x60 | rnd(16));
        ip[1] = (uint8_t)rnd(256);
        t_wr16(ip + 4, rnd(8) == 0 ? 100 : 8);
        ip[6] = 17;
        ip[7] = (uint8_t)rnd(256);
        return l + 48;
    }
    n = rnd(40);
    memset(f + l, 0x33, n);
    return l + n;
}

/* The card: each action on the frame in turn, a refusal dropping it.
 * Returns the frame's length, 0 when dropped. */
static size_t
card_run(const struct list *li, const uint8_t *in, size_t len, uint8_t *out)
{
    static uint8_t room[EMU_FRAME_ROOM];
    struct emu_frame f = {
        .data = room + EMU_FRAME_HEADROOM, .len = (uint32_t)len,
        .headroom = EMU_FRAME_HEADROOM,
        .tailroom = (uint32_t)(EMU_FRAME_ROOM - EMU_FRAME_HEADROOM - len),
    };
    struct fw_match key;
    struct emu_layout lay;

    memcpy(f.data, in, len);
    emu_parse(&f, 1, &key, &lay);
    for (unsigned i = 0; i < li->n; i++)
        if (!emu_rewrite(&f, &li->a[i], &key, &lay))
            return 0;
    memcpy(out, f.data, f.len);
    return f.len;
}

Test(dp_mpls_card, card_rewrites_equal_software_on_random_frames,
     .timeout = 120)
{
    static struct list lists[N_LISTS];
    const char *lines[N_LISTS + 1];
    unsigned dropped = 0, sent = 0, changed = 0;
    struct dp_env e;

    for (unsigned k = 0; k < N_LISTS; k++) {
        make_list(&lists[k], k + 1);
        lines[k] = lists[k].line;
    }
    lines[N_LISTS] = NULL;
    dp_env_init(&e, 0, lines);
    for (unsigned i = 0; i < N_FRAMES; i++) {
        uint8_t f[256], card[EMU_FRAME_ROOM];
        size_t n = make_frame(f);

        for (unsigned k = 0; k < N_LISTS; k++) {
            struct capture cap;
            struct t_pkt tp;
            size_t cn = card_run(&lists[k], f, n, card);

            memset(&cap, 0, sizeof(cap));
            t_pkt_load(&tp, f, n);
            dp_env_run(&e, &tp.buf, k + 1, false, capture, &cap);
            cr_assert_eq(cap.n, cn != 0, "frame %u, %s: software sent %u, "
                         "the card %s", i, lists[k].line, cap.n,
                         cn ? "sent it" : "dropped it");
            if (cn == 0) {
                dropped++;
                continue;
            }
            sent++;
            changed += cn != n || memcmp(card, f, n) != 0;
            cr_assert_eq(cap.len[0], cn, "frame %u, %s: length %zu, the card"
                         " %zu", i, lists[k].line, cap.len[0], cn);
            for (size_t b = 0; b < cn; b++)
                cr_assert_eq(cap.frame[0][b], card[b], "frame %u, %s: byte "
                             "%zu is %#x, the card's %#x", i, lists[k].line,
                             b, cap.frame[0][b], card[b]);
        }
    }
    /* the cases are not all of one kind */
    cr_expect_gt(dropped, N_FRAMES * N_LISTS / 20);
    cr_expect_gt(changed, N_FRAMES * N_LISTS / 4);
    cr_log_info("%u sent (%u changed), %u dropped", sent, changed, dropped);
    dp_env_fini(&e);
}
