/* SPDX-License-Identifier: BSD-3-Clause */
#include "fw_test_emunic.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_TEST_ARGS    62

int
fw_test_emunic_start(struct snic_emunic *e, const char *const *args)
{
    const struct snic_emunic_how how = {
        .tag = "fw-test",
        .death_signal = SIGKILL,        /* as test_fork() */
    };
    const char *argv[FW_TEST_ARGS + 1];
    unsigned n = 0;
    int r;

    argv[n++] = "-q";
    while (args != NULL && *args != NULL && n < FW_TEST_ARGS)
        argv[n++] = *args++;
    argv[n] = NULL;
    r = snic_emunic_start(e, getenv("EMUNIC"), NULL, argv, &how);
    if (r < 0)
        fprintf(stderr, "fw_test_emunic_start: %s\n", e->err);
    return r;
}

int
fw_test_emunic_stop(struct snic_emunic *e)
{
    return snic_emunic_stop(e, 3000);
}

const char *
fw_test_path(const struct snic_emunic *e, const char *suffix, char *buf,
             size_t size)
{
    snprintf(buf, size, "%s%s", e->sock, suffix);
    return buf;
}

size_t
fw_test_rule_drop(struct fw_rule_add_in *in, uint32_t n)
{
    size_t size = offsetof(struct fw_rule_add_in, actions) +
                  sizeof(struct fw_action);

    memset(in, 0, size);
    in->group = 0;
    in->priority = 0;
    in->n_actions = 1;
    in->value.eth_dst[0] = 0x02;
    in->value.eth_dst[2] = (uint8_t)(n >> 24);
    in->value.eth_dst[3] = (uint8_t)(n >> 16);
    in->value.eth_dst[4] = (uint8_t)(n >> 8);
    in->value.eth_dst[5] = (uint8_t)n;
    memset(in->mask.eth_dst, 0xff, 6);
    in->actions[0].type = FW_ACT_DROP;
    return size;
}
