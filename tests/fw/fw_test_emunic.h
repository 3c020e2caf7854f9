/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test fixture: the real emunic process (snic_emunic.h) on a socket in a
 * private temporary folder, quiet, killed if the test dies. The binary
 * comes from the EMUNIC environment variable (set by meson).
 */
#ifndef SNIC_FW_TEST_EMUNIC_H
#define SNIC_FW_TEST_EMUNIC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "snic/fw_chan.h"
#include "snic_emunic.h"

/* Start emunic with extra arguments (NULL-terminated list, may be NULL);
 * waits for its "listening" line. 0 or -errno (e->err, also on stderr). */
int fw_test_emunic_start(struct snic_emunic *e, const char *const *args);
/* SIGTERM, wait, clean the folder. Returns the wait status (or -1). */
int fw_test_emunic_stop(struct snic_emunic *e);
/* "PATH" + suffix, e.g. ".vf0". */
const char *fw_test_path(const struct snic_emunic *e, const char *suffix,
                         char *buf, size_t size);

/* Build a RULE_ADD input dropping frames to eth_dst 02:00:xx:xx:xx:xx (n). */
size_t fw_test_rule_drop(struct fw_rule_add_in *in, uint32_t n);

#endif
