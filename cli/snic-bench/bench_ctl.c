/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The harness's side of snicd's control socket, and the flows it sends.
 *
 * Flow i of the forwarding set matches in_port + UDP + nw_dst 10.0.0.0 + i
 * and outputs to the out port: distinct exact matches of one shape, the
 * common case of a flow cache, which every profile of the card offloads.
 * Churn flows use 11.0.0.0 + i, so they never match the traffic and can be
 * deleted by block with one loose del-flows on a prefix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snic/ctl.h"
#include "bench.h"

/* a loose modify or delete of 1,000,000 flows on a slow card */
#define CALL_TIMEOUT_MS     1800000

uint32_t
bench_flow_dst(bool churn, uint32_t i)
{
    return ((churn ? 11u : 10u) << 24) + (i & 0xffffffu);
}

int
bench_flow_text(char *buf, size_t size, const struct bench_opts *o,
                bool churn, uint32_t i)
{
    uint32_t d = bench_flow_dst(churn, i);
    int n = snprintf(buf, size, "priority=100,in_port=%s,udp,"
                     "nw_dst=%u.%u.%u.%u actions=output:%s", o->in_port,
                     d >> 24, (d >> 16) & 255, (d >> 8) & 255, d & 255,
                     o->out_port);

    return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

struct ctl_client *
bench_ctl_open(const struct bench_env *e, double timeout_s)
{
    double end = snic_now_s() + timeout_s;
    struct ctl_client *c;

    for (;;) {
        c = ctl_client_open(e->ctl_dir, 1000);
        if (c != NULL || snic_now_s() >= end || bench_stop)
            return c;
        usleep(20000);
    }
}

static json_t *
call(struct ctl_client *c, const char *method, json_t *params)
{
    struct ctl_error err = { 0 };
    json_t *r = ctl_client_call(c, method, params, CALL_TIMEOUT_MS, &err);

    if (r == NULL)
        fprintf(stderr, "snic-bench: snicd %s: %s\n", method, err.message);
    return r;
}

/* The add-flows request's params, written as text into one buffer kept
 * from batch to batch: building 1,000 jansson strings and dumping them
 * took the harness 0.5-0.7 ms a batch, time snicd waited for with one
 * request in flight (#13). The harness is single-threaded. */
static struct {
    char *p;
    size_t len, cap;
} req;

static int
req_put(const char *s, size_t n)
{
    if (req.len + n > req.cap) {
        size_t cap = req.cap ? req.cap : 1u << 16;
        char *p;

        while (cap < req.len + n)
            cap *= 2;
        p = realloc(req.p, cap);
        if (p == NULL)
            return -ENOMEM;
        req.p = p;
        req.cap = cap;
    }
    memcpy(req.p + req.len, s, n);
    req.len += n;
    return 0;
}

/* @s as a JSON string, quotes included. */
static int
req_put_string(const char *s, size_t n)
{
    size_t run = 0;
    int rc = req_put("\"", 1);

    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];

        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        rc = req_put(s + run, i - run);
        snprintf(esc, sizeof(esc), ch == '"' ? "\\\"" : ch == '\\'
                 ? "\\\\" : "\\u%04x", ch);
        if (rc == 0)
            rc = req_put(esc, strlen(esc));
        run = i + 1;
    }
    if (rc == 0)
        rc = req_put(s + run, n - run);
    return rc == 0 ? req_put("\"", 1) : rc;
}

int
bench_ctl_add_send(struct ctl_client *c, const struct bench_opts *o,
                   bool churn, uint32_t first, uint32_t n, double *sent_at)
{
    struct ctl_error err = { 0 };
    const char *file = churn ? "churn" : "bench";
    char text[256];
    int rc;

    req.len = 0;
    rc = req_put("{\"flows\":[", 10);
    for (uint32_t i = first; rc == 0 && i < first + n; i++) {
        int len = bench_flow_text(text, sizeof(text), o, churn, i);

        if (len < 0)
            return len;
        if (i > first)
            rc = req_put(",", 1);
        if (rc == 0)
            rc = req_put_string(text, (size_t)len);
    }
    if (rc == 0)
        rc = req_put("],\"file\":", 9);
    if (rc == 0)
        rc = req_put_string(file, strlen(file));
    if (rc == 0)
        rc = req_put("}", 1);
    if (rc < 0)
        return rc;
    *sent_at = snic_now_s();
    if (ctl_client_send_text(c, "add-flows", req.p, req.len, CALL_TIMEOUT_MS,
                             &err) < 0) {
        fprintf(stderr, "snic-bench: snicd add-flows: %s\n", err.message);
        return -EIO;
    }
    return 0;
}

int
bench_ctl_add_recv(struct ctl_client *c, uint32_t n)
{
    struct ctl_error err = { 0 };
    json_t *r = ctl_client_recv(c, CALL_TIMEOUT_MS, &err);
    json_int_t added;

    if (r == NULL) {
        fprintf(stderr, "snic-bench: snicd add-flows: %s\n", err.message);
        return -EIO;
    }
    added = json_integer_value(json_object_get(r, "added"));
    json_decref(r);
    if (added != (json_int_t)n) {
        fprintf(stderr, "snic-bench: add-flows added %lld of %u flows\n",
                (long long)added, n);
        return -EIO;
    }
    return 0;
}

int
bench_ctl_add(struct ctl_client *c, const struct bench_opts *o, bool churn,
              uint32_t first, uint32_t n, double *seconds)
{
    /* the clock covers the request on the wire, parsing, the flow table,
     * the offload commit and the reply: what a controller waits for */
    double t0 = 0;
    int rc;

    rc = bench_ctl_add_send(c, o, churn, first, n, &t0);
    if (rc == 0)
        rc = bench_ctl_add_recv(c, n);
    if (seconds != NULL)
        *seconds = snic_now_s() - t0;
    return rc;
}

int
bench_ctl_del(struct ctl_client *c, const char *match)
{
    json_t *params = json_pack("{s:b}", "strict", 0), *r;

    if (params == NULL)
        return -ENOMEM;
    if (match != NULL)
        json_object_set_new(params, "flow", json_string(match));
    r = call(c, "del-flows", params);
    if (r == NULL)
        return -EIO;
    json_decref(r);
    return 0;
}

int
bench_ctl_mod_all(struct ctl_client *c, const struct bench_opts *o,
                  double *seconds)
{
    char text[128];
    json_t *params, *r;
    double t0;

    /* loose: every flow of the forwarding set (and nothing of the churn
     * set, which is never present during setup) */
    snprintf(text, sizeof(text), "udp,in_port=%s,nw_dst=10.0.0.0/8 "
             "actions=drop", o->in_port);
    params = json_pack("{s:s, s:b}", "flow", text, "strict", 0);
    if (params == NULL)
        return -ENOMEM;
    t0 = snic_now_s();
    r = call(c, "mod-flows", params);
    *seconds = snic_now_s() - t0;
    if (r == NULL)
        return -EIO;
    json_decref(r);
    return 0;
}

int
bench_ctl_placed(struct ctl_client *c, struct bench_placed *p)
{
    json_t *r = call(c, "stats", NULL), *f;

    if (r == NULL)
        return -EIO;
    f = json_object_get(r, "flows");
    p->hw = (uint64_t)json_integer_value(json_object_get(f, "hw"));
    p->partial = (uint64_t)json_integer_value(json_object_get(f, "partial"));
    p->sw = (uint64_t)json_integer_value(json_object_get(f, "sw"));
    json_decref(r);
    return f != NULL ? 0 : -EPROTO;
}

/* snicd commits (rte_flow creates included) before it replies, so the
 * first look normally finds everything placed; the poll keeps the
 * harness honest for a daemon or card that acknowledges earlier. */
int
bench_ctl_wait_placed(struct ctl_client *c, enum bench_path path,
                      uint64_t want, double timeout_s, struct bench_placed *p)
{
    double end = snic_now_s() + timeout_s;
    int rc;

    for (;;) {
        rc = bench_ctl_placed(c, p);
        if (rc < 0)
            return rc;
        uint64_t total = p->hw + p->partial + p->sw;

        if (path == BENCH_OFFLOAD ? p->hw >= want && total >= want
                                  : total >= want)
            return 0;
        /* everything is in the table but not all in hardware: the card
         * refused some; that is the answer, not a reason to wait */
        if (path == BENCH_OFFLOAD && total >= want && p->sw + p->partial > 0)
            return 0;
        if (snic_now_s() > end || bench_stop)
            return -ETIMEDOUT;
        usleep(1000);
    }
}
