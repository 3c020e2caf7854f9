/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz the journal reader (include/snic/journal.h) with what a crash or a
 * damaged disk could leave in the file. The first byte picks how the rest
 * is used, so the fuzzer also gets past the checksums it cannot forge:
 *   0  the whole file, as is;
 *   1  one frame with a correct header around the rest (a format-2 file);
 *   2  the rest after a format-1 header line.
 * Checked on every input:
 *  - the outcome is 0, damage (-EBADMSG, with an offset inside the file and
 *    a reason) or not a journal (-EINVAL, with a reason), nothing else;
 *  - every record handed over, written back as compaction writes it, reads
 *    back as the same flow;
 *  - on 0, the whole part (keep) read alone gives the same records and
 *    nothing torn: what snicd keeps after cutting a torn tail is clean.
 * Any difference abort()s.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
    size_t calls;
};

static int
check_record(void *ctx, bool add, const struct flow *f)
{
    struct seen *s = ctx;
    char text[FLOW_FORMAT_MAX];
    struct flow_error err;
    struct flow_mod fm;
    int n;

    (void)add;
    s->calls++;
    n = flow_format(f, NULL, text, sizeof(text));
    if (n < 0 || (size_t)n >= sizeof(text))
        abort();
    if (flow_parse(text, FLOW_CMD_ADD, NULL, &fm, &err) != 0) {
        fprintf(stderr, "a record read back does not parse: '%s': %s\n",
                text, err.msg);
        abort();
    }
    if (!flow_equal(f, &fm.flow)) {
        fprintf(stderr, "a record read back changed: '%s'\n", text);
        abort();
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char hdr[JOURNAL_FRAME_HDR_MAX + 1];
    struct journal_read jr, again;
    struct seen s = { 0 }, s2 = { 0 };
    size_t n = 0, h = 0;
    char *buf, *copy;
    int rc, mode;

    if (size == 0 || size > (1u << 16))
        return 0;
    mode = data[0] % 3;
    data++;
    size--;
    if (mode == 1)
        h = journal_frame_header(hdr, (const char *)data, size);
    buf = malloc(size + h + 32);
    copy = malloc(size + h + 32);
    if (buf == NULL || copy == NULL)
        abort();
    if (mode == 1) {
        memcpy(buf, JOURNAL_MAGIC, strlen(JOURNAL_MAGIC));
        n = strlen(JOURNAL_MAGIC);
        memcpy(buf + n, hdr, h);
        n += h;
    } else if (mode == 2) {
        memcpy(buf, JOURNAL_MAGIC_V1, strlen(JOURNAL_MAGIC_V1));
        n = strlen(JOURNAL_MAGIC_V1);
    }
    memcpy(buf + n, data, size);
    n += size;
    buf[n] = '\0';
    memcpy(copy, buf, n + 1);       /* the reader cuts lines in place */

    rc = journal_read(buf, n, check_record, &s, &jr);
    if (rc == -EBADMSG) {
        if (jr.offset >= n || jr.why[0] == '\0' || jr.line == 0)
            abort();
    } else if (rc == -EINVAL) {
        if (jr.why[0] == '\0')
            abort();
    } else if (rc != 0) {
        abort();
    } else {
        if (jr.keep > n || jr.records != s.calls || jr.format > 2
            || (jr.torn_at != 0 && (jr.torn_at != jr.keep
                                    || jr.why[0] == '\0')))
            abort();
        /* what is kept is a clean journal on its own */
        copy[jr.keep] = '\0';
        if (jr.format != 0
            && (journal_read(copy, jr.keep, check_record, &s2, &again) != 0
                || again.keep != jr.keep || again.torn_at != 0
                || again.records != jr.records
                || again.format != jr.format)) {
            fprintf(stderr, "the kept %zu bytes do not read back alone\n",
                    jr.keep);
            abort();
        }
    }
    free(buf);
    free(copy);
    return 0;
}
