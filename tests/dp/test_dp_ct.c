/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connection tracker through the datapath (ct(...), ct_state...): a
 * firewall table whose output port names the state each packet got, so
 * every test reads the tracker's answer packet by packet. TCP's
 * handshake, data, FIN and RST; flags Open vSwitch calls invalid; UDP and
 * ICMP new until answered; ICMP errors related to a connection; zones;
 * ct_mark / ct_label from exec(); expiry on a test clock; the bounded
 * table; ct without table= leaving the list untracked; a recirculated
 * copy that does not disturb the list; and two workers tracking the two
 * directions of the same connections at once while the control side
 * dumps and flushes.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>

#include "dp_test_env.h"

/* table 1's verdicts */
enum { P_NEW = 10, P_EST = 11, P_EST_RPL = 12, P_REL = 13, P_INV = 14,
       P_NEW_NOCOMMIT = 15, P_MARK = 16 };

#define FIREWALL(zone) \
    "table=0,priority=10,ip,actions=ct(table=1,zone=" #zone ")", \
    "table=0,priority=10,ipv6,actions=ct(table=1,zone=" #zone ")", \
    "table=1,priority=100,ct_state=+trk+new,ip,actions=ct(commit,zone=" \
        #zone "),output:10", \
    "table=1,priority=100,ct_state=+trk+new,ipv6,actions=ct(commit,zone=" \
        #zone "),output:10", \
    "table=1,priority=90,ct_state=+trk+est-rpl,actions=output:11", \
    "table=1,priority=90,ct_state=+trk+est+rpl,actions=output:12", \
    "table=1,priority=80,ct_state=+trk+rel,actions=output:13", \
    "table=1,priority=70,ct_state=+trk+inv,actions=output:14"

/* The datapath at time 1000 of the test's clock (e->now). */
static void
env_init(struct dp_env *e, const char *const *lines)
{
    dp_env_init(e, 1000, lines);
    dp_set_clock(e->dp, dp_env_now, e);
}

/* ---- frames: host A 10.0.0.1 (port 1), host B 10.0.0.2 (port 2) ---- */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct frame {
    uint8_t b[256];
    size_t len;
};

static uint8_t *
ip4(struct frame *f, bool from_a, uint8_t proto, size_t l4len)
{
    size_t l2 = t_eth(f->b, 0x0800, -1);

    t_ipv4(f->b + l2, proto, l4len, from_a ? "10.0.0.1" : "10.0.0.2",
           from_a ? "10.0.0.2" : "10.0.0.1");
    f->len = l2 + 20 + l4len;
    return f->b + l2;
}

static void
tcp(struct frame *f, bool from_a, uint8_t flags, uint32_t seq, uint32_t ack)
{
    uint8_t *ip = ip4(f, from_a, 6, 20), *l4 = ip + 20;

    memset(l4, 0, 20);
    t_wr16(l4, from_a ? 40000 : 80);
    t_wr16(l4 + 2, from_a ? 80 : 40000);
    t_wr16(l4 + 4, (uint16_t)(seq >> 16));
    t_wr16(l4 + 6, (uint16_t)seq);
    t_wr16(l4 + 8, (uint16_t)(ack >> 16));
    t_wr16(l4 + 10, (uint16_t)ack);
    l4[12] = 0x50;
    l4[13] = flags;
    t_wr16(l4 + 14, 8192);
    t_ipv4_fix(ip);
}

static void
udp(struct frame *f, bool from_a, uint16_t aport)
{
    uint8_t *ip = ip4(f, from_a, 17, 12), *l4 = ip + 20;

    t_wr16(l4, from_a ? aport : 53);
    t_wr16(l4 + 2, from_a ? 53 : aport);
    t_wr16(l4 + 4, 12);
    memcpy(l4 + 8, "abcd", 4);
    t_ipv4_fix(ip);
}

/* ICMP with @body (its first 4 bytes after the checksum) and @extra. */
static void
icmp(struct frame *f, bool from_a, uint8_t type, const uint8_t *extra,
     size_t n)
{
    uint8_t *ip = ip4(f, from_a, 1, 8 + n), *l4 = ip + 20;

    memset(l4, 0, 8);
    l4[0] = type;
    t_wr16(l4 + 4, 0x4242);         /* echo id */
    t_wr16(l4 + 6, 1);
    if (n > 0)
        memcpy(l4 + 8, extra, n);
    t_ipv4_fix(ip);
    t_wr16(l4 + 2, (uint16_t)~t_fold(t_sum(0, l4, 8 + n)));
}

/* ---- sending ---- */

struct capture {
    unsigned n;
    uint32_t port[8];
};

static void
capture(void *ctx, const struct dp_output *out)
{
    struct capture *c = ctx;

    if (c->n < 8)
        c->port[c->n] = out->port;
    c->n++;
}

/* The port the frame went to (0: none; several: the first). */
static uint32_t
send_frame(struct dp_env *e, const struct frame *f, uint32_t in_port)
{
    struct capture cap = { 0 };
    struct t_pkt tp;

    t_pkt_load(&tp, f->b, f->len);
    dp_worker_online(e->w);
    dp_worker_process(e->w, &tp.buf, in_port, capture, &cap);
    dp_worker_quiesce(e->w);
    dp_worker_offline(e->w);
    return cap.n ? cap.port[0] : 0;
}

static uint32_t
send_tcp(struct dp_env *e, bool from_a, uint8_t flags, uint32_t seq,
         uint32_t ack)
{
    struct frame f;

    tcp(&f, from_a, flags, seq, ack);
    return send_frame(e, &f, from_a ? 1 : 2);
}

static const char *const firewall[] = { FIREWALL(1), NULL };

Test(dp_ct, tcp_handshake_data_and_close)
{
    struct dp_env e;

    env_init(&e, firewall);
    cr_assert_eq(send_tcp(&e, true, F_SYN, 100, 0), P_NEW);
    /* a retransmitted SYN is still new */
    cr_assert_eq(send_tcp(&e, true, F_SYN, 100, 0), P_NEW);
    /* the SYN-ACK is established already, in the reply direction */
    cr_assert_eq(send_tcp(&e, false, F_SYN | F_ACK, 500, 101), P_EST_RPL);
    cr_assert_eq(send_tcp(&e, true, F_ACK, 101, 501), P_EST);
    cr_assert_eq(send_tcp(&e, true, F_PSH | F_ACK, 101, 501), P_EST);
    cr_assert_eq(send_tcp(&e, false, F_PSH | F_ACK, 501, 101), P_EST_RPL);
    cr_assert_eq(send_tcp(&e, true, F_FIN | F_ACK, 101, 501), P_EST);
    cr_assert_eq(send_tcp(&e, false, F_FIN | F_ACK, 501, 102), P_EST_RPL);
    cr_assert_eq(send_tcp(&e, true, F_ACK, 102, 502), P_EST);
    cr_assert_eq(dp_conntrack_dump(e.dp, -1, NULL, 0), 1);
    /* both sides closed: a new SYN on the tuple is a new connection */
    cr_assert_eq(send_tcp(&e, true, F_SYN, 9000, 0), P_NEW);
    cr_assert_eq(send_tcp(&e, false, F_SYN | F_ACK, 7000, 9001), P_EST_RPL);
    /* RST: still part of the connection */
    cr_assert_eq(send_tcp(&e, false, F_RST | F_ACK, 7001, 9001), P_EST_RPL);
    dp_env_fini(&e);
}

Test(dp_ct, tcp_invalid_segments)
{
    struct dp_env e;
    struct frame f;

    env_init(&e, firewall);
    /* no connection: a SYN-ACK cannot start one, nor no flags at all */
    cr_assert_eq(send_tcp(&e, true, F_SYN | F_ACK, 1, 2), P_INV);
    cr_assert_eq(send_tcp(&e, true, 0, 1, 2), P_INV);
    cr_assert_eq(send_tcp(&e, true, F_SYN | F_FIN, 1, 0), P_INV);
    cr_assert_eq(send_tcp(&e, true, F_FIN, 1, 0), P_INV);
    /* an ACK alone does (picked up in the middle, as Open vSwitch does) */
    cr_assert_eq(send_tcp(&e, true, F_ACK, 1, 2), P_NEW);
    cr_assert_eq(send_tcp(&e, true, F_ACK, 1, 2), P_EST);
    /* invalid flags inside a connection */
    cr_assert_eq(send_tcp(&e, true, F_SYN | F_RST, 1, 2), P_INV);
    /* a bad TCP checksum */
    tcp(&f, true, F_ACK, 1, 2);
    f.b[14 + 20 + 16] ^= 0x55;
    cr_assert_eq(send_frame(&e, &f, 1), P_INV);
    /* a bad IPv4 header checksum */
    tcp(&f, true, F_ACK, 1, 2);
    f.b[14 + 10] ^= 0x55;
    cr_assert_eq(send_frame(&e, &f, 1), P_INV);
    cr_assert_eq(dp_worker_stats(e.w)->ct_invalid, 7);
    dp_env_fini(&e);
}

Test(dp_ct, udp_and_icmp_new_until_answered)
{
    struct dp_env e;
    struct frame f;

    env_init(&e, firewall);
    udp(&f, true, 5000);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    udp(&f, false, 5000);
    cr_assert_eq(send_frame(&e, &f, 2), P_EST_RPL);
    udp(&f, true, 5000);
    cr_assert_eq(send_frame(&e, &f, 1), P_EST);
    /* echo: a request starts one; a reply alone is invalid */
    icmp(&f, false, 0, NULL, 0);
    cr_assert_eq(send_frame(&e, &f, 2), P_INV);
    icmp(&f, true, 8, NULL, 0);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    icmp(&f, false, 0, NULL, 0);
    cr_assert_eq(send_frame(&e, &f, 2), P_EST_RPL);
    icmp(&f, true, 8, NULL, 0);
    cr_assert_eq(send_frame(&e, &f, 1), P_EST);
    /* an ICMP type that is neither a query nor an error */
    icmp(&f, true, 9, NULL, 0);
    cr_assert_eq(send_frame(&e, &f, 1), P_INV);
    dp_env_fini(&e);
}

Test(dp_ct, icmp_error_is_related)
{
    struct dp_env e;
    struct frame u, f;

    env_init(&e, firewall);
    udp(&u, true, 6000);
    cr_assert_eq(send_frame(&e, &u, 1), P_NEW);
    /* B's port unreachable quoting A's datagram: related, reply side */
    icmp(&f, false, 3, u.b + 14, 28);
    cr_assert_eq(send_frame(&e, &f, 2), P_REL);
    /* one quoting a datagram nobody sent: invalid */
    t_wr16(u.b + 14 + 20, 6001);
    icmp(&f, false, 3, u.b + 14, 28);
    cr_assert_eq(send_frame(&e, &f, 2), P_INV);
    dp_env_fini(&e);
}

Test(dp_ct, zones_are_separate)
{
    static const char *const flows[] = {
        "table=0,priority=10,in_port=1,ip,"
        "actions=load:7->NXM_NX_REG6[0..15],ct(table=1,"
        "zone=NXM_NX_REG6[0..15])",
        "table=0,priority=10,in_port=2,ip,actions=ct(table=1,zone=8)",
        "table=1,priority=100,ct_state=+trk+new,ct_zone=7,ip,"
        "actions=ct(commit,zone=7),output:10",
        "table=1,priority=100,ct_state=+trk+new,ct_zone=8,ip,"
        "actions=output:15",
        "table=1,priority=90,ct_state=+trk+est,actions=output:11",
        NULL,
    };
    struct dp_env e;
    struct dp_ct_entry ent;
    struct frame f;

    snic_role_enter(&snic_control);
    env_init(&e, flows);
    udp(&f, true, 7000);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    /* the answer is looked up in zone 8: nothing there */
    udp(&f, false, 7000);
    cr_assert_eq(send_frame(&e, &f, 2), P_NEW_NOCOMMIT);
    cr_assert_eq(dp_conntrack_dump(e.dp, 7, &ent, 1), 1);
    cr_assert_eq(ent.zone, 7);
    cr_assert_eq(ent.proto, 17);
    cr_assert_eq(ent.sport, 7000);
    cr_assert_eq(ent.dport, 53);
    cr_assert_eq(dp_conntrack_dump(e.dp, 8, NULL, 0), 0);
    cr_assert_eq(dp_conntrack_flush(e.dp, 8), 0);
    cr_assert_eq(dp_conntrack_flush(e.dp, 7), 1);
    dp_env_fini(&e);
}

Test(dp_ct, exec_sets_mark_and_label)
{
    static const char *const flows[] = {
        "table=0,priority=10,ip,actions=load:0x2a->NXM_NX_REG0[],"
        "ct(table=1,zone=3)",
        "table=1,priority=100,ct_state=+trk+new,ip,actions=ct(commit,zone=3,"
        "exec(move:NXM_NX_REG0[]->NXM_NX_CT_MARK[],"
        "set_field:0x10000000000000005->ct_label)),output:10",
        "table=1,priority=95,ct_state=+trk+est,ct_mark=0x2a,"
        "ct_label=0x10000000000000005,actions=output:16",
        "table=1,priority=90,ct_state=+trk+est,actions=output:11",
        NULL,
    };
    struct dp_env e;
    struct dp_ct_entry ent;
    struct frame f;

    env_init(&e, flows);
    udp(&f, true, 8000);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    udp(&f, false, 8000);
    cr_assert_eq(send_frame(&e, &f, 2), P_MARK);
    cr_assert_eq(dp_conntrack_dump(e.dp, -1, &ent, 1), 1);
    cr_assert_eq(ent.mark, 0x2a);
    cr_assert_eq(ent.label[0], 5);
    cr_assert_eq(ent.label[1], 1);
    dp_env_fini(&e);
}

/* A flow that resubmits back to an earlier table makes every packet run
 * first as a check (nothing counted, nothing committed): for a packet of
 * a known connection that run answers from a copy of the connection,
 * which must outlive the answer (it was read after its scope ended). */
Test(dp_ct, check_run_answers_from_a_copy)
{
    static const char *const flows[] = {
        "table=0,priority=10,ip,actions=ct(table=1,zone=3)",
        "table=1,priority=100,ct_state=+trk+new,ip,actions=ct(commit,zone=3,"
        "exec(set_field:7->ct_mark)),output:10",
        "table=1,priority=95,ct_state=+trk+est,ct_mark=7,actions=output:16",
        "table=1,priority=90,ct_state=+trk+est,actions=output:11",
        "table=2,priority=1,actions=resubmit(,0)",
        NULL,
    };
    struct dp_env e;
    struct frame f;

    env_init(&e, flows);
    udp(&f, true, 8000);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    udp(&f, false, 8000);
    cr_assert_eq(send_frame(&e, &f, 2), P_MARK);
    cr_assert_eq(send_frame(&e, &f, 2), P_MARK);
    cr_assert_eq(dp_conntrack_dump(e.dp, -1, NULL, 0), 1);
    dp_env_fini(&e);
}

Test(dp_ct, entries_expire)
{
    struct dp_env e;
    struct frame f;

    env_init(&e, firewall);
    udp(&f, true, 9000);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    udp(&f, false, 9000);
    cr_assert_eq(send_frame(&e, &f, 2), P_EST_RPL);
    /* answered UDP lives 30 s after its last packet */
    e.now += 29;
    cr_assert_eq(send_frame(&e, &f, 2), P_EST_RPL);
    e.now += 29;
    cr_assert_eq(dp_conntrack_dump(e.dp, -1, NULL, 0), 1);
    e.now += 2;
    cr_assert_eq(dp_conntrack_dump(e.dp, -1, NULL, 0), 0);
    /* gone: the answer alone is a new connection of its own */
    cr_assert_eq(send_frame(&e, &f, 2), P_NEW);
    dp_env_fini(&e);
}

Test(dp_ct, full_table_leaves_packets_new)
{
    struct dp_env e;
    struct frame f;

    snic_role_enter(&snic_control);
    env_init(&e, firewall);
    dp_conntrack_set_limit(e.dp, 2);
    cr_assert_eq(dp_conntrack_limit(e.dp), 2);
    for (uint16_t p = 1; p <= 3; p++) {
        udp(&f, true, p);
        cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    }
    cr_assert_eq(dp_conntrack_dump(e.dp, -1, NULL, 0), 2);
    cr_assert_eq(dp_worker_stats(e.w)->ct_full, 1);
    /* the third was not committed: its answer is new, not established */
    udp(&f, false, 3);
    cr_assert_eq(send_frame(&e, &f, 2), P_NEW);
    udp(&f, false, 1);
    cr_assert_eq(send_frame(&e, &f, 2), P_EST_RPL);
    /* room again once entries expire */
    e.now += 100;
    udp(&f, true, 3);
    cr_assert_eq(send_frame(&e, &f, 1), P_NEW);
    cr_assert_eq(dp_conntrack_dump(e.dp, -1, NULL, 0), 1);
    dp_env_fini(&e);
}

Test(dp_ct, the_list_after_ct_is_untracked)
{
    static const char *const flows[] = {
        /* ct without table: the resubmit sees no ct_state; with table,
         * the recirculated copy does, and the list goes on after it */
        "table=0,priority=10,ip,actions=ct(commit,zone=1),resubmit(,2),"
        "ct(table=1,zone=1),mod_dl_dst:02:00:00:00:00:99,output:20",
        "table=1,priority=10,ct_state=+trk+est,actions=output:11",
        "table=1,priority=5,ct_state=+trk,actions=output:17",
        "table=2,priority=10,ct_state=-trk,actions=output:18",
        "table=2,priority=5,actions=output:19",
        NULL,
    };
    struct dp_env e;
    struct capture cap = { 0 };
    struct t_pkt tp;
    struct frame f;

    env_init(&e, flows);
    udp(&f, true, 1234);
    t_pkt_load(&tp, f.b, f.len);
    dp_worker_online(e.w);
    dp_worker_process(e.w, &tp.buf, 1, capture, &cap);
    dp_worker_offline(e.w);
    cr_assert_eq(cap.n, 3);
    cr_assert_eq(cap.port[0], 18);
    /* committed by the first ct, not answered: new in the second */
    cr_assert_eq(cap.port[1], 17);
    cr_assert_eq(cap.port[2], 20);
    cr_assert_eq(tp.buf.data[5], 0x99);
    dp_env_fini(&e);
}

Test(dp_ct, recirculation_depth_is_bounded)
{
    static const char *const flows[] = {
        "table=0,priority=10,ip,actions=output:21,ct(table=0)",
        NULL,
    };
    struct dp_env e;
    struct capture cap = { 0 };
    struct t_pkt tp;
    struct frame f;

    env_init(&e, flows);
    udp(&f, true, 1);
    t_pkt_load(&tp, f.b, f.len);
    dp_worker_online(e.w);
    dp_worker_process(e.w, &tp.buf, 1, capture, &cap);
    dp_worker_offline(e.w);
    /* the packet, then 6 recirculations, as Open vSwitch's datapath */
    cr_assert_eq(cap.n, 7);
    cr_assert_eq(dp_worker_stats(e.w)->recirc_drops, 1);
    dp_env_fini(&e);
}

/* Two workers, one per direction, over the same connections, while the
 * control thread dumps and now and then flushes. Every answer must be a
 * state the sequence allows; run under ASan (and TSan in its build). */
struct racer {
    struct dp_env *e;
    struct dp_worker *w;
    bool from_a;
    unsigned bad;
};

static void *
race(void *arg)
{
    struct racer *r = arg;
    struct frame f;

    for (unsigned i = 0; i < 4000; i++) {
        struct capture cap = { 0 };
        struct t_pkt tp;

        udp(&f, r->from_a, (uint16_t)(1000 + i % 200));
        t_pkt_load(&tp, f.b, f.len);
        dp_worker_online(r->w);
        dp_worker_process(r->w, &tp.buf, r->from_a ? 1 : 2, capture, &cap);
        dp_worker_quiesce(r->w);
        dp_worker_offline(r->w);
        if (cap.n != 1 || (cap.port[0] != P_NEW && cap.port[0] != P_EST
                           && cap.port[0] != P_EST_RPL))
            r->bad++;
    }
    return NULL;
}

Test(dp_ct, two_workers_track_both_directions, .timeout = 60)
{
    struct dp_env e;
    struct racer ra, rb;
    pthread_t ta, tb;

    snic_role_enter(&snic_control);
    env_init(&e, firewall);
    ra = (struct racer){ .e = &e, .w = e.w, .from_a = true };
    rb = (struct racer){ .e = &e, .w = dp_worker_create(e.dp),
                         .from_a = false };
    cr_assert_not_null(rb.w);
    pthread_create(&ta, NULL, race, &ra);
    pthread_create(&tb, NULL, race, &rb);
    for (unsigned i = 0; i < 200; i++) {
        cr_assert_leq(dp_conntrack_dump(e.dp, -1, NULL, 0), 200);
        if (i % 50 == 0)
            dp_conntrack_flush(e.dp, -1);
        dp_poll(e.dp);
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    cr_assert_eq(ra.bad, 0);
    cr_assert_eq(rb.bad, 0);
    cr_assert_leq(dp_conntrack_dump(e.dp, -1, NULL, 0), 200);
    dp_worker_destroy(rb.w);
    dp_env_fini(&e);
}
