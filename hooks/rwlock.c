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

#define SITE() ((uintptr_t)__builtin_return_address(0))

TP_INLINE int acquired(pthread_rwlock_t *l, uint32_t kind, int r, uintptr_t site)
{
    if (TP_LIKELY(r == 0))
        tp_held_push(l, kind, site);
    return r;
}

/* A trylock: on the held list, but no lock-order edge (agent.h). */
TP_INLINE int acquired_try(pthread_rwlock_t *l, uint32_t kind, int r, uintptr_t site)
{
    if (TP_LIKELY(r == 0))
        tp_held_push_order(l, kind, site, 0);
    return r;
}

/* The blocking part of every variant: state, then the real call, timed
 * for the block profile (readers blocking a writer and the reverse). */
#define RW_WAIT(site, state, name, call)                                      \
    do {                                                                      \
        tp_lockwait_t w_;                                                     \
        tp_lock_order_attempt(l, (state) == TP_ST_RWLOCK_RD ? TP_LOCK_READ    \
                                                            : TP_LOCK_WRITE,  \
                              (site));                                        \
        tp_lockwait_begin(&w_, (site));                                       \
        {                                                                     \
            TP_WAIT_SCOPE(state, name, l, NULL, 0);                           \
            r = call;                                                         \
        }                                                                     \
        tp_lockwait_end(&w_, TP_LW_OTHER, l);                                 \
    } while (0)

static TP_COLD int rdlock_slow(pthread_rwlock_t *l, uintptr_t site)
{
    int r;
    RW_WAIT(site, TP_ST_RWLOCK_RD, "pthread_rwlock_rdlock", TP_REAL(pthread_rwlock_rdlock)(l));
    return acquired(l, TP_LOCK_READ, r, site);
}

static TP_COLD int wrlock_slow(pthread_rwlock_t *l, uintptr_t site)
{
    int r;
    RW_WAIT(site, TP_ST_RWLOCK_WR, "pthread_rwlock_wrlock", TP_REAL(pthread_rwlock_wrlock)(l));
    return acquired(l, TP_LOCK_WRITE, r, site);
}

TP_HOOK int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return acquired(l, TP_LOCK_READ, r, SITE());
    return rdlock_slow(l, SITE());
}

TP_HOOK int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (TP_LIKELY(r != EBUSY))
        return acquired(l, TP_LOCK_WRITE, r, SITE());
    return wrlock_slow(l, SITE());
}

TP_HOOK int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
    return acquired_try(l, TP_LOCK_READ, TP_REAL(pthread_rwlock_tryrdlock)(l), SITE());
}

TP_HOOK int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
    return acquired_try(l, TP_LOCK_WRITE, TP_REAL(pthread_rwlock_trywrlock)(l), SITE());
}

TP_HOOK int pthread_rwlock_timedrdlock(pthread_rwlock_t *l,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (r == EBUSY)
        RW_WAIT(SITE(), TP_ST_RWLOCK_RD, "pthread_rwlock_timedrdlock",
                TP_REAL(pthread_rwlock_timedrdlock)(l, abstime));
    return acquired(l, TP_LOCK_READ, r, SITE());
}

TP_HOOK int pthread_rwlock_timedwrlock(pthread_rwlock_t *l,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (r == EBUSY)
        RW_WAIT(SITE(), TP_ST_RWLOCK_WR, "pthread_rwlock_timedwrlock",
                TP_REAL(pthread_rwlock_timedwrlock)(l, abstime));
    return acquired(l, TP_LOCK_WRITE, r, SITE());
}

TP_HOOK int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_tryrdlock)(l);
    if (r == EBUSY)
        RW_WAIT(SITE(), TP_ST_RWLOCK_RD, "pthread_rwlock_clockrdlock",
                TP_REAL(pthread_rwlock_clockrdlock)(l, clock, abstime));
    return acquired(l, TP_LOCK_READ, r, SITE());
}

TP_HOOK int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clock,
                                       const struct timespec *abstime)
{
    int r = TP_REAL(pthread_rwlock_trywrlock)(l);
    if (r == EBUSY)
        RW_WAIT(SITE(), TP_ST_RWLOCK_WR, "pthread_rwlock_clockwrlock",
                TP_REAL(pthread_rwlock_clockwrlock)(l, clock, abstime));
    return acquired(l, TP_LOCK_WRITE, r, SITE());
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
