/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Built-in capability profiles, and the fw_caps a configuration reports.
 * A profile only ever narrows what the card does, so the control plane's
 * fallback paths can be exercised on purpose.
 */
#include <errno.h>
#include <string.h>

#include "emu_dev_priv.h"

#define F(x) FW_FIELD_BIT(FW_FIELD_##x)
#define A(x) FW_ACTION_BIT(FW_ACT_##x)

#define EMU_ALL_FIELDS  ((1ull << FW_FIELD_COUNT_) - 1)
#define EMU_ALL_ACTIONS (((1ull << FW_ACT_COUNT_) - 1) & ~A(NONE))

static const struct emu_profile emu_profiles[] = {
    {
        .name = "full",
        .match_fields = EMU_ALL_FIELDS,
        .actions = EMU_ALL_ACTIONS,
        .exact_mask_fields = 0,
        .prefix_mask_fields = 0,
        .max_tables = 64,
        .max_group = 65535,
        .max_rules_per_table = 1u << 20,
        .max_rules_total = 1u << 20,
        .max_counters = 1u << 20,
        .prio_per_table = 16,
        .max_actions = 16,
    },
    {
        .name = "basic",
        .match_fields = EMU_ALL_FIELDS & ~(F(IPV6_SRC) | F(IPV6_DST) |
                        F(ICMP_TYPE) | F(ICMP_CODE) | F(VXLAN_VNI) |
                        F(META) | F(TAG) | F(MPLS)),
        .actions = A(DROP) | A(FWD_VPORT) | A(FWD_REP) | A(JUMP) | A(COUNT) |
                   A(MARK) | A(PUSH_VLAN) | A(POP_VLAN) | A(SET_VLAN_VID),
        .exact_mask_fields = F(L4_SRC) | F(L4_DST),
        .prefix_mask_fields = F(IPV4_SRC) | F(IPV4_DST),
        .max_tables = 8,
        .max_group = 255,
        .max_rules_per_table = 4096,
        .max_rules_total = 4096,
        .max_counters = 4096,
        .prio_per_table = 4,
        .max_actions = 8,
    },
    {
        .name = "tiny",
        .match_fields = F(SRC_VPORT) | F(ETH_DST) | F(ETH_SRC) |
                        F(ETH_TYPE) | F(VLAN_VID),
        .actions = A(DROP) | A(FWD_VPORT) | A(FWD_REP) | A(COUNT) | A(MARK),
        .exact_mask_fields = 0,
        .prefix_mask_fields = 0,
        .max_tables = 1,
        .max_group = 0,
        .max_rules_per_table = 64,
        .max_rules_total = 64,
        .max_counters = 64,
        .prio_per_table = 2,
        .max_actions = 4,
    },
};

const struct emu_profile *
emu_profile_find(const char *name)
{
    if (name != NULL)
        for (size_t i = 0; i < sizeof(emu_profiles) / sizeof(emu_profiles[0]);
             i++)
            if (strcmp(emu_profiles[i].name, name) == 0)
                return &emu_profiles[i];
    errno = ENOENT;
    return NULL;
}

const char *
emu_profile_names(void)
{
    return "full,basic,tiny";
}

/* Zero transport limits in a config mean "the card's defaults". */
void
emu_profile_fill_caps(const struct emu_config *cfg, struct fw_caps *caps)
{
    const struct emu_profile *p = &cfg->profile;

    memset(caps, 0, sizeof(*caps));
    caps->abi_major = FW_ABI_MAJOR;
    caps->abi_minor = FW_ABI_MINOR;
    memcpy(caps->profile, p->name, sizeof(caps->profile));
    caps->profile[sizeof(caps->profile) - 1] = '\0';
    strncpy(caps->fw_version, "emunic-1.0", sizeof(caps->fw_version));
    memcpy(caps->base_mac, cfg->base_mac, sizeof(caps->base_mac));
    caps->max_vfs = cfg->max_vfs;
    caps->num_vfs = cfg->num_vfs;
    caps->num_vports = (uint16_t)(1u + cfg->max_vfs);
    caps->esw_mode = cfg->esw_mode;
    caps->max_actions = p->max_actions;
    caps->max_tables = p->max_tables;
    caps->max_group = p->max_group;
    caps->max_rules_per_table = p->max_rules_per_table;
    caps->max_rules_total = p->max_rules_total;
    caps->max_counters = p->max_counters;
    caps->prio_per_table = p->prio_per_table;
    caps->max_queues_per_port = cfg->max_queues_per_port ?
                                cfg->max_queues_per_port : 8;
    caps->max_queue_depth = cfg->max_queue_depth ? cfg->max_queue_depth : 4096;
    caps->max_mtu = EMU_MAX_MTU;
    caps->match_fields = p->match_fields;
    caps->actions = p->actions;
    caps->exact_mask_fields = p->exact_mask_fields;
    caps->prefix_mask_fields = p->prefix_mask_fields;
    caps->max_link_speed = cfg->max_link_speed ? cfg->max_link_speed : 100000;
    /* the hash is the card's, not the profile's: whoever can name an RSS
     * context gets every type */
    caps->rss_hash_types = (p->actions & FW_ACTION_BIT(FW_ACT_RSS)) ?
                           FW_RSS_ALL_ : 0;
    /* the register file is the card's too: a profile that can name a TAG
     * (match or action) has all of them */
    caps->num_tags = ((p->match_fields & FW_FIELD_BIT(FW_FIELD_TAG)) ||
                      (p->actions & FW_ACTION_BIT(FW_ACT_SET_TAG))) ?
                     (uint8_t)FW_NUM_TAGS : 0;
}
