/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to the software datapath: the connection tracker
 * (dp_conntrack.c) and the ct action's side of the packet path. */
#ifndef SNIC_DP_CT_PRIV_H
#define SNIC_DP_CT_PRIV_H

#include "dp_priv.h"

struct dp_ct;

/* What ct() gives the packet: its ct_* fields. */
struct dp_ct_result {
    uint8_t state;          /* FLOW_CS_*, TRACKED always set */
    bool full;              /* a commit found the table full */
    uint16_t zone;
    uint32_t mark;
    uint64_t label[2];
};

struct dp_ct *dp_ct_create(void);
void dp_ct_destroy(struct dp_ct *ct);
/* Seconds; NULL: CLOCK_MONOTONIC. Before the workers run. */
void dp_ct_set_clock(struct dp_ct *ct, uint64_t (*now_s)(void *ctx),
                     void *ctx);
void dp_ct_set_limit(struct dp_ct *ct, size_t max);
size_t dp_ct_limit(const struct dp_ct *ct);
size_t dp_ct_count(const struct dp_ct *ct);

/*
 * The packet frame[0..len) (extracted as @key, @lay; @key's registers the
 * packet's) through the tracker in @zone, for the ct action @a, whose
 * exec() body follows it in memory (applied to the connection, reading
 * @key). @dry: answer without changing anything (a check run). Any
 * worker, concurrently.
 */
void dp_ct_execute(struct dp_ct *ct, const uint8_t *frame, size_t len,
                   const struct flow_key *key, const struct dp_layout *lay,
                   const struct flow_action *a, uint16_t zone, bool dry,
                   struct dp_ct_result *res);

/* Control side. */
size_t dp_ct_dump(struct dp_ct *ct, int zone, struct dp_ct_entry *out,
                  size_t max);
size_t dp_ct_flush(struct dp_ct *ct, int zone);

#endif /* SNIC_DP_CT_PRIV_H */
