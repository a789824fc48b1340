/*
 * hooks/sem: semaphores and barriers.
 *
 * sem_wait tries first; sem_trywait reports EAGAIN through errno, which
 * must not leak into the host when the real wait then succeeds.  Waits
 * that block are timed for the block profile (the barrier always is: it
 * has no try).
 */
#include <semaphore.h>

#include "agent/agent.h"

TP_REAL_DECL(sem_wait);
TP_REAL_DECL(sem_trywait);
TP_REAL_DECL(sem_timedwait);
TP_REAL_DECL(sem_clockwait);
TP_REAL_DECL(sem_post);
TP_REAL_DECL(pthread_barrier_wait);

/* The blocking part of the waits, out of line (agent/lockwait.h): timed
 * for the block profile. */
static TP_COLD int sem_wait_slow(sem_t *s, uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_SEM, "sem_wait", s, NULL, site);
    return tp_waited(&w, TP_REAL(sem_wait)(s));
}

static TP_COLD int sem_timedwait_slow(sem_t *s, const struct timespec *abstime,
                                      uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_SEM, "sem_timedwait", s, NULL, site);
    return tp_waited(&w, TP_REAL(sem_timedwait)(s, abstime));
}

static TP_COLD int sem_clockwait_slow(sem_t *s, clockid_t clock,
                                      const struct timespec *abstime, uintptr_t site)
{
    TP_WAIT_FOR(w, TP_ST_SEM, "sem_clockwait", s, NULL, site);
    return tp_waited(&w, TP_REAL(sem_clockwait)(s, clock, abstime));
}

TP_INLINE int try_first(sem_t *s)
{
    int saved = errno;
    if (TP_REAL(sem_trywait)(s) == 0)
        return 1;
    errno = saved;
    return 0;
}

TP_HOOK int sem_wait(sem_t *s)
{
    if (try_first(s))
        return 0;
    return sem_wait_slow(s, TP_SITE());
}

TP_HOOK int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    if (try_first(s))
        return 0;
    return sem_timedwait_slow(s, abstime, TP_SITE());
}

TP_HOOK int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    if (try_first(s))
        return 0;
    return sem_clockwait_slow(s, clock, abstime, TP_SITE());
}

/* Pass-throughs: the semaphore calls are interposed as a family (issue 3),
 * but a semaphore has no owner, so a post or a try records nothing. */
TP_HOOK int sem_trywait(sem_t *s)
{
    return TP_REAL(sem_trywait)(s);
}

TP_HOOK int sem_post(sem_t *s)
{
    return TP_REAL(sem_post)(s);
}

TP_HOOK int pthread_barrier_wait(pthread_barrier_t *b)
{
    TP_WAIT_FOR(w, TP_ST_BARRIER, "pthread_barrier_wait", b, NULL, TP_SITE());
    return tp_waited(&w, TP_REAL(pthread_barrier_wait)(b));
}
