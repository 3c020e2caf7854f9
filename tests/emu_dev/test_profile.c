/* SPDX-License-Identifier: BSD-3-Clause */
/* Capability profiles: what "basic" and "tiny" refuse, and why. */
#include <errno.h>

#include "emu_test.h"

static struct emu_dev *dev;

TestSuite(emu_dev_profile, .timeout = 10);

static void
teardown(void)
{
    emu_dev_destroy(dev);
}

Test(emu_dev_profile, lookup)
{
    cr_expect_not_null(emu_profile_find("full"));
    cr_expect_not_null(emu_profile_find("basic"));
    cr_expect_not_null(emu_profile_find("tiny"));
    errno = 0;
    cr_expect_null(emu_profile_find("huge"));
    cr_expect_eq(errno, ENOENT);
    cr_expect_null(emu_profile_find(NULL));
    cr_expect_str_eq(emu_profile_names(), "full,basic,tiny");
}

Test(emu_dev_profile, bad_config_refused)
{
    struct emu_config cfg = { .profile = *emu_profile_find("full"),
                              .max_vfs = 4, .num_vfs = 5 };

    cr_expect_null(emu_dev_create(&cfg, &t_ops, NULL));
    cr_expect_eq(errno, EINVAL);
    cfg.num_vfs = 0;
    cfg.profile.max_actions = 17;
    cr_expect_null(emu_dev_create(&cfg, &t_ops, NULL));
    cfg.profile.max_actions = 1;
    cfg.max_vfs = 300;
    cr_expect_null(emu_dev_create(&cfg, &t_ops, NULL));
}

Test(emu_dev_profile, basic_refusals, .fini = teardown)
{
    struct t_rule r;
    struct fw_match *v, *m;

    dev = t_dev_new("basic", 2, 2, FW_ESW_SWITCHDEV);
    const struct fw_caps *c = emu_dev_caps(dev);
    cr_expect_eq(c->prio_per_table, 4);
    cr_expect_eq(c->max_tables, 8);
    cr_expect_eq(c->max_rules_total, 4096);
    cr_expect_eq(c->match_fields & FW_FIELD_BIT(FW_FIELD_IPV6_SRC), 0);

    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    r.in.mask.ipv6_dst[0] = 0xff;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_FIELD, FW_FIELD_IPV6_DST, 0));

    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    r.in.mask.icmp_type = 0xff;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_FIELD, FW_FIELD_ICMP_TYPE, 0));

    /* L4 ports: exact masks only */
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    v = &r.in.value;
    m = &r.in.mask;
    m->l4_dst = htons(0xff00);
    v->l4_dst = htons(0x1200);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_MASK, FW_FIELD_L4_DST, 0));
    m->l4_dst = 0xffff;
    cr_expect_eq(t_rule_add(dev, &r, NULL), 0);

    /* IPv4: prefixes only */
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    r.in.mask.ipv4_src = htonl(0xff00ff00);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_MASK, FW_FIELD_IPV4_SRC, 0));
    r.in.mask.ipv4_src = htonl(0xfffff000);
    cr_expect_eq(t_rule_add(dev, &r, NULL), 0);

    /* actions outside the set */
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DEC_TTL);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_ACTION, 0, FW_ACT_DEC_TTL));
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_VXLAN_ENCAP);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);

    /* priorities and action count */
    t_rule_init(&r, 0, 4);
    t_rule_act(&r, FW_ACT_DROP);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_PRIORITY);
    t_rule_init(&r, 0, 0);
    for (int i = 0; i < 9; i++)
        t_rule_act(&r, FW_ACT_MARK);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_ACTIONS));
}

Test(emu_dev_profile, tiny_refusals, .fini = teardown)
{
    struct t_rule r;

    dev = t_dev_new("tiny", 2, 2, FW_ESW_SWITCHDEV);
    cr_expect_eq(t_table_create(dev, 1, 1), FW_STATUS_BAD_PARAM,
                 "max_group 0");
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_DROP);
    r.in.mask.ipv4_dst = 0xffffffff;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    cr_expect_eq(t_synd, FW_SYND(FW_SYND_FIELD, FW_FIELD_IPV4_DST, 0));
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_JUMP)->u.jump.group = 1;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    t_rule_init(&r, 0, 0);
    t_rule_act(&r, FW_ACT_PUSH_VLAN)->u.push_vlan.tpid = htons(0x8100);
    t_rule_fwd(&r, FW_ACT_FWD_VPORT, 0, 0);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    t_rule_init(&r, 0, 2);
    t_rule_act(&r, FW_ACT_DROP);
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NOT_SUPPORTED);
    /* 64 rules, then "table full" */
    r.in.priority = 1;
    struct fw_rule_add_in in = r.in;
    for (int i = 0; i < 64; i++) {
        r.in = in;
        cr_assert_eq(t_rule_add(dev, &r, NULL), 0);
    }
    r.in = in;
    cr_expect_eq(t_rule_add(dev, &r, NULL), FW_STATUS_NO_SPACE);
    cr_expect_eq(FW_SYND_REASON(t_synd), FW_SYND_CAPACITY);
}
