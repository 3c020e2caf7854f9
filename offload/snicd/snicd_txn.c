/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * add-flows files larger than one request: a transaction in chunks.
 *
 * snicctl sends a large file as several add-flows requests carrying a
 * transaction id: the first opens it ("more": true), each chunk is checked
 * (every line parses, the lines follow on from the last chunk) and kept as
 * text, and the last one ("more" false) applies the whole file as one
 * batch (snicd_core_batch_*: one flow-table transaction, one journal
 * frame). A bad line anywhere ends the transaction with nothing applied;
 * so does a client that goes away (the transaction expires after
 * SNICD_TXN_IDLE_S seconds without a chunk) or asks for it ("abort").
 *
 * Chunks are kept as their JSON strings, not as parsed mods (728 bytes
 * each): a 70 MB file costs about twice its size until its commit, which
 * parses each chunk again and applies it into the open batch. Open
 * transactions are bounded in number and in bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "snicd.h"

#define SNICD_TXN_MAX           4u
#define SNICD_TXN_MAX_BYTES     (1ull << 30)    /* all open ones together */
#define SNICD_TXN_IDLE_S        60u

struct snicd_txn_chunk {
    json_t *flows;                  /* the request's array; a reference */
    json_int_t first_line;
};

struct snicd_txn {
    struct snicd_txn *next;
    uint64_t id;
    char *file;
    json_int_t next_line;           /* the next chunk's first line */
    struct snicd_txn_chunk *chunks;
    size_t n_chunks, cap_chunks;
    size_t n_mods, n_lines;
    uint64_t bytes;
    uint64_t start_ns, touched_ns;
};

int
snicd_flow_lines_parse(struct snicd *d, const json_t *flows, const char *file,
                       json_int_t first_line, struct flow_mod *mods,
                       size_t *lines, size_t *n, const char *nothing,
                       struct ctl_error *err)
{
    size_t i;
    json_t *v;

    *n = 0;
    json_array_foreach((json_t *)flows, i, v) {
        struct flow_error ferr;

        if (json_is_null(v))
            continue;
        if (!json_is_string(v)) {
            ctl_fail(err, CTL_ERR_INVALID_PARAMS, "%s:%" JSON_INTEGER_FORMAT
                     ": not a string (flows are strings, null for a blank "
                     "line)", file, first_line + (json_int_t)i);
            return -EINVAL;
        }
        if (flow_parse(json_string_value(v), FLOW_CMD_ADD, &d->portmap,
                       &mods[*n], &ferr) < 0
            || snicd_tlv_fit(d, &mods[*n], ferr.msg, sizeof(ferr.msg)) < 0) {
            ctl_fail(err, CTL_ERR_FAILED, "%s:%" JSON_INTEGER_FORMAT ": %s "
                     "(%s)", file, first_line + (json_int_t)i, ferr.msg,
                     nothing);
            return -EINVAL;
        }
        if (lines != NULL)
            lines[*n] = i;
        (*n)++;
    }
    return 0;
}

static void
txn_free(struct snicd *d, struct snicd_txn *t)
{
    struct snicd_txn **pp = &d->txns;

    while (*pp != NULL && *pp != t)
        pp = &(*pp)->next;
    if (*pp == t)
        *pp = t->next;
    for (size_t i = 0; i < t->n_chunks; i++)
        json_decref(t->chunks[i].flows);
    d->txn_bytes -= t->bytes;
    d->n_txns--;
    free(t->chunks);
    free(t->file);
    free(t);
}

void
snicd_txn_expire(struct snicd *d, uint64_t now)
{
    struct snicd_txn *t = d->txns, *next;

    for (; t != NULL; t = next) {
        next = t->next;
        if (now - t->touched_ns < SNICD_TXN_IDLE_S * 1000000000ull)
            continue;
        snicd_log(SNICD_LOG_WARN, "add-flows transaction %" PRIu64 " (%s, "
                  "%zu lines) idle for %us: dropped, nothing of it was "
                  "added", t->id, t->file, t->n_lines, SNICD_TXN_IDLE_S);
        txn_free(d, t);
    }
}

void
snicd_txn_fini(struct snicd *d)
{
    while (d->txns != NULL)
        txn_free(d, d->txns);
}

static struct snicd_txn *
txn_find(struct snicd *d, uint64_t id)
{
    struct snicd_txn *t = d->txns;

    while (t != NULL && t->id != id)
        t = t->next;
    return t;
}

static struct snicd_txn *
txn_open(struct snicd *d, const char *file, json_int_t first_line,
         uint64_t now, struct ctl_error *err)
{
    struct snicd_txn *t;

    if (d->n_txns >= SNICD_TXN_MAX) {
        ctl_fail(err, CTL_ERR_FAILED, "%s: %u add-flows transactions are "
                 "open already; try again when one ends (an abandoned one "
                 "expires after %us)", file, SNICD_TXN_MAX,
                 SNICD_TXN_IDLE_S);
        return NULL;
    }
    t = calloc(1, sizeof(*t));
    if (t == NULL || (t->file = strdup(file)) == NULL) {
        free(t);
        ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    t->id = ++d->next_txn;
    t->next_line = first_line;
    t->start_ns = now;
    t->next = d->txns;
    d->txns = t;
    d->n_txns++;
    return t;
}

/* Keep @flows (checked) as the next chunk of @t. */
static int
txn_append(struct snicd *d, struct snicd_txn *t, const json_t *flows,
           json_int_t first_line, size_t n_mods, struct ctl_error *err)
{
    uint64_t bytes = 0;
    size_t i;
    json_t *v;

    json_array_foreach((json_t *)flows, i, v)
        bytes += 16 + (json_is_string(v) ? json_string_length(v) : 0);
    if (d->txn_bytes + bytes > SNICD_TXN_MAX_BYTES) {
        ctl_fail(err, CTL_ERR_FAILED, "%s: add-flows transactions would hold "
                 "more than %llu bytes: transaction ended, nothing of this "
                 "file was added", t->file, SNICD_TXN_MAX_BYTES);
        return -E2BIG;
    }
    if (t->n_chunks == t->cap_chunks) {
        size_t cap = t->cap_chunks ? t->cap_chunks * 2 : 16;
        struct snicd_txn_chunk *c = realloc(t->chunks, cap * sizeof(*c));

        if (c == NULL) {
            ctl_fail(err, CTL_ERR_INTERNAL, "out of memory");
            return -ENOMEM;
        }
        t->chunks = c;
        t->cap_chunks = cap;
    }
    t->chunks[t->n_chunks++] = (struct snicd_txn_chunk){
        json_incref((json_t *)flows), first_line };
    t->bytes += bytes;
    d->txn_bytes += bytes;
    t->n_lines += json_array_size(flows);
    t->n_mods += n_mods;
    t->next_line = first_line + (json_int_t)json_array_size(flows);
    return 0;
}

/* Every chunk of @t into one batch. The reply, or NULL with @err. */
static json_t *
txn_commit(struct snicd *d, struct snicd_txn *t, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    struct flow_mod *mods = NULL;
    size_t *lines = NULL, cap = 0, failed = 0, before, fresh;
    uint64_t ns;
    int rc;

    before = flow_table_count(d->table, FLOW_TABLE_ALL);
    rc = snicd_core_batch_begin(d);
    if (rc < 0)
        return ctl_fail(err, CTL_ERR_FAILED, "%s: %s (nothing of this file "
                        "was added)", t->file, strerror(-rc));
    for (size_t c = 0; c < t->n_chunks; c++) {
        const struct snicd_txn_chunk *ch = &t->chunks[c];
        size_t n, want = json_array_size(ch->flows) + 1;

        if (want > cap) {
            free(mods);
            free(lines);
            mods = malloc(want * sizeof(*mods));
            lines = malloc(want * sizeof(*lines));
            cap = want;
            if (mods == NULL || lines == NULL) {
                snicd_core_batch_abort(d);
                ctl_fail(err, CTL_ERR_INTERNAL, "out of memory for %zu "
                         "flows (nothing of this file was added)", want);
                goto out;
            }
        }
        /* checked when it came: this parse cannot fail unless a port
         * went away meanwhile */
        if (snicd_flow_lines_parse(d, ch->flows, t->file, ch->first_line,
                                   mods, lines, &n, "nothing of this file "
                                   "was added", err) < 0) {
            snicd_core_batch_abort(d);
            goto out;
        }
        rc = snicd_core_batch_add(d, mods, n, &failed);
        if (rc < 0) {
            ctl_fail(err, CTL_ERR_FAILED, "%s:%" JSON_INTEGER_FORMAT ": %s "
                     "(nothing of this file was added)", t->file,
                     ch->first_line + (json_int_t)lines[failed],
                     rc == -EEXIST ? "overlaps an existing flow "
                     "(check_overlap)" : strerror(-rc));
            goto out;
        }
    }
    rc = snicd_core_batch_end(d, t->n_mods);
    if (rc < 0) {
        ctl_fail(err, CTL_ERR_FAILED, "%s: the journal cannot take it: %s "
                 "(nothing of this file was added)", t->file, strerror(-rc));
        goto out;
    }
    free(mods);
    free(lines);
    ns = snic_now_ns() - t->start_ns;
    d->last_batch.flows = t->n_mods;
    d->last_batch.ns = ns ? ns : 1;
    /* as m_add_flows: how many the table did not have */
    fresh = flow_table_count(d->table, FLOW_TABLE_ALL) - before;
    return json_pack("{s:I, s:I, s:I, s:I, s:f, s:f}", "added",
                     (json_int_t)t->n_mods, "new", (json_int_t)fresh,
                     "replaced", (json_int_t)(t->n_mods - fresh),
                     "lines", (json_int_t)t->n_lines, "seconds",
                     (double)ns / 1e9, "flows_per_sec",
                     (double)t->n_mods * 1e9 / (double)d->last_batch.ns);

out:
    free(mods);
    free(lines);
    return NULL;
}

json_t *
snicd_txn_add_flows(struct snicd *d, const json_t *flows, const char *file,
                    json_int_t first_line, json_int_t id, bool more,
                    bool abort_it, struct ctl_error *err)
    SNIC_REQUIRES(snic_control)
{
    uint64_t now = snic_now_ns();
    struct snicd_txn *t = NULL;
    struct flow_mod *mods;
    json_t *r = NULL;
    size_t n = 0;

    snicd_txn_expire(d, now);
    if (id != 0) {
        t = txn_find(d, (uint64_t)id);
        if (t == NULL)
            return ctl_fail(err, CTL_ERR_FAILED, "%s: add-flows transaction "
                            "%" JSON_INTEGER_FORMAT " is not open (it ended, "
                            "failed, or expired after %us without a chunk): "
                            "nothing of this file was added", file, id,
                            SNICD_TXN_IDLE_S);
        t->touched_ns = now;
        if (abort_it) {
            r = json_pack("{s:b, s:I}", "aborted", 1, "lines",
                          (json_int_t)t->n_lines);
            txn_free(d, t);
            return r;
        }
        if (strcmp(file, t->file) != 0 || first_line != t->next_line) {
            ctl_fail(err, CTL_ERR_INVALID_PARAMS, "%s: chunk of %s from line "
                     "%" JSON_INTEGER_FORMAT " does not follow on (expected "
                     "%s from line %" JSON_INTEGER_FORMAT "): transaction "
                     "ended, nothing of this file was added", t->file, file,
                     first_line, t->file, t->next_line);
            txn_free(d, t);
            return NULL;
        }
    } else if (abort_it) {
        return ctl_fail(err, CTL_ERR_INVALID_PARAMS, "'abort' needs 'txn'");
    }
    mods = malloc((json_array_size(flows) + 1) * sizeof(*mods));
    if (mods == NULL)
        return ctl_fail(err, CTL_ERR_INTERNAL, "out of memory for %zu flows",
                        json_array_size(flows));
    if (snicd_flow_lines_parse(d, flows, file, first_line, mods, NULL, &n,
                               "nothing of this file was added", err) < 0)
        goto fail;
    free(mods);
    mods = NULL;
    if (t == NULL) {
        t = txn_open(d, file, first_line, now, err);
        if (t == NULL)
            return NULL;
        t->touched_ns = now;
    }
    if (txn_append(d, t, flows, first_line, n, err) < 0)
        goto fail;
    if (more)
        return json_pack("{s:I, s:I, s:I}", "txn", (json_int_t)t->id,
                         "staged", (json_int_t)t->n_mods, "lines",
                         (json_int_t)t->n_lines);
    r = txn_commit(d, t, err);
    txn_free(d, t);
    return r;

fail:
    free(mods);
    if (t != NULL)
        txn_free(d, t);
    return NULL;
}
