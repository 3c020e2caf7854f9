/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Thread-safety annotations: locking the compiler checks.
 *
 * clang's thread-safety analysis (-Wthread-safety, on in every clang
 * build of snic, an error under werror: scripts/setup --tsan makes one)
 * tracks "capabilities" through each function: a mutex is one, and so is
 * a role such as "the control thread". A function declares the
 * capabilities it needs (SNIC_REQUIRES), takes (SNIC_ACQUIRE) or gives
 * back (SNIC_RELEASE); a variable declares the one that guards it
 * (SNIC_GUARDED_BY). A call or an access without the capability held, a
 * path that returns with a lock it should have dropped, or a lock taken
 * twice is a compile error. gcc has no such analysis: every macro here
 * expands to nothing there, and the types are plain wrappers.
 *
 * What C lets the analysis see. An attribute names only what is in scope
 * where it is written: a function's parameters and globals, never a
 * sibling member of a struct, so a field cannot say which lock of its own
 * struct guards it (clang before 19 parses the argument at once). Fields
 * therefore say it in prose and the functions that touch them carry
 * SNIC_REQUIRES(x->lock); a field that needs some lock but no particular
 * one may say SNIC_GUARDED. Globals carry SNIC_GUARDED_BY(their_lock).
 *
 * pthread's own functions carry no annotations, so a lock the analysis
 * checks is a struct snic_mutex taken with snic_mutex_lock() and friends;
 * their bodies are the one place the analysis is switched off.
 *
 * A role (struct snic_role) has no state at all: it names a thread, or
 * a context that one thread at a time is in. The function that starts
 * that thread's work calls snic_role_enter(), which tells the analysis
 * the role is held from there to the end of that function; functions
 * meant for that thread only say SNIC_REQUIRES(role), and so must every
 * function that calls them. Calling one from a function that neither
 * entered the role nor requires it does not compile.
 */
#ifndef SNIC_TSA_H
#define SNIC_TSA_H

#include <pthread.h>
#include <time.h>

#if defined(__clang__)
#define SNIC_TSA_(x)                __attribute__((x))
#else
#define SNIC_TSA_(x)
#endif

#define SNIC_CAPABILITY(name)       SNIC_TSA_(capability(name))
#define SNIC_GUARDED_BY(c)          SNIC_TSA_(guarded_by(c))
#define SNIC_PT_GUARDED_BY(c)       SNIC_TSA_(pt_guarded_by(c))
#define SNIC_GUARDED                SNIC_TSA_(guarded_var)
#define SNIC_REQUIRES(...)          SNIC_TSA_(requires_capability(__VA_ARGS__))
#define SNIC_ACQUIRE(...)           SNIC_TSA_(acquire_capability(__VA_ARGS__))
#define SNIC_RELEASE(...)           SNIC_TSA_(release_capability(__VA_ARGS__))
#define SNIC_TRY_ACQUIRE(...)       SNIC_TSA_(try_acquire_capability(__VA_ARGS__))
#define SNIC_EXCLUDES(...)          SNIC_TSA_(locks_excluded(__VA_ARGS__))
#define SNIC_NO_TSA                 SNIC_TSA_(no_thread_safety_analysis)

/* ---- a mutex the analysis knows ---- */

struct SNIC_CAPABILITY("mutex") snic_mutex {
    pthread_mutex_t m;
};

#define SNIC_MUTEX_INITIALIZER      { PTHREAD_MUTEX_INITIALIZER }

static inline void
snic_mutex_init(struct snic_mutex *mx)
{
    pthread_mutex_init(&mx->m, NULL);
}

static inline void
snic_mutex_destroy(struct snic_mutex *mx)
{
    pthread_mutex_destroy(&mx->m);
}

static inline void
snic_mutex_lock(struct snic_mutex *mx) SNIC_ACQUIRE(mx) SNIC_NO_TSA
{
    pthread_mutex_lock(&mx->m);
}

static inline void
snic_mutex_unlock(struct snic_mutex *mx) SNIC_RELEASE(mx) SNIC_NO_TSA
{
    pthread_mutex_unlock(&mx->m);
}

/* Tells the analysis that @mx is held here, where it cannot see it: a
 * pointer to the same lock reached another way (ad = p->ad). Checks
 * nothing at run time. */
static inline void
snic_mutex_held(struct snic_mutex *mx) SNIC_TSA_(assert_capability(mx))
    SNIC_NO_TSA
{
    (void)mx;
}

/* Waits on @cv: @mx is dropped and taken again inside, held on return. */
static inline int
snic_cond_wait(pthread_cond_t *cv, struct snic_mutex *mx) SNIC_REQUIRES(mx)
    SNIC_NO_TSA
{
    return pthread_cond_wait(cv, &mx->m);
}

static inline int
snic_cond_timedwait(pthread_cond_t *cv, struct snic_mutex *mx,
                    const struct timespec *until) SNIC_REQUIRES(mx)
    SNIC_NO_TSA
{
    return pthread_cond_timedwait(cv, &mx->m, until);
}

/* ---- roles: "the control thread only" ---- */

struct SNIC_CAPABILITY("role") snic_role {
    char unused;
};

/* Declares a role: one object per role, defined once with
 * SNIC_ROLE_DEFINE(name) in a file every user links. */
#define SNIC_ROLE_DECLARE(name)     extern struct snic_role name
#define SNIC_ROLE_DEFINE(name)      struct snic_role name

/* The calling thread takes @r's part from here on (see the top). */
static inline void
snic_role_enter(struct snic_role *r) SNIC_TSA_(assert_capability(r))
    SNIC_NO_TSA
{
    (void)r;
}

/*
 * The control thread: the one thread of a process that owns a software
 * datapath's writer side (include/snic/dp.h: stage, commit, poll,
 * reclaim, the switch's ports, workers created and destroyed), drives a
 * control socket server (include/snic/ctl.h: its handlers run on that
 * thread) and, in snicd, everything else struct snicd holds. One role for
 * all three, because in snicd they are one thread and what one of them
 * calls reaches the others (a control method commits the datapath). The
 * role is static: every file has its own, which costs nothing (a role
 * has no state) and needs no definition to link; the analysis works
 * within one file anyway.
 */
static struct snic_role snic_control __attribute__((unused));

/* ---- order that ThreadSanitizer cannot see ----
 *
 * DPDK's libraries are not instrumented. Where one of them orders two
 * threads with atomics of its own (rte_eal_wait_lcore() returns once a
 * worker's function has returned), ThreadSanitizer sees no order and
 * reports what both threads touched. The side that publishes marks the
 * point with SNIC_TSAN_RELEASE(obj), the side that waited for it with
 * SNIC_TSAN_ACQUIRE(obj), on the same address. Nothing outside a
 * ThreadSanitizer build. */
#if defined(__SANITIZE_THREAD__)
#define SNIC_TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SNIC_TSAN_BUILD 1
#endif
#endif

#ifdef SNIC_TSAN_BUILD
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define SNIC_TSAN_ACQUIRE(p)        __tsan_acquire((void *)(p))
#define SNIC_TSAN_RELEASE(p)        __tsan_release((void *)(p))
#else
#define SNIC_TSAN_ACQUIRE(p)        ((void)(p))
#define SNIC_TSAN_RELEASE(p)        ((void)(p))
#endif

#endif /* SNIC_TSA_H */
