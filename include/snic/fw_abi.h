/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snic firmware ABI: the contract between any driver and the SmartNIC.
 *
 * docs/firmware-abi.md is the programmer's reference; this header is its
 * machine-readable half. Both change together, and only compatibly within a
 * major version.
 *
 * Byte order. Control fields (sizes, ids, counts, flags) are little-endian.
 * Packet header fields inside struct fw_match and struct fw_action (MACs,
 * EtherTypes, VLAN TCIs, IP addresses, L4 ports) are carried in network byte
 * order, exactly as they appear on the wire, so a driver copies them from a
 * packet or an rte_flow item without swapping. The fw_le / fw_be typedefs
 * only document which is which.
 *
 * Transport, in one paragraph. Each PCI function of the card is a Unix
 * SOCK_SEQPACKET socket: the PF at PATH, VF n at PATH.vfN (present while
 * SR-IOV is enabled with more than n VFs), and the physical wire at
 * PATH.uplink (for a peer that plays "the network"). A driver connects and
 * sends struct fw_hello; the device answers struct fw_hello_reply with three
 * descriptors: a memfd holding the command region (struct fw_region), a
 * doorbell eventfd (driver -> device) and a completion eventfd (device ->
 * driver). Packet queues are attached with struct fw_queue_attach on the
 * same socket, answered with a memfd holding a queue pair (struct fw_pktq)
 * and a kick eventfd. The function a client acts as is fixed by the socket
 * it connected to; nothing in a command can claim another identity.
 *
 * Extensible commands (libbpf-style). Every command input starts with
 * struct fw_cmd_hdr whose in_size counts the whole input. A shorter input
 * than the current layout is zero-extended (older driver); a longer one is
 * accepted only if every byte past the known layout is zero, else
 * FW_STATUS_BAD_INPUT_LEN (newer driver asking for something this firmware
 * does not know).
 */
#ifndef SNIC_FW_ABI_H
#define SNIC_FW_ABI_H

#include <stdint.h>

typedef uint16_t fw_le16;
typedef uint32_t fw_le32;
typedef uint64_t fw_le64;
typedef uint16_t fw_be16;
typedef uint32_t fw_be32;

#define FW_ABI_MAJOR 1
/* Minor history: 1 adds FW_CMD_STEERING_FLUSH (a 1.0 device answers it
 * BAD_OPCODE, which a driver reads as "nothing to flush"); 2 adds
 * SRIOV_ENABLE's FW_SRIOV_F_IN_PLACE (VFs come and go one by one, rules
 * sending to a removed VF become tombstones) and the SR-IOV view in the
 * region (sriov_generation, num_vfs, vf_generation[], a seqlock), so
 * drivers see VFs vanish and appear without a command, and QUERY_HEALTH's
 * rules/tables/tombstones tail; 3 adds FW_CMD_RULE_QUERY (the rules
 * in the device, listed a page at a time; a 1.2 device answers
 * BAD_OPCODE); 4 adds the IP_FRAG match field (fw_match's ip_frag, formerly
 * rsvd0, and its match_fields bit): a 1.3 device does not report the bit
 * and refuses a non-zero ip_frag as RSVD, so a driver checks
 * caps.match_fields before matching it; 5 adds RSS: the card hashes
 * (Toeplitz) and spreads frames over representor queues, per rule
 * (FW_ACT_RSS) or for a vport's misses (RSS contexts,
 * FW_CMD_RSS_CTX_CREATE/DESTROY), reports the hash in the rx descriptor
 * (FW_PKT_F_RSS) and the hash types it computes in caps.rss_hash_types
 * (a 1.4 device answers the commands BAD_OPCODE and reports 0), and
 * QUERY_HEALTH's rules_added/rules_deleted tail; 6 adds
 * FW_CMD_COUNTER_MOVED (the counters that counted since a driver last
 * asked, a page at a time, so an idle card costs its driver one command
 * per look whatever the number of counters; a 1.5 device answers
 * BAD_OPCODE); 7 adds FW_CMD_STEERING_RECLAIM (the counter ranges and RSS
 * contexts no rule uses freed, rules and tables kept: for a driver that
 * takes over the rules an earlier one left instead of flushing them; a
 * 1.6 device answers BAD_OPCODE); 8 adds RULE_QUERY's end (a page stops
 * at that cursor: a driver lists disjoint ranges of the slots at once, one
 * command of each in flight, instead of one page per round trip) and its
 * slots (every rule's cursor is below it); a 1.7 device refuses a non-zero
 * end as BAD_INPUT_LEN and reports slots 0;
 * 9 adds per-packet metadata registers:
 * the META word (fw_match.meta, formerly rsvd1's first half, field
 * FW_FIELD_META) and caps.num_tags TAG words (fw_rule_add_in.tags, past
 * the action list, field FW_FIELD_TAG), actions FW_ACT_SET_META and
 * FW_ACT_SET_TAG, and META delivered to the host (FW_PKT_F_META with the
 * value in the descriptor's rss_hash word when no hash is given, see
 * struct fw_pkt_desc): an older device reports neither bit, refuses a
 * non-zero meta as RSVD and a tags block as BAD_INPUT_LEN;
 * 10 adds MPLS: the top label stack entry of a frame of EtherType 0x8847
 * or 0x8848 (fw_match.mpls_lse, formerly rsvd1, field FW_FIELD_MPLS,
 * which needs an exact MPLS eth_type) and actions FW_ACT_PUSH_MPLS,
 * FW_ACT_POP_MPLS, FW_ACT_SET_MPLS_TTL and FW_ACT_DEC_MPLS_TTL (section
 * 6.5 of docs/firmware-abi.md: what each does to which frame): a 1.9
 * device reports none of the bits, refuses a non-zero mpls_lse as RSVD and
 * the actions as NOT_SUPPORTED;
 * 11 adds writes to part of a header field: FW_ACT_MODIFY_SET (width bits
 * at a bit offset of a field from an immediate value) and
 * FW_ACT_MODIFY_COPY (from bits of another field), on the fields of enum
 * fw_mod_field, with the checksums kept as the whole-field rewrites keep
 * them (section 6.6 of docs/firmware-abi.md): a 1.10 device reports
 * neither action bit and refuses both as NOT_SUPPORTED;
 * 12 adds doorbell suppression: fw_region's cmdq_polling, which the device
 * sets while it polls cmdq_producer and clears (then looks once more)
 * before it sleeps, so a driver that publishes cmdq_producer and then sees
 * it set skips the doorbell write (virtio's notification suppression). A
 * device writes it only for a client that negotiated 1.12; an older device
 * leaves it 0, and a driver of 1.11 or older always rings, as before. */
#define FW_ABI_MINOR 12

#define FW_ABI_MAGIC    0x43494e53u /* "SNIC" */
#define FW_CACHE_LINE   64

/* ------------------------------------------------------------------------
 * Functions and vports
 * ------------------------------------------------------------------------ */

/* Vport numbering: the wire is vport 0, VF n is vport 1 + n. */
#define FW_VPORT_UPLINK         0u
#define FW_VPORT_VF(n)          ((uint16_t)(1u + (n)))
#define FW_VPORT_IS_VF(v)       ((v) >= 1u)
#define FW_VPORT_TO_VF(v)       ((uint16_t)((v) - 1u))
#define FW_VPORT_NONE           0xffffu

/* The function behind a client connection, reported in fw_hello_reply. */
#define FW_FUNC_PF              0xfffeu /* eSwitch manager */
#define FW_FUNC_UPLINK          0xfffdu /* the wire's peer, packets only */
#define FW_FUNC_VF(n)           ((uint16_t)(n)) /* VF n */

/* ------------------------------------------------------------------------
 * Socket messages (SOCK_SEQPACKET, one message per datagram)
 * ------------------------------------------------------------------------ */

enum fw_sock_msg {
    FW_MSG_HELLO            = 1,
    FW_MSG_HELLO_REPLY      = 2,
    FW_MSG_QUEUE_ATTACH     = 3,
    FW_MSG_QUEUE_REPLY      = 4,
};

struct fw_msg_hdr {
    fw_le32 magic;          /* FW_ABI_MAGIC */
    fw_le16 type;           /* enum fw_sock_msg */
    fw_le16 size;           /* whole message, bytes */
};

struct fw_hello {
    struct fw_msg_hdr hdr;
    fw_le16 abi_major;      /* must equal the device's major */
    fw_le16 abi_minor;      /* highest minor the driver speaks */
    fw_le32 flags;          /* none defined; must be 0 */
};

/* Sent with SCM_RIGHTS fds [region memfd, doorbell eventfd, completion
 * eventfd] when status is FW_STATUS_OK, with no fds otherwise. */
struct fw_hello_reply {
    struct fw_msg_hdr hdr;
    uint8_t  status;        /* enum fw_status */
    uint8_t  rsvd0[3];
    fw_le32  syndrome;
    fw_le16  abi_major;
    fw_le16  abi_minor;     /* negotiated: min(driver, device) */
    fw_le16  function;      /* FW_FUNC_* */
    fw_le16  rsvd1;
    fw_le32  region_size;   /* bytes of the region memfd */
};

enum fw_queue_dir_flags {
    FW_QUEUE_F_RX = 1u << 0, /* device -> driver ring wanted */
    FW_QUEUE_F_TX = 1u << 1, /* driver -> device ring wanted */
};

/*
 * Attach queue pair @queue of a port. For the PF, @vport names whose
 * representor the queue belongs to (FW_VPORT_UPLINK is the PF's own host
 * port); for a VF or the uplink peer @vport is ignored, the function's own.
 * Attaching an already attached queue replaces it (the old mapping keeps
 * working for its holder but is no longer fed).
 */
struct fw_queue_attach {
    struct fw_msg_hdr hdr;
    fw_le16 vport;
    fw_le16 queue;          /* < caps.max_queues_per_port */
    fw_le32 depth;          /* power of two, <= caps.max_queue_depth */
    fw_le32 flags;          /* enum fw_queue_dir_flags */
};

/* Sent with SCM_RIGHTS fds [queue memfd, kick eventfd] on success. */
struct fw_queue_reply {
    struct fw_msg_hdr hdr;
    uint8_t  status;
    uint8_t  rsvd0[3];
    fw_le32  syndrome;
    fw_le32  size;          /* bytes of the queue memfd */
    fw_le32  rsvd1;
};

/* ------------------------------------------------------------------------
 * Command region: command slots, completion queue, device status
 * ------------------------------------------------------------------------ */

#define FW_SLOT_SIZE            2048u
#define FW_SLOT_IN_MAX          1024u   /* command input incl. fw_cmd_hdr */
#define FW_SLOT_OUT_MAX         1024u   /* output incl. fw_out_hdr */

enum fw_health {
    FW_HEALTH_OK            = 0,
    FW_HEALTH_RESETTING     = 1,    /* commands complete with RESETTING */
    FW_HEALTH_FATAL         = 2,    /* needs a function reset to recover */
};

/* VFs whose creation the region reports (ABI 1.2) */
#define FW_REGION_VF_SLOTS      256u

/*
 * The region starts with this header (one 4 KiB page), then the command
 * slots (cmdq_depth * FW_SLOT_SIZE at cmdq_offset), then the completion
 * queue (cq_depth * sizeof(struct fw_cqe) at cq_offset). Each index lives on
 * its own cache line and has exactly one writer. Indices run freely and wrap
 * at 2^32; slot = index & (depth - 1).
 */
struct fw_region {
    /* written once by the device before the fds are handed out */
    fw_le32 magic;
    fw_le16 abi_major;
    fw_le16 abi_minor;
    fw_le32 size;
    fw_le32 cmdq_offset;
    fw_le32 cmdq_depth;     /* power of two; == cq_depth */
    fw_le32 cq_offset;
    fw_le32 cq_depth;
    fw_le16 function;
    uint8_t rsvd0[FW_CACHE_LINE - 30];

    /* device-written status, readable at any time without a command */
    fw_le32 health;         /* enum fw_health */
    fw_le32 reset_generation; /* +1 on every firmware/function reset */
    fw_le32 fatal_syndrome;
    /* ABI 1.2, device-written like health: the VFs that exist now, under a
     * seqlock whose sequence is sriov_generation. The device first stores
     * it odd (then a release fence), then num_vfs and vf_generation[], then
     * the new generation, even (release). A reader loads it (acquire),
     * copies the rest, fences (acquire), loads it again, and keeps the copy
     * only when both loads gave the same even value; otherwise it retries
     * (fw_chan_sriov_view). */
    fw_le32 sriov_generation;   /* even; +2 on every change of the set of
                                 * VFs; odd while the view is written */
    fw_le16 num_vfs;            /* VFs 0..num_vfs-1 exist */
    fw_le16 rsvd2;
    uint8_t rsvd1[FW_CACHE_LINE - 20];

    fw_le32 cmdq_producer;  /* driver: slots posted */
    uint8_t pad0[FW_CACHE_LINE - 4];
    fw_le32 cmdq_consumer;  /* device: slots taken */
    uint8_t pad1[FW_CACHE_LINE - 4];
    fw_le32 cq_producer;    /* device: completions posted */
    uint8_t pad2[FW_CACHE_LINE - 4];
    fw_le32 cq_consumer;    /* driver: completions consumed */
    uint8_t pad3[FW_CACHE_LINE - 4];
    /* driver sets 1 to ask for a completion eventfd write; the device clears
     * it when it writes the eventfd (so a polling driver costs no syscall) */
    fw_le32 cq_armed;
    uint8_t pad4[FW_CACHE_LINE - 4];

    /* ABI 1.2: the sriov_generation in which VF n was last created (0:
     * never), for n < FW_REGION_VF_SLOTS. A VF removed and created again
     * between two looks of a driver has a new value here: it is a new
     * function, from default settings, that no rule names. */
    fw_le32 vf_generation[FW_REGION_VF_SLOTS];

    /* ABI 1.12, device-written, only in the region of a client that
     * negotiated 1.12 (else it stays 0): 1 while the device polls
     * cmdq_producer without sleeping. A driver stores cmdq_producer, issues
     * a full fence and loads this: 1 means the device will see the new
     * producer without the doorbell. Before it sleeps the device stores 0,
     * issues a full fence and looks at cmdq_producer once more, so one of
     * the two always sees the other's store. A driver that writes it only
     * silences its own doorbell. */
    fw_le32 cmdq_polling;
    uint8_t pad5[FW_CACHE_LINE - 4];
};

#define FW_REGION_HDR_SIZE      4096u

/* First bytes of a slot's input half. */
struct fw_cmd_hdr {
    fw_le16 opcode;         /* enum fw_opcode */
    fw_le16 op_mod;         /* opcode-specific modifier, 0 unless stated */
    fw_le32 in_size;        /* bytes of input incl. this header */
    fw_le32 out_size;       /* bytes the driver accepts, incl. fw_out_hdr */
    fw_le32 token;          /* echoed in the completion */
};

/* First bytes of a slot's output half (at slot + FW_SLOT_IN_MAX). */
struct fw_out_hdr {
    uint8_t status;         /* enum fw_status */
    uint8_t rsvd[3];
    fw_le32 syndrome;       /* FW_SYND_*; 0 with FW_STATUS_OK */
    fw_le32 out_size;       /* bytes written incl. this header */
    fw_le32 token;
};

struct fw_cqe {
    fw_le32 token;
    fw_le32 slot;           /* slot index the command was taken from */
    uint8_t status;
    uint8_t rsvd[3];
    fw_le32 syndrome;
};

/* ------------------------------------------------------------------------
 * Status and syndrome
 * ------------------------------------------------------------------------ */

enum fw_status {
    FW_STATUS_OK                = 0x00,
    FW_STATUS_INTERNAL          = 0x01, /* device bug or injected fault */
    FW_STATUS_BAD_OPCODE        = 0x02,
    FW_STATUS_BAD_PARAM         = 0x03, /* a field holds an invalid value */
    FW_STATUS_BAD_STATE         = 0x04, /* not allowed in the current state */
    FW_STATUS_BAD_RESOURCE      = 0x05, /* names an object that does not exist */
    FW_STATUS_BUSY              = 0x06, /* object still referenced */
    FW_STATUS_NO_SPACE          = 0x07, /* table / counters / vports full */
    FW_STATUS_NOT_SUPPORTED     = 0x08, /* capability profile lacks it */
    FW_STATUS_NO_PERM           = 0x09, /* function not privileged */
    FW_STATUS_BAD_INPUT_LEN     = 0x0a,
    FW_STATUS_BAD_OUTPUT_LEN    = 0x0b,
    FW_STATUS_RESETTING         = 0x0c, /* device under reset; retry later */
    FW_STATUS_EXISTS            = 0x0d, /* object already exists */
};

/*
 * Syndrome: what exactly was wrong, so a driver can point at it.
 *   bits 31..24  reason (enum fw_synd_reason)
 *   bits 23..16  index: match field bit (enum fw_field) or action position
 *   bits 15..0   detail: action type, vport, or a reason-specific value
 */
enum fw_synd_reason {
    FW_SYND_NONE            = 0x00,
    FW_SYND_FIELD           = 0x01, /* match field @index unsupported */
    FW_SYND_MASK            = 0x02, /* mask shape of field @index unsupported */
    FW_SYND_ACTION          = 0x03, /* action at @index (type @detail) unsupported */
    FW_SYND_ACTION_ARG      = 0x04, /* action at @index has a bad argument */
    FW_SYND_PRIORITY        = 0x05, /* priority beyond caps.prio_per_table */
    FW_SYND_TABLE           = 0x06, /* group missing / level order / exists */
    FW_SYND_VPORT           = 0x07, /* vport @detail out of range or absent */
    FW_SYND_CAPACITY        = 0x08, /* a capacity limit; @detail: enum fw_limit */
    FW_SYND_PRIVILEGE       = 0x09, /* function may not issue this */
    FW_SYND_TRUST           = 0x0a, /* VF not trusted for this */
    FW_SYND_LENGTH          = 0x0b, /* in_size / out_size wrong; @detail: needed */
    FW_SYND_MODE            = 0x0c, /* wrong eSwitch mode for this */
    FW_SYND_SRIOV           = 0x0d, /* SR-IOV state forbids it */
    FW_SYND_COUNTER         = 0x0e, /* counter id invalid / not allocated */
    FW_SYND_RULE            = 0x0f, /* rule id invalid */
    FW_SYND_VALUE           = 0x10, /* field value out of range; @index: field */
    FW_SYND_INJECTED        = 0x11, /* fault knob fired */
    FW_SYND_RSVD            = 0x12, /* reserved field or bit not zero */
    FW_SYND_PREREQ          = 0x13, /* match field without its prerequisite */
    FW_SYND_CURSOR          = 0x14, /* query cursor names no position (1.3) */
    FW_SYND_RSS             = 0x15, /* RSS context id invalid / in use (1.5) */
};

enum fw_limit {
    FW_LIMIT_TABLES     = 1,
    FW_LIMIT_RULES_TABLE = 2,
    FW_LIMIT_RULES_TOTAL = 3,
    FW_LIMIT_COUNTERS   = 4,
    FW_LIMIT_VFS        = 5,
    FW_LIMIT_ACTIONS    = 6,
    FW_LIMIT_QUEUES     = 7,
    FW_LIMIT_PAGE       = 8,    /* entries per query page (ABI 1.3) */
    FW_LIMIT_RSS_CTX    = 9,    /* RSS contexts (ABI 1.5) */
};

#define FW_SYND(reason, index, detail) \
    (((uint32_t)(reason) << 24) | (((uint32_t)(index) & 0xffu) << 16) | \
     ((uint32_t)(detail) & 0xffffu))
#define FW_SYND_REASON(s)   ((uint8_t)((s) >> 24))
#define FW_SYND_INDEX(s)    ((uint8_t)((s) >> 16))
#define FW_SYND_DETAIL(s)   ((uint16_t)(s))

/* ------------------------------------------------------------------------
 * Opcodes. "PF" = eSwitch manager only; "any" = any function, restricted
 * to its own vport where a vport is named.
 * ------------------------------------------------------------------------ */

enum fw_opcode {
    FW_CMD_QUERY_ADAPTER        = 0x0100, /* any */
    FW_CMD_QUERY_HEALTH         = 0x0101, /* any */
    FW_CMD_FUNCTION_RESET       = 0x0102, /* any: PF resets the device */
    FW_CMD_SRIOV_ENABLE         = 0x0200, /* PF */
    FW_CMD_SRIOV_DISABLE        = 0x0201, /* PF */
    FW_CMD_ESWITCH_GET_MODE     = 0x0210, /* any */
    FW_CMD_ESWITCH_SET_MODE     = 0x0211, /* PF */
    FW_CMD_VPORT_QUERY          = 0x0300, /* any (VF: own vport) */
    FW_CMD_VPORT_MODIFY         = 0x0301, /* PF; VF: own MAC if trusted, rx mode */
    FW_CMD_VPORT_STATS          = 0x0302, /* any (VF: own vport) */
    FW_CMD_TABLE_CREATE         = 0x0400, /* PF, switchdev */
    FW_CMD_TABLE_DESTROY        = 0x0401, /* PF */
    FW_CMD_STEERING_FLUSH       = 0x0402, /* PF; ABI 1.1 */
    FW_CMD_STEERING_RECLAIM     = 0x0403, /* PF; ABI 1.7 */
    FW_CMD_RULE_ADD             = 0x0410, /* PF, switchdev */
    FW_CMD_RULE_DELETE          = 0x0411, /* PF */
    FW_CMD_RULE_QUERY           = 0x0412, /* PF; ABI 1.3 */
    FW_CMD_COUNTER_ALLOC        = 0x0500, /* PF */
    FW_CMD_COUNTER_FREE         = 0x0501, /* PF */
    FW_CMD_COUNTER_QUERY        = 0x0502, /* PF */
    FW_CMD_COUNTER_MOVED        = 0x0503, /* PF; ABI 1.6 */
    FW_CMD_RSS_CTX_CREATE       = 0x0600, /* PF; ABI 1.5 */
    FW_CMD_RSS_CTX_DESTROY      = 0x0601, /* PF; ABI 1.5 */
    FW_CMD_DEBUG_FAULT          = 0x0f00, /* PF: fault knobs */
};

/* ------------------------------------------------------------------------
 * Capabilities (FW_CMD_QUERY_ADAPTER)
 * ------------------------------------------------------------------------ */

/* Match fields; the bit number is also the FW_SYND_FIELD index. */
enum fw_field {
    FW_FIELD_SRC_VPORT  = 0,
    FW_FIELD_ETH_DST    = 1,
    FW_FIELD_ETH_SRC    = 2,
    FW_FIELD_ETH_TYPE   = 3,
    FW_FIELD_VLAN_VID   = 4,    /* vlan_tci & 0x0fff, and the present bit */
    FW_FIELD_VLAN_PCP   = 5,    /* vlan_tci & 0xe000 */
    FW_FIELD_IPV4_SRC   = 6,
    FW_FIELD_IPV4_DST   = 7,
    FW_FIELD_IPV6_SRC   = 8,
    FW_FIELD_IPV6_DST   = 9,
    FW_FIELD_IP_PROTO   = 10,
    FW_FIELD_IP_TOS     = 11,
    FW_FIELD_IP_TTL     = 12,
    FW_FIELD_L4_SRC     = 13,   /* TCP or UDP */
    FW_FIELD_L4_DST     = 14,
    FW_FIELD_ICMP_TYPE  = 15,
    FW_FIELD_ICMP_CODE  = 16,
    FW_FIELD_VXLAN_VNI  = 17,
    FW_FIELD_IP_FRAG    = 18,   /* ABI 1.4: ip_frag, FW_IP_FRAG_* bits */
    FW_FIELD_META       = 19,   /* ABI 1.9: fw_match.meta, the META register */
    FW_FIELD_TAG        = 20,   /* ABI 1.9: fw_rule_add_in.tags, every TAG */
    FW_FIELD_MPLS       = 21,   /* ABI 1.10: fw_match.mpls_lse, the top entry */
    FW_FIELD_COUNT_     = 22,
};

enum fw_action_type {
    FW_ACT_NONE         = 0,    /* invalid in a rule */
    FW_ACT_DROP         = 1,
    FW_ACT_FWD_VPORT    = 2,    /* out of the eSwitch to a VF or the wire */
    FW_ACT_FWD_REP      = 3,    /* to the host: representor of vport, queue */
    FW_ACT_JUMP         = 4,
    FW_ACT_COUNT        = 5,
    FW_ACT_MARK         = 6,
    FW_ACT_PUSH_VLAN    = 7,
    FW_ACT_POP_VLAN     = 8,
    FW_ACT_SET_VLAN_VID = 9,
    FW_ACT_SET_VLAN_PCP = 10,
    FW_ACT_VXLAN_ENCAP  = 11,
    FW_ACT_VXLAN_DECAP  = 12,
    FW_ACT_SET_MAC_SRC  = 13,
    FW_ACT_SET_MAC_DST  = 14,
    FW_ACT_SET_IPV4_SRC = 15,
    FW_ACT_SET_IPV4_DST = 16,
    FW_ACT_SET_L4_SRC   = 17,
    FW_ACT_SET_L4_DST   = 18,
    FW_ACT_DEC_TTL      = 19,
    FW_ACT_SET_IP_TOS   = 20,
    FW_ACT_RSS          = 21,   /* ABI 1.5: to representor queues by hash */
    FW_ACT_SET_META     = 22,   /* ABI 1.9: META = META & ~mask | value */
    FW_ACT_SET_TAG      = 23,   /* ABI 1.9: TAG[index] likewise */
    FW_ACT_PUSH_MPLS    = 24,   /* ABI 1.10: a new top label stack entry */
    FW_ACT_POP_MPLS     = 25,   /* ABI 1.10: the top entry, or the stack */
    FW_ACT_SET_MPLS_TTL = 26,   /* ABI 1.10: the top entry's TTL */
    FW_ACT_DEC_MPLS_TTL = 27,   /* ABI 1.10: the top entry's TTL less one */
    FW_ACT_MODIFY_SET   = 28,   /* ABI 1.11: bits of a field := immediate */
    FW_ACT_MODIFY_COPY  = 29,   /* ABI 1.11: bits of a field := bits of another */
    FW_ACT_COUNT_       = 30,
};

#define FW_FIELD_BIT(f)     (1ull << (f))
#define FW_ACTION_BIT(a)    (1ull << (a))

enum fw_eswitch_mode {
    FW_ESW_LEGACY       = 0,    /* VEB: MAC/VLAN switching between VFs */
    FW_ESW_SWITCHDEV    = 1,    /* steering tables; misses to representors */
};

#define FW_PROFILE_NAME_LEN 16
#define FW_VERSION_LEN      16

struct fw_caps {
    fw_le16 abi_major;
    fw_le16 abi_minor;
    char    profile[FW_PROFILE_NAME_LEN];   /* NUL-padded */
    char    fw_version[FW_VERSION_LEN];     /* NUL-padded */
    uint8_t base_mac[6];    /* PF MAC; VF n defaults to 00:00.. (unset) */
    fw_le16 max_vfs;        /* sriov_totalvfs */
    fw_le16 num_vfs;        /* currently enabled */
    fw_le16 num_vports;     /* 1 + max_vfs */
    uint8_t esw_mode;       /* enum fw_eswitch_mode, current */
    uint8_t num_tags;       /* ABI 1.9: TAG registers, <= FW_NUM_TAGS (was rsvd0) */
    fw_le16 max_actions;    /* per rule, <= FW_RULE_MAX_ACTIONS */
    fw_le32 max_tables;     /* including the root table of group 0 */
    fw_le32 max_group;      /* highest group id accepted */
    fw_le32 max_rules_per_table;
    fw_le32 max_rules_total;
    fw_le32 max_counters;
    fw_le16 prio_per_table; /* priorities 0 (highest) .. prio_per_table-1 */
    fw_le16 max_queues_per_port;
    fw_le32 max_queue_depth;
    fw_le32 max_mtu;
    fw_le32 rsvd_pad0;      /* must be 0; keeps the bitmaps 8-byte aligned */
    fw_le64 match_fields;   /* FW_FIELD_BIT set */
    fw_le64 actions;        /* FW_ACTION_BIT set */
    fw_le64 exact_mask_fields;  /* fields whose mask must be all-0 or all-1 */
    fw_le64 prefix_mask_fields; /* fields whose mask must be a prefix */
    fw_le32 max_link_speed; /* Mbps; tx rates above it are refused */
    fw_le32 rss_hash_types; /* ABI 1.5: FW_RSS_* the card hashes (was rsvd1) */
};

struct fw_query_adapter_out {
    struct fw_out_hdr hdr;
    struct fw_caps caps;
};

struct fw_query_health_out {
    struct fw_out_hdr hdr;
    fw_le32 health;         /* enum fw_health */
    fw_le32 reset_generation;
    fw_le32 fatal_syndrome;
    fw_le32 uptime_ms;
    fw_le64 commands;       /* executed since start */
    fw_le64 commands_failed;
    /* ABI 1.2, each written only when out_size covers it (an older
     * driver's shorter output keeps the 1.1 layout). They describe the
     * eSwitch manager's steering: a function other than the PF reads 0. */
    fw_le32 rules;          /* steering rules in the device now, tombstones
                             * included (they hold capacity) */
    fw_le32 tables;         /* steering tables, the root included */
    fw_le32 tombstones;     /* of rules, those rewritten when a VF they sent
                             * to was removed (FW_SRIOV_F_IN_PLACE) */
    fw_le32 rsvd;           /* 0 */
    /* ABI 1.5, written only when out_size covers them: rules the device
     * took (RULE_ADD) and removed (RULE_DELETE) since it started, so a
     * tool can tell that rules came and went between two looks */
    fw_le64 rules_added;
    fw_le64 rules_deleted;
};

/* FW_CMD_FUNCTION_RESET: the PF resets the whole device (steering tables,
 * rules and counters are destroyed; SR-IOV, eSwitch mode and vport contexts
 * survive), a VF resets only its own vport's rx mode and queues. */
struct fw_function_reset_in {
    struct fw_cmd_hdr hdr;
    fw_le32 flags;          /* must be 0 */
    fw_le32 rsvd;
};

/* ------------------------------------------------------------------------
 * SR-IOV and eSwitch mode
 * ------------------------------------------------------------------------ */

/* Enabling with VFs already enabled is BAD_STATE (disable first, as
 * sriov_numvfs requires). num_vfs in 1..caps.max_vfs. */
enum fw_sriov_flags {
    /* ABI 1.2: set the number of VFs to num_vfs (0..max_vfs) whatever is
     * enabled now. VFs below both counts are untouched (settings, queues,
     * rules); each VF added starts from defaults. Each VF removed takes
     * its function's clients, the PF's representor queues of its vport,
     * and the rules that can only match frames from its vport (src_vport):
     * those are destroyed. A rule that sends to its vport (FWD_VPORT,
     * FWD_REP) is not: it becomes a tombstone, so that it keeps winning
     * over lower-priority rules and its frames are not steered to another
     * VF. Its outputs to the removed vport are taken out of its action
     * list; if no fate is left, the list becomes its COUNT actions then
     * DROP. A tombstone keeps its id, table, priority and match, is owned
     * by the PF, and goes with RULE_DELETE like any rule (its counters stay
     * referenced until then); QUERY_HEALTH counts tombstones. Counters of
     * destroyed rules stay allocated to the PF. */
    FW_SRIOV_F_IN_PLACE = 1u << 0,
};

struct fw_sriov_enable_in {
    struct fw_cmd_hdr hdr;
    fw_le16 num_vfs;
    fw_le16 flags;          /* enum fw_sriov_flags (ABI 1.2; was rsvd0) */
    fw_le32 rsvd1;
};

struct fw_sriov_disable_in {
    struct fw_cmd_hdr hdr;
};

struct fw_eswitch_mode_out {
    struct fw_out_hdr hdr;
    uint8_t mode;           /* enum fw_eswitch_mode */
    uint8_t rsvd[7];
};

/* Switching mode is allowed with VFs enabled (their vport contexts are
 * kept); leaving switchdev destroys all steering tables and rules. */
struct fw_eswitch_set_mode_in {
    struct fw_cmd_hdr hdr;
    uint8_t mode;
    uint8_t rsvd[7];
};

/* ------------------------------------------------------------------------
 * Vports
 * ------------------------------------------------------------------------ */

enum fw_link_state {
    FW_LINK_AUTO    = 0,    /* follows the uplink */
    FW_LINK_ENABLE  = 1,
    FW_LINK_DISABLE = 2,
};

enum fw_vlan_proto {
    FW_VLAN_8021Q   = 0,
    FW_VLAN_8021AD  = 1,
};

/* Field-select bits for FW_CMD_VPORT_MODIFY. */
enum fw_vport_field {
    FW_VPORT_F_MAC          = 1u << 0,
    FW_VPORT_F_VLAN         = 1u << 1,  /* vlan_vid, vlan_qos, vlan_proto */
    FW_VPORT_F_SPOOFCHK     = 1u << 2,
    FW_VPORT_F_TRUST        = 1u << 3,
    FW_VPORT_F_LINK_STATE   = 1u << 4,
    FW_VPORT_F_MIN_RATE     = 1u << 5,
    FW_VPORT_F_MAX_RATE     = 1u << 6,
    FW_VPORT_F_RX_MODE      = 1u << 7,  /* promisc, allmulti */
    FW_VPORT_F_MTU          = 1u << 8,
    FW_VPORT_F_ALL_         = (1u << 9) - 1,
};

struct fw_vport_ctx {
    uint8_t mac[6];         /* all zero: unset */
    fw_le16 vlan_vid;       /* 0: no port VLAN; 1..4094 */
    uint8_t vlan_qos;       /* 0..7 */
    uint8_t vlan_proto;     /* enum fw_vlan_proto */
    uint8_t spoofchk;       /* 0/1 */
    uint8_t trust;          /* 0/1 */
    uint8_t link_state;     /* enum fw_link_state */
    uint8_t promisc;        /* 0/1 */
    uint8_t allmulti;       /* 0/1 */
    uint8_t oper_up;        /* read-only: link operationally up */
    fw_le32 min_tx_rate;    /* Mbps, 0 = none */
    fw_le32 max_tx_rate;    /* Mbps, 0 = unlimited */
    fw_le16 mtu;
    uint8_t attachment;     /* read-only: enum fw_attachment */
    uint8_t rsvd[5];
};

enum fw_attachment {
    FW_ATTACH_NONE  = 0,    /* host side not attached: rx is dropped */
    FW_ATTACH_SHM   = 1,    /* a client's shared-memory queues */
    FW_ATTACH_TAP   = 2,    /* a kernel tap device */
};

struct fw_vport_query_in {
    struct fw_cmd_hdr hdr;
    fw_le16 vport;
    fw_le16 rsvd0;
    fw_le32 rsvd1;
};

struct fw_vport_query_out {
    struct fw_out_hdr hdr;
    struct fw_vport_ctx ctx;
};

/* Fields not selected are ignored and must be zero. All selected fields are
 * validated before any is applied: a refused modify changes nothing. */
struct fw_vport_modify_in {
    struct fw_cmd_hdr hdr;
    fw_le16 vport;
    fw_le16 rsvd0;
    fw_le32 field_select;   /* enum fw_vport_field */
    struct fw_vport_ctx ctx;
};

struct fw_vport_stats_out {
    struct fw_out_hdr hdr;
    fw_le64 rx_packets;     /* into the vport's host side */
    fw_le64 rx_bytes;
    fw_le64 tx_packets;     /* from the vport's host side */
    fw_le64 tx_bytes;
    fw_le64 rx_dropped;     /* host side absent, queue full, link down */
    fw_le64 tx_dropped;     /* spoof check, VLAN policy, link down, rate */
    fw_le64 rep_rx_packets; /* misses delivered to the representor */
    fw_le64 rep_rx_dropped;
};

/* ------------------------------------------------------------------------
 * Steering: tables, rules, counters (switchdev mode)
 * ------------------------------------------------------------------------ */

/* Group 0's root table (level 0) always exists in switchdev mode. A JUMP may
 * only go to a table of strictly higher level, so steering cannot loop. */
struct fw_table_create_in {
    struct fw_cmd_hdr hdr;
    fw_le32 group;          /* 1..caps.max_group */
    fw_le32 level;          /* 1.. */
    fw_le32 flags;          /* must be 0 */
    fw_le32 rsvd;
};

struct fw_table_destroy_in {
    struct fw_cmd_hdr hdr;
    fw_le32 group;
    fw_le32 rsvd;
};

/* FW_CMD_STEERING_FLUSH (ABI 1.1): destroy every rule and every table but
 * the root (group 0 stays, empty) and free every counter, in either eSwitch
 * mode. Not a reset: reset_generation, SR-IOV, the eSwitch mode, vport
 * contexts and packet queues are untouched. A driver that becomes the
 * eSwitch manager issues it so no rule of an earlier driver survives it.
 * No output payload. */
struct fw_steering_flush_in {
    struct fw_cmd_hdr hdr;
    fw_le32 flags;          /* must be 0 */
    fw_le32 rsvd;
};

/* FW_CMD_STEERING_RECLAIM (ABI 1.7): free every counter range none of whose
 * counters a rule counts into, and every RSS context no rule names (a
 * vport's default context included: its vport then spreads nothing).
 * Rules and tables stay. A driver that takes over the rules an earlier
 * driver left (RULE_QUERY, instead of STEERING_FLUSH) issues it before it
 * allocates anything itself: what the earlier driver held for rules it
 * never made, or made and deleted, goes; what the kept rules use stays. */
struct fw_steering_reclaim_in {
    struct fw_cmd_hdr hdr;
    fw_le32 flags;          /* must be 0 */
    fw_le32 rsvd;
};

struct fw_steering_reclaim_out {
    struct fw_out_hdr hdr;
    fw_le32 counter_ranges; /* COUNTER_ALLOC ranges freed */
    fw_le32 counters;       /* counter ids in them */
    fw_le32 rss_ctxs;       /* RSS contexts destroyed */
    fw_le32 counters_left;  /* counter ids still allocated (in the ranges
                             * rules use) */
};

#define FW_VLAN_TCI_PRESENT     0x1000u /* host order; in vlan_tci as htons */

/*
 * fw_match.ip_frag (ABI 1.4): where a packet stands in IP fragmentation.
 * IPv4: IS when MF is set or the offset is non-zero. IPv6: IS when a
 * Fragment header directly follows the fixed header (Next Header 44), even
 * an atomic one (offset 0, M clear). LATER: the offset is non-zero (no L4
 * header). MORE: MF (IPv4) or M (IPv6) is set. A non-IP or unfragmented
 * packet has 0. So a first fragment is IS|MORE, a middle one IS|LATER|MORE,
 * the last one IS|LATER. Other bits are reserved: BAD_PARAM, VALUE(18) in a
 * value or mask, as is a value with LATER or MORE but not IS when the mask
 * covers IS (nothing could match it).
 */
#define FW_IP_FRAG_IS           0x01u
#define FW_IP_FRAG_LATER        0x02u
#define FW_IP_FRAG_MORE         0x04u
#define FW_IP_FRAG_ALL_         0x07u

/* A packet's header fields as the eSwitch sees them. A field of a header the
 * packet lacks is zero. vlan_tci carries FW_VLAN_TCI_PRESENT when the packet
 * is tagged (the DEI bit is not matchable); eth_type is the EtherType after
 * the outer tag. With a VXLAN packet the fields are the outer headers' and
 * vxlan_vni is the VNI; after FW_ACT_VXLAN_DECAP a jumped-to table sees the
 * inner headers. */
struct fw_match {
    fw_le16 src_vport;
    fw_be16 vlan_tci;
    uint8_t eth_dst[6];
    uint8_t eth_src[6];
    fw_be16 eth_type;
    uint8_t ip_proto;       /* IPv4 protocol / IPv6 next header */
    uint8_t ip_tos;         /* IPv4 TOS / IPv6 traffic class */
    uint8_t ip_ttl;         /* IPv4 TTL / IPv6 hop limit */
    uint8_t icmp_type;      /* ICMP or ICMPv6 */
    uint8_t icmp_code;
    uint8_t ip_frag;        /* FW_IP_FRAG_* (ABI 1.4; was rsvd0, 0) */
    fw_be32 ipv4_src;
    fw_be32 ipv4_dst;
    uint8_t ipv6_src[16];
    uint8_t ipv6_dst[16];
    fw_be16 l4_src;
    fw_be16 l4_dst;
    fw_le32 vxlan_vni;      /* 24-bit VNI, host value little-endian */
    fw_le32 meta;           /* ABI 1.9: the META register (was rsvd1[0..3]) */
    fw_be32 mpls_lse;       /* ABI 1.10: top MPLS entry (was rsvd1[4..7]) */
};

/*
 * fw_match.mpls_lse (ABI 1.10): the first label stack entry of a frame
 * whose EtherType (after the outer tag, as eth_type) is 0x8847 or 0x8848,
 * the 4 bytes as on the wire; 0 for any other frame and for one whose
 * stack has no whole entry. Masked bit by bit. A rule with a non-zero
 * mask must pin eth_type to an MPLS EtherType (mask 0xffff, value 0x8847
 * or 0x8848); otherwise BAD_PARAM with syndrome PREREQ(21). The masks
 * below are host values of the big-endian word.
 */
#define FW_MPLS_LABEL_MASK      0xfffff000u /* 20 bits, label << 12 */
#define FW_MPLS_TC_MASK         0x00000e00u /* 3 bits, tc << 9 */
#define FW_MPLS_BOS             0x00000100u /* bottom of stack */
#define FW_MPLS_TTL_MASK        0x000000ffu
#define FW_MPLS_STACK_MAX       3u  /* entries the card reads (section 6.5) */
#define FW_ETH_MPLS             0x8847u
#define FW_ETH_MPLS_MC          0x8848u

/*
 * Per-packet metadata (ABI 1.9). Every frame carries one META word and
 * caps.num_tags TAG words through the eSwitch, all zero when it enters.
 * SET_META / SET_TAG change them, later tables match them, a JUMP keeps
 * them. A frame leaving to a vport (FWD_VPORT) loses them; a frame
 * delivered to the host (FWD_REP, RSS, a miss) carries META in its
 * descriptor (FW_PKT_F_META), never the TAGs: they are the card's scratch
 * registers, as DPDK's rte_flow TAG is, while META is what rte_flow
 * delivers in the mbuf's metadata dynfield.
 */
#define FW_NUM_TAGS     8u

/* TAG words to match, in RULE_ADD past the whole action array: a rule
 * matches when (TAG[i] & mask[i]) == value[i] for every i. */
struct fw_tag_match {
    fw_le32 value[FW_NUM_TAGS];     /* value & ~mask must be zero */
    fw_le32 mask[FW_NUM_TAGS];      /* zero past caps.num_tags */
};

struct fw_vxlan_encap {
    uint8_t eth_dst[6];
    uint8_t eth_src[6];
    fw_be32 ipv4_src;
    fw_be32 ipv4_dst;
    fw_be16 udp_src;        /* 0: derived from the inner flow hash */
    fw_be16 udp_dst;        /* usually 4789 */
    fw_le32 vni;
    uint8_t ttl;
    uint8_t tos;
    uint8_t rsvd[2];
};

/*
 * Header fields FW_ACT_MODIFY_SET / FW_ACT_MODIFY_COPY write (ABI 1.11),
 * with their width in bits. Bit 0 of a field is its least significant bit
 * as it stands on the wire (the last bit of its last byte), as in an
 * OpenFlow NXM range [start..end] and in rte_flow's MODIFY_FIELD offset.
 * A field the frame does not have (an IPv4 field of an IPv6 frame, the VID
 * of an untagged frame, a TCP port of a UDP datagram, a port of a
 * non-first fragment) is left alone, and so is the whole action when its
 * source field is absent.
 */
enum fw_mod_field {
    FW_MOD_NONE         = 0,    /* invalid */
    FW_MOD_ETH_DST      = 1,    /* 48 */
    FW_MOD_ETH_SRC      = 2,    /* 48 */
    FW_MOD_VLAN_VID     = 3,    /* 12, the outer tag's */
    FW_MOD_IPV4_DSCP    = 4,    /* 6, the TOS byte's upper bits */
    FW_MOD_IPV4_TTL     = 5,    /* 8 */
    FW_MOD_IPV4_SRC     = 6,    /* 32 */
    FW_MOD_IPV4_DST     = 7,    /* 32 */
    FW_MOD_IPV6_DSCP    = 8,    /* 6, the traffic class's upper bits */
    FW_MOD_IPV6_HOPLIMIT = 9,   /* 8 */
    FW_MOD_IPV6_SRC     = 10,   /* 128 */
    FW_MOD_IPV6_DST     = 11,   /* 128 */
    FW_MOD_TCP_SRC      = 12,   /* 16 */
    FW_MOD_TCP_DST      = 13,   /* 16 */
    FW_MOD_UDP_SRC      = 14,   /* 16 */
    FW_MOD_UDP_DST      = 15,   /* 16 */
    FW_MOD_COUNT_       = 16,
};

/*
 * MODIFY_SET: bits [dst_offset, dst_offset + width) of dst_field take the
 * same bits of value, which holds a whole dst_field in network order from
 * value[0] (as rte_flow's immediate value does); every other bit of value
 * must be zero, and src_field and src_offset zero.
 * MODIFY_COPY: they take bits [src_offset, src_offset + width) of
 * src_field, as the frame was before this action; value must be zero.
 * Both: 1 <= width, and offset + width within the field (FW_SYND_ACTION_ARG
 * with detail FW_MOD_SYND_* saying which rule was broken).
 */
struct fw_modify {
    uint8_t dst_field;      /* enum fw_mod_field */
    uint8_t src_field;      /* enum fw_mod_field, MODIFY_COPY only */
    uint8_t width;          /* bits written */
    uint8_t rsvd;
    fw_le16 dst_offset;     /* bits from dst_field's bit 0 */
    fw_le16 src_offset;     /* bits from src_field's bit 0 */
    uint8_t value[16];      /* MODIFY_SET only */
};

/* Which rule a MODIFY_SET / MODIFY_COPY argument broke: a
 * FW_SYND_ACTION_ARG syndrome's detail carries it in its upper byte, the
 * action type in the lower (FW_MOD_SYND_DETAIL); the index is still the
 * action's position. Every other action's detail is its type alone. */
#define FW_MOD_SYND_DETAIL(type, why) \
    ((uint16_t)(((unsigned)(why) << 8) | ((unsigned)(type) & 0xffu)))
enum fw_mod_synd {
    FW_MOD_SYND_DST_FIELD   = 1,    /* dst_field not in enum fw_mod_field */
    FW_MOD_SYND_SRC_FIELD   = 2,    /* src_field likewise, or set in SET */
    FW_MOD_SYND_WIDTH       = 3,    /* width 0 */
    FW_MOD_SYND_DST_RANGE   = 4,    /* dst_offset + width past dst_field */
    FW_MOD_SYND_SRC_RANGE   = 5,    /* src_offset + width past src_field,
                                     * or src_offset set in SET */
    FW_MOD_SYND_VALUE       = 6,    /* value bits outside the written range,
                                     * or any in COPY */
};

struct fw_action {
    fw_le16 type;           /* enum fw_action_type */
    fw_le16 rsvd0;
    fw_le32 rsvd1;
    union {
        struct { fw_le16 vport; fw_le16 queue; } fwd;   /* FWD_VPORT, FWD_REP */
        struct { fw_le32 group; } jump;
        struct { fw_le32 counter_id; } count;
        struct { fw_le32 ctx_id; } rss;     /* FW_ACT_RSS */
        struct { fw_le32 id; } mark;
        struct { fw_be16 tpid; fw_be16 tci; } push_vlan;
        struct { fw_be16 vid; } set_vid;    /* network order, 12 bits */
        struct { uint8_t pcp; } set_pcp;    /* 0..7 */
        struct { uint8_t mac[6]; } set_mac;
        struct { fw_be32 addr; } set_ipv4;
        struct { fw_be16 port; } set_l4;
        struct { uint8_t tos; } set_tos;
        /* PUSH_MPLS (0x8847 or 0x8848) / POP_MPLS (any: the EtherType the
         * frame gets, of what follows the entry or the stack); ABI 1.10 */
        struct { fw_be16 ethertype; } mpls;
        struct { uint8_t ttl; } set_mpls_ttl;   /* ABI 1.10 */
        struct fw_vxlan_encap vxlan_encap;
        struct fw_modify modify;            /* ABI 1.11 */
        /* SET_META (index 0) / SET_TAG (index < caps.num_tags); value &
         * ~mask must be zero, mask non-zero */
        struct { fw_le32 value; fw_le32 mask; uint8_t index; uint8_t rsvd[3]; } set_reg;
        uint8_t raw[40];
    } u;
};

#define FW_RULE_MAX_ACTIONS     16u

/*
 * Actions run in list order on the packet as modified so far, like an
 * OpenFlow action list; each FWD_* emits a copy of the packet as it is at
 * that point. A rule needs at least one fate (DROP, FWD_*, JUMP); DROP
 * must stand alone with optional COUNT. A rule with only non-fate actions
 * (e.g. MARK, COUNT) is BAD_PARAM.
 */
struct fw_rule_add_in {
    struct fw_cmd_hdr hdr;
    fw_le32 group;
    fw_le16 priority;       /* 0 is matched first */
    fw_le16 n_actions;      /* 1..caps.max_actions */
    fw_le32 flags;          /* must be 0 */
    fw_le32 rsvd;
    struct fw_match value;  /* value & ~mask must be zero */
    struct fw_match mask;
    struct fw_action actions[FW_RULE_MAX_ACTIONS]; /* in_size may end after n_actions */
    /* ABI 1.9, at offset 960: an input that ends at or before it matches
     * no TAG; one that reaches past actions[n_actions - 1] must hold zeros
     * in the unused actions and carries the whole block (1024 bytes). */
    struct fw_tag_match tags;
};

struct fw_rule_add_out {
    struct fw_out_hdr hdr;
    fw_le32 rule_id;
    fw_le32 rsvd;
};

struct fw_rule_delete_in {
    struct fw_cmd_hdr hdr;
    fw_le32 rule_id;
    fw_le32 rsvd;
};

/*
 * FW_CMD_RULE_QUERY (ABI 1.3): the rules in the device, a page at a time,
 * exactly as the device holds them (value pre-masked, actions as a
 * tombstone rewrote them). Pages walk the device's rule slots in an order
 * of its own: start with cursor 0 and pass each page's next_cursor until it
 * is FW_RULE_QUERY_END. A listing is not a snapshot: a rule added or
 * deleted between two pages may or may not appear. Counters are not in
 * the entries: read them with COUNTER_QUERY by the ids of COUNT actions.
 * ABI 1.8: a non-zero @end stops the walk at that cursor (next_cursor is
 * FW_RULE_QUERY_END once it is reached), and every page reports @slots,
 * the cursor past the device's last rule slot: a driver splits [0, slots)
 * into ranges and walks them side by side, a command of each in flight.
 */
#define FW_RULE_QUERY_MAX       8u      /* rules per page, at most */
#define FW_RULE_QUERY_END       0xffffffffu

enum fw_rule_query_flags {
    FW_RULE_Q_GROUP = 1u << 0,  /* only the rules of the table of @group */
};

struct fw_rule_query_in {
    struct fw_cmd_hdr hdr;
    fw_le32 cursor;         /* 0, then the previous page's next_cursor */
    fw_le32 flags;          /* enum fw_rule_query_flags */
    fw_le32 group;          /* with FW_RULE_Q_GROUP; else must be 0 */
    fw_le16 max_rules;      /* 1..FW_RULE_QUERY_MAX */
    fw_le16 rsvd;
    fw_le32 end;            /* ABI 1.8: 0, or stop at this cursor
                             * (> cursor, <= caps.max_rules_total) */
    fw_le32 rsvd2;
};

enum fw_rule_entry_flags {
    FW_RULE_E_TOMBSTONE = 1u << 0,  /* rewritten by FW_SRIOV_F_IN_PLACE */
    /* ABI 1.9: the rule matches TAG registers, which the entry does not
     * list (with 16 actions they would not fit a page): value and mask
     * alone do not say which frames it takes */
    FW_RULE_E_TAGS      = 1u << 1,
};

/* One rule of a page; entries follow each other without padding (every
 * size is a multiple of 8). */
struct fw_rule_entry {
    fw_le32 rule_id;
    fw_le32 group;
    fw_le16 priority;
    fw_le16 n_actions;
    fw_le16 flags;          /* enum fw_rule_entry_flags */
    fw_le16 size;           /* bytes of this entry: 176 + 48 * n_actions */
    struct fw_match value;
    struct fw_match mask;
    struct fw_action actions[]; /* n_actions */
};

struct fw_rule_query_out {
    struct fw_out_hdr hdr;
    fw_le32 next_cursor;    /* FW_RULE_QUERY_END: nothing after this page */
    fw_le16 n_rules;        /* entries after this header, 0..max_rules */
    fw_le16 rsvd0;
    fw_le32 total;          /* rules in the device now, all tables */
    fw_le32 slots;          /* ABI 1.8: every rule's cursor is below this
                             * (0 from a 1.7 device) */
    /* struct fw_rule_entry entries[n_rules] */
};

/*
 * RSS (ABI 1.5). The card computes the Toeplitz hash of a frame with a
 * 40-byte key over the fields its type selects, the way the RSS
 * verification suites define it: IPv4/IPv6 source then destination
 * address, then for TCP/UDP (first fragments and unfragmented frames) the
 * source then destination port, all in network order. The first type that
 * applies wins: TCP or UDP 4-tuple if enabled, else the IP 2-tuple if
 * enabled, else no hash (0, FW_PKT_F_RSS clear, the context's first queue).
 * A frame then goes to queues[hash % n_queues] of the context's vport's
 * representor. A VXLAN frame hashes on its outer headers.
 */
enum fw_rss_type {
    FW_RSS_IPV4         = 1u << 0,  /* IPv4 addresses (any IPv4 frame) */
    FW_RSS_IPV4_TCP     = 1u << 1,  /* IPv4 addresses + TCP ports */
    FW_RSS_IPV4_UDP     = 1u << 2,  /* IPv4 addresses + UDP ports */
    FW_RSS_IPV6         = 1u << 3,
    FW_RSS_IPV6_TCP     = 1u << 4,
    FW_RSS_IPV6_UDP     = 1u << 5,
    FW_RSS_ALL_         = (1u << 6) - 1,
};

#define FW_RSS_KEY_SIZE         40u
#define FW_RSS_QUEUES_MAX       128u    /* entries of a context's table */

enum fw_rss_ctx_flags {
    /* the vport's misses (frames no rule took, delivered to its
     * representor) are spread by this context; it replaces the vport's
     * previous default, which stays as a plain context */
    FW_RSS_F_VPORT_DEFAULT = 1u << 0,
};

/* FW_CMD_RSS_CTX_CREATE: a hash configuration and the table of queues of
 * one vport's representor it spreads over; in_size may end after
 * queues[n_queues - 1]. */
struct fw_rss_ctx_create_in {
    struct fw_cmd_hdr hdr;
    fw_le16 vport;          /* whose representor queues */
    fw_le16 flags;          /* enum fw_rss_ctx_flags */
    fw_le32 hash_types;     /* FW_RSS_* within caps.rss_hash_types; 0: no
                             * hash, every frame to queues[0] */
    uint8_t key[FW_RSS_KEY_SIZE];
    fw_le16 n_queues;       /* 1..FW_RSS_QUEUES_MAX */
    fw_le16 rsvd0;
    fw_le32 rsvd1;
    fw_le16 queues[FW_RSS_QUEUES_MAX]; /* each < caps.max_queues_per_port */
};

struct fw_rss_ctx_create_out {
    struct fw_out_hdr hdr;
    fw_le32 ctx_id;         /* 1.. */
    fw_le32 rsvd;
};

/* A context a rule still names (FW_ACT_RSS) is BUSY; destroying a vport's
 * default makes its misses go to queue 0 again. */
struct fw_rss_ctx_destroy_in {
    struct fw_cmd_hdr hdr;
    fw_le32 ctx_id;
    fw_le32 rsvd;
};

/* Allocates @count consecutive counter ids, returned as base_id. */
struct fw_counter_alloc_in {
    struct fw_cmd_hdr hdr;
    fw_le32 count;          /* 1..1024 */
    fw_le32 rsvd;
};

struct fw_counter_alloc_out {
    struct fw_out_hdr hdr;
    fw_le32 base_id;
    fw_le32 rsvd;
};

/* Frees exactly a range returned by one COUNTER_ALLOC. A counter still
 * referenced by a rule is BUSY. */
struct fw_counter_free_in {
    struct fw_cmd_hdr hdr;
    fw_le32 base_id;
    fw_le32 count;
};

#define FW_COUNTER_QUERY_MAX    60u

enum fw_counter_query_flags {
    FW_COUNTER_Q_CLEAR = 1u << 0,   /* read and zero atomically */
};

struct fw_counter_query_in {
    struct fw_cmd_hdr hdr;
    fw_le32 n;              /* 1..FW_COUNTER_QUERY_MAX */
    fw_le32 flags;
    fw_le32 ids[FW_COUNTER_QUERY_MAX];
};

struct fw_counter_value {
    fw_le64 packets;
    fw_le64 bytes;
};

struct fw_counter_query_out {
    struct fw_out_hdr hdr;
    struct fw_counter_value values[FW_COUNTER_QUERY_MAX];
};

/*
 * FW_CMD_COUNTER_MOVED (ABI 1.6): the counters that counted since a driver
 * last asked, with their values. The card stamps a counter with its
 * current *epoch* whenever it changes (a hit, COUNTER_ALLOC, a CLEAR), and
 * starts a new epoch at every walk's first page (cursor 0), whose output
 * carries it: the driver keeps that epoch as the @since of its next walk.
 * A page lists the allocated counters stamped @since or later, in id
 * order from @cursor; pass each page's next_cursor (same @since) until it
 * is FW_COUNTER_MOVED_END. @end bounds a page's range, so a driver may
 * walk several ranges at once (cursor 0 first: it starts the epoch). A
 * counter that counts during a walk may be
 * listed in this walk and again in the next one, never in neither. Any
 * number of drivers may walk, each with its own @since: the card keeps no
 * state per reader. @since 0 lists every allocated counter.
 */
#define FW_COUNTER_MOVED_MAX    41u     /* entries per page, at most */
#define FW_COUNTER_MOVED_END    0xffffffffu

struct fw_counter_moved_in {
    struct fw_cmd_hdr hdr;
    fw_le64 since;          /* an epoch a first page returned; 0: all */
    fw_le32 cursor;         /* 0 starts a walk; then the last next_cursor */
    fw_le32 end;            /* the walk stops before this index; 0: none */
    fw_le16 max;            /* 1..FW_COUNTER_MOVED_MAX entries */
    fw_le16 flags;          /* none defined: 0 */
    fw_le32 rsvd;
};

struct fw_counter_moved_entry {
    fw_le32 id;
    fw_le32 rsvd;
    fw_le64 packets;
    fw_le64 bytes;
};

struct fw_counter_moved_out {
    struct fw_out_hdr hdr;
    fw_le64 epoch;          /* first page: @since of the next walk */
    fw_le32 next_cursor;    /* FW_COUNTER_MOVED_END: nothing after this */
    fw_le32 n;              /* entries, 0..max */
    struct fw_counter_moved_entry entries[FW_COUNTER_MOVED_MAX];
};

/* ------------------------------------------------------------------------
 * Fault knobs (FW_CMD_DEBUG_FAULT, PF only; also on emunic's command line)
 * ------------------------------------------------------------------------ */

enum fw_fault {
    FW_FAULT_CLEAR          = 0,    /* all knobs off */
    FW_FAULT_FAIL_NEXT      = 1,    /* next @count commands with @opcode (0 =
                                     * any) fail with @status (INTERNAL if 0) */
    FW_FAULT_DELAY          = 2,    /* delay every command by @value us */
    FW_FAULT_DROP_NEXT      = 3,    /* swallow next @count commands: no CQE */
    FW_FAULT_RESET          = 4,    /* spontaneous firmware reset now */
    FW_FAULT_FATAL          = 5,    /* enter FW_HEALTH_FATAL */
    FW_FAULT_GARBAGE_NEXT   = 6,    /* next @count CQEs carry a bad token */
};

struct fw_debug_fault_in {
    struct fw_cmd_hdr hdr;
    fw_le32 fault;          /* enum fw_fault */
    fw_le16 opcode;
    uint8_t status;
    uint8_t rsvd0;
    fw_le32 count;
    fw_le32 value;
};

/* ------------------------------------------------------------------------
 * Packet queue pair (one memfd per attached queue)
 * ------------------------------------------------------------------------ */

#define FW_PKT_BUF_SIZE     2048u   /* max frame the rings carry */

enum fw_pkt_flags {
    FW_PKT_F_MARK   = 1u << 0,      /* mark is valid */
    FW_PKT_F_RSS    = 1u << 1,      /* rss_hash is valid (ABI 1.5) */
    FW_PKT_F_META   = 1u << 2,      /* rss_hash holds META (ABI 1.9) */
};

struct fw_pkt_desc {
    fw_le32 len;
    fw_le32 mark;
    fw_le16 flags;          /* enum fw_pkt_flags */
    fw_le16 src_vport;      /* rx on a representor: the ingress vport */
    /* with FW_PKT_F_RSS (ABI 1.5; was rsvd) the hash; else with
     * FW_PKT_F_META (ABI 1.9) the frame's META register. A frame with
     * both a hash and a non-zero META gets the hash (RSS spreading wins:
     * the 16-byte descriptor has one spare word) and FW_PKT_F_META clear. */
    fw_le32 rss_hash;
};

/*
 * Layout: this header (one page), then the rx ring (device -> driver), then
 * the tx ring (driver -> device). A ring is depth descriptors followed by
 * depth buffers of FW_PKT_BUF_SIZE; descriptor i owns buffer i. The device
 * polls tx while it has work; when idle it sets tx_need_kick and sleeps, and
 * a driver that sees tx_need_kick after posting writes the kick eventfd.
 */
struct fw_pktq {
    fw_le32 magic;
    fw_le32 depth;
    fw_le32 rx_offset;      /* bytes from the start of the memfd */
    fw_le32 tx_offset;
    fw_le16 vport;
    fw_le16 queue;
    fw_le32 flags;          /* enum fw_queue_dir_flags */
    uint8_t rsvd0[FW_CACHE_LINE - 24];

    fw_le32 rx_producer;    /* device */
    uint8_t pad0[FW_CACHE_LINE - 4];
    fw_le32 rx_consumer;    /* driver */
    uint8_t pad1[FW_CACHE_LINE - 4];
    fw_le32 tx_producer;    /* driver */
    uint8_t pad2[FW_CACHE_LINE - 4];
    fw_le32 tx_consumer;    /* device */
    uint8_t pad3[FW_CACHE_LINE - 4];
    fw_le32 tx_need_kick;   /* device */
    uint8_t pad4[FW_CACHE_LINE - 4];
    fw_le32 detached;       /* device: 1 once no longer fed (reset, replace) */
    uint8_t pad5[FW_CACHE_LINE - 4];
};

#define FW_PKTQ_HDR_SIZE    4096u

#endif /* SNIC_FW_ABI_H */
