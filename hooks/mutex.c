/*
 * hooks/mutex: pthread_mutex_lock, its try and timed variants, unlock.
 *
 * Fast path: one trylock, which is what the real lock does first anyway,
 * then the lock goes on the thread's held list (four stores); only when
 * the mutex is taken does the thread record that it waits.  The real
 * error codes (EDEADLK, EOWNERDEAD, EINVAL…) come back untouched: a
 * trylock that fails with anything but EBUSY fails the same way as lock.
 * Init and destroy are seen only so that a mutex initialised again at the
 * same address is a new lock, for lock-order checking (agent/lockorder.c)
 * and the summary's per-lock statistics (agent/lockprof.c).
 */
#include "agent/agent.h"

TP_REAL_DECL(pthread_mutex_lock);
TP_REAL_DECL(pthread_mutex_trylock);
TP_REAL_DECL(pthread_mutex_timedlock);
TP_REAL_DECL(pthread_mutex_clocklock);
TP_REAL_DECL(pthread_mutex_unlock);
TP_REAL_DECL(pthread_mutex_destroy);
TP_REAL_DECL(pthread_mutex_init);

/* The slow paths: the mutex was taken, so the thread waits for it
 * (agent/lockwait.h). */
static TP_COLD int lock_slow(pthread_mutex_t *m, uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_MUTEX, "pthread_mutex_lock", m, NULL, site);
    return tp_waited(&w, TP_REAL(pthread_mutex_lock)(m));
}

static TP_COLD int timedlock_slow(pthread_mutex_t *m, const struct timespec *abstime,
                                  uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_MUTEX, "pthread_mutex_timedlock", m, NULL, site);
    return tp_waited(&w, TP_REAL(pthread_mutex_timedlock)(m, abstime));
}

static TP_COLD int clocklock_slow(pthread_mutex_t *m, clockid_t clock,
                                  const struct timespec *abstime, uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_MUTEX, "pthread_mutex_clocklock", m, NULL, site);
    return tp_waited(&w, TP_REAL(pthread_mutex_clocklock)(m, clock, abstime));
}

TP_HOOK int pthread_mutex_lock(pthread_mutex_t *m)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(m, TP_LOCK_MUTEX, r, TP_SITE());
    return lock_slow(m, TP_SITE());
}

TP_HOOK int pthread_mutex_trylock(pthread_mutex_t *m)
{
    return tp_lock_tried(m, TP_LOCK_MUTEX, TP_REAL(pthread_mutex_trylock)(m), TP_SITE());
}

TP_HOOK int pthread_mutex_timedlock(pthread_mutex_t *m,
                                    const struct timespec *abstime)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(m, TP_LOCK_MUTEX, r, TP_SITE());
    return timedlock_slow(m, abstime, TP_SITE());
}

TP_HOOK int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                    const struct timespec *abstime)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(m, TP_LOCK_MUTEX, r, TP_SITE());
    return clocklock_slow(m, clock, abstime, TP_SITE());
}

/* The lock leaves the held list before the real unlock so that the real
 * call is a tail call.  An unlock that fails (EPERM: not the owner) is of
 * a mutex this thread does not have on its list, so nothing is lost.
 * When others wait (the entry is marked, agent/lockwait.h), the releasing
 * stack is noted before the real unlock wakes one of them, so the waiter
 * finds it (agent/lockprof.c). */
TP_HOOK int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (tp_held_pop(m))
        tp__mutex_release_contended(m, TP_SITE());
    return TP_REAL(pthread_mutex_unlock)(m);
}

/* The lock's edges and statistics are forgotten before the real call (a
 * failing destroy, EBUSY, only starts new statistics early); result and
 * errno are the real ones. */
TP_HOOK int pthread_mutex_destroy(pthread_mutex_t *m)
{
    tp_lock_destroyed(m);
    tp_lockprof_forget(m);
    return TP_REAL(pthread_mutex_destroy)(m);
}

/* Whatever the agent knew about this address (a mutex destroyed, or memory
 * reused without a destroy) belonged to another lock: forgotten before the
 * real call; result and errno are the real ones. */
TP_HOOK int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    tp_lock_destroyed(m);
    tp_lockprof_forget(m);
    return TP_REAL(pthread_mutex_init)(m, attr);
}
