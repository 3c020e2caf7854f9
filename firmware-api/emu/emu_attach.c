/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a vport's host side is attached to, as the device model reports it
 * (FW_ATTACH_*): a shared-memory queue wins over a tap. A leaf: the packet
 * queues and the taps call it when they come and go.
 */
#include "emu_server_int.h"

void
emu_attach_update(struct emu_server *srv, uint16_t vport)
{
    uint8_t att = FW_ATTACH_NONE;
    unsigned q;

    if (vport >= srv->nvports)
        return;
    if (srv->taps[vport].fd >= 0)
        att = FW_ATTACH_TAP;
    for (q = 0; q < srv->max_queues; q++)
        if (srv->host[(size_t)vport * srv->max_queues + q] != NULL)
            att = FW_ATTACH_SHM;
    emu_dev_set_attachment(srv->dev, vport, att);
}
