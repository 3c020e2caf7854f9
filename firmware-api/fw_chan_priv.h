/* SPDX-License-Identifier: BSD-3-Clause */
/* Channel internals shared with fw_pktq.c (same library, not exported). */
#ifndef SNIC_FW_CHAN_PRIV_H
#define SNIC_FW_CHAN_PRIV_H

#include "snic/fw_chan.h"

/* The socket said the device is gone: every later call fails with -EPIPE. */
void fw_chan_mark_dead(struct fw_chan *chan);

#endif /* SNIC_FW_CHAN_PRIV_H */
