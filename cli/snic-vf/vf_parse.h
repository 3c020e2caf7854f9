/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Parsing and validation of VF attribute values, shared by `set` (command
 * line) and `apply` (file). Everything is checked before anything is
 * applied: a request that fails here changes nothing on the host.
 *
 * Error texts say what was wrong and what would be right; callers put the
 * device/VF (or the file's JSON path) in front.
 */
#ifndef SNIC_VF_PARSE_H
#define SNIC_VF_PARSE_H

#include "vf_model.h"

int vf_parse_mac(const char *s, uint8_t mac[6], struct vf_err *err);
int vf_parse_vlan(const char *s, uint16_t *vlan, struct vf_err *err);
int vf_parse_qos(const char *s, uint8_t *qos, struct vf_err *err);
int vf_parse_proto(const char *s, uint16_t *proto, struct vf_err *err);
int vf_parse_onoff(const char *s, bool *on, struct vf_err *err);
int vf_parse_state(const char *s, uint32_t *state, struct vf_err *err);
int vf_parse_rate(const char *s, uint32_t *rate, struct vf_err *err);
/* devlink port function state: active | inactive. */
int vf_parse_fn_state(const char *s, uint32_t *state, struct vf_err *err);
int vf_parse_guid(const char *s, uint64_t *guid, struct vf_err *err);
/* Parse a VF index; @what names it in the message ("VF index"). */
int vf_parse_index(const char *s, unsigned *index, struct vf_err *err);

/* Value checks that need no parsing (apply files give numbers). */
int vf_check_mac(const uint8_t mac[6], const char *text, struct vf_err *err);
int vf_check_vlan(long vlan, struct vf_err *err);
int vf_check_qos(long qos, struct vf_err *err);

/*
 * `set` arguments: "mac M vlan V qos Q proto P spoofchk on ...". Each
 * attribute at most once; qos/proto only with vlan.
 */
int vf_parse_set_args(int argc, char **argv, struct vf_settings *out,
                      struct vf_err *err);

/*
 * Checks that need the device: SR-IOV present, VF index below the VF
 * count, rates within the link speed and min <= max (a half not given is
 * taken from @cur when known). @numvfs is the count the VF will live in.
 */
int vf_validate_for_dev(const struct vf_dev *dev, unsigned numvfs,
                        unsigned vf, const struct vf_settings *want,
                        const struct vf_settings *cur, struct vf_err *err);

/* Fill the missing rate half of @want from @cur (or 0). */
void vf_settings_merge_rate(struct vf_settings *want,
                            const struct vf_settings *cur);

/* "02:00:00:00:00:01" and "0011:2233:4455:6677" style formatting. */
const char *vf_fmt_mac(const uint8_t mac[6], char *buf, size_t size);
const char *vf_fmt_guid(uint64_t guid, char *buf, size_t size);
/* "mac 02:..:01", "vlan 10 qos 3 proto 802.1Q"... for one attribute. */
const char *vf_fmt_attr(enum vf_attr attr, const struct vf_settings *s,
                        char *buf, size_t size);

#endif /* SNIC_VF_PARSE_H */
