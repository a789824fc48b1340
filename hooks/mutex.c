/*
 * hooks/mutex: pthread_mutex_lock and its timed variants.
 *
 * Fast path: one trylock, which is what the real lock does first anyway;
 * only when the mutex is taken does the thread record that it waits.  The
 * real error codes (EDEADLK, EOWNERDEAD, EINVAL…) come back untouched: a
 * trylock that fails with anything but EBUSY fails the same way as lock.
 */
#include "agent/agent.h"

TP_REAL_DECL(pthread_mutex_lock);
TP_REAL_DECL(pthread_mutex_trylock);
TP_REAL_DECL(pthread_mutex_timedlock);
TP_REAL_DECL(pthread_mutex_clocklock);

static TP_COLD int lock_slow(pthread_mutex_t *m)
{
    TP_WAIT_SCOPE(TP_ST_MUTEX, "pthread_mutex_lock", m, NULL, 0);
    return TP_REAL(pthread_mutex_lock)(m);
}

TP_HOOK int pthread_mutex_lock(pthread_mutex_t *m)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return r;
    return lock_slow(m);
}

TP_HOOK int pthread_mutex_timedlock(pthread_mutex_t *m,
                                    const struct timespec *abstime)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return r;
    TP_WAIT_SCOPE(TP_ST_MUTEX, "pthread_mutex_timedlock", m,
                                   NULL, 0);
    return TP_REAL(pthread_mutex_timedlock)(m, abstime);
}

TP_HOOK int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                    const struct timespec *abstime)
{
    int r = TP_REAL(pthread_mutex_trylock)(m);
    if (TP_LIKELY(r != EBUSY))
        return r;
    TP_WAIT_SCOPE(TP_ST_MUTEX, "pthread_mutex_clocklock", m,
                                   NULL, 0);
    return TP_REAL(pthread_mutex_clocklock)(m, clock, abstime);
}
