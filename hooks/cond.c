/*
 * hooks/cond: condition variable waits.
 *
 * glibc carries two ABIs of pthread_cond_*: the 2.2.5 one and the current
 * GLIBC_2.3.2 one; a plain dlsym may hand back the old one, which corrupts
 * a new-style condvar.  The waits are bound to GLIBC_2.3.2 explicitly
 * (pthread_cond_clockwait only exists in the new ABI, since 2.30).
 */
#include "agent/agent.h"

TP_REAL_DECL(pthread_cond_signal);
TP_REAL_DECL(pthread_cond_broadcast);
TP_REAL_DECL(pthread_cond_wait);
TP_REAL_DECL(pthread_cond_timedwait);
TP_REAL_DECL(pthread_cond_clockwait);

#define COND_ABI "GLIBC_2.3.2"

/* While it waits the thread does not hold the mutex: it leaves the held
 * list for the wait and comes back when the real call has re-taken it;
 * the release glibc does inside the wait is noted for the mutex profile
 * (agent/lockwait.c, TP_ST_COND). */
TP_HOOK int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    TP_WAIT_FOR(w, TP_ST_COND, "pthread_cond_wait", c, m, TP_SITE());
    return tp_waited(&w, TP_REAL_V(pthread_cond_wait, COND_ABI)(c, m));
}

TP_HOOK int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                   const struct timespec *abstime)
{
    TP_WAIT_FOR(w, TP_ST_COND, "pthread_cond_timedwait", c, m, TP_SITE());
    return tp_waited(&w, TP_REAL_V(pthread_cond_timedwait, COND_ABI)(c, m, abstime));
}

TP_HOOK int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
                                   clockid_t clock, const struct timespec *abstime)
{
    TP_WAIT_FOR(w, TP_ST_COND, "pthread_cond_clockwait", c, m, TP_SITE());
    return tp_waited(&w, TP_REAL(pthread_cond_clockwait)(c, m, clock, abstime));
}

/* signal and broadcast record nothing; they are interposed so that the
 * whole family binds to the same (current) ABI as the waits above, never
 * a mix of old and new condvar layouts. */
TP_HOOK int pthread_cond_signal(pthread_cond_t *c)
{
    return TP_REAL_V(pthread_cond_signal, COND_ABI)(c);
}

TP_HOOK int pthread_cond_broadcast(pthread_cond_t *c)
{
    return TP_REAL_V(pthread_cond_broadcast, COND_ABI)(c);
}
