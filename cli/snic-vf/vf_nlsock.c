/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netlink.h>

#include <netlink/attr.h>
#include <netlink/netlink.h>

#include "vf_nlsock.h"

/* generous socket buffer: a dump of 256 VFs arrives in one go */
#define VF_NL_RCVBUF (4 << 20)

struct vf_txn {
    bool done;
    int error;                  /* kernel's negative errno, 0 */
    char extack[256];
    nl_recvmsg_msg_cb_t valid;
    void *arg;
};

int
vf_nlsock_open(int protocol, struct nl_sock **out, struct vf_err *err)
{
    struct nl_sock *sk = nl_socket_alloc();
    int one = 1;
    int rc;

    if (sk == NULL) {
        vf_err_set(err, "cannot allocate a netlink socket");
        return -ENOMEM;
    }
    rc = nl_connect(sk, protocol);
    if (rc < 0) {
        vf_err_set(err, "cannot open a netlink socket: %s", nl_geterror(rc));
        nl_socket_free(sk);
        return -EIO;
    }
    nl_socket_enable_msg_peek(sk);
    nl_socket_set_buffer_size(sk, VF_NL_RCVBUF, 0);
    /* best effort: old kernels simply do not send the text */
    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
               sizeof(one));
    setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
               sizeof(one));
    *out = sk;
    return 0;
}

static void
vf_txn_extack(struct vf_txn *t, struct nlmsgerr *e)
{
    struct nlmsghdr *hdr = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
    struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
    size_t off = sizeof(*e);
    int len;

    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS))
        return;
    if (!(hdr->nlmsg_flags & NLM_F_CAPPED))
        off += e->msg.nlmsg_len - NLMSG_HDRLEN;
    len = (int)hdr->nlmsg_len - NLMSG_HDRLEN - (int)NLMSG_ALIGN(off);
    if (len <= 0)
        return;
    if (nla_parse(tb, NLMSGERR_ATTR_MAX,
                  (struct nlattr *)((char *)e + NLMSG_ALIGN(off)), len,
                  NULL) < 0 || tb[NLMSGERR_ATTR_MSG] == NULL)
        return;
    nla_strlcpy(t->extack, tb[NLMSGERR_ATTR_MSG], sizeof(t->extack));
}

static int
vf_txn_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
    struct vf_txn *t = arg;

    (void)nla;
    t->error = e->error;
    t->done = true;
    vf_txn_extack(t, e);
    return NL_STOP;
}

static int
vf_txn_finish(struct nl_msg *msg, void *arg)
{
    struct vf_txn *t = arg;

    (void)msg;
    t->done = true;
    return NL_STOP;
}

static int
vf_txn_valid(struct nl_msg *msg, void *arg)
{
    struct vf_txn *t = arg;

    if (t->valid != NULL)
        return t->valid(msg, t->arg);
    return NL_OK;
}

int
vf_nlsock_transact(struct nl_sock *sk, struct nl_msg *msg,
                   nl_recvmsg_msg_cb_t valid, void *arg, struct vf_err *err)
{
    struct vf_txn t = { .valid = valid, .arg = arg };
    struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
    char eb[96];
    int rc;

    if (cb == NULL)
        return -ENOMEM;
    nl_cb_err(cb, NL_CB_CUSTOM, vf_txn_err, &t);
    nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, vf_txn_finish, &t);
    nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, vf_txn_finish, &t);
    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vf_txn_valid, &t);
    rc = nl_send_auto(sk, msg);
    if (rc < 0) {
        vf_err_set(err, "sending the netlink request failed: %s",
                   nl_geterror(rc));
        rc = -EIO;
        goto free_cb;
    }
    while (!t.done) {
        rc = nl_recvmsgs(sk, cb);
        if (rc < 0 && t.error == 0) {
            vf_err_set(err, "receiving the netlink answer failed: %s",
                       nl_geterror(rc));
            rc = -EIO;
            goto free_cb;
        }
    }
    rc = 0;
    if (t.error != 0) {
        rc = t.error;
        vf_err_set(err, "%s%s%s", vf_errno_str(-t.error, eb, sizeof(eb)),
                   t.extack[0] ? ": " : "", t.extack);
    }
free_cb:
    nl_cb_put(cb);
    return rc;
}
