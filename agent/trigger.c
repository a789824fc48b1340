/*
 * trigger: the dump signal (SIGUSR2 unless THREADPROF_SIGNAL says else).
 *
 * The handler does two async-signal-safe things: request a dump (an atomic
 * OR and a sem_post) and run the host's own handler when the host
 * installed one.  To keep the host free of EINTR it never asked for, the
 * signal is kept blocked in every host thread and left open only in the
 * dump thread, which is where the kernel then delivers it; the host's view
 * of its masks (sigprocmask, pthread_sigmask, the masks of sigsuspend,
 * ppoll, pselect, epoll_pwait, and what exec'd children inherit) is kept
 * as if the agent were not there.
 *
 * When the host takes the signal for itself (installs a handler), the agent
 * stops masking it: the host then sees its signal exactly as it set it up,
 * and both handlers run.  When the host waits for it synchronously
 * (sigwait, signalfd), the agent gives it up entirely and says so.
 */
#include <signal.h>
#include <string.h>

#include "agent/internal.h"
#include "base/signame.h"

volatile int tp_trigger_signo;
static volatile int owned;             /* agent keeps it blocked in host threads */
static volatile int release_requested; /* dump thread must block it too */
static struct sigaction host_act;      /* what the host installed */
static volatile int host_installed;
/* Per thread: whether the host believes the trigger is blocked here. */
static __thread int host_blocks_trigger __attribute__((tls_model("initial-exec")));

static int (*sys_sigaction)(int, const struct sigaction *, struct sigaction *);
static int (*sys_pthread_sigmask)(int, const sigset_t *, sigset_t *);

static void on_trigger(int sig, siginfo_t *si, void *uc)
{
    int saved = errno;
    /* A host that handles the signal itself may also send it to its own
     * threads (the JVM suspends threads with pthread_kill(SIGUSR2)): only
     * signals sent to the process (kill, sigqueue) ask for a dump then. */
    if (!host_installed || si == NULL || si->si_code != SI_TKILL)
        tp_request_dump(TP_REASON_SIGNAL);
    if (host_installed) {
        struct sigaction h = host_act;
        if (h.sa_flags & SA_SIGINFO) {
            if (h.sa_sigaction != NULL)
                h.sa_sigaction(sig, si, uc);
        } else if (h.sa_handler != SIG_DFL && h.sa_handler != SIG_IGN) {
            if (h.sa_flags & SA_RESETHAND) {
                host_act.sa_handler = SIG_DFL;
                host_act.sa_flags &= ~SA_SIGINFO;
            }
            h.sa_handler(sig);
        }
    }
    errno = saved;
}

static int install(const struct sigaction *host)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_trigger;
    if (host != NULL && host->sa_handler != SIG_DFL && host->sa_handler != SIG_IGN) {
        /* The host's flags and mask, so its handler runs as it asked
         * (SA_RESTART or not, SA_NODEFER, SA_ONSTACK); SA_RESETHAND is
         * emulated above so that the dump keeps working. */
        sa.sa_mask = host->sa_mask;
        sa.sa_flags = (host->sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
    } else {
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
    }
    return sys_sigaction(tp_trigger_signo, &sa, NULL);
}

void tp_trigger_init(void)
{
    sys_sigaction = tp__real("sigaction", NULL);
    sys_pthread_sigmask = tp__real("pthread_sigmask", NULL);
    tp_trigger_signo = tp_config.signo;
    if (tp_trigger_signo == 0)
        return;
    struct sigaction cur;
    if (sys_sigaction(tp_trigger_signo, NULL, &cur) == 0 &&
        cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN) {
        /* Installed before us (the agent was loaded late). */
        host_act = cur;
        host_installed = 1;
    }
    if (install(host_installed ? &host_act : NULL) != 0) {
        char name[32];
        tp_warn("cannot install a handler for %s; dumps on signal are off",
                tp_signal_name(tp_trigger_signo, name, sizeof name));
        tp_trigger_signo = 0;
        return;
    }
    owned = !host_installed;
    if (owned) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, tp_trigger_signo);
        sigset_t old;
        sys_pthread_sigmask(SIG_BLOCK, &set, &old);
        host_blocks_trigger = sigismember(&old, tp_trigger_signo);
    }
}

void tp_trigger_dump_thread_setup(void)
{
    /* The dump thread takes no host signal, only the trigger. */
    sigset_t all;
    sigfillset(&all);
    if (tp_trigger_signo != 0 && !release_requested)
        sigdelset(&all, tp_trigger_signo);
    sys_pthread_sigmask(SIG_SETMASK, &all, NULL);
}

void tp_trigger_dump_thread_poll(void)
{
    if (release_requested) {
        sigset_t all;
        sigfillset(&all);
        sys_pthread_sigmask(SIG_SETMASK, &all, NULL);
    }
}

int tp_trigger_sigaction(int sig, const struct sigaction *act,
                         struct sigaction *old)
{
    if (sig != tp_trigger_signo || tp_trigger_signo == 0 || release_requested)
        return sys_sigaction(sig, act, old);
    if (sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return -1;
    }
    struct sigaction prev = host_act;
    if (!host_installed) {
        memset(&prev, 0, sizeof prev);
        prev.sa_handler = SIG_DFL;
    }
    if (act != NULL) {
        int takes_it = act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
        host_installed = 0;
        host_act = *act;
        host_installed = 1;
        if (install(takes_it ? act : NULL) != 0)
            return -1;
        if (takes_it && owned) {
            /* Its handler must run in its own thread: the watcher, which
             * takes the signal without one, gives way first. */
            tp_dumper_leave_lazy();
            char name[32];
            tp_info("the program handles %s itself; its handler and the "
                    "dump both run", tp_signal_name(sig, name, sizeof name));
            owned = 0;
            /* Give this thread the mask the host believes it has. */
            if (!host_blocks_trigger) {
                sigset_t set;
                sigemptyset(&set);
                sigaddset(&set, sig);
                sys_pthread_sigmask(SIG_UNBLOCK, &set, NULL);
            }
        }
    }
    if (old != NULL)
        *old = prev;
    return 0;
}

int tp_trigger_sigmask(int how, const sigset_t *set, sigset_t *old,
                       int use_pthread)
{
    int sig = tp_trigger_signo;
    sigset_t adjusted;
    const sigset_t *pass = set;
    int view = host_blocks_trigger;
    int new_view = view;

    if (sig != 0 && set != NULL) {
        int in = sigismember(set, sig);
        if (how == SIG_BLOCK && in)
            new_view = 1;
        else if (how == SIG_UNBLOCK && in)
            new_view = 0;
        else if (how == SIG_SETMASK)
            new_view = in;
        if (owned && (how == SIG_UNBLOCK || how == SIG_SETMASK)) {
            adjusted = *set;
            if (how == SIG_UNBLOCK)
                sigdelset(&adjusted, sig);
            else
                sigaddset(&adjusted, sig);
            pass = &adjusted;
        }
    }
    int r = sys_pthread_sigmask(how, pass, old);
    if (r != 0) {
        if (!use_pthread) {
            errno = r;
            return -1;
        }
        return r;
    }
    if (sig != 0 && owned && old != NULL) {
        if (view)
            sigaddset(old, sig);
        else
            sigdelset(old, sig);
    }
    if (set != NULL)
        host_blocks_trigger = new_view;
    return 0;
}

const sigset_t *tp_trigger_wait_mask(const sigset_t *set, sigset_t *buf)
{
    int sig = tp_trigger_signo;
    if (set == NULL || sig == 0 || !owned || sigismember(set, sig))
        return set;
    *buf = *set;
    sigaddset(buf, sig);
    return buf;
}

void tp_trigger_host_waits_for(const sigset_t *set)
{
    int sig = tp_trigger_signo;
    if (set == NULL || sig == 0 || release_requested || !sigismember(set, sig))
        return;
    char name[32];
    tp_warn("the program waits for %s itself (sigwait/signalfd); the agent "
            "leaves that signal to it, so set THREADPROF_SIGNAL to another "
            "signal to get dumps", tp_signal_name(sig, name, sizeof name));
    tp_dumper_leave_lazy();    /* the watcher would take its signals */
    release_requested = 1;
    owned = 0;
    tp_request_dump(TP_REASON_WAKE);
}

void tp_trigger_release_for_exec(sigset_t *saved)
{
    int sig = tp_trigger_signo;
    sys_pthread_sigmask(SIG_SETMASK, NULL, saved);
    if (sig != 0 && owned && !host_blocks_trigger) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sys_pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    }
}

void tp_trigger_restore_after_exec(const sigset_t *saved)
{
    int e = errno;
    sys_pthread_sigmask(SIG_SETMASK, saved, NULL);
    errno = e;
}

int tp_trigger_child_mask(sigset_t *mask)
{
    int sig = tp_trigger_signo;
    if (sig == 0 || !owned || host_blocks_trigger)
        return 0;
    sys_pthread_sigmask(SIG_SETMASK, NULL, mask);
    sigdelset(mask, sig);
    return 1;
}

int tp_trigger_owned(void) { return owned; }
int tp__trigger_host_view(void) { return host_blocks_trigger; }
void tp__trigger_set_host_view(int v) { host_blocks_trigger = v; }
