/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets to CONTROLLER. snicd has no OpenFlow channel yet, so a packet
 * punted to the control plane is counted and the last ones are kept for
 * `snicctl controller-show` (docs/snicd.md). Each worker records into a
 * ring of its own (single writer, a sequence count per slot: the control
 * thread copies a slot and retries when the count moved), so a punt takes
 * no lock and never waits for the control thread. No DPDK.
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

static int
newest_first(const void *a, const void *b)
{
    const struct snicd_punt *x = a, *y = b;

    return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : 0;
}

json_t *
snicd_ctl_controller_show(struct snicd *d)
{
    struct snicd_punt all[SNICD_PUNT_KEEP * SNICD_MAX_WORKERS];
    uint64_t total = 0, now = snicd_now_ns();
    json_t *list = json_array(), *o = NULL;
    char *buf = NULL;
    size_t size = 0, n;
    FILE *f = open_memstream(&buf, &size);

    if (list == NULL || f == NULL)
        goto out;
    n = snicd_workers_punts(d, all, sizeof(all) / sizeof(all[0]), &total);
    qsort(all, n, sizeof(all[0]), newest_first);
    if (n > SNICD_PUNT_KEEP)
        n = SNICD_PUNT_KEEP;
    fprintf(f, "to the controller: %llu packets (no OpenFlow channel: "
            "counted, the last %zu kept)\n", (unsigned long long)total, n);
    for (size_t i = 0; i < n; i++) {
        const struct snicd_punt *p = &all[i];
        const struct snicd_port_info *pi =
            snicd_ports_by_ofport(&d->ports, p->in_port);
        char name[16], hex[2 * SNICD_PUNT_BYTES + 1];
        size_t cap = p->len < SNICD_PUNT_BYTES ? p->len : SNICD_PUNT_BYTES;
        double ago = now > p->ns ? (double)(now - p->ns) / 1e9 : 0;

        if (pi == NULL)
            snprintf(name, sizeof(name), "%u", p->in_port);
        for (size_t b = 0; b < cap; b++)
            snprintf(hex + 2 * b, 3, "%02x", p->data[b]);
        hex[2 * cap] = '\0';
        fprintf(f, "  %8.3f s ago  in_port=%s  len=%u  %s%s\n", ago,
                pi ? pi->name : name, p->len, hex,
                cap < p->len ? "..." : "");
        json_array_append_new(list, json_pack("{s:s, s:I, s:f, s:s}",
                                              "in_port", pi ? pi->name : name,
                                              "len", (json_int_t)p->len,
                                              "age", ago, "hex", hex));
    }
    fclose(f);
    f = NULL;
    o = json_pack("{s:I, s:O, s:s}", "count", (json_int_t)total, "packets",
                  list, "text", buf);
out:
    if (f != NULL)
        fclose(f);
    json_decref(list);
    free(buf);
    return o;
}
