/*
 * hooks/rwlock: read and write locking with a try first (see mutex.c),
 * and unlock; every acquisition goes on the thread's held list, so a dump
 * can name the readers a writer waits for.  Init and destroy are seen for
 * lock-order checking only (see mutex.c).
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
TP_REAL_DECL(pthread_rwlock_unlock);
TP_REAL_DECL(pthread_rwlock_destroy);
TP_REAL_DECL(pthread_rwlock_init);

/* The slow paths: the lock was taken, so the thread waits for it
 * (agent/lockwait.h), timed for the block profile (readers blocking a
 * writer and the reverse). */
static TP_COLD int rdlock_slow(pthread_rwlock_t *l, uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_RWLOCK_RD, "pthread_rwlock_rdlock", l, NULL, site);
    return tp_waited(&w, TP_REAL(pthread_rwlock_rdlock)(l));
}

static TP_COLD int wrlock_slow(pthread_rwlock_t *l, uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_RWLOCK_WR, "pthread_rwlock_wrlock", l, NULL, site);
    return tp_waited(&w, TP_REAL(pthread_rwlock_wrlock)(l));
}

TP_HOOK int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(l, TP_LOCK_READ, r, TP_SITE());
    return rdlock_slow(l, TP_SITE());
}

TP_HOOK int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(l, TP_LOCK_WRITE, r, TP_SITE());
    return wrlock_slow(l, TP_SITE());
}

TP_HOOK int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    return tp_lock_tried(l, TP_LOCK_READ, TP_REAL(pthread_rwlock_tryrdlock)(l), TP_SITE());
}

TP_HOOK int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    return tp_lock_tried(l, TP_LOCK_WRITE, TP_REAL(pthread_rwlock_trywrlock)(l), TP_SITE());
}

/* The timed variants wait in the hook itself: no fast path to keep lean. */
TP_HOOK int pthread_rwlock_timedrdlock(pthread_rwlock_t *l,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(l, TP_LOCK_READ, r, TP_SITE());
    TP_WAIT_FOR(w, TP_ST_RWLOCK_RD, "pthread_rwlock_timedrdlock", l, NULL, TP_SITE());
    return tp_waited(&w, TP_REAL(pthread_rwlock_timedrdlock)(l, abstime));
}

TP_HOOK int pthread_rwlock_timedwrlock(pthread_rwlock_t *l,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(l, TP_LOCK_WRITE, r, TP_SITE());
    TP_WAIT_FOR(w, TP_ST_RWLOCK_WR, "pthread_rwlock_timedwrlock", l, NULL, TP_SITE());
    return tp_waited(&w, TP_REAL(pthread_rwlock_timedwrlock)(l, abstime));
}

TP_HOOK int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(l, TP_LOCK_READ, r, TP_SITE());
    TP_WAIT_FOR(w, TP_ST_RWLOCK_RD, "pthread_rwlock_clockrdlock", l, NULL, TP_SITE());
    return tp_waited(&w, TP_REAL(pthread_rwlock_clockrdlock)(l, clock, abstime));
}

TP_HOOK int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return tp_lock_acquired(l, TP_LOCK_WRITE, r, TP_SITE());
    TP_WAIT_FOR(w, TP_ST_RWLOCK_WR, "pthread_rwlock_clockwrlock", l, NULL, TP_SITE());
    return tp_waited(&w, TP_REAL(pthread_rwlock_clockwrlock)(l, clock, abstime));
}

TP_HOOK int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
    tp_held_pop(l);   /* before, so the real call is a tail call (mutex.c) */
    return TP_REAL(pthread_rwlock_unlock)(l);
}

TP_HOOK int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
    tp_lock_destroyed(l);   /* a re-initialised rwlock is a new lock */
    return TP_REAL(pthread_rwlock_destroy)(l);
}

TP_HOOK int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
    tp_lock_destroyed(l);   /* a new lock at this address (mutex.c) */
    tp_lockprof_forget(l);  /* the memory may have held a mutex */
    return TP_REAL(pthread_rwlock_init)(l, attr);
}
