/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rx/tx bursts over the card's shared-memory queue pairs (struct fw_pktq).
 *
 * Both directions copy: the rings' buffers belong to the device, mbufs to
 * the application's mempool. A queue whose mapping is gone (port stopped)
 * or whose device died simply moves nothing: the rings stay mapped until
 * the queue is detached, so a dead card can never fault a burst. Neither
 * does a removed port (its VF left the card): rx returns nothing, tx
 * takes nothing.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf.h>

#include "emunic.h"

#define EMUNIC_BURST 32

uint16_t
emunic_rx_burst(void *qp, struct rte_mbuf **bufs, uint16_t n)
{
    struct emunic_rxq *q = qp;
    struct fw_pktq_map *map = q->map;
    struct rte_mbuf *mb[EMUNIC_BURST];
    struct fw_pkt pk[EMUNIC_BURST];
    uint16_t done = 0;
    uint64_t bytes = 0;

    /* a removed port's queues are detached by the card; what is left in
     * the ring belongs to a function that no longer exists */
    if (map == NULL || __atomic_load_n(q->gone, __ATOMIC_RELAXED))
        return 0;
    while (done < n) {
        unsigned want = n - done, got, i;

        if (want > EMUNIC_BURST)
            want = EMUNIC_BURST;
        got = fw_pktq_rx_peek(map, pk, want);
        if (got == 0)
            break;
        if (rte_pktmbuf_alloc_bulk(q->mp, mb, got) != 0) {
            /* leave the frames in the ring: the device counts the
             * overflow if the application never catches up */
            q->nombuf += got;
            break;
        }
        for (i = 0; i < got; i++) {
            struct rte_mbuf *m = mb[i];

            if (pk[i].len > rte_pktmbuf_tailroom(m)) {
                /* the pool's buffers are smaller than the frame */
                rte_pktmbuf_free(m);
                q->errors++;
                continue;
            }
            memcpy(rte_pktmbuf_mtod(m, void *), pk[i].data, pk[i].len);
            m->data_len = (uint16_t)pk[i].len;
            m->pkt_len = pk[i].len;
            m->port = q->port_id;
            if (pk[i].flags & FW_PKT_F_MARK) {
                /* where rte_flow MARK lands, so a control plane can finish
                 * a partially offloaded flow in software */
                m->hash.fdir.hi = pk[i].mark;
                m->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
            }
            if (pk[i].flags & FW_PKT_F_RSS) {
                /* the card's Toeplitz hash, as a NIC reports it */
                m->hash.rss = pk[i].rss_hash;
                m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
            } else if ((pk[i].flags & FW_PKT_F_META) &&
                       rte_flow_dynf_metadata_avail()) {
                /* the META register (ABI 1.9), in the same spare word */
                *RTE_FLOW_DYNF_METADATA(m) = pk[i].rss_hash;
                m->ol_flags |= rte_flow_dynf_metadata_mask;
            }
            bytes += pk[i].len;
            bufs[done++] = m;
        }
        fw_pktq_rx_release(map, got);
        if (got < want)
            break;
    }
    q->packets += done;
    q->bytes += bytes;
    return done;
}

/*
 * Copy an mbuf chain into one ring buffer. False, and nothing sent, when it
 * does not fit or when its segments do not add up to pkt_len: a malformed
 * chain is a counted drop, never a frame cut short or padded with stale
 * ring bytes.
 */
static bool
tx_gather(uint8_t *dst, const struct rte_mbuf *m)
{
    uint32_t off = 0, len = m->pkt_len;

    if (len > FW_PKT_BUF_SIZE)
        return false;
    for (; m != NULL; m = m->next) {
        if (off + m->data_len > len)
            return false;
        memcpy(dst + off, rte_pktmbuf_mtod(m, const void *), m->data_len);
        off += m->data_len;
    }
    return off == len;
}

uint16_t
emunic_tx_burst(void *qp, struct rte_mbuf **bufs, uint16_t n)
{
    struct emunic_txq *q = qp;
    struct fw_pktq_map *map = q->map;
    uint8_t *ring[EMUNIC_BURST];
    uint32_t lens[EMUNIC_BURST];
    uint16_t done = 0;

    /* nothing reads a removed port's ring: keep the mbufs with the caller
     * (as a full ring does) rather than filling it */
    if (map == NULL || __atomic_load_n(q->gone, __ATOMIC_RELAXED))
        return 0;
    while (done < n) {
        unsigned want = n - done, got, i, k = 0;

        if (want > EMUNIC_BURST)
            want = EMUNIC_BURST;
        /* reserving is only a peek at free slots: commit may take fewer */
        got = fw_pktq_tx_reserve(map, ring, want);
        if (got == 0)
            break;
        for (i = 0; i < got; i++) {
            struct rte_mbuf *m = bufs[done + i];

            if (!tx_gather(ring[k], m)) {
                q->errors++;    /* counted drop, never a truncated frame */
            } else {
                lens[k++] = m->pkt_len;
                q->bytes += m->pkt_len;
            }
            rte_pktmbuf_free(m);
        }
        fw_pktq_tx_commit(map, lens, k);
        q->packets += k;
        done += got;
        if (got < want)
            break;
    }
    return done;
}
