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

#define SITE() ((uintptr_t)__builtin_return_address(0))

/* r is the result of an acquisition: 0, or EOWNERDEAD from a robust
 * mutex whose owner died (acquired too). */
TP_INLINE int acquired(pthread_mutex_t *m, int r, uintptr_t site)
{
    if (TP_LIKELY(r == 0 || r == EOWNERDEAD))
        tp_held_push(m, TP_LOCK_MUTEX, site);
    return r;
}

/* Taken after waiting: others may still wait (mutex_unlock below). */
static int acquired_after_wait(pthread_mutex_t *m, int r, uintptr_t site)
{
    if (r == 0 || r == EOWNERDEAD) {
        tp_held_push(m, TP_LOCK_MUTEX, site);
        tp__held_mark_last();
    }
    return r;
}

/* A trylock: on the held list, but no lock-order edge (agent.h). */
TP_INLINE int acquired_try(pthread_mutex_t *m, int r, uintptr_t site)
{
    if (TP_LIKELY(r == 0 || r == EOWNERDEAD))
        tp_held_push_order(m, TP_LOCK_MUTEX, site, 0);
    return r;
}

/* The wait is over: profiled as a mutex wait when the mutex was taken
 * (the mutex profile then blames its last contended release), else as a
 * plain wait (a timed lock that gave up). */
TP_INLINE void waited(tp_lockwait_t *w, pthread_mutex_t *m, int r)
{
    tp_lockwait_end(w, r == 0 || r == EOWNERDEAD ? TP_LW_MUTEX : TP_LW_OTHER, m);
}

static TP_COLD int lock_slow(pthread_mutex_t *m, uintptr_t site)
{
    int r;
    tp_lockwait_t w;
    tp_lock_order_attempt(m, TP_LOCK_MUTEX, site);
    tp_lockwait_begin(&w, site);
    tp__mutex_mark_holder(m);
    {
        TP_WAIT_SCOPE(TP_ST_MUTEX, "pthread_mutex_lock", m, NULL, 0);
        r = TP_REAL(pthread_mutex_lock)(m);
    }
    waited(&w, m, r);
    return acquired_after_wait(m, r, site);
}

static TP_COLD int timedlock_slow(pthread_mutex_t *m, clockid_t clock,
                                  const struct timespec *abstime, int clocked,
                                  uintptr_t site)
{
    int r;
    tp_lockwait_t w;
    tp_lock_order_attempt(m, TP_LOCK_MUTEX, site);
    tp_lockwait_begin(&w, site);
    tp__mutex_mark_holder(m);
    if (clocked) {
        TP_WAIT_SCOPE(TP_ST_MUTEX, "pthread_mutex_clocklock", m, NULL, 0);
        r = TP_REAL(pthread_mutex_clocklock)(m, clock, abstime);
    } else {
        TP_WAIT_SCOPE(TP_ST_MUTEX, "pthread_mutex_timedlock", m, NULL, 0);
        r = TP_REAL(pthread_mutex_timedlock)(m, abstime);
    }
    waited(&w, m, r);
    return acquired_after_wait(m, r, site);
}

TP_HOOK int pthread_mutex_lock(pthread_mutex_t *m)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return acquired(m, r, SITE());
    return lock_slow(m, SITE());
}

TP_HOOK int pthread_mutex_trylock(pthread_mutex_t *m)
{
    return acquired_try(m, TP_REAL(pthread_mutex_trylock)(m), SITE());
}

TP_HOOK int pthread_mutex_timedlock(pthread_mutex_t *m,
                                    const struct timespec *abstime)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return acquired(m, r, SITE());
    return timedlock_slow(m, CLOCK_REALTIME, abstime, 0, SITE());
}

TP_HOOK int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                    const struct timespec *abstime)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return acquired(m, r, SITE());
    return timedlock_slow(m, clock, abstime, 1, SITE());
}

/* The lock leaves the held list before the real unlock so that the real
 * call is a tail call.  An unlock that fails (EPERM: not the owner) is of
 * a mutex this thread does not have on its list, so nothing is lost.
 * When others wait (the entry is marked, agent.h), the releasing stack is
 * noted before the real unlock wakes one of them, so the waiter finds it
 * (agent/lockprof.c). */
TP_HOOK int pthread_mutex_unlock(pthread_mutex_t *m)
{
    if (tp_held_pop(m))
        tp__mutex_release_contended(m, SITE());
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
