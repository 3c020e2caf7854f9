/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload manager's reasons, each text kept once (snicd_reason.c).
 *
 * Every flow says why it is where it is (dump-flows' "reason"), and a
 * million flows say it with a few texts: "" in hardware, a device's
 * refusal, "pending commit", a conjunction's few lines. A flow holds a
 * pointer to the shared copy (8 bytes where it held a 160-byte buffer);
 * the pool counts the flows holding each text and frees it with the
 * last. Texts are cut at SNICD_REASON_SIZE - 1 bytes, as the buffers
 * cut them.
 *
 * A leaf: it calls nothing of the offload manager. Control thread only,
 * like the manager.
 */
#ifndef SNICD_REASON_H
#define SNICD_REASON_H

#include <stddef.h>

#include "snic_hmap.h"

struct snicd_reasons {
    struct snic_hmap texts;     /* struct snicd_reason_text, by hash */
};

void snicd_reasons_init(struct snicd_reasons *r);
/* Frees every text still held (the holders go with the pool). */
void snicd_reasons_fini(struct snicd_reasons *r);

/* A holder of @s (cut at SNICD_REASON_SIZE - 1 bytes): the pool's copy,
 * one holder more. Never NULL: "" costs nothing, and when memory runs out
 * the answer is a fixed text that says so. Give it back with
 * snicd_reason_put(). */
const char *snicd_reason_get(struct snicd_reasons *r, const char *s);
/* One holder of @s (an answer of snicd_reason_get(), or NULL) less. */
void snicd_reason_put(struct snicd_reasons *r, const char *s);
/* Texts held, for the tests. */
size_t snicd_reasons_count(const struct snicd_reasons *r);

#endif /* SNICD_REASON_H */
