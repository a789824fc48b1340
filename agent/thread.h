/*
 * thread: the agent's record of one host thread (tp_thread_t), the
 * thread-local pointer to it, and what a thread parked in a hook leaves
 * for the dump thread to read (the wait record, the saved registers, the
 * locks it holds).  The record is written by its owner on the hot path and
 * read by the dump thread under the park protocol below.
 */
#ifndef TP_THREAD_H
#define TP_THREAD_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "agent/compiler.h"
#include "agent/stacktab.h"
#include "model/kinds.h"

/* Saved at a call boundary inside a hook: enough for libunwind to walk
 * the frames above it (callee-saved registers, stack and instruction
 * pointer).  The layout is read by agent/unwind.c. */
typedef struct tp_regs {
    uintptr_t rip, rsp, rbp, rbx, r12, r13, r14, r15;
} tp_regs_t;

/* park: whether the dump thread may read the wait record and walk the
 * stack.  The owner publishes PARKED after filling the record; the dump
 * thread claims PARKED -> READING, and the owner, returning, swaps
 * PARKED -> IDLE or waits out a READING claim (rare, microseconds). */
enum { TP_PARK_IDLE = 0, TP_PARK_PARKED = 1, TP_PARK_READING = 2 };

enum {
    TP_TF_MAIN      = 1u << 0,  /* the process's initial thread */
    TP_TF_DETACHED  = 1u << 1,
    TP_TF_EXITED    = 1u << 2,
    TP_TF_ADOPTED   = 1u << 3,  /* not created through our pthread_create */
    TP_TF_PENDING   = 1u << 4,  /* created, not yet registered (registry.c) */
};

#define TP_CREATE_FRAMES 24
#define TP_SCACHE 8
#define TP_HCACHE 128  /* power of two */
#define TP_OCACHE 64   /* power of two */

/* Locks a thread holds, in acquisition order: what it took, where (the
 * call site) and when (tp_tick).  Beyond TP_HELD_MAX nested locks only
 * the count is kept. */
#define TP_HELD_MAX 16
typedef struct tp_held {
    const void *lock;
    uintptr_t site;      /* return address of the lock call */
    uint64_t when_kind;  /* tp_tick when taken << 8 | TP_LOCK_* (one store),
                            | TP_HELD_TIMED/SAMPLED (owner), | TP_HELD_CONTENDED
                            (set by other threads) */
    uint64_t t0;         /* with TP_HELD_TIMED: CLOCK_MONOTONIC ns (below) */
} tp_held_t;
/* Someone waits (or may wait) for this lock: its release notes the
 * releasing stack for the mutex profile (mark_holder, agent/lockwait.c). */
#define TP_HELD_CONTENDED 0x80u
/* The hold is timed (agent/holdprof.c): t0 is when it was taken
 * (TP_HELD_SAMPLED: one acquisition in THREADPROF_HOLD_FRACTION), or when
 * the thread first blocked in a call while holding it (a lower bound of
 * the hold, agent/heldacross.c).  Its release goes to the slow path. */
#define TP_HELD_TIMED 0x40u
#define TP_HELD_SAMPLED 0x20u
/* The thread blocked in a call while holding it (agent/heldacross.c). */
#define TP_HELD_BLOCKED 0x10u
#define TP_HELD_KIND(h) ((uint32_t)((h)->when_kind & 0x0f))
#define TP_HELD_TICK(h) ((uint32_t)((h)->when_kind >> 8))

typedef struct tp_thread {
    /* Written by the owner thread only, read by the dump thread under the
     * park protocol.  Kept on their own cache line. */
    _Atomic uint32_t park;
    volatile uint32_t depth;    /* > 0 while inside a wait (signal-handler nesting) */
    uint32_t state;             /* tp_state_t */
    const char *call;           /* name of the intercepted function */
    const void *obj;            /* mutex, cond, sem, pthread_t of join target… */
    const void *obj2;           /* the mutex of a cond wait */
    long arg;                   /* fd, pid, nfds, requested sleep in ms… */
    uintptr_t site;             /* the hook's return address: the wait's call site */
    uint64_t since_ns;          /* CLOCK_MONOTONIC_COARSE at entry */
    uint64_t held_t0;           /* CLOCK_MONOTONIC at entry of a blocking call
                                 * made holding locks, 0 otherwise
                                 * (agent/heldacross.c) */
    tp_regs_t regs;
    /* Written by the owner on every lock and unlock; read by the dump
     * thread (consistently while the owner is parked, best effort while
     * it runs: entries hold no pointers the reader follows). */
    uint32_t nheld;
    tp_held_t held[TP_HELD_MAX];
    /* Acquisitions until the next one whose hold is timed (held.h); 0:
     * this one.  Not next to nheld: GCC would pair the two updates into
     * one slower vector operation. */
    uint32_t hold_countdown;

    /* Set at creation, changed only under the registry lock. */
    __attribute__((aligned(64))) pid_t tid;
    pid_t parent_tid;
    uint32_t flags;
    pthread_t pthread;
    uint64_t start_ns;
    int ncreate;
    uintptr_t create_pcs[TP_CREATE_FRAMES];
    struct tp_thread *next, *prev;
    /* The alternate signal stack the crash handler runs on (crash.c):
     * mapped once, kept with the record when it is reused. */
    void *altstack;

    /* Owner only (agent/lockprof.c, contended paths): a small cache from
     * (call site, stack pointer) to an interned stack, so a contended
     * lock in a loop is unwound once, not every time; and the state of
     * the sampling generator. */
    __attribute__((aligned(64))) tp_stack_cache_t scache[TP_SCACHE];
    uint64_t rng;
    /* The same for sampled allocations (agent/heapprof.c). */
    tp_stack_cache_t hcache[TP_HCACHE];

    /* Owner only: blocking system calls for the block profile.  One call
     * in TP_SYSCALL_TIMED_EVERY is timed precisely (timed_ns != 0). */
    uint32_t syscall_countdown;
    uint64_t timed_ns;

    /* Owner only (agent/lockorder.c, THREADPROF_LOCK_ORDER): lock-order
     * edges (held lock -> lock taken) this thread already knows are in
     * the global graph, direct-mapped; valid while epoch matches the
     * global one (a destroyed lock bumps it, flushing every cache). */
    __attribute__((aligned(64))) uint32_t ocache_epoch;
    struct {
        uintptr_t from, to;
    } ocache[TP_OCACHE];
} tp_thread_t;

/* Thread-local state, initial-exec so reaching it never enters ld.so;
 * one struct so a hook finds both with one TLS offset. */
typedef struct tp_tls {
    tp_thread_t *self;   /* this thread's record, NULL when untracked */
    int in_agent;        /* > 0: nested calls go straight to libc */
    /* Heap sampling (agent/heapprof.c): bytes this thread may still
     * allocate before the next sampled allocation (0 until seeded). */
    uint64_t heap_left;
    uint64_t heap_rng;   /* the gaps' random generator, 0 until seeded */
} tp_tls_t;
extern __thread tp_tls_t tp_tls;
#define tp_self (tp_tls.self)
#define tp_in_agent (tp_tls.in_agent)


#endif
