/*
 * hooks/rwlock: read and write locking, with a try first (see mutex.c).
 */
#include "agent/agent.h"

TP_REAL_DECL(pthread_rwlock_rdlock);
TP_REAL_DECL(pthread_rwlock_wrlock);
TP_REAL_DECL(pthread_rwlock_tryrdlock);
TP_REAL_DECL(pthread_rwlock_trywrlock);
TP_REAL_DECL(pthread_rwlock_timedrdlock);
TP_REAL_DECL(pthread_rwlock_timedwrlock);
TP_REAL_DECL(pthread_rwlock_clockrdlock);
TP_REAL_DECL(pthread_rwlock_clockwrlock);

static TP_COLD int rdlock_slow(pthread_rwlock_t *l)
{
    TP_WAIT_SCOPE(TP_ST_RWLOCK_RD, "pthread_rwlock_rdlock", l, NULL, 0);
    return TP_REAL(pthread_rwlock_rdlock)(l);
}

static TP_COLD int wrlock_slow(pthread_rwlock_t *l)
{
    TP_WAIT_SCOPE(TP_ST_RWLOCK_WR, "pthread_rwlock_wrlock", l, NULL, 0);
    return TP_REAL(pthread_rwlock_wrlock)(l);
}

TP_HOOK int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return r;
    return rdlock_slow(l);
}

TP_HOOK int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return r;
    return wrlock_slow(l);
}

TP_HOOK int pthread_rwlock_timedrdlock(pthread_rwlock_t *l,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return r;
    TP_WAIT_SCOPE(TP_ST_RWLOCK_RD, "pthread_rwlock_timedrdlock",
                                   l, NULL, 0);
    return TP_REAL(pthread_rwlock_timedrdlock)(l, abstime);
}

TP_HOOK int pthread_rwlock_timedwrlock(pthread_rwlock_t *l,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return r;
    TP_WAIT_SCOPE(TP_ST_RWLOCK_WR, "pthread_rwlock_timedwrlock",
                                   l, NULL, 0);
    return TP_REAL(pthread_rwlock_timedwrlock)(l, abstime);
}

TP_HOOK int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return r;
    TP_WAIT_SCOPE(TP_ST_RWLOCK_RD, "pthread_rwlock_clockrdlock",
                                   l, NULL, 0);
    return TP_REAL(pthread_rwlock_clockrdlock)(l, clock, abstime);
}

TP_HOOK int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return r;
    TP_WAIT_SCOPE(TP_ST_RWLOCK_WR, "pthread_rwlock_clockwrlock",
                                   l, NULL, 0);
    return TP_REAL(pthread_rwlock_clockwrlock)(l, clock, abstime);
}
