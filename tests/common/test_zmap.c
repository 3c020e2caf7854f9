/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * common/snic_zmap.h and snic_populate.h: tables mapped resident in
 * transparent huge pages, and the heap's growth made resident. What the
 * classifier's slot copies and snicd's and emunic's heaps rely on: the
 * memory is zero, writable, resident when the call returns, the huge
 * page mapping starts on a huge page boundary and gives back all it
 * mapped, and the kernel is asked for huge pages (which it gives when
 * transparent huge pages are not off).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "snic_populate.h"
#include "snic_zmap.h"

static size_t
page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

/* Pages of [@p, @p + @size) resident; -1 when part of it is not mapped. */
static long
resident_pages(const void *p, size_t size)
{
    size_t page = page_size(), n = (size + page - 1) / page;
    unsigned char v[n];
    long k = 0;

    if (mincore((void *)p, size, v) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        k += v[i] & 1;
    return k;
}

/* Whether transparent huge pages may be asked for (sysfs "always" or
 * "madvise" chosen). */
static bool
thp_on(void)
{
    char buf[128] = "";
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

    if (f == NULL)
        return false;
    if (fgets(buf, sizeof(buf), f) == NULL)
        buf[0] = '\0';
    fclose(f);
    return strstr(buf, "[always]") != NULL || strstr(buf, "[madvise]") != NULL;
}

/* A field of the mapping that holds @p in /proc/self/smaps, in kB (or
 * its flag), -1 when not found. */
static long
smaps_field(const void *p, const char *field)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    char line[512];
    bool in = false;
    long v = -1;

    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        uintptr_t lo, hi;
        size_t n = strlen(field);

        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2
            && strchr(line, ':') > strchr(line, ' ')) {
            in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
            continue;
        }
        if (in && strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static void
check_huge_map(size_t size)
{
    size_t page = page_size(), len = (size + page - 1) / page * page;
    uint8_t *p = snic_zmap_huge(size);

    cr_assert_not_null(p, "snic_zmap_huge(%zu): %s", size, strerror(errno));
    cr_expect_eq((uintptr_t)p % SNIC_HUGE_PAGE, 0,
                 "%zu bytes at %p: not on a huge page boundary", size,
                 (void *)p);
    /* resident before anything touched it, zero, writable to its end */
    cr_expect_eq(resident_pages(p, len), (long)(len / page),
                 "%zu bytes: %ld of %zu pages resident", size,
                 resident_pages(p, len), len / page);
    for (size_t i = 0; i < size; i += 64)
        cr_assert_eq(p[i], 0, "byte %zu of %zu not zero", i, size);
    cr_expect_eq(p[size - 1], 0);
    memset(p, 0xa5, size);
    cr_expect_eq(p[size - 1], 0xa5);
    /* what was mapped beyond the aligned start and the size is given
     * back at once: the huge page before the start is not ours, nor the
     * page after the end */
    cr_expect_eq(resident_pages(p - page, page), -1,
                 "the page before %zu bytes is still mapped", size);
    cr_expect_eq(resident_pages(p + len, page), -1,
                 "the page after %zu bytes is still mapped", size);
    if (thp_on())
        cr_expect_geq(smaps_field(p, "AnonHugePages"),
                      (long)(SNIC_HUGE_PAGE / 1024),
                      "%zu bytes: no huge page (AnonHugePages %ld kB)", size,
                      smaps_field(p, "AnonHugePages"));
    snic_zunmap(p, size);
    cr_expect_eq(resident_pages(p, len), -1,
                 "%zu bytes still mapped after snic_zunmap", size);
}

Test(zmap, huge_map_of_one_huge_page)
{
    check_huge_map(SNIC_HUGE_PAGE);
}

Test(zmap, huge_map_of_an_odd_size)
{
    /* 12 MB and change: a classifier copy of 100,000 groups is about
     * that, never a whole number of pages */
    check_huge_map(12u * 1024 * 1024 + 100);
}

Test(zmap, plain_map_is_zero_and_not_resident)
{
    size_t size = 8u * 1024 * 1024;
    uint8_t *p = snic_zmap(size);

    cr_assert_not_null(p);
    cr_expect_eq(resident_pages(p, size), 0,
                 "an untouched table is resident");
    cr_expect_eq(p[size / 2], 0);
    snic_zunmap(p, size);
}

Test(zmap, heap_growth_made_resident_and_asked_huge)
{
    size_t grow = 8u * SNIC_HUGE_PAGE, page = page_size();
    uintptr_t end = 0;
    uint8_t *old;

    snic_populate_heap(&end);           /* where the heap is now */
    old = sbrk(0);
    cr_assert_eq((uintptr_t)old, end);
    cr_assert_neq(sbrk((intptr_t)grow), (void *)-1, "sbrk: %s",
                  strerror(errno));
    cr_expect_eq(resident_pages((void *)(((uintptr_t)old + page - 1)
                                         & ~(uintptr_t)(page - 1)), page),
                 0, "the heap's growth is resident before the call");
    snic_populate_heap(&end);
    cr_expect_eq(end, (uintptr_t)old + grow, "the break remembered");
    {
        uintptr_t lo = ((uintptr_t)old + page - 1) & ~(uintptr_t)(page - 1);
        uintptr_t hi = ((uintptr_t)old + grow) & ~(uintptr_t)(page - 1);

        cr_expect_eq(resident_pages((void *)lo, hi - lo),
                     (long)((hi - lo) / page),
                     "%ld of %zu pages of the growth resident",
                     resident_pages((void *)lo, hi - lo), (hi - lo) / page);
    }
    if (thp_on())
        cr_expect_geq(smaps_field(old + grow / 2, "AnonHugePages"),
                      (long)(SNIC_HUGE_PAGE / 1024),
                      "no huge page in 16 MB of heap growth (AnonHugePages "
                      "%ld kB)", smaps_field(old + grow / 2,
                                             "AnonHugePages"));
    /* a call with nothing grown changes nothing */
    snic_populate_heap(&end);
    cr_expect_eq(end, (uintptr_t)old + grow);
}
