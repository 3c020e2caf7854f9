/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One netlink request/answer exchange, shared by rtnetlink and devlink:
 * the kernel's errno and its extended-ack text (when it gives one) are
 * kept together, so the user sees what the kernel said, not a libnl code.
 */
#ifndef SNIC_VF_NLSOCK_H
#define SNIC_VF_NLSOCK_H

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "vf_model.h"

/* Connected socket with extended acks on and receive buffers that grow to
 * the size of each message (peek first). */
int vf_nlsock_open(int protocol, struct nl_sock **out, struct vf_err *err);

/* Send @msg (an NLM_F_ACK request or a dump) and receive until its ACK, NLMSG_DONE or an error. @valid
 * (may be NULL) sees every data message. Kernel errors come back as
 * -errno with err set to "Operation not supported (EOPNOTSUPP)[: extack]". */
int vf_nlsock_transact(struct nl_sock *sk, struct nl_msg *msg,
                       nl_recvmsg_msg_cb_t valid, void *arg,
                       struct vf_err *err);

#endif /* SNIC_VF_NLSOCK_H */
