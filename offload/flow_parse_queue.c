/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * enqueue:PORT:QUEUE and enqueue(PORT,QUEUE), OpenFlow 1.0's output to a
 * port's queue, as Open vSwitch spells it: an ordinary port, IN_PORT or
 * LOCAL, and a 32-bit queue id. snic's ports have one transmit queue for
 * switched traffic, so the packet goes out as an output to the port does
 * and the queue id is kept and printed, not acted on (Open vSwitch's
 * dummy and kernel ports without that queue configured do the same).
 */
#include <errno.h>
#include <string.h>

#include "flow_priv.h"

int
fp_queue_action(struct fp_act_state *st, const struct fp_tok *tok,
                bool *handled)
{
    struct fp_ctx *c = st->c;
    struct flow_action *a;
    const char *sep;
    uint32_t port;
    uint64_t q;
    size_t plen;
    int rc;

    *handled = fp_key_is_ci(tok, "enqueue");
    if (!*handled)
        return 0;
    sep = tok->val == NULL ? NULL
          : memchr(tok->val, tok->paren ? ',' : ':', tok->vlen);
    if (sep == NULL)
        return fp_fail(c, -EINVAL, tok, "enqueue needs a port and a queue "
                       "(enqueue:PORT:QUEUE or enqueue(PORT,QUEUE))");
    plen = (size_t)(sep - tok->val);
    if ((rc = fp_port(c, tok, tok->val, plen, "enqueue", &port)) < 0)
        return rc;
    if (flow_port_is_reserved(port) && port != FLOW_PORT_IN_PORT
        && port != FLOW_PORT_LOCAL)
        return fp_fail(c, -EINVAL, tok, "enqueue: %.*s is not a port with "
                       "queues (an ordinary port, IN_PORT or LOCAL)",
                       (int)(plen > 24 ? 24 : plen), tok->val);
    rc = fp_uint(c, tok, sep + 1, tok->vlen - plen - 1, UINT32_MAX,
                 "enqueue queue", "a queue id 0..4294967295", &q);
    if (rc < 0)
        return rc;
    if ((rc = fp_act_append(st, tok, FLOW_ACT_ENQUEUE, &a)) < 0)
        return rc;
    a->u.enqueue.port = port;
    a->u.enqueue.queue = (uint32_t)q;
    return 0;
}
