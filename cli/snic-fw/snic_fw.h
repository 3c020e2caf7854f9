/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to snic-fw: the tool's state and the one way its commands talk
 * to the card, shared by snic_fw.c (main, adapter, vports, knobs) and
 * fw_rules.c (the rule listing).
 */
#ifndef SNIC_FW_TOOL_H
#define SNIC_FW_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fw_chan;

struct fw_tool {
    struct fw_chan *chan;
    const char *socket;
    bool json;
};

/* Run one command; on a device refusal print why and return -1. */
int snic_fw_run(struct fw_tool *t, uint16_t opcode, void *in, size_t in_size,
                void *out, size_t out_size);

/* `snic-fw rules [GROUP]`: every rule in the card's steering tables. */
int snic_fw_cmd_rules(struct fw_tool *t, int argc, char **argv);

#endif /* SNIC_FW_TOOL_H */
