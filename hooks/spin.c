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

#define SITE() ((uintptr_t)__builtin_return_address(0))

static TP_COLD int spin_slow(pthread_spinlock_t *l, uintptr_t site)
{
    int r;
    {
        TP_WAIT_SCOPE(TP_ST_SPIN, "pthread_spin_lock", (const void *)l, NULL, 0);
        r = TP_REAL(pthread_spin_lock)(l);
    }
    if (r == 0)
        tp_held_push((const void *)l, TP_LOCK_SPIN, site);
    return r;
}

TP_HOOK int pthread_spin_lock(pthread_spinlock_t *l)
{
    int r = TP_REAL(pthread_spin_trylock)(l);
    if (TP_LIKELY(r == 0)) {
        tp_held_push((const void *)l, TP_LOCK_SPIN, SITE());
        return 0;
    }
    if (r != EBUSY)
        return r;
    return spin_slow(l, SITE());
}

TP_HOOK int pthread_spin_trylock(pthread_spinlock_t *l)
{
    int r = TP_REAL(pthread_spin_trylock)(l);
    if (r == 0)
        tp_held_push((const void *)l, TP_LOCK_SPIN, SITE());
    return r;
}

TP_HOOK int pthread_spin_unlock(pthread_spinlock_t *l)
{
    tp_held_pop((const void *)l);   /* before: a tail call (mutex.c) */
    return TP_REAL(pthread_spin_unlock)(l);
}
