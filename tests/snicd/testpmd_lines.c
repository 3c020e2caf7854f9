/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow lines in, the testpmd commands of their hardware rules out: what
 * snicd's debug log prints for each rule (snicd_testpmd.c), for the port
 * layout of xlate_test_ports.h. testpmd_lines.py feeds the output to a
 * stock dpdk-testpmd on the emulated card and checks the PMD creates every
 * rule, so the log's lines are commands a user can really paste.
 *
 *   snicd_testpmd_lines < FLOWS     one block per flow: "# FLOW", then
 *                                    the commands, or "# refused: WHY"
 */
#include <stdio.h>
#include <string.h>

#include "snicd_testpmd.h"
#include "xlate_test_ports.h"

int
main(void)
{
    static struct snicd_xlate x;
    char line[1024], out[4096];
    int rc = 0;

    xlate_test_ports_init();
    while (fgets(line, sizeof(line), stdin) != NULL) {
        struct snicd_xlate_ctx ctx = {
            .ports = ports, .n_ports = N_PORTS, .mark = 77,
            .mode = SNICD_XLATE_FULL,
            .n_tags = 8, .meta_to_host = true,  /* emunic's full profile */
        };
        struct flow_error err;
        struct flow_mod fm;

        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        printf("# %s\n", line);
        if (flow_parse(line, FLOW_CMD_ADD, &pmap, &fm, &err) < 0) {
            fprintf(stderr, "'%s': %s\n", line, err.msg);
            rc = 1;
            continue;
        }
        if (snicd_xlate_flow(&fm.flow, &ctx, &x) < 0) {
            printf("# refused: %s\n", x.reason);
            continue;
        }
        if (snicd_testpmd_line(0, &x.attr, x.items, x.actions, out,
                               sizeof(out)) >= (int)sizeof(out)) {
            fprintf(stderr, "'%s': line too long\n", line);
            rc = 1;
            continue;
        }
        printf("%s\n", out);
    }
    return rc;
}
