/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tun_metadata0..63: the parser's forms and their canonical text (Open
 * vSwitch's), a match's own layout and its move into a TLV map's, the
 * checks a switch makes against the map, and what a packet's options
 * read and match as when present or absent (flow_tun_md.c).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "snic/flow.h"

static void
parse_ok(const char *line, struct flow_mod *fm)
{
    struct flow_error err;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, fm, &err), 0, "%s: %s",
                 line, err.msg);
}

/* parse, format, parse again: the same flow, and the expected text */
static void
round_trip(const char *line, const char *want)
{
    struct flow_mod a, b;
    char buf[FLOW_FORMAT_MAX];

    parse_ok(line, &a);
    flow_format(&a.flow, NULL, buf, sizeof(buf));
    cr_expect_str_eq(buf, want);
    parse_ok(buf, &b);
    cr_expect(flow_equal(&a.flow, &b.flow), "%s", buf);
}

Test(tun_md, actions_as_open_vswitch_prints_them)
{
    round_trip("in_port=3, actions=load:0x11223344->tun_metadata1",
               "cookie=0x0, table=0, in_port=3 actions=load:0x11223344->"
               "NXM_NX_TUN_METADATA1[]");
    round_trip("in_port=2 actions=move:tun_metadata0[32..63]->NXM_NX_REG0[]",
               "cookie=0x0, table=0, in_port=2 actions=move:"
               "NXM_NX_TUN_METADATA0[32..63]->NXM_NX_REG0[]");
    round_trip("actions=push:tun_metadata1[0..31],pop:tun_metadata0[32..63],"
               "output:tun_metadata1[0..15],set_field:0x55->tun_metadata5,"
               "set_field:0x1/0xff->tun_metadata6",
               "cookie=0x0, table=0, actions=push:NXM_NX_TUN_METADATA1"
               "[0..31],pop:NXM_NX_TUN_METADATA0[32..63],output:"
               "NXM_NX_TUN_METADATA1[0..15],set_field:0x55->tun_metadata5,"
               "set_field:0x1/0xff->tun_metadata6");
    round_trip("actions=multipath(eth_src,50,modulo_n,1,0,"
               "tun_metadata0[0..31]),bundle_load(eth_src,50,hrw,ofport,"
               "tun_metadata1[0..31], members:4,8)",
               "cookie=0x0, table=0, actions=multipath(eth_src,50,modulo_n,"
               "1,0,NXM_NX_TUN_METADATA0[0..31]),bundle_load(eth_src,50,hrw,"
               "ofport,NXM_NX_TUN_METADATA1[0..31],members:4,8)");
    round_trip("actions=learn(tun_metadata1[0..31]=reg1, load:reg1[0..31]->"
               "tun_metadata2[0..31])",
               "cookie=0x0, table=0, actions=learn(table=1,"
               "NXM_NX_TUN_METADATA1[0..31]=NXM_NX_REG1[],load:NXM_NX_REG1[]"
               "->NXM_NX_TUN_METADATA2[0..31])");
    round_trip("ip actions=ct(commit,zone=1,exec(move:tun_metadata0[32..63]"
               "->ct_mark))",
               "cookie=0x0, table=0, ip actions=ct(commit,zone=1,exec(move:"
               "NXM_NX_TUN_METADATA0[32..63]->NXM_NX_CT_MARK[]))");
    round_trip("actions=move:tun_metadata3[]->tun_metadata63[]",
               "cookie=0x0, table=0, actions=move:NXM_NX_TUN_METADATA3[]->"
               "NXM_NX_TUN_METADATA63[]");
}

Test(tun_md, matches_as_open_vswitch_prints_them)
{
    round_trip("tun_metadata3=0x1234/0xff00,actions=drop",
               "cookie=0x0, table=0, tun_metadata3=0x1200/0xff00 "
               "actions=drop");
    /* a mask of all ones over its bytes is the value whole */
    round_trip("tun_metadata1=0x12345678/0xffffffff,tun_metadata0=0/0,"
               "tun_metadata2=0x1/0x1,actions=drop",
               "cookie=0x0, table=0, tun_metadata0=0/0,"
               "tun_metadata1=0x12345678,tun_metadata2=0x1/0x1 actions=drop");
    round_trip("tun_metadata7=0x112233445566778899aabbccddeeff00,"
               "actions=drop",
               "cookie=0x0, table=0, tun_metadata7=0x112233445566778899aabb"
               "ccddeeff00 actions=drop");
}

static void
refused(const char *line, int code, const char *msg)
{
    struct flow_error err;
    struct flow_mod fm;

    cr_assert_eq(flow_parse(line, FLOW_CMD_ADD, NULL, &fm, &err), code,
                 "%s: %s", line, err.msg);
    cr_expect(strstr(err.msg, msg) != NULL, "%s: %s", line, err.msg);
}

Test(tun_md, refusals)
{
    refused("tun_metadata0=1,tun_metadata0=2,actions=drop", -EINVAL,
            "tun_metadata0 is matched twice");
    refused("tun_metadata64=1,actions=drop", -EINVAL,
            "no such field: 'tun_metadata64' (expected tun_metadata0.."
            "tun_metadata63)");
    refused("actions=move:NXM_NX_TUN_METADATA64[]->reg0[]", -EINVAL,
            "no such field");
    refused("actions=move:tun_metadata0[0..128]->xxreg0[]", -ERANGE,
            "beyond tun_metadata0's 128 bits");
    /* 7 slots of 4 bytes: two 16-byte values do not fit */
    refused("tun_metadata0=0x112233445566778899aabbccddeeff00,"
            "tun_metadata1=0x112233445566778899aabbccddeeff00,actions=drop",
            -ERANGE, "more than snic's 28 bytes of tunnel metadata");
}

/* A map with tun_metadata0 (4 bytes), 1 (8 bytes) and 2 (4 bytes). */
static void
map_init(struct flow_tlv_map *map)
{
    flow_tlv_map_init(map);
    cr_assert_eq(flow_tlv_map_add(map, 0, 0xffff, 0, 4), 0);
    cr_assert_eq(flow_tlv_map_add(map, 1, 0xffff, 1, 8), 0);
    cr_assert_eq(flow_tlv_map_add(map, 2, 0xffff, 2, 4), 0);
}

Test(tun_md, the_map_lays_out_options_and_refuses_what_does_not_fit)
{
    struct flow_tlv_map map;

    map_init(&map);
    cr_expect_eq(map.layout.tun_md_slot[0], FLOW_TUN_MD_USED | 0);
    cr_expect_eq(map.layout.tun_md_slot[1], FLOW_TUN_MD_USED | 1);
    cr_expect_eq(map.layout.tun_md_slot[2], FLOW_TUN_MD_USED | 1);
    cr_expect_eq(map.layout.tun_md_slot[3], FLOW_TUN_MD_USED | 2);
    cr_expect_eq(flow_tlv_map_add(&map, 0, 0xffff, 9, 4), -EEXIST);
    cr_expect_eq(flow_tlv_map_add(&map, 5, 0xffff, 1, 4), -EADDRINUSE);
    cr_expect_eq(flow_tlv_map_add(&map, 5, 0xffff, 5, 6), -EINVAL);
    cr_expect_eq(flow_tlv_map_add(&map, 5, 0xffff, 5, 20), -EINVAL);
    cr_expect_eq(flow_tlv_map_add(&map, 5, 0xffff, 5, 16), -ENOSPC);
    cr_expect_eq(flow_tlv_map_add(&map, 5, 0xffff, 5, 12), 0);
    cr_expect_eq(flow_tlv_map_del(&map, 6), -ENOENT);
    /* a freed place is taken again, the others stay where they are */
    cr_expect_eq(flow_tlv_map_del(&map, 1), 0);
    cr_expect_eq(map.layout.tun_md_slot[1], 0);
    cr_expect_eq(flow_tlv_map_add(&map, 9, 0xffff, 9, 8), 0);
    cr_expect_eq(map.layout.tun_md_slot[1], FLOW_TUN_MD_USED | 9);
    cr_expect_eq(map.layout.tun_md_slot[0], FLOW_TUN_MD_USED | 0);
}

static int
check(const char *line, const struct flow_tlv_map *map, struct flow_mod *fm,
      char *msg, size_t size)
{
    parse_ok(line, fm);
    return flow_tun_md_check(&fm->flow, map, msg, size);
}

Test(tun_md, a_switch_refuses_unmapped_options_and_bits_past_the_length)
{
    struct flow_tlv_map map;
    struct flow_mod fm, before;
    char msg[200];

    map_init(&map);
    cr_expect_eq(check("actions=move:tun_metadata3[0..7]->reg0[0..7]", &map,
                       &fm, msg, sizeof(msg)), -ENOENT);
    cr_expect(strstr(msg, "tun_metadata3 is not mapped") != NULL, "%s", msg);
    cr_expect_eq(check("tun_metadata4=1,actions=drop", &map, &fm, msg,
                       sizeof(msg)), -ENOENT);
    cr_expect_eq(check("actions=move:tun_metadata0[32..63]->reg0[]", &map,
                       &fm, msg, sizeof(msg)), -ERANGE);
    cr_expect(strstr(msg, "mapped length of 4 bytes") != NULL, "%s", msg);
    cr_expect_eq(check("actions=load:0x112233445->tun_metadata0", &map, &fm,
                       msg, sizeof(msg)), -ERANGE);
    cr_expect_eq(check("actions=move:tun_metadata0[]->tun_metadata1[]", &map,
                       &fm, msg, sizeof(msg)), -EINVAL);
    cr_expect_eq(check("tun_metadata0=0x1ff/0xfff00000000,actions=drop",
                       &map, &fm, msg, sizeof(msg)), -ERANGE);
    /* unchanged on error */
    parse_ok("tun_metadata2=5,actions=load:1->tun_metadata9", &fm);
    before = fm;
    cr_expect_lt(flow_tun_md_check(&fm.flow, &map, msg, sizeof(msg)), 0);
    cr_expect(flow_equal(&fm.flow, &before.flow));
    /* fits: whole fields are the mapped length */
    cr_expect_eq(check("actions=move:tun_metadata0[]->tun_metadata2[],"
                       "move:tun_metadata1[0..63]->xreg0[]", &map, &fm, msg,
                       sizeof(msg)), 0, "%s", msg);
    cr_expect_eq(check("actions=load:0xffffffff->tun_metadata0", &map, &fm,
                       msg, sizeof(msg)), 0, "%s", msg);
}

Test(tun_md, a_match_moves_into_the_maps_slots_and_reads_back_the_same)
{
    struct flow_tlv_map map;
    struct flow_mod fm;
    char msg[200], buf[FLOW_FORMAT_MAX];

    map_init(&map);
    /* parsed: 1 in slot 0, 2 in slot 1 (by index); mapped: 1 in 1..2 */
    cr_assert_eq(check("tun_metadata2=0x5,tun_metadata1=0xaa00/0xff00,"
                       "actions=drop", &map, &fm, msg, sizeof(msg)), 0, "%s",
                 msg);
    cr_expect_eq(fm.flow.match.mask.meta.tun_md_slot[3],
                 FLOW_TUN_MD_USED | 2);
    cr_expect_eq(fm.flow.match.value.meta.tun_md[3], 5);
    cr_expect_eq(fm.flow.match.mask.meta.tun_md[3], UINT32_MAX);
    cr_expect_eq(fm.flow.match.value.meta.tun_md[2], 0xaa00);
    cr_expect_eq(fm.flow.match.mask.meta.tun_md[1], 0);
    cr_expect_eq(fm.flow.match.mask.meta.tun_md_present, 0xe);
    cr_expect_eq(fm.flow.match.mask.meta.tun_md_slot[0], 0);
    flow_format(&fm.flow, NULL, buf, sizeof(buf));
    cr_expect_str_eq(buf, "cookie=0x0, table=0, tun_metadata1=0xaa00/0xff00,"
                     "tun_metadata2=0x5 actions=drop");
}

/* A packet's metadata as it enters a switch with @map. */
static void
packet(const struct flow_tlv_map *map, struct flow_key *k)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->meta.tun_md_slot, map->layout.tun_md_slot,
           sizeof(k->meta.tun_md_slot));
}

Test(tun_md, absent_reads_zero_and_a_match_needs_the_option_present)
{
    struct flow_tlv_map map;
    struct flow_mod fm;
    struct flow_key k;
    struct flow_subfield sf = { FLOW_FIELD_TUN_MD0 + 1, 8, 16, 0 };
    uint64_t v[2] = { 0x1234, 0 };
    char msg[200];

    map_init(&map);
    cr_assert_eq(check("tun_metadata1=0,actions=drop", &map, &fm, msg,
                       sizeof(msg)), 0, "%s", msg);
    packet(&map, &k);
    flow_subfield_get(&k.meta, &sf, v);
    cr_expect(v[0] == 0 && v[1] == 0);
    /* zero, but absent: tun_metadata1=0 does not match */
    cr_expect(!flow_match_key(&fm.flow.match, &k));
    /* written (even with zeros): present, and it matches */
    flow_subfield_set(&k.meta, &sf, (const uint64_t[2]){ 0, 0 });
    cr_expect_eq(k.meta.tun_md_present, 0x6);
    cr_expect(flow_match_key(&fm.flow.match, &k));
    flow_subfield_set(&k.meta, &sf, (const uint64_t[2]){ 0x1234, 0 });
    cr_expect(!flow_match_key(&fm.flow.match, &k));
    flow_field_get(&k.meta, FLOW_FIELD_TUN_MD0 + 1, v);
    cr_expect_eq(v[0], 0x123400);
    /* an unmapped option: the write does nothing, the read is zero */
    flow_subfield_set(&k.meta, &(struct flow_subfield){
                      FLOW_FIELD_TUN_MD0 + 7, 0, 32, 0 },
                      (const uint64_t[2]){ 0xffffffff, 0 });
    flow_field_get(&k.meta, FLOW_FIELD_TUN_MD0 + 7, v);
    cr_expect(v[0] == 0 && v[1] == 0);
    cr_expect_eq(k.meta.tun_md_present, 0x6);
    /* a whole-field write keeps to the option's 4 bytes */
    flow_field_set(&k.meta, FLOW_FIELD_TUN_MD0 + 0,
                   (const uint64_t[2]){ UINT64_MAX, UINT64_MAX },
                   (const uint64_t[2]){ UINT64_MAX, UINT64_MAX });
    cr_expect_eq(k.meta.tun_md[0], UINT32_MAX);
    cr_expect_eq(k.meta.tun_md[1], 0);
    cr_expect_eq(k.meta.tun_md[2], 0x123400);
}

Test(tun_md, learn_matches_in_the_packets_layout)
{
    struct flow_tlv_map map;
    struct flow_mod fm, out;
    struct flow_key k;
    char msg[200];

    map_init(&map);
    cr_assert_eq(check("actions=learn(table=2,tun_metadata2[0..15]=reg1"
                       "[0..15],tun_metadata2[16..31]=0x7)", &map, &fm, msg,
                       sizeof(msg)), 0, "%s", msg);
    packet(&map, &k);
    k.meta.regs[1] = 0xbeef;
    cr_assert_eq(flow_learn_build(&fm.flow.actions[0], &k, &out), 0);
    cr_expect_eq(out.flow.match.mask.meta.tun_md_slot[3],
                 FLOW_TUN_MD_USED | 2);
    cr_expect_eq(out.flow.match.value.meta.tun_md[3], 0x7beef);
    cr_expect_eq(out.flow.match.mask.meta.tun_md[3], UINT32_MAX);
    /* the learned flow fits the map as it is */
    {
        struct flow f = out.flow;

        cr_expect_eq(flow_tun_md_check(&f, &map, msg, sizeof(msg)), 0);
        cr_expect(flow_equal(&f, &out.flow));
    }
    /* and it matches the packet once the option holds that value */
    flow_field_set(&k.meta, FLOW_FIELD_TUN_MD0 + 2,
                   (const uint64_t[2]){ 0x7beef, 0 },
                   (const uint64_t[2]){ UINT64_MAX, 0 });
    cr_expect(flow_match_key(&out.flow.match, &k));
}
