/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fixture of the emu_dev tests that steer one frame: a switchdev card
 * and a UDP frame from VF 1's MAC to VF 0's (10.0.0.1:1000 -> 10.0.0.2:2000,
 * 32 bytes of payload). A test file includes it once, after emu_test.h.
 */
#ifndef EMU_TEST_FRAME_H
#define EMU_TEST_FRAME_H

#include "emu_test.h"

static struct emu_dev *dev;
static uint8_t frame[FW_PKT_BUF_SIZE];
static uint32_t flen;
static uint8_t mac_vf0[6], mac_vf1[6];

/* A card of @profile with @num_vfs of @max_vfs VFs, and the frame. */
static inline void
t_frame_setup(const char *profile, uint16_t max_vfs, uint16_t num_vfs)
{
    dev = t_dev_new(profile, max_vfs, num_vfs, FW_ESW_SWITCHDEV);
    t_mac(mac_vf0, 1);
    t_mac(mac_vf1, 2);
    flen = t_udp_frame(frame, mac_vf1, mac_vf0, -1, 0x0a000001, 0x0a000002,
                       1000, 2000, 32);
}

static inline void
t_frame_teardown(void)
{
    emu_dev_destroy(dev);
}

#endif /* EMU_TEST_FRAME_H */
