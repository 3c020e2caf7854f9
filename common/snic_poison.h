/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory a pool of the project's own holds but nobody may touch (free
 * or not yet carved), marked for AddressSanitizer, so that a use after a
 * free into the pool still reports as it would with malloc's. Nothing
 * without ASan.
 *
 * Header only.
 */
#ifndef SNIC_POISON_H
#define SNIC_POISON_H

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define SNIC_POISON(p, n)       ASAN_POISON_MEMORY_REGION(p, n)
#define SNIC_UNPOISON(p, n)     ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SNIC_POISON(p, n)       ((void)(p), (void)(n))
#define SNIC_UNPOISON(p, n)     ((void)(p), (void)(n))
#endif

#endif /* SNIC_POISON_H */
