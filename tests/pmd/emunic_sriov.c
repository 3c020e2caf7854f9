/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * emunic_sriov: set the number of VFs of an emunic in place, as a test
 * harness's "echo N > sriov_numvfs" that leaves the other VFs alone
 * (SRIOV_ENABLE with FW_SRIOV_F_IN_PLACE, ABI 1.2). VFs removed take the
 * rules naming them; drivers learn it from their region.
 *
 *   emunic_sriov SOCKET N      exit 0 when the card took it
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snic/fw_abi.h"
#include "snic/fw_chan.h"

int
main(int argc, char **argv)
{
    struct fw_sriov_enable_in in = { .flags = FW_SRIOV_F_IN_PLACE };
    struct fw_chan *chan;
    char *end;
    unsigned long n;
    uint8_t st = 0;
    uint32_t synd = 0;
    char sbuf[96];
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: emunic_sriov SOCKET NUM_VFS\n");
        return 2;
    }
    n = strtoul(argv[2], &end, 10);
    if (*argv[2] == '\0' || *end != '\0' || n > 0xffff) {
        fprintf(stderr, "emunic_sriov: bad NUM_VFS '%s'\n", argv[2]);
        return 2;
    }
    chan = fw_chan_open(argv[1], 2000);
    if (chan == NULL) {
        fprintf(stderr, "emunic_sriov: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    in.num_vfs = (uint16_t)n;
    rc = fw_chan_exec(chan, FW_CMD_SRIOV_ENABLE, &in, sizeof(in), NULL, 0,
                      &st, &synd, 2000);
    fw_chan_close(chan);
    if (rc < 0 || st != FW_STATUS_OK) {
        fprintf(stderr, "emunic_sriov: %lu VFs in place: %s\n", n,
                rc < 0 ? strerror(-rc) : fw_syndrome_str(synd, sbuf,
                                                          sizeof(sbuf)));
        return 1;
    }
    return 0;
}
