/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets to CONTROLLER. snicd has no OpenFlow channel yet, so a packet
 * punted to the control plane is counted and the last ones are kept for
 * `snicctl controller-show` (docs/snicd.md). Each worker records into a
 * ring of its own (single writer, a sequence count per slot: the control
 * thread copies a slot and retries when the count moved), so a punt takes
 * no lock and never waits for the control thread. No DPDK. A leaf: the
 * workers record, `controller-show` (snicd_ctl_info.c) copies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"
#include "snicd_ctl_fmt.h"

void
snicd_punt_record(struct snicd_punts *r, const struct dp_output *out,
                  uint64_t now_ns)
{
    uint64_t n = __atomic_load_n(&r->count, __ATOMIC_RELAXED);
    struct snicd_punt_slot *s = &r->slot[n % SNICD_PUNT_KEEP];
    uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    uint64_t words[SNICD_PUNT_BYTES / 8] = { 0 };
    size_t cap = out->len < SNICD_PUNT_BYTES ? out->len : SNICD_PUNT_BYTES;

    memcpy(words, out->frame, cap);
    __atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&s->ns, now_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&s->in_port, out->in_port, __ATOMIC_RELAXED);
    __atomic_store_n(&s->len, (uint32_t)out->len, __ATOMIC_RELAXED);
    for (size_t i = 0; i < SNICD_PUNT_BYTES / 8; i++)
        __atomic_store_n(&s->data[i], words[i], __ATOMIC_RELAXED);
    __atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
    __atomic_store_n(&r->count, n + 1, __ATOMIC_RELEASE);
}

size_t
snicd_punts_copy(const struct snicd_punts *cr, struct snicd_punt *out,
                 size_t max)
{
    struct snicd_punts *r = (struct snicd_punts *)cr;  /* loads only */
    uint64_t count = __atomic_load_n(&r->count, __ATOMIC_ACQUIRE);
    size_t n = 0;

    for (unsigned i = 0; i < SNICD_PUNT_KEEP && i < count && n < max; i++) {
        struct snicd_punt_slot *s = &r->slot[i];
        struct snicd_punt *p = &out[n];
        uint64_t words[SNICD_PUNT_BYTES / 8];
        uint32_t before, after;
        int tries = 0;

        do {
            before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
            p->ns = __atomic_load_n(&s->ns, __ATOMIC_RELAXED);
            p->in_port = __atomic_load_n(&s->in_port,
                                         __ATOMIC_RELAXED);
            p->len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
            for (size_t w = 0; w < SNICD_PUNT_BYTES / 8; w++)
                words[w] = __atomic_load_n(&s->data[w],
                                           __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            after = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
        } while ((before != after || (before & 1)) && ++tries < 1000);
        if (before != after || (before & 1) || before == 0)
            continue;       /* being rewritten all the time: skip it */
        memcpy(p->data, words, sizeof(p->data));
        n++;
    }
    return n;
}
