/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * JSON for machines: `list --json` output, and apply files (JSON always,
 * YAML when built with libyaml; a YAML document is turned into the same
 * JSON tree first, so one validator checks both).
 *
 * Apply file:
 *   {"devices": [{"name": "enp3s0f0", "num_vfs": 4,
 *                 "eswitch_mode": "switchdev",
 *                 "vfs": [{"index": 0, "mac": "02:00:00:00:00:01",
 *                          "vlan": 10, "qos": 0, "vlan_proto": "802.1Q",
 *                          "spoofchk": true, "trust": false,
 *                          "state": "auto", "min_rate": 0,
 *                          "max_rate": 1000, "node_guid": "..",
 *                          "port_guid": "..", "driver": "vfio-pci"}]}]}
 * Every key but "name" and "index" is optional; absent means "leave as is".
 */
#ifndef SNIC_VF_JSON_H
#define SNIC_VF_JSON_H

#include <jansson.h>

#include "vf_apply.h"

json_t *vf_json_host(const struct vf_host *host);

/* Validate a parsed document into @want; err: "devices[0].vfs[1]: why". */
int vf_json_to_want(json_t *root, struct vf_want *want, struct vf_err *err);

/* Load and validate @path (JSON, or YAML by extension / content). err
 * starts with the file name. */
int vf_json_load_want(const char *path, struct vf_want *want,
                      struct vf_err *err);

/* The same on @size bytes at @data (need not be NUL-terminated); @name
 * stands for the file in messages. What the fuzzer drives. */
int vf_json_parse_want(const char *name, const char *data, size_t size,
                       bool yaml, struct vf_want *want, struct vf_err *err);

/* Invariants every accepted layout keeps (what vf_json_to_want promises
 * the planner): names set and unique, values in range, VF indexes unique,
 * only known attribute bits. 0 or -EINVAL with err naming the breach. */
int vf_want_check(const struct vf_want *want, struct vf_err *err);

/* Whether YAML files are understood by this build. */
bool vf_json_have_yaml(void);
/* YAML text -> JSON tree (NULL and err when unsupported or malformed). */
json_t *vf_yaml_parse(const char *name, const char *data, size_t size,
                      struct vf_err *err);

#endif /* SNIC_VF_JSON_H */
