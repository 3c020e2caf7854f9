/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The emulated-card backend: the same vf_backend_ops over emunic's firmware
 * ABI (include/snic/fw_chan.h). The device is named by its PF socket path;
 * VF n is vport FW_VPORT_VF(n), and its socket PATH.vfN exists while SR-IOV
 * is enabled with more than n VFs.
 *
 * What the card has no notion of is refused with a line saying so: driver
 * binding (emunic VFs are attached by clients of PATH.vfN, not by kernel
 * drivers) and InfiniBand GUIDs.
 */
#ifndef SNIC_VF_EMUNIC_H
#define SNIC_VF_EMUNIC_H

#include "vf_backend.h"

/* Connect to the PF at @path. NULL and errno on failure (err says why). */
struct vf_backend *vf_emunic_open(const char *path, int timeout_ms,
                                  struct vf_err *err);

#endif /* SNIC_VF_EMUNIC_H */
