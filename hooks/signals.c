/*
 * hooks/signals: the calls through which the host sees or changes signal
 * handling.  All the policy is in agent/trigger.c (the dump trigger) and
 * agent/crash.c (the fatal signals, the alternate stack); these only route
 * those signals there and record the waiting ones.
 */
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent/agent.h"

TP_REAL_DECL(sigaction);
TP_REAL_DECL(signal);
TP_REAL_DECL(sigprocmask);
TP_REAL_DECL(pthread_sigmask);
TP_REAL_DECL(sigwait);
TP_REAL_DECL(sigwaitinfo);
TP_REAL_DECL(sigtimedwait);
TP_REAL_DECL(sigsuspend);
TP_REAL_DECL(pause);
TP_REAL_DECL(signalfd);

/* The signals whose disposition the host must see as it set it. */
static int routed(const struct sigaction *act, struct sigaction *old, int sig, int *r)
{
    if (sig == tp_trigger_signo && sig != 0)
        *r = tp_trigger_sigaction(sig, act, old);
    else if (tp_crash_signal(sig))
        *r = tp_crash_sigaction(sig, act, old);
    else
        return 0;
    return 1;
}

TP_HOOK int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int r;
    if (routed(act, old, sig, &r))
        return r;
    return TP_REAL(sigaction)(sig, act, old);
}

TP_HOOK sighandler_t signal(int sig, sighandler_t handler)
{
    /* glibc's signal(): BSD semantics, i.e. SA_RESTART and the signal
     * blocked while its handler runs. */
    struct sigaction sa, old;
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, sig);
    sa.sa_flags = SA_RESTART;
    int r;
    if (!routed(&sa, &old, sig, &r))
        return TP_REAL(signal)(sig, handler);
    return r != 0 ? SIG_ERR : old.sa_handler;
}

TP_HOOK int sigaltstack(const stack_t *restrict ss, stack_t *restrict old)
{
    return tp_crash_sigaltstack(ss, old);   /* the real call when nothing is hidden */
}

TP_HOOK int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
    if (tp_trigger_signo == 0 || tp_in_agent)
        return TP_REAL(sigprocmask)(how, set, old);
    return tp_trigger_sigmask(how, set, old, 0);
}

TP_HOOK int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
    if (tp_trigger_signo == 0 || tp_in_agent)
        return TP_REAL(pthread_sigmask)(how, set, old);
    return tp_trigger_sigmask(how, set, old, 1);
}

TP_HOOK int sigwait(const sigset_t *restrict set, int *restrict sig)
{
    tp_trigger_host_waits_for(set);
    TP_WAIT_SCOPE(TP_ST_SIGNAL, "sigwait", NULL, NULL, 0);
    return TP_REAL(sigwait)(set, sig);
}

TP_HOOK int sigwaitinfo(const sigset_t *restrict set, siginfo_t *restrict info)
{
    tp_trigger_host_waits_for(set);
    TP_WAIT_SCOPE(TP_ST_SIGNAL, "sigwaitinfo", NULL, NULL, 0);
    return TP_REAL(sigwaitinfo)(set, info);
}

TP_HOOK int sigtimedwait(const sigset_t *restrict set, siginfo_t *restrict info,
                         const struct timespec *restrict timeout)
{
    tp_trigger_host_waits_for(set);
    TP_WAIT_SCOPE(TP_ST_SIGNAL, "sigtimedwait", NULL, NULL, 0);
    return TP_REAL(sigtimedwait)(set, info, timeout);
}

TP_HOOK int sigsuspend(const sigset_t *mask)
{
    sigset_t buf;
    const sigset_t *m = tp_trigger_wait_mask(mask, &buf);
    TP_WAIT_SCOPE(TP_ST_SIGNAL, "sigsuspend", NULL, NULL, 0);
    return TP_REAL(sigsuspend)(m);
}

TP_HOOK int pause(void)
{
    TP_WAIT_SCOPE(TP_ST_SIGNAL, "pause", NULL, NULL, 0);
    return TP_REAL(pause)();
}

TP_HOOK int signalfd(int fd, const sigset_t *mask, int flags)
{
    tp_trigger_host_waits_for(mask);
    return TP_REAL(signalfd)(fd, mask, flags);
}
