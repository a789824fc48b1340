/*
 * hooks/spin: pthread spinlocks.  Like a mutex (hooks/mutex.c): try
 * first, and only when the lock is taken record that the thread spins;
 * every acquisition goes on the held list, which is also how a dump finds
 * a spinlock's holder (glibc's spinlock is a bare word with no owner).
 */
#include "agent/agent.h"

TP_REAL_DECL(pthread_spin_lock);
TP_REAL_DECL(pthread_spin_trylock);
TP_REAL_DECL(pthread_spin_unlock);

static TP_COLD int spin_slow(pthread_spinlock_t *l, uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_SPIN, "pthread_spin_lock", (const void *)l, NULL, site);
    return tp_waited(&w, TP_REAL(pthread_spin_lock)(l));
}

TP_HOOK int pthread_spin_lock(pthread_spinlock_t *l)
{
    int r = TP_REAL(pthread_spin_trylock)(l);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired((const void *)l, TP_LOCK_SPIN, r, TP_SITE());
    return spin_slow(l, TP_SITE());
}

/* No lock-order edge, like the mutex and rwlock trylocks: code that takes
 * a spinlock out of order with a trylock, backing off when it is busy,
 * cannot deadlock on it (tp_lock_tried). */
TP_HOOK int pthread_spin_trylock(pthread_spinlock_t *l)
{
    return tp_lock_tried((const void *)l, TP_LOCK_SPIN, TP_REAL(pthread_spin_trylock)(l),
                         TP_SITE());
}

TP_HOOK int pthread_spin_unlock(pthread_spinlock_t *l)
{
    tp_held_pop((const void *)l);   /* before: a tail call (mutex.c) */
    return TP_REAL(pthread_spin_unlock)(l);
}
