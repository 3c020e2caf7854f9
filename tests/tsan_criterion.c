/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linked into every Criterion test program of a ThreadSanitizer build
 * (tests/meson.build), and only there.
 *
 * Criterion's sandbox (BoxFort) maps the memory it shares with each test
 * process at a fixed address, drawn with rand_r() from
 * [0x2000'0000'0000, 0x6000'0000'0000) and kept only where nothing is
 * mapped yet. ThreadSanitizer reserves nearly all of that range for its
 * shadow and metadata, so ten draws in a row land on reserved memory and
 * the runner aborts ("Could not initialize inheritable memory") before any
 * test. The one part of the range that is application memory to
 * ThreadSanitizer is where position-independent executables go,
 * [0x5500'0000'0000, 0x5680'0000'0000): the draws that come from
 * Criterion's library are steered into it, 1 GiB apart; every other caller
 * gets the C library's rand_r().
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

int rand_r(unsigned *seed);

/* BoxFort: address = 0x2000'0000'0000 + draw * 2^24 */
#define DRAW_PIE_FIRST  0x350000u           /* 0x5500'0000'0000 */
#define DRAW_PIE_SPAN   0x18000u            /* up to 0x5680'0000'0000 */
#define DRAW_STEP       0x40u               /* 1 GiB */

int
rand_r(unsigned *seed)
{
    static void *libc_rand_r;       /* looked up once, by any thread */
    int (*fn)(unsigned *);
    void *p;
    Dl_info caller;

    if (dladdr(__builtin_return_address(0), &caller) != 0
        && caller.dli_fname != NULL
        && strstr(caller.dli_fname, "libcriterion") != NULL) {
        unsigned n = (*seed)++;

        /* skip the first GiB, where the executable itself may sit */
        return (int)(DRAW_PIE_FIRST + DRAW_STEP
                     + (n * DRAW_STEP) % (DRAW_PIE_SPAN - DRAW_STEP));
    }
    p = __atomic_load_n(&libc_rand_r, __ATOMIC_RELAXED);
    if (p == NULL) {
        p = dlsym(RTLD_NEXT, "rand_r");
        __atomic_store_n(&libc_rand_r, p, __ATOMIC_RELAXED);
    }
    *(void **)&fn = p;
    return fn(seed);
}
