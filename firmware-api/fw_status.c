/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Status codes and syndromes made readable, and the compile-time checks that
 * keep the ABI structs the size the reference says they are.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

/* ---- layout checks: a change here is an ABI break, not a refactor ---- */

#define FW_FITS_IN(type) \
    _Static_assert(sizeof(struct type) <= FW_SLOT_IN_MAX, \
                   #type " does not fit a command slot's input half")
#define FW_FITS_OUT(type) \
    _Static_assert(sizeof(struct type) <= FW_SLOT_OUT_MAX, \
                   #type " does not fit a command slot's output half")

FW_FITS_IN(fw_function_reset_in);
FW_FITS_IN(fw_sriov_enable_in);
FW_FITS_IN(fw_sriov_disable_in);
FW_FITS_IN(fw_eswitch_set_mode_in);
FW_FITS_IN(fw_vport_query_in);
FW_FITS_IN(fw_vport_modify_in);
FW_FITS_IN(fw_table_create_in);
FW_FITS_IN(fw_table_destroy_in);
FW_FITS_IN(fw_steering_flush_in);
FW_FITS_IN(fw_steering_reclaim_in);
FW_FITS_IN(fw_rule_add_in);
FW_FITS_IN(fw_rule_delete_in);
FW_FITS_IN(fw_counter_alloc_in);
FW_FITS_IN(fw_counter_free_in);
FW_FITS_IN(fw_counter_query_in);
FW_FITS_IN(fw_debug_fault_in);
FW_FITS_IN(fw_rule_query_in);
FW_FITS_IN(fw_rss_ctx_create_in);
FW_FITS_IN(fw_rss_ctx_destroy_in);
FW_FITS_OUT(fw_query_adapter_out);
FW_FITS_OUT(fw_query_health_out);
FW_FITS_OUT(fw_eswitch_mode_out);
FW_FITS_OUT(fw_vport_query_out);
FW_FITS_OUT(fw_vport_stats_out);
FW_FITS_OUT(fw_rule_add_out);
FW_FITS_OUT(fw_counter_alloc_out);
FW_FITS_OUT(fw_counter_query_out);
FW_FITS_OUT(fw_rule_query_out);
FW_FITS_OUT(fw_rss_ctx_create_out);
FW_FITS_OUT(fw_steering_reclaim_out);

_Static_assert(FW_SLOT_IN_MAX + FW_SLOT_OUT_MAX <= FW_SLOT_SIZE,
               "slot halves overlap");
_Static_assert(sizeof(struct fw_cmd_hdr) == 16, "fw_cmd_hdr is 16 bytes");
_Static_assert(sizeof(struct fw_out_hdr) == 16, "fw_out_hdr is 16 bytes");
_Static_assert(sizeof(struct fw_cqe) == 16, "fw_cqe is 16 bytes");
_Static_assert(sizeof(struct fw_steering_flush_in) == 24,
               "fw_steering_flush_in is 24 bytes");
_Static_assert(sizeof(struct fw_steering_reclaim_in) == 24,
               "fw_steering_reclaim_in is 24 bytes");
_Static_assert(sizeof(struct fw_steering_reclaim_out) == 32,
               "fw_steering_reclaim_out is 32 bytes");
_Static_assert(sizeof(struct fw_msg_hdr) == 8, "fw_msg_hdr is 8 bytes");
_Static_assert(sizeof(struct fw_hello) == 16, "fw_hello is 16 bytes");
_Static_assert(sizeof(struct fw_hello_reply) == 28, "fw_hello_reply size");
_Static_assert(sizeof(struct fw_queue_attach) == 20, "fw_queue_attach size");
_Static_assert(sizeof(struct fw_queue_reply) == 24, "fw_queue_reply size");
_Static_assert(sizeof(struct fw_match) == 80, "fw_match is 80 bytes");
_Static_assert(sizeof(struct fw_action) == 48, "fw_action is 48 bytes");
_Static_assert(sizeof(struct fw_pkt_desc) == 16, "fw_pkt_desc is 16 bytes");
_Static_assert(sizeof(struct fw_vport_ctx) == 32, "fw_vport_ctx is 32 bytes");
_Static_assert(offsetof(struct fw_query_health_out, rules) == 48 &&
               offsetof(struct fw_query_health_out, tombstones) == 56 &&
               offsetof(struct fw_query_health_out, rules_added) == 64 &&
               sizeof(struct fw_query_health_out) == 80,
               "fw_query_health_out: 1.1 part 48 bytes, 1.2 and 1.5 tails");
_Static_assert(offsetof(struct fw_rule_query_in, end) == 32 &&
               sizeof(struct fw_rule_query_in) == 40 &&
               offsetof(struct fw_rule_query_out, slots) == 28 &&
               sizeof(struct fw_rule_query_out) == 32 &&
               sizeof(struct fw_rule_entry) == 176,
               "RULE_QUERY layouts (ABI 1.3, end and slots 1.8)");
_Static_assert(sizeof(struct fw_rule_query_out) +
               sizeof(struct fw_rule_entry) +
               FW_RULE_MAX_ACTIONS * sizeof(struct fw_action) <=
               FW_SLOT_OUT_MAX, "a RULE_QUERY page holds any one rule");
_Static_assert(sizeof(struct fw_counter_moved_in) == 40 &&
               offsetof(struct fw_counter_moved_out, entries) == 32 &&
               sizeof(struct fw_counter_moved_entry) == 24 &&
               sizeof(struct fw_counter_moved_out) <= FW_SLOT_OUT_MAX,
               "COUNTER_MOVED layouts (ABI 1.6)");
_Static_assert(offsetof(struct fw_rss_ctx_create_in, queues) == 72 &&
               sizeof(struct fw_rss_ctx_create_in) == 328,
               "RSS_CTX_CREATE layout (ABI 1.4)");
_Static_assert(offsetof(struct fw_rule_add_in, value) == 32,
               "rule match starts at byte 32");
_Static_assert(offsetof(struct fw_rule_add_in, actions) == 192,
               "rule actions start at byte 192");
_Static_assert(offsetof(struct fw_rule_add_in, tags) == 960 &&
               sizeof(struct fw_rule_add_in) == FW_SLOT_IN_MAX,
               "the TAG block (ABI 1.9) fills the slot after 16 actions");
_Static_assert(offsetof(struct fw_match, meta) == 72 &&
               sizeof(struct fw_match) == 80, "META at byte 72 of fw_match");
_Static_assert(offsetof(struct fw_match, mpls_lse) == 76,
               "the MPLS entry (ABI 1.10) at byte 76 of fw_match");

/* Every index on its own cache line, and the header within its page. */
_Static_assert(offsetof(struct fw_region, health) == FW_CACHE_LINE,
               "fw_region status line");
_Static_assert(offsetof(struct fw_region, cmdq_producer) == 2 * FW_CACHE_LINE,
               "fw_region cmdq_producer line");
_Static_assert(offsetof(struct fw_region, cmdq_consumer) == 3 * FW_CACHE_LINE,
               "fw_region cmdq_consumer line");
_Static_assert(offsetof(struct fw_region, cq_producer) == 4 * FW_CACHE_LINE,
               "fw_region cq_producer line");
_Static_assert(offsetof(struct fw_region, cq_consumer) == 5 * FW_CACHE_LINE,
               "fw_region cq_consumer line");
_Static_assert(offsetof(struct fw_region, cq_armed) == 6 * FW_CACHE_LINE,
               "fw_region cq_armed line");
_Static_assert(offsetof(struct fw_region, sriov_generation) ==
               FW_CACHE_LINE + 12, "fw_region sriov_generation (ABI 1.2)");
_Static_assert(offsetof(struct fw_region, vf_generation) == 7 * FW_CACHE_LINE,
               "fw_region vf_generation (ABI 1.2)");
_Static_assert(offsetof(struct fw_region, cmdq_polling) == 23 * FW_CACHE_LINE,
               "fw_region cmdq_polling line (ABI 1.12), after vf_generation");
_Static_assert(sizeof(struct fw_region) <= FW_REGION_HDR_SIZE,
               "fw_region exceeds its header page");
_Static_assert(offsetof(struct fw_pktq, rx_producer) == FW_CACHE_LINE,
               "fw_pktq rx_producer line");
_Static_assert(offsetof(struct fw_pktq, tx_need_kick) == 5 * FW_CACHE_LINE,
               "fw_pktq tx_need_kick line");
_Static_assert(sizeof(struct fw_pktq) <= FW_PKTQ_HDR_SIZE,
               "fw_pktq exceeds its header page");

/* ---- status ---- */

struct fw_status_info {
    const char *name;
    int err;
};

static const struct fw_status_info fw_status_table[] = {
    [FW_STATUS_OK]              = { "ok", 0 },
    [FW_STATUS_INTERNAL]        = { "internal error", EIO },
    [FW_STATUS_BAD_OPCODE]      = { "bad opcode", EOPNOTSUPP },
    [FW_STATUS_BAD_PARAM]       = { "bad parameter", EINVAL },
    [FW_STATUS_BAD_STATE]       = { "bad state", EBUSY },
    [FW_STATUS_BAD_RESOURCE]    = { "no such resource", ENOENT },
    [FW_STATUS_BUSY]            = { "resource busy", EBUSY },
    [FW_STATUS_NO_SPACE]        = { "no space", ENOSPC },
    [FW_STATUS_NOT_SUPPORTED]   = { "not supported", ENOTSUP },
    [FW_STATUS_NO_PERM]         = { "not permitted", EPERM },
    [FW_STATUS_BAD_INPUT_LEN]   = { "bad input length", EINVAL },
    [FW_STATUS_BAD_OUTPUT_LEN]  = { "bad output length", EINVAL },
    [FW_STATUS_RESETTING]       = { "device resetting", EAGAIN },
    [FW_STATUS_EXISTS]          = { "already exists", EEXIST },
};

#define FW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int
fw_status_errno(uint8_t status)
{
    if (status >= FW_ARRAY_SIZE(fw_status_table) ||
        fw_status_table[status].name == NULL)
        return EIO;
    return fw_status_table[status].err;
}

const char *
fw_status_str(uint8_t status)
{
    if (status >= FW_ARRAY_SIZE(fw_status_table) ||
        fw_status_table[status].name == NULL)
        return "unknown status";
    return fw_status_table[status].name;
}

/* ---- names ---- */

static const char *const fw_field_names[FW_FIELD_COUNT_] = {
    [FW_FIELD_SRC_VPORT] = "src_vport",
    [FW_FIELD_ETH_DST]   = "eth_dst",
    [FW_FIELD_ETH_SRC]   = "eth_src",
    [FW_FIELD_ETH_TYPE]  = "eth_type",
    [FW_FIELD_VLAN_VID]  = "vlan_vid",
    [FW_FIELD_VLAN_PCP]  = "vlan_pcp",
    [FW_FIELD_IPV4_SRC]  = "ipv4_src",
    [FW_FIELD_IPV4_DST]  = "ipv4_dst",
    [FW_FIELD_IPV6_SRC]  = "ipv6_src",
    [FW_FIELD_IPV6_DST]  = "ipv6_dst",
    [FW_FIELD_IP_PROTO]  = "ip_proto",
    [FW_FIELD_IP_TOS]    = "ip_tos",
    [FW_FIELD_IP_TTL]    = "ip_ttl",
    [FW_FIELD_L4_SRC]    = "l4_src",
    [FW_FIELD_L4_DST]    = "l4_dst",
    [FW_FIELD_ICMP_TYPE] = "icmp_type",
    [FW_FIELD_ICMP_CODE] = "icmp_code",
    [FW_FIELD_VXLAN_VNI] = "vxlan_vni",
    [FW_FIELD_IP_FRAG]   = "ip_frag",
    [FW_FIELD_META]      = "meta",
    [FW_FIELD_TAG]       = "tag",
    [FW_FIELD_MPLS]      = "mpls",
};

static const char *const fw_action_names[FW_ACT_COUNT_] = {
    [FW_ACT_NONE]         = "none",
    [FW_ACT_DROP]         = "drop",
    [FW_ACT_FWD_VPORT]    = "fwd_vport",
    [FW_ACT_FWD_REP]      = "fwd_rep",
    [FW_ACT_JUMP]         = "jump",
    [FW_ACT_COUNT]        = "count",
    [FW_ACT_MARK]         = "mark",
    [FW_ACT_PUSH_VLAN]    = "push_vlan",
    [FW_ACT_POP_VLAN]     = "pop_vlan",
    [FW_ACT_SET_VLAN_VID] = "set_vlan_vid",
    [FW_ACT_SET_VLAN_PCP] = "set_vlan_pcp",
    [FW_ACT_VXLAN_ENCAP]  = "vxlan_encap",
    [FW_ACT_VXLAN_DECAP]  = "vxlan_decap",
    [FW_ACT_SET_MAC_SRC]  = "set_mac_src",
    [FW_ACT_SET_MAC_DST]  = "set_mac_dst",
    [FW_ACT_SET_IPV4_SRC] = "set_ipv4_src",
    [FW_ACT_SET_IPV4_DST] = "set_ipv4_dst",
    [FW_ACT_SET_L4_SRC]   = "set_l4_src",
    [FW_ACT_SET_L4_DST]   = "set_l4_dst",
    [FW_ACT_DEC_TTL]      = "dec_ttl",
    [FW_ACT_SET_IP_TOS]   = "set_ip_tos",
    [FW_ACT_RSS]          = "rss",
    [FW_ACT_SET_META]     = "set_meta",
    [FW_ACT_SET_TAG]      = "set_tag",
    [FW_ACT_PUSH_MPLS]    = "push_mpls",
    [FW_ACT_POP_MPLS]     = "pop_mpls",
    [FW_ACT_SET_MPLS_TTL] = "set_mpls_ttl",
    [FW_ACT_DEC_MPLS_TTL] = "dec_mpls_ttl",
    [FW_ACT_MODIFY_SET]   = "modify_set",
    [FW_ACT_MODIFY_COPY]  = "modify_copy",
};

/* Why a MODIFY_SET / MODIFY_COPY argument was refused (enum fw_mod_synd). */
static const char *
fw_mod_synd_str(unsigned detail)
{
    switch (detail) {
    case FW_MOD_SYND_DST_FIELD: return "destination field unknown";
    case FW_MOD_SYND_SRC_FIELD: return "source field unknown, or set in modify_set";
    case FW_MOD_SYND_WIDTH:     return "width 0";
    case FW_MOD_SYND_DST_RANGE: return "destination offset + width past the field";
    case FW_MOD_SYND_SRC_RANGE: return "source offset + width past the field, or set in modify_set";
    case FW_MOD_SYND_VALUE:     return "value bits outside offset..offset+width, or a value in modify_copy";
    default:                    return "unknown reason";
    }
}

const char *
fw_field_name(unsigned field)
{
    if (field >= FW_FIELD_COUNT_)
        return "unknown field";
    return fw_field_names[field];
}

const char *
fw_action_name(unsigned type)
{
    if (type >= FW_ACT_COUNT_)
        return "unknown action";
    return fw_action_names[type];
}

static const char *
fw_limit_name(unsigned limit)
{
    switch (limit) {
    case FW_LIMIT_TABLES:       return "tables";
    case FW_LIMIT_RULES_TABLE:  return "rules per table";
    case FW_LIMIT_RULES_TOTAL:  return "rules in total";
    case FW_LIMIT_COUNTERS:     return "counters";
    case FW_LIMIT_VFS:          return "VFs";
    case FW_LIMIT_ACTIONS:      return "actions per rule";
    case FW_LIMIT_QUEUES:       return "queues";
    case FW_LIMIT_PAGE:         return "entries per query page";
    case FW_LIMIT_RSS_CTX:      return "RSS contexts";
    default:                    return "unknown limit";
    }
}

const char *
fw_syndrome_str(uint32_t syndrome, char *buf, size_t size)
{
    unsigned idx = FW_SYND_INDEX(syndrome);
    unsigned detail = FW_SYND_DETAIL(syndrome);

    if (buf == NULL || size == 0)
        return "";
    switch (FW_SYND_REASON(syndrome)) {
    case FW_SYND_NONE:
        snprintf(buf, size, "none");
        break;
    case FW_SYND_FIELD:
        snprintf(buf, size, "field %s unsupported", fw_field_name(idx));
        break;
    case FW_SYND_MASK:
        snprintf(buf, size, "mask of field %s unsupported",
                 fw_field_name(idx));
        break;
    case FW_SYND_ACTION:
        snprintf(buf, size, "action %u (%s) unsupported", idx,
                 fw_action_name(detail));
        break;
    case FW_SYND_ACTION_ARG:
        /* a MODIFY's detail carries why in its upper byte (ABI 1.11) */
        if (detail >> 8 != 0)
            snprintf(buf, size, "action %u (%s) has a bad argument: %s",
                     idx, fw_action_name(detail & 0xffu),
                     fw_mod_synd_str(detail >> 8));
        else
            snprintf(buf, size, "action %u (%s) has a bad argument", idx,
                     fw_action_name(detail));
        break;
    case FW_SYND_PRIORITY:
        snprintf(buf, size, "priority %u beyond the table's priorities",
                 detail);
        break;
    case FW_SYND_TABLE:
        snprintf(buf, size, "table (group %u) missing, exists or misordered",
                 detail);
        break;
    case FW_SYND_VPORT:
        snprintf(buf, size, "vport %u out of range or absent", detail);
        break;
    case FW_SYND_CAPACITY:
        snprintf(buf, size, "capacity limit: %s", fw_limit_name(detail));
        break;
    case FW_SYND_PRIVILEGE:
        snprintf(buf, size, "function not privileged");
        break;
    case FW_SYND_TRUST:
        snprintf(buf, size, "VF not trusted");
        break;
    case FW_SYND_LENGTH:
        snprintf(buf, size, "length wrong (needed %u)", detail);
        break;
    case FW_SYND_MODE:
        snprintf(buf, size, "wrong eSwitch mode");
        break;
    case FW_SYND_SRIOV:
        snprintf(buf, size, "SR-IOV state forbids it");
        break;
    case FW_SYND_COUNTER:
        snprintf(buf, size, "counter %u invalid or not allocated", detail);
        break;
    case FW_SYND_RULE:
        snprintf(buf, size, "rule id invalid");
        break;
    case FW_SYND_VALUE:
        snprintf(buf, size, "value of field %s out of range",
                 fw_field_name(idx));
        break;
    case FW_SYND_INJECTED:
        snprintf(buf, size, "injected fault");
        break;
    case FW_SYND_RSVD:
        snprintf(buf, size, "reserved field not zero");
        break;
    case FW_SYND_PREREQ:
        snprintf(buf, size, "field %s without its prerequisite",
                 fw_field_name(idx));
        break;
    case FW_SYND_CURSOR:
        snprintf(buf, size, "query cursor names no position");
        break;
    case FW_SYND_RSS:
        snprintf(buf, size, "RSS context %u invalid or in use", detail);
        break;
    default:
        snprintf(buf, size, "unknown syndrome 0x%08x", syndrome);
        break;
    }
    return buf;
}
