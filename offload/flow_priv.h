/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to the flow-language parser (flow_parse*.c): the parse context,
 * tokens, and value readers shared by the match and action halves.
 *
 * Every reader takes the token it reads from, so an error always quotes the
 * token and its byte offset; every reader writes only into the context's
 * temporary flow_mod, which flow_parse() copies out on success.
 */
#ifndef SNIC_OFFLOAD_FLOW_PRIV_H
#define SNIC_OFFLOAD_FLOW_PRIV_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "snic/flow.h"

/* One "key=value", "key:value", "key(value)" or "key" token of the line.
 * Separators inside parentheses belong to the token ("resubmit(,1)"). */
struct fp_tok {
    size_t pos;             /* byte offset of the token in the line */
    size_t len;             /* whole token, the closing parenthesis too */
    const char *key;
    size_t klen;
    const char *val;        /* NULL when the token has no delimiter; for
                             * key(value), what is inside the parentheses */
    size_t vlen;
    bool paren;             /* written key(value) */
    bool unclosed;          /* the line ends inside parentheses */
    /* key(value)->TAIL (check_pkt_larger(N)->DST): what follows the
     * arrow, up to a separator; NULL without one */
    const char *tail;
    size_t tlen;
};

/* Match fields as the duplicate check sees them: aliases share an id. */
enum fp_field {
    FP_TABLE, FP_PRIORITY, FP_COOKIE, FP_IDLE, FP_HARD, FP_OUT_PORT,
    FP_RESET_COUNTS, FP_CHECK_OVERLAP, FP_SEND_FLOW_REM, FP_IMPORTANCE,
    FP_IN_PORT, FP_DL_SRC, FP_DL_DST, FP_DL_TYPE, FP_VLAN_VID, FP_VLAN_PCP,
    FP_NW_SRC, FP_NW_DST, FP_IPV6_SRC, FP_IPV6_DST, FP_NW_PROTO, FP_NW_TOS,
    FP_NW_TTL, FP_TP_SRC, FP_TP_DST, FP_TUN_ID, FP_TUN_SRC, FP_TUN_DST,
    FP_TCP_FLAGS, FP_PACKET_TYPE,
    FP_REG0, FP_REG15 = FP_REG0 + FLOW_N_REGS - 1, FP_METADATA, FP_PKT_MARK,
    FP_CONJ_ID, FP_CT_STATE, FP_CT_ZONE, FP_CT_MARK, FP_CT_LABEL,
    FP_MPLS_LABEL, FP_MPLS_TC, FP_MPLS_BOS, FP_MPLS_TTL, FP_ACTSET_OUTPUT,
    FP_ND_TARGET, FP_ND_SLL, FP_ND_TLL,
    FP_N_FIELDS
};

struct fp_ctx {
    const char *line;
    enum flow_cmd cmd;
    const struct flow_port_map *ports;
    struct flow_error *err;
    struct flow_mod fm;                 /* the temporary */
    bool set[FP_N_FIELDS];
    bool by_shorthand[FP_N_FIELDS];     /* set by ip, tcp... */
    bool named[FP_N_FIELDS];            /* a token of the field's own
                                         * came (its prerequisite and
                                         * name were noted) */
    bool has_actions;
    /* token that set the field, read only where set[] says so: last, and
     * not cleared for each line (4 KB of the 6 a line would clear) */
    struct fp_tok seen[FP_N_FIELDS];
};

/* The action list being read (flow_parse_act.c). */
struct fp_act_state {
    struct fp_ctx *c;
    bool tagged;            /* a tag is guaranteed at this point */
    bool tci_no_cfi;        /* a vlan_tci write without its CFI bit came
                             * last: Open vSwitch's check takes its value
                             * for the whole TCI and sees no tag (the
                             * frame keeps it): vlan_vid and vlan_pcp are
                             * refused, as Open vSwitch refuses them */
    bool dropped;           /* "drop" was given */
    bool ended;             /* goto_table was given */
    bool wrote_metadata;    /* write_metadata was given: only goto_table
                             * may follow */
    bool in_clone;          /* reading a clone's body */
    bool in_ct_exec;        /* reading ct(exec(...))'s actions */
    bool l3_changed;        /* push_mpls / pop_mpls was given: the packet
                             * has dl_type from here on, and no protocol
                             * above it is known */
    uint16_t dl_type;       /* host order, with l3_changed */
    bool no_eth;            /* the packet has no Ethernet header here
                             * (packet_type=(1,T), or after decap) */
    /* OpenFlow 1.1's instructions after the applied actions, in their
     * order (flow_parse_actset.c) */
    bool cleared_actset;    /* clear_actions was given */
    bool wrote_actset;      /* write_actions(...) was given */
    bool in_actset;         /* reading write_actions' body */
    bool instr_append;      /* appending an instruction's own action */
};

/* Fill c->err ("flow: at POS 'TOKEN': ...") and return @code. @tok NULL
 * means the end of the line. */
int fp_fail(struct fp_ctx *c, int code, const struct fp_tok *tok,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Next token from *pos; false at the end of the line. A token with
 * unclosed parentheses runs to the end of the line: fp_check_closed()
 * refuses it. */
bool fp_next_token(const char *line, size_t *pos, struct fp_tok *tok);
int fp_check_closed(struct fp_ctx *c, const struct fp_tok *tok);

/* The tokens inside a token's parentheses (clone(...), ct(...), learn(...)),
 * read one by one from a copy, each pointing back into the line so that
 * messages name the right column. */
struct fp_inner {
    char *text;             /* NUL-terminated copy of the value */
    size_t ofs;             /* where the value starts in the line */
    size_t pos;             /* next token in text */
};

/* Start reading @tok's value; @what names the action in messages. */
int fp_inner_open(struct fp_ctx *c, const struct fp_tok *tok,
                  const char *what, struct fp_inner *in);
bool fp_inner_next(const struct fp_ctx *c, struct fp_inner *in,
                   struct fp_tok *t);
void fp_inner_close(struct fp_inner *in);

/* Is @tok's key exactly @key? Inline, and without strlen(@key): every
 * token of every line is compared against long tables of names (match
 * fields, actions), most of them differing at the first byte, so this
 * is on the path of every flow set up (docs/benchmarks.md, "Flow
 * setup"). strncmp() stops at @key's end, which then must be the
 * token's. */
static inline bool
fp_key_is(const struct fp_tok *tok, const char *key)
{
    size_t n = tok->klen;

    return key[0] == (n > 0 ? tok->key[0] : '\0')
           && strncmp(tok->key, key, n) == 0 && key[n] == '\0';
}

/* A set of words found by a hash of the key (a token's key is looked up
 * once, not compared with each name of several tables in turn). Each word
 * has a value >= 0; the first added of two equal names is kept. Built
 * once, then only read (any thread). */
#define FP_WORDS_SLOTS  512u    /* a power of two, four times the words */

struct fp_words {
    const char *name[FP_WORDS_SLOTS];
    uint16_t len[FP_WORDS_SLOTS];
    int16_t value[FP_WORDS_SLOTS];
};

/* 0, or -ENOSPC when the set is too full (a bug: enlarge FP_WORDS_SLOTS). */
int fp_words_add(struct fp_words *w, const char *name, int16_t value);
/* The value of the word s[0..len), or -1 when it is not in the set. */
int fp_words_find(const struct fp_words *w, const char *s, size_t len);

/* The value of hexadecimal digit @ch, or -1. */
int fp_hex_digit(char ch);
/* The bits of a subfield: s[0..len) is NAME, NAME[], NAME[BIT] or
 * NAME[FIRST..LAST], NAME being s[0..nlen) and naming @field, @width bits
 * wide. Fills @sf (the whole field without brackets or with "[]"), or
 * refuses a malformed range, a reversed one or one beyond the width,
 * @what first in the message. Every subfield the language reads (load,
 * move, output, push, pop, ct's zone, learn's specs) is checked here. */
int fp_subfield_bits(struct fp_ctx *c, const struct fp_tok *tok,
                     const char *what, const char *s, size_t len,
                     size_t nlen, unsigned field, unsigned width,
                     struct flow_subfield *sf);
/* Same, ignoring case (action names: ovs-ofctl takes DROP and Output:1). */
static inline bool
fp_key_is_ci(const struct fp_tok *tok, const char *key)
{
    size_t n = tok->klen;

    return tolower((unsigned char)key[0])
               == (n > 0 ? tolower((unsigned char)tok->key[0]) : '\0')
           && strncasecmp(tok->key, key, n) == 0 && key[n] == '\0';
}

/* Value readers. @what names the field in messages, @expect says what a
 * correct value looks like. Decimal or 0x hexadecimal. */
int fp_uint(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
            size_t len, uint64_t max, const char *what, const char *expect,
            uint64_t *out);
/* N or N/M */
int fp_uint_masked(struct fp_ctx *c, const struct fp_tok *tok, uint64_t max,
                   const char *what, const char *expect, uint64_t *value,
                   uint64_t *mask);
int fp_mac(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
           size_t len, const char *what, uint8_t mac[6]);
/* MAC[/MASK] */
int fp_mac_masked(struct fp_ctx *c, const struct fp_tok *tok,
                  const char *what, uint8_t mac[6], uint8_t mask[6]);
int fp_ipv4(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
            size_t len, const char *what, flow_be32 *addr);
/* a.b.c.d[/len|/a.b.c.d] */
int fp_ipv4_masked(struct fp_ctx *c, const struct fp_tok *tok,
                   const char *what, flow_be32 *addr, flow_be32 *mask);
/* IPv6[/len] */
int fp_ipv6_masked(struct fp_ctx *c, const struct fp_tok *tok,
                   const char *what, uint8_t addr[16], uint8_t mask[16]);
/* A number, a reserved port (IN_PORT, NORMAL, LOCAL... any case, or
 * OpenFlow 1.0's 0xfff8..0xffff, all as FLOW_PORT_*), or a name from the
 * port map. The caller refuses the reserved ports it cannot take. */
int fp_port(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
            size_t len, const char *what, uint32_t *port);

/* Is s[0..len) a reserved port's name (so not a candidate for the name
 * callback)? fp_reserved_port() also gives its number. */
bool fp_is_reserved_port(const char *s, size_t len);
bool fp_reserved_port(const char *s, size_t len, uint32_t *port);
/* The upper-case name of a reserved port, or NULL. */
const char *fp_reserved_port_name(uint32_t port);

/* The action list from @pos to the end of the line (flow_parse_act.c). */
int fp_parse_actions(struct fp_ctx *c, size_t pos);
/* Append a zeroed action of @type, or fail naming @tok (after drop, after
 * goto_table, after write_metadata, too many). flow_parse_util.c, like
 * the claims below: the action and register readers share them, so
 * neither calls back into the other's file or the match reader's. */
int fp_act_append(struct fp_act_state *st, const struct fp_tok *tok,
                  uint16_t type, struct flow_action **out);

/* Give match field @id to @tok, or fail naming the token that has it;
 * @shorthand: it came from a shorthand such as "tcp". */
int fp_claim(struct fp_ctx *c, const struct fp_tok *tok, enum fp_field id);
int fp_claim_as(struct fp_ctx *c, const struct fp_tok *tok, enum fp_field id,
                bool shorthand);

/* Registers and metadata (flow_parse_meta.c). Each sets *handled when the
 * token is theirs; the return value is then the result. */
int fp_meta_match(struct fp_ctx *c, const struct fp_tok *tok, bool *handled);
/* Would fp_meta_match() take a token with key s[0..len)? (It decides by
 * the key alone.) */
bool fp_meta_takes(const char *s, size_t len);
int fp_meta_action(struct fp_act_state *st, const struct fp_tok *tok,
                   bool *handled);
/* set_field:VALUE[/MASK]->FIELD to a register-like field: the value is
 * tok->val[0..vlen). */
int fp_meta_set_field(struct fp_act_state *st, const struct fp_tok *tok,
                      const char *name, size_t nlen, size_t vlen,
                      bool *handled);
/* One load per run of contiguous ones of @mask over @field (any field a
 * subfield names), low bits first, each with pad0 @flags: how a masked
 * set_field or write_metadata is kept (Open vSwitch prints them so). */
int fp_masked_loads(struct fp_act_state *st, const struct fp_tok *tok,
                    unsigned field, const uint64_t v[2],
                    const uint64_t mask[2], uint16_t flags);
/* NAME, NAME[], NAME[BIT] or NAME[FIRST..LAST] in s[0..len). */
int fp_subfield(struct fp_ctx *c, const struct fp_tok *tok, const char *s,
                size_t len, const char *what, struct flow_subfield *sf);

/* learn's load:0->NXM_OF_VLAN_TCI[] (Neutron's): the learned flow pops
 * the tag, as Open vSwitch's does for a TCI of 0. */
bool fp_learn_is_untag(const struct flow_action *spec);
/* learn(...) (flow_parse_learn.c, flow_learn.c). */
int fp_parse_learn(struct fp_act_state *st, const struct fp_tok *tok);
int fp_parse_fin_timeout(struct fp_act_state *st, const struct fp_tok *tok);
/* The learn action @a and its specs as Open vSwitch prints them. Like
 * snprintf. */
int fp_learn_format(const struct flow_action *a, char *buf, size_t size);
int fp_fin_timeout_format(const struct flow_action *a, char *buf,
                          size_t size);
/* What a header field of a learn spec needs the match to promise. */
enum fp_learn_prereq {
    FP_LP_NONE, FP_LP_IPV4, FP_LP_IP, FP_LP_TCP, FP_LP_UDP,
};
enum fp_learn_prereq fp_learn_field_prereq(unsigned field);
/* Match @sf = @v (its low sf->n_bits bits) in @m. */
void fp_learn_match_put(struct flow_match *m, const struct flow_subfield *sf,
                        const uint64_t v[2]);
/* One action token (flow_parse_act.c), for bodies read elsewhere. */
int fp_read_action(struct fp_act_state *st, const struct fp_tok *tok);

/* Connection tracking (flow_parse_ct.c): ct_state= and ct_zone=; ct(...)
 * and ct_clear. Each sets *handled when the token is theirs. */
int fp_ct_match(struct fp_ctx *c, const struct fp_tok *tok, bool *handled);
bool fp_ct_takes(const char *s, size_t len);    /* by the key alone */
int fp_ct_action(struct fp_act_state *st, const struct fp_tok *tok,
                 bool *handled);
/* A load, move or set_field writing @field: ct_mark and ct_label only
 * inside ct(exec(...)), and nothing else there. */
int fp_ct_check_dst(struct fp_act_state *st, const struct fp_tok *tok,
                    unsigned field);
/* MPLS (flow_parse_mpls.c): the match field @name (mpls_label, mpls_tc,
 * mpls_bos, mpls_ttl) from tok->val; the actions (push_mpls, pop_mpls,
 * set_mpls_*, dec_mpls_ttl, load onto an MPLS field), setting *handled
 * when the token is theirs; set_field onto mpls_label/tc/ttl/bos. */
int fp_mpls_match(struct fp_ctx *c, const struct fp_tok *tok,
                  const char *name);
int fp_mpls_action(struct fp_act_state *st, const struct fp_tok *tok,
                   bool *handled);
int fp_mpls_set_field(struct fp_act_state *st, const struct fp_tok *tok,
                      const char *name, size_t nlen, size_t vlen,
                      bool *handled);

/* OpenFlow 1.1's action set (flow_parse_actset.c): write_actions(...)
 * and clear_actions; the match field actset_output=. Each sets *handled
 * when the token is theirs. */
int fp_actset_action(struct fp_act_state *st, const struct fp_tok *tok,
                     bool *handled);
int fp_actset_match(struct fp_ctx *c, const struct fp_tok *tok,
                    bool *handled);
bool fp_actset_takes(const char *s, size_t len);    /* by the key alone */

/* OpenFlow 1.1's set_vlan_vid / set_vlan_pcp (flow_parse_vlan.c); sets
 * *handled when the token is theirs. */
/* decap, encap(ethernet) (flow_parse_encap.c); fp_act_check_eth()
 * refuses the actions from index @first on that need an Ethernet header
 * the packet has not. */
int fp_encap_action(struct fp_act_state *st, const struct fp_tok *tok,
                    bool *handled);
int fp_act_check_eth(struct fp_act_state *st, const struct fp_tok *tok,
                     unsigned first);
int fp_vlan_action(struct fp_act_state *st, const struct fp_tok *tok,
                   bool *handled);

/* note:HEX, debug_recirc, debug_slow (flow_parse_note.c); sets *handled
 * when the token is theirs. */
int fp_note_action(struct fp_act_state *st, const struct fp_tok *tok,
                   bool *handled);

/* enqueue:PORT:QUEUE (flow_parse_queue.c); sets *handled when the token
 * is its. */
int fp_queue_action(struct fp_act_state *st, const struct fp_tok *tok,
                    bool *handled);

/* The register stack (flow_parse_stack.c): push:SUBFIELD, pop:SUBFIELD;
 * sets *handled when the token is theirs. */
int fp_stack_action(struct fp_act_state *st, const struct fp_tok *tok,
                    bool *handled);

/* What an action needs the flow to promise at its place in the list
 * (flow_parse_act.c): its header in the match (or, after push_mpls or
 * pop_mpls, in the EtherType they leave), or a VLAN tag. fp_act_prereq()
 * fails naming @name when it is not promised. */
enum fp_act_prereq {
    AP_NONE,
    AP_IPV4,
    AP_IPV6,
    AP_IP_ANY,
    AP_L4,
    AP_TCP,
    AP_UDP,
    AP_SCTP,
    AP_ICMPV4,
    AP_ICMPV6,
    AP_ND,              /* icmp6 with icmp_type 135 or 136, code 0 */
    AP_ND_SOLICIT,      /* ... 135: nd_sll */
    AP_ND_ADVERT,       /* ... 136: nd_tll */
    AP_ARP,
    AP_TAGGED,          /* a tag, as Open vSwitch's check sees it too */
    AP_TAG_FRAME,       /* a tag in the frame (vlan_tci's writes) */
};
int fp_act_prereq(struct fp_act_state *st, const struct fp_tok *tok,
                  enum fp_act_prereq pr, const char *name);
/* Neighbor Discovery's prerequisite (@pr: AP_ND, AP_ND_SOLICIT or
 * AP_ND_ADVERT) on the match as it is, for a set_field or a match on
 * nd_target / nd_sll / nd_tll named @name. */
int fp_nd_prereq(struct fp_ctx *c, const struct fp_tok *tok,
                 enum fp_act_prereq pr, const char *name);

/* Header fields as subfields (flow_hdr.c, flow_parse_hdr.c): what one
 * needs the flow to promise, and fp_subfield() that also takes them in
 * an action (@write: the action writes it; a read-only field is then
 * refused). Either the field's prerequisite is checked at this point of
 * the list. */
enum fp_act_prereq fp_hdr_prereq(unsigned field);
int fp_hdr_subfield(struct fp_act_state *st, const struct fp_tok *tok,
                    const char *s, size_t len, const char *what, bool write,
                    struct flow_subfield *sf);
/* set_field:VALUE[/MASK]->FIELD onto a header field no mod_* action
 * writes (ipv6_src, arp_sha...): the value tok->val[0..vlen) in the
 * field's own notation; sets *handled when the field is one. */
int fp_hdr_set_field(struct fp_act_state *st, const struct fp_tok *tok,
                     const char *name, size_t nlen, size_t vlen,
                     bool *handled);
/* set_field:VALUE/MASK->FIELD onto a header field a mod_* action writes
 * whole (ip_src, eth_dst, tcp_dst, vlan_vid...): the bits under MASK, as
 * loads; 1 when MASK is the whole field (nothing appended: the caller
 * writes VALUE as set_field:VALUE->FIELD does). */
int fp_hdr_masked_set_field(struct fp_act_state *st,
                            const struct fp_tok *tok, const char *name,
                            size_t nlen, size_t vlen);

/* check_pkt_larger(N)->DST (flow_parse_sample.c) and sample(...); each
 * sets *handled when the token is theirs. */
int fp_sample_action(struct fp_act_state *st, const struct fp_tok *tok,
                     bool *handled);

/* multipath(...), bundle(...), bundle_load(...) (flow_parse_select.c);
 * sets *handled when the token is theirs. */
int fp_select_action(struct fp_act_state *st, const struct fp_tok *tok,
                     bool *handled);

/* Closest name in a NULL-terminated list, within edit distance 2, or NULL. */
const char *fp_suggest(const char *s, size_t len, const char *const *names);

#endif /* SNIC_OFFLOAD_FLOW_PRIV_H */
