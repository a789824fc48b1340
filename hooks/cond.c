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
 * list for the wait and comes back (with a fresh time) when the wait
 * returns, which is when the real call has re-taken it.  The real call
 * releases the mutex inside glibc, where the unlock hook does not see
 * it: when others wait for the mutex, this call site is their releaser
 * (mutex profile).  The whole wait, re-taking the mutex included, is a
 * block-profile wait of the caller, as Go counts sync.Cond.Wait. */
#define COND_WAIT(name, call)                                                 \
    int r;                                                                    \
    uintptr_t site_ = (uintptr_t)__builtin_return_address(0);                 \
    tp_lockwait_t w_;                                                         \
    if (tp_held_pop(m))                                                       \
        tp__mutex_release_contended(m, site_);                                \
    tp_lockwait_begin(&w_, site_);                                            \
    {                                                                         \
        TP_WAIT_SCOPE(TP_ST_COND, name, c, m, 0);                             \
        r = call;                                                             \
    }                                                                         \
    tp_lockwait_end(&w_, TP_LW_OTHER, c);                                     \
    tp_held_push(m, TP_LOCK_MUTEX, site_);                                    \
    tp__held_mark_last();   /* glibc too assumes waiters after a cond wait */ \
    return r

TP_HOOK int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    COND_WAIT("pthread_cond_wait", TP_REAL_V(pthread_cond_wait, COND_ABI)(c, m));
}

TP_HOOK int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m,
                                   const struct timespec *abstime)
{
    COND_WAIT("pthread_cond_timedwait", TP_REAL_V(pthread_cond_timedwait, COND_ABI)(c, m, abstime));
}

TP_HOOK int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m,
                                   clockid_t clock, const struct timespec *abstime)
{
    COND_WAIT("pthread_cond_clockwait", TP_REAL(pthread_cond_clockwait)(c, m, clock, abstime));
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
