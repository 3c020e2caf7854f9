/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the pure helpers: status names and errnos, syndromes. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "snic/fw_chan.h"

TestSuite(fw_status);

Test(fw_status, errno_mapping)
{
    cr_expect_eq(fw_status_errno(FW_STATUS_OK), 0);
    cr_expect_eq(fw_status_errno(FW_STATUS_BAD_PARAM), EINVAL);
    cr_expect_eq(fw_status_errno(FW_STATUS_BAD_INPUT_LEN), EINVAL);
    cr_expect_eq(fw_status_errno(FW_STATUS_NO_SPACE), ENOSPC);
    cr_expect_eq(fw_status_errno(FW_STATUS_NO_PERM), EPERM);
    cr_expect_eq(fw_status_errno(FW_STATUS_NOT_SUPPORTED), ENOTSUP);
    cr_expect_eq(fw_status_errno(FW_STATUS_BAD_RESOURCE), ENOENT);
    cr_expect_eq(fw_status_errno(FW_STATUS_BUSY), EBUSY);
    cr_expect_eq(fw_status_errno(FW_STATUS_EXISTS), EEXIST);
    cr_expect_eq(fw_status_errno(FW_STATUS_RESETTING), EAGAIN);
    cr_expect_eq(fw_status_errno(0x7f), EIO, "unknown status is EIO");
}

Test(fw_status, names_distinct_and_total)
{
    for (unsigned s = 0; s <= FW_STATUS_EXISTS; s++) {
        const char *a = fw_status_str((uint8_t)s);

        cr_assert_not_null(a);
        cr_expect_str_neq(a, "unknown status", "status %u has no name", s);
        for (unsigned t = 0; t < s; t++)
            cr_expect_str_neq(a, fw_status_str((uint8_t)t), "%u vs %u", s, t);
    }
    cr_expect_str_eq(fw_status_str(0xee), "unknown status");
}

Test(fw_status, field_and_action_names)
{
    for (unsigned f = 0; f < FW_FIELD_COUNT_; f++)
        cr_expect_str_neq(fw_field_name(f), "unknown field", "field %u", f);
    for (unsigned a = 0; a < FW_ACT_COUNT_; a++)
        cr_expect_str_neq(fw_action_name(a), "unknown action", "action %u", a);
    cr_expect_str_eq(fw_field_name(FW_FIELD_IPV4_SRC), "ipv4_src");
    cr_expect_str_eq(fw_field_name(FW_FIELD_COUNT_), "unknown field");
    cr_expect_str_eq(fw_action_name(FW_ACT_VXLAN_ENCAP), "vxlan_encap");
    cr_expect_str_eq(fw_action_name(999), "unknown action");
}

struct synd_case {
    uint32_t synd;
    const char *want;
};

Test(fw_status, syndrome_decoding)
{
    static const struct synd_case cases[] = {
        { FW_SYND(FW_SYND_FIELD, FW_FIELD_IPV4_SRC, 0), "field ipv4_src" },
        { FW_SYND(FW_SYND_MASK, FW_FIELD_L4_DST, 0), "mask of field l4_dst" },
        { FW_SYND(FW_SYND_ACTION, 3, FW_ACT_VXLAN_ENCAP),
          "action 3 (vxlan_encap)" },
        { FW_SYND(FW_SYND_ACTION_ARG, 1, FW_ACT_FWD_VPORT),
          "action 1 (fwd_vport) has a bad argument" },
        { FW_SYND(FW_SYND_ACTION_ARG, 2,
                  FW_MOD_SYND_DETAIL(FW_ACT_MODIFY_SET,
                                     FW_MOD_SYND_DST_RANGE)),
          "action 2 (modify_set) has a bad argument: destination offset + "
          "width past the field" },
        { FW_SYND(FW_SYND_CAPACITY, 0, FW_LIMIT_RULES_TOTAL), "rules in total" },
        { FW_SYND(FW_SYND_VPORT, 0, 9), "vport 9" },
        { FW_SYND(FW_SYND_PRIVILEGE, 0, 0), "not privileged" },
        { FW_SYND(FW_SYND_LENGTH, 0, 192), "needed 192" },
        { FW_SYND(FW_SYND_PREREQ, FW_FIELD_L4_SRC, 0), "l4_src" },
        { 0, "none" },
        { 0xfe000000u, "unknown syndrome 0xfe000000" },
    };
    char buf[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *s = fw_syndrome_str(cases[i].synd, buf, sizeof(buf));

        cr_expect_eq(s, buf);
        cr_expect_not_null(strstr(s, cases[i].want), "0x%08x -> '%s', want '%s'",
                           cases[i].synd, s, cases[i].want);
    }
}

Test(fw_status, syndrome_truncates_safely)
{
    char buf[8];

    memset(buf, 'x', sizeof(buf));
    fw_syndrome_str(FW_SYND(FW_SYND_FIELD, FW_FIELD_VXLAN_VNI, 0), buf,
                    sizeof(buf));
    cr_expect_eq(strlen(buf), 7u);
    cr_expect_str_eq(fw_syndrome_str(0, NULL, 0), "");
}

Test(fw_status, syndrome_fields_roundtrip)
{
    uint32_t s = FW_SYND(FW_SYND_ACTION, 15, 0xbeef);

    cr_expect_eq(FW_SYND_REASON(s), FW_SYND_ACTION);
    cr_expect_eq(FW_SYND_INDEX(s), 15);
    cr_expect_eq(FW_SYND_DETAIL(s), 0xbeef);
}
