/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * snicd's switch options: --port settings as Open vSwitch's Port table
 * reads them (a tag makes an access port, none a trunk), the refusals
 * with their reasons, --mac-aging, --local, the flow queue's size and
 * --patch's pairs.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "snicd.h"
#include "snicd_opts.h"

static int
parse(struct snicd_opts *o, char *err, const char *a, const char *b)
{
    char *argv[] = { "snicd", (char *)a, (char *)b, NULL };

    return snicd_opts_parse(b ? 3 : 2, argv, o, err, 256);
}

static bool
trunks(const struct dp_port *p, unsigned vlan)
{
    return p->trunks[vlan / 64] >> (vlan % 64) & 1;
}

Test(opts, port_settings)
{
    static struct snicd_opts o;
    char err[256] = "";

    cr_assert_eq(parse(&o, err, "--port", "vf0:tag=10"), 0, "%s", err);
    cr_expect_str_eq(o.ports[0].name, "vf0");
    cr_expect_eq(o.ports[0].sw.vlan_mode, DP_VLAN_ACCESS);
    cr_expect_eq(o.ports[0].sw.tag, 10);
    cr_assert_eq(parse(&o, err, "--port", "uplink:trunks=10,20-22:no-flood"),
                 0, "%s", err);
    cr_expect_eq(o.ports[0].sw.vlan_mode, DP_VLAN_TRUNK);
    cr_expect(o.ports[0].sw.has_trunks);
    cr_expect(trunks(&o.ports[0].sw, 10) && trunks(&o.ports[0].sw, 21)
              && trunks(&o.ports[0].sw, 22) && !trunks(&o.ports[0].sw, 23)
              && !trunks(&o.ports[0].sw, 0));
    cr_expect_eq(o.ports[0].sw.flags, DP_PORT_NO_FLOOD);
    cr_assert_eq(parse(&o, err, "--port",
                       "vf1:vlan_mode=native-untagged:tag=5"), 0, "%s", err);
    cr_expect_eq(o.ports[0].sw.vlan_mode, DP_VLAN_NATIVE_UNTAGGED);
    cr_assert_eq(parse(&o, err, "--mac-aging", "15"), 0, "%s", err);
    cr_expect_eq(o.mac_aging, 15);
    cr_assert_eq(parse(&o, err, "--local", "snic-local"), 0, "%s", err);
    cr_expect_str_eq(o.local_iface, "snic-local");
}

struct bad {
    const char *opt, *arg, *says;
};

static const struct bad bads[] = {
    { "--port", "vf0", "want NAME:SETTING" },
    { "--port", ":tag=1", "want NAME:SETTING" },
    { "--port", "vf0:tag=4096", "tag=4096 is not a VLAN" },
    { "--port", "vf0:tag=x", "tag=x is not a VLAN" },
    { "--port", "vf0:vlan_mode=hybrid", "vlan_mode=hybrid" },
    { "--port", "vf0:vlan_mode=access", "vlan_mode=access needs tag=N" },
    { "--port", "vf0:vlan_mode=trunk:tag=3", "a trunk has no tag" },
    { "--port", "vf0:tag=3:trunks=4", "an access port has no trunks" },
    { "--port", "vf0:trunks=9-3", "trunks=9-3" },
    { "--port", "vf0:trunks=1,,2", "trunks=1,,2" },
    { "--port", "vf0:flood", "'flood' is not a setting" },
    { "--port", "vf0:speed=10", "unknown setting 'speed'" },
    { "--mac-aging", "0", "want 1..86400" },
    { "--local", "a,b", "--local a,b" },
    { "--local", "abcdefghijklmnopq", "1-15 characters" },
    { "--flow-queue-size", "0", "--flow-queue-size 0: want 1..65536" },
    { "--flow-queue-size", "65537", "--no-flow-queues for none" },
    { "--queue-timeout", "9", "--queue-timeout 9: want 10..600000 ms" },
    { "--queue-timeout", "2s", "--queue-timeout 2s: want" },
    { "--patch", "patch-int", "want NAME=PEER" },
    { "--patch", "a=a", "cannot be its own peer" },
    { "--patch", "=b", "1 to 31 characters" },
    { "--patch", "a=", "1 to 31 characters" },
    { "--patch", "a=abcdefghijklmnopqrstuvwxyz0123456", "1 to 31" },
    { "--patch", "a=2b", "'2b' is not a port name" },
    { "--patch", "a,b=c", "'a,b' is not a port name" },
    { "--patch", "a=b:c", "'b:c' is not a port name" },
    { "--patch", "vf3=b", "'vf3' is taken (vfN" },
    { "--patch", "a=p0", "'p0' is taken (pN" },
    { "--patch", "uplink=b", "'uplink' is taken" },
    { "--patch", "a=pf", "'pf' is taken" },
    { "--patch", "vxlan0=b", "'vxlan0' is taken" },
    { "--patch", "normal=b", "'normal' is taken (NORMAL" },
    { "--patch", "a=Local", "'Local' is taken (LOCAL" },
    { "--patch", "in_port=b", "'in_port' is taken (IN_PORT" },
};

Test(opts, port_refusals)
{
    static struct snicd_opts o;

    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        char err[256] = "";

        cr_expect_eq(parse(&o, err, bads[i].opt, bads[i].arg), -EINVAL,
                     "%s %s taken", bads[i].opt, bads[i].arg);
        cr_expect(strstr(err, bads[i].says) != NULL, "%s %s: '%s' lacks "
                  "'%s'", bads[i].opt, bads[i].arg, err, bads[i].says);
    }
}

/* An aging NORMAL's conversation rules cannot outlive (the card's frames
 * refresh a MAC once a second): asked for, a refusal that says what would
 * do; by default they are off, and 3 s is enough. */
Test(opts, short_mac_aging_and_normal_rules)
{
    static struct snicd_opts o;
    char *both[] = { "snicd", "--mac-aging", "2", "--normal-rules", "64",
                     NULL };
    char *zero[] = { "snicd", "--mac-aging", "1", "--normal-rules", "0",
                     NULL };
    char err[256] = "";

    cr_expect_eq(snicd_opts_parse(5, both, &o, err, sizeof(err)), -EINVAL);
    cr_expect(strstr(err, "need --mac-aging 3 or more") != NULL, "%s", err);
    cr_assert_eq(snicd_opts_parse(5, zero, &o, err, sizeof(err)), 0, "%s",
                 err);
    cr_expect_eq(o.normal_rules, 0);
    cr_assert_eq(parse(&o, err, "--mac-aging", "1"), 0, "%s", err);
    cr_expect_eq(o.normal_rules, 0, "conversation rules that live under "
                 "a second");
    cr_expect(o.normal_rules_off_aging);
    cr_assert_eq(parse(&o, err, "--mac-aging", "3"), 0, "%s", err);
    cr_expect_eq(o.normal_rules, SNICD_DEFAULT_NORMAL_RULES);
    cr_expect(!o.normal_rules_off_aging);
}

Test(opts, port_twice)
{
    static struct snicd_opts o;
    char *argv[] = { "snicd", "--port", "vf0:tag=1", "--port", "vf0:tag=2",
                     NULL };
    char err[256] = "";

    cr_expect_eq(snicd_opts_parse(5, argv, &o, err, sizeof(err)), -EINVAL);
    cr_expect(strstr(err, "--port vf0 given twice") != NULL, "%s", err);
}

Test(opts, patch_pairs)
{
    static struct snicd_opts o;
    char *argv[] = { "snicd", "--patch", "patch-tun=patch-int", "--patch",
                     "br.a=br_b", NULL };
    char err[256] = "";

    cr_assert_eq(snicd_opts_parse(5, argv, &o, err, sizeof(err)), 0, "%s",
                 err);
    cr_assert_eq(o.n_patches, 2);
    cr_expect_str_eq(o.patches[0].name, "patch-tun");
    cr_expect_str_eq(o.patches[0].peer, "patch-int");
    cr_expect_str_eq(o.patches[1].name, "br.a");
    cr_expect_str_eq(o.patches[1].peer, "br_b");
}

Test(opts, patch_names_are_distinct)
{
    static struct snicd_opts o;
    char *argv[] = { "snicd", "--patch", "a=b", "--patch", "c=a", NULL };
    char *argv2[] = { "snicd", "--patch", "a=b", "--patch", "b=c", NULL };
    char err[256] = "";

    cr_expect_eq(snicd_opts_parse(5, argv, &o, err, sizeof(err)), -EINVAL);
    cr_expect(strstr(err, "--patch c=a: port 'a' is already in --patch "
                     "a=b") != NULL, "%s", err);
    cr_expect_eq(snicd_opts_parse(5, argv2, &o, err, sizeof(err)), -EINVAL);
    cr_expect(strstr(err, "port 'b' is already in --patch a=b") != NULL,
              "%s", err);
}

Test(opts, flow_queue)
{
    static struct snicd_opts o;
    char err[256] = "";

    cr_assert_eq(parse(&o, err, "--workers", "1"), 0, "%s", err);
    cr_expect_eq(o.flow_queue_size, SNICD_DEFAULT_FLOW_QUEUE_SIZE);
    cr_assert_eq(parse(&o, err, "--flow-queue-size", "64"), 0, "%s", err);
    cr_expect_eq(o.flow_queue_size, 64);
    cr_assert_eq(parse(&o, err, "--no-flow-queues", NULL), 0, "%s", err);
    cr_expect_eq(o.flow_queue_size, 0, "the sync rte_flow API");
    cr_expect_eq(o.queue_timeout_ms, SNICD_QUEUE_TIMEOUT_MS);
    cr_assert_eq(parse(&o, err, "--queue-timeout", "250"), 0, "%s", err);
    cr_expect_eq(o.queue_timeout_ms, 250);
}
