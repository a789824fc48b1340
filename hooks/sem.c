/*
 * hooks/sem: semaphores and barriers.
 *
 * sem_wait tries first; sem_trywait reports EAGAIN through errno, which
 * must not leak into the host when the real wait then succeeds.
 */
#include <semaphore.h>

#include "agent/agent.h"

TP_REAL_DECL(sem_wait);
TP_REAL_DECL(sem_trywait);
TP_REAL_DECL(sem_timedwait);
TP_REAL_DECL(sem_clockwait);
TP_REAL_DECL(pthread_barrier_wait);

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
    TP_WAIT_SCOPE(TP_ST_SEM, "sem_wait", s, NULL, 0);
    return TP_REAL(sem_wait)(s);
}

TP_HOOK int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
    if (try_first(s))
        return 0;
    TP_WAIT_SCOPE(TP_ST_SEM, "sem_timedwait", s, NULL, 0);
    return TP_REAL(sem_timedwait)(s, abstime);
}

TP_HOOK int sem_clockwait(sem_t *s, clockid_t clock, const struct timespec *abstime)
{
    if (try_first(s))
        return 0;
    TP_WAIT_SCOPE(TP_ST_SEM, "sem_clockwait", s, NULL, 0);
    return TP_REAL(sem_clockwait)(s, clock, abstime);
}

TP_HOOK int pthread_barrier_wait(pthread_barrier_t *b)
{
    TP_WAIT_SCOPE(TP_ST_BARRIER, "pthread_barrier_wait", b, NULL, 0);
    return TP_REAL(pthread_barrier_wait)(b);
}
