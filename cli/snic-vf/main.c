/* SPDX-License-Identifier: BSD-3-Clause */
/* snic-vf: SR-IOV VF provisioning (see docs/snic-vf.md). */
#include <stdio.h>

#include "vf_cmd.h"

int
main(int argc, char **argv)
{
    return vf_main(argc, argv, NULL, stdout, stderr);
}
