/* SPDX-License-Identifier: BSD-3-Clause */
/* snic-vf: attribute parsing and validation, one error line each. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_ether.h>

#include "vf_parse.h"

static int
parse_line(const char *line, struct vf_settings *s, struct vf_err *err)
{
    char buf[512];
    char *argv[32];
    int argc = 0;

    snprintf(buf, sizeof(buf), "%s", line);
    for (char *tok = strtok(buf, " "); tok != NULL && argc < 32;
         tok = strtok(NULL, " "))
        argv[argc++] = tok;
    return vf_parse_set_args(argc, argv, s, err);
}

Test(vf_parse, every_attribute_at_once)
{
    struct vf_settings s;
    struct vf_err err = { "" };
    int rc = parse_line("mac 02:00:00:00:00:01 vlan 10 qos 3 proto 802.1ad "
                        "spoofchk on trust off state disable min-rate 100 "
                        "max-rate 1000 node-guid 00:11:22:33:44:55:66:77 "
                        "port-guid 0x8899aabbccddeeff hw-addr "
                        "02:00:00:00:07:01 roce on migratable off fn-state "
                        "active", &s, &err);
    const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
    const uint8_t hw[6] = { 2, 0, 0, 0, 7, 1 };

    cr_assert_eq(rc, 0, "%s", err.msg);
    cr_expect_eq(s.mask, (1u << VF_ATTR__COUNT) - 1);
    cr_expect_arr_eq(s.mac, mac, 6);
    cr_expect_eq(s.vlan, 10);
    cr_expect_eq(s.qos, 3);
    cr_expect_eq(s.proto, ETH_P_8021AD);
    cr_expect(s.spoofchk);
    cr_expect(!s.trust);
    cr_expect_eq(s.state, VF_STATE_DISABLE);
    cr_expect_eq(s.min_rate, 100);
    cr_expect_eq(s.max_rate, 1000);
    cr_expect_eq(s.rate_given, VF_RATE_MIN | VF_RATE_MAX);
    cr_expect_eq(s.node_guid, 0x0011223344556677ull);
    cr_expect_eq(s.port_guid, 0x8899aabbccddeeffull);
    cr_expect_arr_eq(s.hw_addr, hw, 6);
    cr_expect(s.roce);
    cr_expect_not(s.migratable);
    cr_expect_eq(s.fn_state, VF_FN_ACTIVE);
}

Test(vf_parse, port_function_attributes_format_back)
{
    struct vf_settings s;
    struct vf_err err = { "" };
    char buf[64];

    cr_assert_eq(parse_line("fn-state inactive roce off migratable on "
                            "hw-addr 02:aa:00:00:00:01", &s, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(s.mask, VF_ATTR_DEVLINK_BITS);
    cr_expect_str_eq(vf_fmt_attr(VF_ATTR_HW_ADDR, &s, buf, sizeof(buf)),
                     "hw-addr 02:aa:00:00:00:01");
    cr_expect_str_eq(vf_fmt_attr(VF_ATTR_ROCE, &s, buf, sizeof(buf)),
                     "roce off");
    cr_expect_str_eq(vf_fmt_attr(VF_ATTR_MIGRATABLE, &s, buf, sizeof(buf)),
                     "migratable on");
    cr_expect_str_eq(vf_fmt_attr(VF_ATTR_FN_STATE, &s, buf, sizeof(buf)),
                     "fn-state inactive");
    /* devlink attributes are set after the rtnetlink ones, state last */
    cr_expect_gt(VF_ATTR_HW_ADDR, VF_ATTR_PORT_GUID);
    cr_expect_eq(VF_ATTR_FN_STATE, VF_ATTR__COUNT - 1);
}

Test(vf_parse, defaults_and_single_rate)
{
    struct vf_settings s;
    struct vf_err err = { "" };

    cr_assert_eq(parse_line("vlan 4094 max-rate 500", &s, &err), 0, "%s",
                 err.msg);
    cr_expect_eq(s.proto, ETH_P_8021Q);
    cr_expect_eq(s.qos, 0);
    cr_expect_eq(s.rate_given, VF_RATE_MAX);
    cr_expect_eq(s.mask, VF_ATTR_BIT(VF_ATTR_VLAN) | VF_ATTR_BIT(VF_ATTR_RATE));
}

struct bad_case {
    const char *args;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    { "mac 01:00:5e:00:00:01", "mac 01:00:5e:00:00:01: multicast address "
      "(low bit of the first byte set); a VF needs a unicast MAC such as "
      "02:00:00:00:00:01" },
    { "mac 02:00:00:00:00", "mac 02:00:00:00:00: malformed MAC address "
      "(expected six hex bytes separated by colons, e.g. 02:00:00:00:00:01)" },
    { "mac 02:00:00:00:00:0g", "mac 02:00:00:00:00:0g: malformed MAC address "
      "(expected six hex bytes separated by colons, e.g. 02:00:00:00:00:01)" },
    { "vlan 4095", "vlan 4095: out of range (0-4094; 0 removes the VLAN, 4095 "
      "is reserved)" },
    { "vlan 5000", "vlan 5000: out of range (0-4094; 0 removes the VLAN, 4095 "
      "is reserved)" },
    { "vlan -1", "vlan -1: not a number (expected a VLAN id 0-4094)" },
    { "vlan 10 qos 8", "qos 8: out of range (802.1p priority 0-7)" },
    { "qos 3", "qos needs vlan (qos and proto apply to the VF's VLAN; give "
      "vlan 0 qos Q for priority only)" },
    { "vlan 1 proto 802.1x", "proto 802.1x: unknown VLAN protocol (expected "
      "802.1Q or 802.1ad)" },
    { "spoofchk yes", "spoofchk yes: expected on or off" },
    { "trust 1", "trust 1: expected on or off" },
    { "state up", "state up: expected auto, enable or disable" },
    { "max-rate fast", "max-rate: rate fast: expected a rate in Mbit/s "
      "(0-4294967295)" },
    { "node-guid 00:11", "node-guid: guid 00:11: malformed GUID (expected 8 "
      "bytes, e.g. 00:11:22:33:44:55:66:77)" },
    { "mac 02:00:00:00:00:01 mac 02:00:00:00:00:02", "mac given twice" },
    { "colour red", "colour: unknown attribute (expected mac, vlan, qos, "
      "proto, spoofchk, trust, state, min-rate, max-rate, node-guid, "
      "port-guid, hw-addr, roce, migratable or fn-state)" },
    { "hw-addr 03:00:00:00:00:01", "hw-addr: mac 03:00:00:00:00:01: "
      "multicast address (low bit of the first byte set); a VF needs a "
      "unicast MAC such as 02:00:00:00:00:01" },
    { "roce yes", "roce yes: expected on or off" },
    { "migratable 1", "migratable 1: expected on or off" },
    { "fn-state up", "fn-state up: expected active or inactive" },
    { "roce on roce off", "roce given twice" },
    { "mac", "mac: missing value" },
};

Test(vf_parse, each_error_is_one_clear_line)
{
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct vf_settings s;
        struct vf_err err = { "" };
        int rc = parse_line(bad_cases[i].args, &s, &err);

        cr_expect_lt(rc, 0, "'%s' was accepted", bad_cases[i].args);
        cr_expect_str_eq(err.msg, bad_cases[i].msg, "for '%s'",
                         bad_cases[i].args);
        cr_expect_null(strchr(err.msg, '\n'));
    }
}

Test(vf_parse, nothing_to_set)
{
    struct vf_settings s;
    struct vf_err err = { "" };

    cr_expect_eq(vf_parse_set_args(0, NULL, &s, &err), -EINVAL);
    cr_expect(strstr(err.msg, "nothing to set") == err.msg);
}

static struct vf_dev
make_dev(int cap, unsigned numvfs, long speed)
{
    struct vf_dev d = { .sriov_cap = cap, .numvfs = numvfs, .totalvfs = 8,
                        .speed = speed };

    strcpy(d.name, "enp3s0f0");
    strcpy(d.pci, "0000:03:00.0");
    return d;
}

Test(vf_validate, needs_sriov_and_a_vf_in_range)
{
    struct vf_settings s = { .mask = VF_ATTR_BIT(VF_ATTR_TRUST) };
    struct vf_err err = { "" };
    struct vf_dev d = make_dev(0, 0, -1);

    cr_expect_eq(vf_validate_for_dev(&d, 0, 0, &s, NULL, &err), -EOPNOTSUPP);
    cr_expect_str_eq(err.msg, "enp3s0f0 has no SR-IOV capability (its device "
                     "0000:03:00.0 has no sriov_totalvfs)");
    d = make_dev(1, 4, -1);
    cr_expect_eq(vf_validate_for_dev(&d, 4, 4, &s, NULL, &err), -ERANGE);
    cr_expect_str_eq(err.msg, "VF index 4 out of range: enp3s0f0 has 4 VFs "
                     "(0-3)");
    d = make_dev(1, 0, -1);
    cr_expect_eq(vf_validate_for_dev(&d, 0, 0, &s, NULL, &err), -ERANGE);
    cr_expect_str_eq(err.msg, "VF index 0 out of range: enp3s0f0 has no VFs "
                     "(create them first: snic-vf create enp3s0f0 N)");
    cr_expect_eq(vf_validate_for_dev(&d, 4, 3, &s, NULL, &err), 0);
    /* virtual netdev: the kernel decides */
    d = make_dev(-1, 0, -1);
    cr_expect_eq(vf_validate_for_dev(&d, 0, 7, &s, NULL, &err), 0);
}

Test(vf_validate, rates_against_speed_and_each_other)
{
    struct vf_settings s = { .mask = VF_ATTR_BIT(VF_ATTR_RATE),
                             .max_rate = 25000, .rate_given = VF_RATE_MAX };
    struct vf_settings cur = { .mask = VF_ATTR_BIT(VF_ATTR_RATE),
                               .min_rate = 0, .max_rate = 200 };
    struct vf_err err = { "" };
    struct vf_dev d = make_dev(1, 4, 10000);

    cr_expect_eq(vf_validate_for_dev(&d, 4, 0, &s, NULL, &err), -ERANGE);
    cr_expect_str_eq(err.msg, "max-rate 25000 Mbit/s is above the link speed "
                     "of enp3s0f0 (10000 Mbit/s)");
    s = (struct vf_settings){ .mask = VF_ATTR_BIT(VF_ATTR_RATE),
                              .min_rate = 500, .max_rate = 100,
                              .rate_given = VF_RATE_MIN | VF_RATE_MAX };
    cr_expect_eq(vf_validate_for_dev(&d, 4, 0, &s, NULL, &err), -ERANGE);
    cr_expect_str_eq(err.msg, "min-rate 500 Mbit/s is above max-rate 100 "
                     "Mbit/s");
    /* min alone is checked against the VF's current max */
    s = (struct vf_settings){ .mask = VF_ATTR_BIT(VF_ATTR_RATE),
                              .min_rate = 300, .rate_given = VF_RATE_MIN };
    cr_expect_eq(vf_validate_for_dev(&d, 4, 0, &s, &cur, &err), -ERANGE);
    cr_expect_str_eq(err.msg, "min-rate 300 Mbit/s is above max-rate 200 "
                     "Mbit/s (the VF's current max-rate)");
    /* unknown speed: only min <= max is checked */
    d = make_dev(1, 4, -1);
    s = (struct vf_settings){ .mask = VF_ATTR_BIT(VF_ATTR_RATE),
                              .max_rate = 400000, .rate_given = VF_RATE_MAX };
    cr_expect_eq(vf_validate_for_dev(&d, 4, 0, &s, NULL, &err), 0);
}

Test(vf_parse, guid_and_mac_formats)
{
    uint64_t g;
    char buf[32];
    struct vf_err err;
    uint8_t mac[6];

    cr_expect_eq(vf_parse_guid("0011:2233:4455:6677", &g, &err), 0);
    cr_expect_eq(g, 0x0011223344556677ull);
    cr_expect_str_eq(vf_fmt_guid(g, buf, sizeof(buf)),
                     "00:11:22:33:44:55:66:77");
    cr_expect_eq(vf_parse_mac("AB:bb:0C:00:00:01", mac, &err), -EINVAL);
    cr_expect_eq(vf_parse_mac("Ae:bb:0C:00:00:01", mac, &err), 0);
    cr_expect_str_eq(vf_fmt_mac(mac, buf, sizeof(buf)), "ae:bb:0c:00:00:01");
}
