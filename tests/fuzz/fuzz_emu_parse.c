/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target for the packet engine helpers (emu_packet.h).
 *
 * The whole input is one frame, so the seed corpus is plain Ethernet
 * frames. A short action program is read backwards from the frame's last
 * bytes (its payload, for real frames), so the fuzzer steers the rewrites
 * by mutating the tail:
 *   last byte       bits 0..2: number of actions (0..7)
 *                   bits 3..4: headroom (128, 0, 4 or 50 bytes)
 *   then per action 4 bytes backwards: type (any value, invalid ones too)
 *                   and a 24-bit seed expanding into the action arguments.
 * The frame is parsed in place (exact size, so ASan sees any overread), then
 * copied into a card buffer and rewritten action after action. After each
 * step: the frame stays inside its buffer with consistent room counters,
 * lengths change exactly as the action says, the kept key and layout equal
 * a fresh parse, and checksums that were right stay right.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "emu_packet.h"

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif

#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)    ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n)  ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)    ((void)(p), (void)(n))
#define UNPOISON(p, n)  ((void)(p), (void)(n))
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

static const uint32_t headrooms[4] = { EMU_FRAME_HEADROOM, 0, 4, 50 };

struct prog {
    const uint8_t *data;
    size_t size;
    size_t pos;             /* bytes consumed from the end */
};

static uint8_t
prog_byte(struct prog *p)
{
    if (p->size == 0)
        return 0;
    uint8_t b = p->data[p->size - 1 - (p->pos % p->size)];
    p->pos++;
    return b;
}

static void
make_action(struct prog *p, struct fw_action *a)
{
    uint8_t type = prog_byte(p);
    uint32_t seed = prog_byte(p) | (uint32_t)prog_byte(p) << 8 |
                    (uint32_t)prog_byte(p) << 16;

    memset(a, 0, sizeof(*a));
    /* mostly rewrite actions (VLAN to SET_IP_TOS, then the MPLS ones of
     * ABI 1.10 and the MODIFY ones of 1.11), sometimes anything at all */
    static const uint8_t rewrites[] = {
        FW_ACT_PUSH_VLAN, FW_ACT_POP_VLAN, FW_ACT_SET_VLAN_VID,
        FW_ACT_SET_VLAN_PCP, FW_ACT_VXLAN_ENCAP, FW_ACT_VXLAN_DECAP,
        FW_ACT_SET_MAC_SRC, FW_ACT_SET_MAC_DST, FW_ACT_SET_IPV4_SRC,
        FW_ACT_SET_IPV4_DST, FW_ACT_SET_L4_SRC, FW_ACT_SET_L4_DST,
        FW_ACT_DEC_TTL, FW_ACT_SET_IP_TOS, FW_ACT_PUSH_MPLS, FW_ACT_POP_MPLS,
        FW_ACT_SET_MPLS_TTL, FW_ACT_DEC_MPLS_TTL, FW_ACT_MODIFY_SET,
        FW_ACT_MODIFY_COPY,
    };
    a->type = htole16((uint16_t)(type < 224 ? rewrites[type % sizeof(rewrites)]
                                            : type));
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < sizeof(a->u.raw); i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        a->u.raw[i] = (uint8_t)x;
    }
    /* steer towards the interesting values a random fill rarely hits */
    if (le16toh(a->type) == FW_ACT_PUSH_VLAN && (seed & 3) != 3) {
        static const uint16_t tpids[3] = { 0x8100, 0x88a8, 0x0000 };
        a->u.push_vlan.tpid = htons(tpids[seed & 3]);
    }
    if ((le16toh(a->type) == FW_ACT_PUSH_MPLS ||
         le16toh(a->type) == FW_ACT_POP_MPLS) && (seed & 3) != 3) {
        static const uint16_t types[3] = { 0x8847, 0x8848, 0x0800 };
        a->u.mpls.ethertype = htons(types[seed & 3]);
    }
    /* MODIFY: mostly fields and ranges the card takes (a random fill
     * would almost never name one); sometimes whatever the fill gave */
    if ((le16toh(a->type) == FW_ACT_MODIFY_SET ||
         le16toh(a->type) == FW_ACT_MODIFY_COPY) && (seed & 7) != 7) {
        struct fw_modify *m = &a->u.modify;
        unsigned db, sb;

        m->dst_field = (uint8_t)(1 + (seed >> 3) % (FW_MOD_COUNT_ - 1));
        m->src_field = (uint8_t)(1 + (seed >> 7) % (FW_MOD_COUNT_ - 1));
        db = emu_mod_field_bits(m->dst_field);
        sb = emu_mod_field_bits(m->src_field);
        m->width = (uint8_t)(1 + m->width % (db < sb ? db : sb));
        m->dst_offset = htole16((uint16_t)(m->dst_offset % (db - m->width + 1)));
        m->src_offset = htole16((uint16_t)(m->src_offset % (sb - m->width + 1)));
    }
    if (le16toh(a->type) == FW_ACT_VXLAN_ENCAP) {
        if (seed & 4)
            a->u.vxlan_encap.udp_dst = htons(4789);
        if (seed & 8)
            a->u.vxlan_encap.udp_src = 0;
    }
}

static bool
hdr_csum_ok(const struct emu_frame *f, const struct emu_layout *lay)
{
    if (lay->l3_kind != 4)
        return false;
    const uint8_t *ip = f->data + lay->l3;
    return emu_csum(ip, (uint32_t)(ip[0] & 0x0f) * 4u) == 0;
}

/* TCP checksum over a complete segment, with the IPv4 pseudo-header. */
static bool
tcp_csum_ok(const struct emu_frame *f, const struct emu_layout *lay)
{
    if (lay->l3_kind != 4 || lay->l4_proto != 6)
        return false;
    const uint8_t *ip = f->data + lay->l3;
    uint32_t end = (uint32_t)lay->l3 + (uint32_t)((ip[2] << 8) | ip[3]);
    if (end > f->len || end < (uint32_t)lay->l4)
        return false;
    uint32_t seg = end - (uint32_t)lay->l4;
    static uint8_t buf[12 + EMU_FRAME_ROOM];
    memcpy(buf, ip + 12, 8);
    buf[8] = 0;
    buf[9] = 6;
    buf[10] = (uint8_t)(seg >> 8);
    buf[11] = (uint8_t)seg;
    memcpy(buf + 12, f->data + lay->l4, seg);
    return emu_csum(buf, 12 + seg) == 0;
}

static void
check_frame(const uint8_t *room, const struct emu_frame *f,
            const struct fw_match *key, const struct emu_layout *lay,
            uint16_t vport)
{
    CHECK(f->data >= room);
    CHECK((size_t)(f->data - room) == f->headroom);
    CHECK(f->headroom + f->len + f->tailroom == EMU_FRAME_ROOM);
    CHECK(f->len <= FW_PKT_BUF_SIZE);

    struct fw_match k;
    struct emu_layout l;
    emu_parse(f, vport, &k, &l);
    CHECK(memcmp(&k, key, sizeof(k)) == 0);
    CHECK(memcmp(&l, lay, sizeof(l)) == 0);
    CHECK(le16toh(k.src_vport) == vport);
    CHECK(l.vlan < 0 || (uint32_t)l.vlan + 4 <= f->len);
    CHECK(l.l3 < 0 || (uint32_t)l.l3 + 20 <= f->len);
    CHECK(l.l4 < 0 || ((uint32_t)l.l4 + 4 <= f->len && l.l3 >= 0));
    CHECK(l.vxlan < 0 || ((uint32_t)l.vxlan + 8 <= f->len && l.l4 >= 0));
    CHECK((l.l3 < 0) == (l.l3_kind == 0));
    CHECK((l.l4 < 0) == (l.l4_proto == 0));
}

static bool
grows(uint16_t type)
{
    return type == FW_ACT_PUSH_VLAN || type == FW_ACT_VXLAN_ENCAP ||
           type == FW_ACT_PUSH_MPLS;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t room[EMU_FRAME_ROOM];
    struct fw_match key;
    struct emu_layout lay;
    uint32_t len = size > FW_PKT_BUF_SIZE ? FW_PKT_BUF_SIZE : (uint32_t)size;

    /* parse straight from the input: exactly @size bytes are readable */
    struct emu_frame in = { .data = (uint8_t *)(uintptr_t)data, .len = len };
    emu_parse(&in, 1, &key, &lay);

    struct prog prog = { .data = data, .size = size };
    uint8_t ctl = prog_byte(&prog);
    unsigned n_actions = ctl & 7u;
    uint32_t headroom = headrooms[(ctl >> 3) & 3u];
    uint16_t vport = (uint16_t)(ctl >> 5);

    UNPOISON(room, sizeof(room));
    memset(room, 0, sizeof(room));
    memcpy(room + headroom, data, len);
    struct emu_frame f = {
        .data = room + headroom,
        .len = len,
        .headroom = headroom,
        .tailroom = EMU_FRAME_ROOM - headroom - len,
    };
    emu_parse(&f, vport, &key, &lay);
    check_frame(room, &f, &key, &lay, vport);

    for (unsigned i = 0; i < n_actions; i++) {
        struct fw_action a;
        make_action(&prog, &a);
        uint32_t old_len = f.len;
        bool ip_ok = hdr_csum_ok(&f, &lay);
        bool tcp_ok = tcp_csum_ok(&f, &lay);
        int16_t old_l3 = lay.l3;

        /* only growing actions may touch the room around the frame */
        uint16_t type = le16toh(a.type);
        if (!grows(type)) {
            POISON(room, f.headroom);
            POISON(f.data + f.len, f.tailroom);
        }
        bool ok = emu_rewrite(&f, &a, &key, &lay);
        UNPOISON(room, sizeof(room));
        check_frame(room, &f, &key, &lay, vport);

        switch (type) {
        case FW_ACT_PUSH_VLAN:
            CHECK(f.len == old_len + (ok ? 4u : 0u));
            break;
        case FW_ACT_POP_VLAN:
            CHECK(f.len == old_len - (ok ? 4u : 0u));
            break;
        case FW_ACT_VXLAN_ENCAP:
            CHECK(f.len == old_len + (ok ? 50u : 0u));
            if (ok) {
                bool to_4789 = a.u.vxlan_encap.udp_dst == htons(4789);
                CHECK(hdr_csum_ok(&f, &lay));
                CHECK((lay.vxlan == 42) == to_4789);
            }
            break;
        case FW_ACT_PUSH_MPLS:
            /* a runt is no Ethernet frame: left alone */
            CHECK(f.len == old_len + (ok && old_len >= 14 ? 4u : 0u));
            break;
        case FW_ACT_POP_MPLS:
            /* nothing, the top entry, or a whole stack of up to 3 */
            CHECK(f.len <= old_len && (old_len - f.len) % 4 == 0 &&
                  old_len - f.len <= 4 * FW_MPLS_STACK_MAX &&
                  (ok || f.len == old_len));
            break;
        case FW_ACT_VXLAN_DECAP:
            CHECK(ok ? f.len + 50 <= old_len && f.len >= 14
                     : f.len == old_len);
            break;
        default:
            CHECK(f.len == old_len);
            /* in-place rewrites keep right checksums right */
            if (lay.l3 == old_l3) {
                CHECK(!ip_ok || hdr_csum_ok(&f, &lay));
                CHECK(!tcp_ok || tcp_csum_ok(&f, &lay));
            }
            break;
        }
        if (!ok)
            break;      /* the packet is dropped */
    }
    return 0;
}
