/*
 * stacktab: interned call stacks with a few counters each, the one stack
 * table of the profiles whose events come from host threads (the mutex
 * and block profiles, agent/lockprof.c; the heap profile,
 * agent/heapprof.c).
 *
 * A fixed open-addressing table in one lazily mmap'd block, never malloc
 * (it is filled from inside malloc).  Lookups are lock-free: an entry is
 * published by a release store of its hash once complete.  Inserting
 * takes a small internal mutex with tp_in_agent raised.  At most half the
 * slots are used, so probes stay short; a stack that finds no room gets
 * id 0 and the caller counts the event as dropped.
 *
 * The ids in use are also listed densely, in insertion order, behind the
 * slots: a dump walks that list and reads only entries that exist.  Reading
 * every slot would fault in the whole table, and on kernels that back a
 * read fault with a fresh page instead of the shared zero page (seen on a
 * 6.18 guest) that makes all of it resident.
 *
 * A per-thread cache (tp_stack_cache_t, owned by the caller) maps the
 * host's (call site, stack pointer) to an id so that a call site in a
 * loop is unwound once: unwinding costs 1-3 us, the cache a few ns.  Two
 * call chains reaching the same call site at the same depth would share
 * an entry; every 256th hit unwinds again, which bounds how long a wrong
 * stack can be reported.
 */
#ifndef TP_STACKTAB_H
#define TP_STACKTAB_H

#include <pthread.h>
#include <stdint.h>

#define TP_STACK_FRAMES 32
#define TP_STACK_COUNTERS 4

typedef struct tp_stack {
    _Atomic uint64_t hash;       /* 0: empty; published when complete */
    uint32_t npcs;
    uintptr_t pcs[TP_STACK_FRAMES];
    _Atomic uint64_t v[TP_STACK_COUNTERS];   /* the profile's counters */
} tp_stack_t;

typedef struct tp_stacktab {
    uint32_t slots;              /* power of two; capacity is half */
    void *_Atomic table;         /* tp_stack_t[slots], then uint32_t
                                  * ids[slots / 2]; mapped on first use */
    pthread_mutex_t insert_lock;
    _Atomic uint32_t used;       /* written under insert_lock, after ids[] */
    _Atomic uint64_t dropped;    /* stacks that found no room */
    _Atomic uint64_t unstacked;  /* events before libunwind was loaded */
} tp_stacktab_t;

#define TP_STACKTAB_INIT(nslots) \
    { .slots = (nslots), .insert_lock = PTHREAD_MUTEX_INITIALIZER }

typedef struct tp_stack_cache {
    uintptr_t site, sp;
    uint32_t id, hits;
} tp_stack_cache_t;

/* The id (> 0) of the calling host code's stack, interned if new, found
 * through cache (ncache entries, a power of two; NULL for none) when the
 * same (site, sp) was seen lately; 0 when there is no room or no memory.
 * Before libunwind is loaded the stack is empty (counted as unstacked). */
uint32_t tp_stacktab_capture(tp_stacktab_t *t, tp_stack_cache_t *cache,
                             unsigned ncache, uintptr_t site, uintptr_t sp);
/* The entry of id, or NULL. */
tp_stack_t *tp_stacktab_get(tp_stacktab_t *t, uint32_t id);
/* Iteration in insertion order: the id of the k-th stack interned
 * (0 <= k < tp_stacktab_used(t)). */
uint32_t tp_stacktab_nth(tp_stacktab_t *t, uint32_t k);
/* Entries used; bytes reserved (0 when never mapped) and resident. */
uint32_t tp_stacktab_used(const tp_stacktab_t *t);
size_t tp_stacktab_bytes(const tp_stacktab_t *t);
size_t tp_stacktab_resident(const tp_stacktab_t *t);
/* In a forked child: the insert lock may have been held by a thread
 * that does not exist there.  The stacks stay. */
void tp_stacktab_after_fork_child(tp_stacktab_t *t);
/* In a forked child that starts its profile afresh: the table is
 * unmapped and every count zeroed, as if never used. */
void tp_stacktab_reset(tp_stacktab_t *t);

#endif
