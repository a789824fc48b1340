/*
 * held: the locks each thread holds, and the lock-order hooks.
 */
#ifndef TP_HELD_H
#define TP_HELD_H

#include <stdint.h>

#include "agent/thread.h"

/* --- locks held -------------------------------------------------------- */

/* Seconds since the agent started, advanced by the dump thread when it
 * wakes (about once a second): a timestamp that costs one load. */
extern volatile uint32_t tp_tick;

/* THREADPROF_LOCK_ORDER (agent/lockorder.c): set once at start, then
 * only read.  Off, the held-list push pays one predictable branch on it. */
extern int tp__lock_order_on;
/* Out of line: lock (a TP_LOCK_* kind) was just acquired with n > 0 locks
 * already on t's held list; records the lock-order edges. */
void tp__lock_order_acquire(tp_thread_t *t, uint32_t n, const void *lock,
                            uint32_t kind, uintptr_t site);
/* Out of line: lock is being destroyed; forget its edges, so that the
 * same address initialised again is a new lock.  errno is preserved. */
void tp__lock_order_forget(const void *lock);

/* A lock is being destroyed or initialised (pthread_mutex_destroy,
 * pthread_mutex_init and their rwlock twins): whatever was known about
 * the address belonged to another lock.  One predictable branch when
 * lock-order checking is off. */
TP_INLINE void tp_lock_destroyed(const void *lock)
{
    if (TP_UNLIKELY(tp__lock_order_on))
        tp__lock_order_forget(lock);
}

/* Hold times (agent/holdprof.c).  Out of line: the acquisition just
 * pushed as t's entry n is the one in THREADPROF_HOLD_FRACTION whose hold
 * is timed precisely: stamps it and rearms the countdown. */
void tp__hold_sample(tp_thread_t *t, uint32_t n);
/* Out of line: h, just taken off t's list, is marked (TP_HELD_TIMED or
 * TP_HELD_CONTENDED): ends its timed hold.  Returns the contended mark. */
uint32_t tp__held_marked(tp_thread_t *t, const tp_held_t *h, uint64_t wk);

/* A lock was acquired (fast path: one TLS load, four stores, one
 * decrement, and two predictable branches).  Locks the agent itself takes
 * on a host thread go on the list too (checking would cost more): they are
 * released before any snapshot can see them, or filtered out by address
 * (tp_addr_in_agent).  order: 0 for a trylock, which cannot block and so
 * cannot be half of a deadlock (TSan leaves such edges out too: code
 * takes locks out of order with trylock precisely to avoid one). */
TP_INLINE void tp_held_push_order(const void *lock, uint32_t kind,
                                  uintptr_t site, int order)
{
    tp_thread_t *t = tp_self;
    if (TP_UNLIKELY(t == NULL))
        return;
    uint32_t n = t->nheld;
    if (TP_UNLIKELY(tp__lock_order_on) && order && n != 0)
        tp__lock_order_acquire(t, n, lock, kind, site);
    if (TP_LIKELY(n < TP_HELD_MAX)) {
        t->held[n].lock = lock;
        t->held[n].site = site;
        /* Atomic (a plain store on x86): other threads OR in a mark. */
        __atomic_store_n(&t->held[n].when_kind, (uint64_t)tp_tick << 8 | kind,
                         __ATOMIC_RELAXED);
    }
    t->nheld = n + 1;
    /* Last, so that nothing the fast path computed is live across the
     * rare call (it would cost the hook two more saved registers). */
    if (TP_UNLIKELY(t->hold_countdown-- == 0))
        tp__hold_sample(t, n);
}

TP_INLINE void tp_held_push(const void *lock, uint32_t kind, uintptr_t site)
{
    tp_held_push_order(lock, kind, site, 1);
}

/* r, returned by a call that takes a lock of kind, means the lock is
 * held: 0, or for a mutex EOWNERDEAD (a robust mutex whose owner died:
 * acquired all the same).  kind is a constant in every caller, so the
 * rwlock and spin hooks pay no test for EOWNERDEAD. */
TP_INLINE int tp_lock_result_held(uint32_t kind, int r)
{
    return r == 0 || (kind == TP_LOCK_MUTEX && r == EOWNERDEAD);
}

/* A lock call that did not wait returned r: when the lock is held, it
 * goes on the held list.  Returns r untouched.  A lock that was waited
 * for goes on the list through tp_waited (agent/lockwait.h). */
TP_INLINE int tp_lock_acquired(const void *lock, uint32_t kind, int r, uintptr_t site)
{
    if (TP_LIKELY(tp_lock_result_held(kind, r)))
        tp_held_push(lock, kind, site);
    return r;
}

/* The same for a trylock: on the held list, but no lock-order edge (see
 * tp_held_push_order).  Every trylock hook (mutex, rwlock, spin) goes
 * through here, so none of them can make a false inversion. */
TP_INLINE int tp_lock_tried(const void *lock, uint32_t kind, int r, uintptr_t site)
{
    if (TP_LIKELY(tp_lock_result_held(kind, r)))
        tp_held_push_order(lock, kind, site, 0);
    return r;
}

/* A lock is about to be waited for (tp_waited's set-up, before the
 * blocking call): its lock-order edges are recorded now, so that a wait
 * that never ends (a real deadlock) still leaves them in the graph.  The
 * acquisition, if it comes, then finds them in the thread's cache. */
TP_INLINE void tp_lock_order_attempt(const void *lock, uint32_t kind, uintptr_t site)
{
    if (TP_LIKELY(!tp__lock_order_on))
        return;
    tp_thread_t *t = tp_self;
    if (t != NULL && t->nheld != 0)
        tp__lock_order_acquire(t, t->nheld, lock, kind, site);
}

/* Out of line: the lock released is not the last one taken.  Returns
 * its entry's TP_HELD_CONTENDED mark (0 if not found). */
uint32_t tp__held_remove(tp_thread_t *t, const void *lock);

/* A lock was released (fast path: it is the last one taken, unmarked).
 * Returns the TP_HELD_CONTENDED mark of its entry: nonzero when a thread
 * started waiting for it while this one held it.  A timed hold ends in
 * tp__held_marked. */
TP_INLINE uint32_t tp_held_pop(const void *lock)
{
    tp_thread_t *t = tp_self;
    if (TP_UNLIKELY(t == NULL))
        return 0;
    uint32_t n = t->nheld;
    if (TP_LIKELY(n - 1 < TP_HELD_MAX && t->held[n - 1].lock == lock)) {
        uint64_t wk = __atomic_load_n(&t->held[n - 1].when_kind, __ATOMIC_RELAXED);
        t->nheld = n - 1;
        if (TP_LIKELY(!(wk & (TP_HELD_CONTENDED | TP_HELD_TIMED))))
            return 0;
        return tp__held_marked(t, &t->held[n - 1], wk);
    }
    return tp__held_remove(t, lock);
}


#endif
