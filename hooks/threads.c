/*
 * hooks/threads: pthread_create, join and detach.  Joins are timed for
 * the block profile.
 */
#include "agent/agent.h"

TP_REAL_DECL(pthread_create);
TP_REAL_DECL(pthread_join);
TP_REAL_DECL(pthread_timedjoin_np);
TP_REAL_DECL(pthread_clockjoin_np);
TP_REAL_DECL(pthread_tryjoin_np);
TP_REAL_DECL(pthread_detach);

TP_HOOK int pthread_create(pthread_t *th, const pthread_attr_t *attr,
                           void *(*fn)(void *), void *arg)
{
    int detach_state = PTHREAD_CREATE_JOINABLE;
    if (attr != NULL)
        pthread_attr_getdetachstate(attr, &detach_state);
    int detached = detach_state == PTHREAD_CREATE_DETACHED;
    tp_start_t *s = tp_thread_prepare(fn, arg, detached);
    if (s == NULL)
        return TP_REAL(pthread_create)(th, attr, fn, arg);
    tp_thread_t *t = s->thread;   /* s is the new thread's to free */
    int r = TP_REAL(pthread_create)(th, attr, tp_thread_trampoline, s);
    if (r != 0)
        tp_thread_abandon(s);
    else if (!detached)
        tp_thread_created(t, *th);
    return r;
}

/* r is the result of a join: 0 when th was joined. */
static int joined(pthread_t th, int r)
{
    if (r == 0)
        tp_thread_joined(th);
    return r;
}

TP_HOOK int pthread_join(pthread_t th, void **ret)
{
    TP_WAIT_FOR(w, TP_ST_JOIN, "pthread_join", (void *)th, NULL, TP_SITE());
    return joined(th, tp_waited(&w, TP_REAL(pthread_join)(th, ret)));
}

TP_HOOK int pthread_timedjoin_np(pthread_t th, void **ret,
                                 const struct timespec *abstime)
{
    TP_WAIT_FOR(w, TP_ST_JOIN, "pthread_timedjoin_np", (void *)th, NULL, TP_SITE());
    return joined(th, tp_waited(&w, TP_REAL(pthread_timedjoin_np)(th, ret, abstime)));
}

TP_HOOK int pthread_clockjoin_np(pthread_t th, void **ret, clockid_t clock,
                                 const struct timespec *abstime)
{
    TP_WAIT_FOR(w, TP_ST_JOIN, "pthread_clockjoin_np", (void *)th, NULL, TP_SITE());
    return joined(th, tp_waited(&w, TP_REAL(pthread_clockjoin_np)(th, ret, clock, abstime)));
}

/* Never waits: nothing to profile. */
TP_HOOK int pthread_tryjoin_np(pthread_t th, void **ret)
{
    return joined(th, TP_REAL(pthread_tryjoin_np)(th, ret));
}

TP_HOOK int pthread_detach(pthread_t th)
{
    int r = TP_REAL(pthread_detach)(th);
    if (r == 0)
        tp_thread_detached(th);
    return r;
}
