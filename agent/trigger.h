/*
 * trigger: the trigger signal, and the fatal signals of the crash dump, as
 * the host sees them (hooks/signals.c).
 */
#ifndef TP_TRIGGER_H
#define TP_TRIGGER_H

#include <signal.h>

/* --- the trigger signal (agent/trigger.c) ------------------------------ */

/* 0 when the trigger signal is disabled or was given up to the host. */
extern volatile int tp_trigger_signo;
/* Host-facing views used by hooks/signals.c; each returns the real
 * function's result and sets errno like it. */
int tp_trigger_sigaction(int sig, const struct sigaction *act,
                         struct sigaction *old);
int tp_trigger_sigmask(int how, const sigset_t *set, sigset_t *old,
                       int use_pthread);
/* The mask to hand to a call that replaces the thread mask while it waits
 * (sigsuspend, ppoll, pselect, epoll_pwait): the host's mask with the
 * trigger kept blocked.  Returns set itself when nothing needs changing. */
const sigset_t *tp_trigger_wait_mask(const sigset_t *set, sigset_t *buf);
/* The host waits for these signals synchronously (sigwait, signalfd):
 * if the trigger is among them the agent gives it up. */
void tp_trigger_host_waits_for(const sigset_t *set);
/* Around exec and spawn: the new program gets the mask the host meant. */
void tp_trigger_release_for_exec(sigset_t *saved);
void tp_trigger_restore_after_exec(const sigset_t *saved);
/* For posix_spawn without POSIX_SPAWN_SETSIGMASK: fills mask with the
 * mask the child should start with; returns 0 when no change is needed. */
int tp_trigger_child_mask(sigset_t *mask);

/* --- the fatal signals (agent/crash.c) ----------------------------------- */

/* Whether sig is one the crash dump takes while the host leaves it at the
 * default (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT). */
int tp_crash_signal(int sig);
/* The host's view of those: the handler it set, never the agent's. */
int tp_crash_sigaction(int sig, const struct sigaction *act,
                       struct sigaction *old);
/* sigaltstack as the host sees it: the agent's own stack shows as none. */
int tp_crash_sigaltstack(const stack_t *ss, stack_t *old);


#endif
