/*
 * crash: a thread dump when a fatal signal kills the program
 * (THREADPROF_ON_CRASH, on by default), then the very death the program
 * would have died without the agent.
 *
 * The agent takes SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT only while
 * their disposition is the default: a host that installs a handler
 * (before the agent starts, or later through sigaction or signal) keeps
 * it untouched, and sigaction shows the host what it set itself.  Each
 * thread the agent starts gets an alternate signal stack when it has
 * none, so a stack overflow still reaches the handler; sigaltstack shows
 * the host none of it.
 *
 * The handler runs on a broken process: the crashing thread may hold the
 * malloc arena, the registry lock or a lock of the symbolizer, and the
 * heap may be corrupt.  So it does only async-signal-safe work: it
 * records the signal and the registers, then forks a dump child with a
 * bare clone (exit signal 0: no SIGCHLD, invisible to the host's wait).
 * The child is a frozen copy of the whole process at the crash: it
 * releases the agent's locks that threads it does not have held, swaps
 * the allocator for a private arena, and writes a full dump, with the
 * crashed thread's stack unwound from the signal's context.  The handler
 * waits for it at most THREADPROF_CRASH_TIMEOUT (then kills it), restores
 * the default action and queues the same signal, with the same siginfo,
 * to its own thread: when the handler returns the process dies exactly
 * as it would have (status, WTERMSIG, core file, the core's siginfo).
 *
 * What goes straight to the default action: a fault in the agent's own
 * threads (they keep fatal signals blocked, so the kernel kills at once),
 * a second fault in a thread already handling one, and a fault in the
 * dump child (it runs with every signal blocked).  Threads that crash
 * while another's dump is being written wait for it, bounded, and then
 * die the same way.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/forkguard.h"
#include "symbolizer/symbolizer.h"

/* The model's register indices are the kernel's signal context's. */
_Static_assert((int)TP_CRASH_RAX == (int)REG_RAX && (int)TP_CRASH_RIP == (int)REG_RIP &&
                   (int)TP_CRASH_EFLAGS == (int)REG_EFL &&
                   (int)TP_CRASH_TRAPNO == (int)REG_TRAPNO &&
                   (int)TP_CRASH_CR2 == (int)REG_CR2 && TP_CRASH_NREGS == NGREG,
               "TP_CRASH_* must follow the order of gregset_t");

#define NFATAL 5
static const int fatal_signals[NFATAL] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

#define PAGE 4096u
#define ALT_STACK_SIZE (64u << 10)         /* the handler needs little */
#define CHILD_STACK_SIZE (8u << 20)        /* the dump child's: a full dump */
#define LOADER_QUIET_MS 200
#define POLL_NS 2000000L

#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif

static int (*sys_sigaction)(int, const struct sigaction *, struct sigaction *);

/* Per fatal signal, while the agent's handler is installed (the kernel
 * says so: see ours()): what the host believes is installed, the default
 * with the flags it gave. */
static struct sigaction host_view[NFATAL];

static volatile int armed;            /* THREADPROF_ON_CRASH and set up */
/* glibc's reset of the lock over its list of streams, which fork() does
 * in its child and a bare clone does not: libdw opens /proc/<pid>/maps
 * with fopen, and a program thread may have been in fopen or fclose.
 * Resolved at start (dlsym takes the loader's lock). */
static void (*stdio_list_reset)(void);
static char *child_stack;             /* the dump child's, mapped at start */

/* The crash being dumped: the first thread to crash records it. */
static _Atomic pid_t crash_tid;
static volatile uint32_t crash_over;   /* futex word: the dump is over */
static struct {
    siginfo_t si;
    ucontext_t uc;
    pid_t tid, pid;
    unsigned seq;
} record;
static int in_dump_child;

/* Threads that crash while the first one's dump is written: they record
 * their signal in a shared mapping, so that the dump child, forked
 * before some of them crashed, still shows them as crashed.  A thread
 * that recorded itself before the fork has its stack in the child's copy
 * and is walked whole; a later one gets its faulting pc only. */
typedef struct other_crash {
    _Atomic int ready;
    pid_t tid;
    int signo;
    ucontext_t uc;
} other_crash_t;
static other_crash_t *others;         /* TP_CRASH_OTHERS, MAP_SHARED */
static _Atomic int nothers;           /* slots claimed */
static int others_at_fork;            /* the child's copy: claimed before it */

/* This thread's alternate stack is the agent's (the host sees none). */
static __thread int alt_ours __attribute__((tls_model("initial-exec")));
/* A fatal signal is being handled on this thread. */
static __thread int handling __attribute__((tls_model("initial-exec")));

static int slot_of(int sig)
{
    for (int i = 0; i < NFATAL; i++)
        if (fatal_signals[i] == sig)
            return i;
    return -1;
}

static void pause_ns(long ns)
{
    struct timespec ts = {0, ns};
    syscall(SYS_nanosleep, &ts, NULL);
}

/* --- the dump child ------------------------------------------------------ */

/* Runs in the child on its own stack, every signal blocked: a fault here
 * kills the child, never the program, and the waiting handler moves on. */
static int dump_child_main(void *arg)
{
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(uint64_t));
    struct rlimit none = {0, 0};
    syscall(SYS_setrlimit, RLIMIT_CORE, &none);   /* the program's core, not ours */
    in_dump_child = 1;
    /* Nothing below may touch the program's heap: its lock may be held
     * by a thread not in this copy, or the heap corrupt. */
    tp_snapshot_child_enter(record.pid);
    /* The threads that held the agent's locks are not in this copy. */
    tp_loader_fork_child();
    if (stdio_list_reset != NULL)
        stdio_list_reset();
    tp_registry_unlock_forced();
    tp_heapprof_fork_child();
    tp_lockprof_unlock_forced();
    tp_lock_order_unlock_forced();
    tp_sym_abandon_session();
    /* Exit status 1: the dump failed, and the child said so on stderr. */
    int r = tp_snapshot_child_write(record.seq, TP_REASON_CRASH);
    syscall(SYS_exit_group, r == 0 ? 0 : 1);
    return 0;
}

/* Forks the dump child and waits for it, at most the crash timeout.
 * NULL when it finished (written, or it said why not); else why there is
 * no full dump. */
static const char *dump_in_child(void)
{
    /* No agent call inside the dynamic linker may be cut in two (base/
     * forkguard.c); the crashed thread may itself be in one, so bounded. */
    tp_loader_quiesce(LOADER_QUIET_MS);
    others_at_fork = atomic_load(&nothers);
    long pid = clone(dump_child_main, child_stack + CHILD_STACK_SIZE, 0, NULL);
    tp_loader_fork_parent();
    if (pid <= 0)
        return "cannot fork the dump's process";
    uint64_t deadline = tp_now_ns() + tp_config.crash_timeout_ns;
    for (;;) {
        int status;
        long r = syscall(SYS_wait4, pid, &status, __WCLONE | WNOHANG, NULL);
        if (r == pid)
            return WIFEXITED(status) ? NULL : "the dump's process died";
        if (r < 0 && errno != EINTR)
            return "the dump's process was lost";
        if (tp_now_ns() >= deadline) {
            syscall(SYS_kill, pid, SIGKILL);
            syscall(SYS_wait4, pid, &status, __WCLONE, NULL);
            return "THREADPROF_CRASH_TIMEOUT expired";
        }
        pause_ns(POLL_NS);
    }
}

/* --- the handler ----------------------------------------------------------- */

/* The death the program would have died: the default action, and the
 * same signal with the same siginfo queued to this thread, delivered as
 * the handler returns (a fault's instruction is not run again first). */
static void die(int sig, siginfo_t *si, ucontext_t *uc)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sys_sigaction(sig, &dfl, NULL);
    pid_t pid = (pid_t)syscall(SYS_getpid), tid = (pid_t)syscall(SYS_gettid);
    if (syscall(SYS_rt_tgsigqueueinfo, pid, tid, sig, si) != 0)
        syscall(SYS_tgkill, pid, tid, sig);
    sigdelset(&uc->uc_sigmask, sig);
}

static int agent_thread(pid_t tid)
{
    return tid == tp_dumper_tid() || tid == tp_httpd_tid();
}

static void on_fatal(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    int saved = errno;
    tp_in_agent++;   /* whatever this thread calls goes straight to libc */
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (handling++ == 0 && !agent_thread(tid)) {
        pid_t none = 0;
        if (atomic_compare_exchange_strong(&crash_tid, &none, tid)) {
            memcpy(&record.si, si, sizeof *si);
            memcpy(&record.uc, uc, sizeof *uc);
            record.tid = tid;
            record.pid = (pid_t)syscall(SYS_getpid);
            record.seq = tp_dump_next_seq();
            const char *failed = dump_in_child();
            if (failed != NULL) {
                char name[64];
                int w = tp_crash_short_dump(si, uc, record.pid, tid, record.seq, failed,
                                            name, sizeof name);
                if (w == 0)
                    tp_warn("crash dump cut short (%s): %s/%s has the signal and the "
                            "registers only", failed, tp_config.dir, name);
                else if (w > 0)
                    tp_warn("crash dump cut short (%s): %s/%s was written, the summary "
                            "or profiles may be missing", failed, tp_config.dir, name);
                else
                    tp_warn("no crash dump (%s), and %s is not writable", failed,
                            tp_config.dir);
            }
            __atomic_store_n(&crash_over, 1, __ATOMIC_RELEASE);
            syscall(SYS_futex, &crash_over, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
        } else {
            /* Another thread's crash is being written: say so, wait. */
            int k = atomic_fetch_add(&nothers, 1);
            if (others != NULL && k < TP_CRASH_OTHERS) {
                others[k].tid = tid;
                others[k].signo = sig;
                memcpy(&others[k].uc, uc, sizeof *uc);
                atomic_store(&others[k].ready, 1);
            }
            uint64_t limit = tp_config.crash_timeout_ns + 1000000000u;
            struct timespec ts = {(time_t)(limit / 1000000000u),
                                  (long)(limit % 1000000000u)};
            while (!__atomic_load_n(&crash_over, __ATOMIC_ACQUIRE) &&
                   syscall(SYS_futex, &crash_over, FUTEX_WAIT, 0, &ts, NULL, 0) != 0 &&
                   errno == EINTR)
                ;
        }
    }
    die(sig, si, uc);
    errno = saved;
}

/* --- setting up ------------------------------------------------------------ */

static int install(int i)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    /* Nothing else runs on this thread meanwhile: a host handler could
     * longjmp out of the dump; a second fault kills at once. */
    sigfillset(&sa.sa_mask);
    return sys_sigaction(fatal_signals[i], &sa, NULL);
}

/* Whether act (the kernel's disposition) is the agent's handler: a host
 * may also have replaced it with a raw system call. */
static int ours(const struct sigaction *act)
{
    return (act->sa_flags & SA_SIGINFO) && act->sa_sigaction == on_fatal;
}

static void give_thread_alt_stack(tp_thread_t *t)
{
    if (t->altstack == NULL) {
        char *base = mmap(NULL, ALT_STACK_SIZE + PAGE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (base == MAP_FAILED)
            return;
        mprotect(base, PAGE, PROT_NONE);   /* an overflow of it faults */
        t->altstack = base + PAGE;
    }
    stack_t ss = {.ss_sp = t->altstack, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
    if (syscall(SYS_sigaltstack, &ss, NULL) == 0)
        alt_ours = 1;
}

void tp_crash_init(void)
{
    if (!tp_config.on_crash)
        return;
    sys_sigaction = tp__real("sigaction", NULL);
    stdio_list_reset = (void (*)(void))dlsym(RTLD_DEFAULT, "_IO_list_resetlock");
    child_stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    others = mmap(NULL, TP_CRASH_OTHERS * sizeof *others, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (others == MAP_FAILED)
        others = NULL;   /* later crashers show as they run */
    if (sys_sigaction == NULL || child_stack == MAP_FAILED) {
        tp_warn("cannot prepare crash dumps; THREADPROF_ON_CRASH is off");
        return;
    }
    for (int i = 0; i < NFATAL; i++) {
        struct sigaction cur;
        if (sys_sigaction(fatal_signals[i], NULL, &cur) != 0)
            continue;
        host_view[i] = cur;
        if (cur.sa_handler == SIG_DFL)
            install(i);   /* else the host (or another preload) has it */
    }
    armed = 1;
    stack_t cur;
    if (tp_self != NULL && syscall(SYS_sigaltstack, NULL, &cur) == 0 &&
        (cur.ss_flags & SS_DISABLE))
        give_thread_alt_stack(tp_self);
}

void tp_crash_thread_start(tp_thread_t *t)
{
    if (armed)
        give_thread_alt_stack(t);   /* a new thread has none */
}

void tp_crash_thread_exit(void)
{
    if (!alt_ours)
        return;
    /* The record, and its stack, may go to a new thread now (registry
     * lock held). */
    stack_t off = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    syscall(SYS_sigaltstack, &off, NULL);
    alt_ours = 0;
}

int tp_crash_signal(int sig)
{
    return armed && slot_of(sig) >= 0;
}

int tp_crash_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    int i = slot_of(sig);
    struct sigaction cur;
    if (i < 0 || sys_sigaction(sig, NULL, &cur) != 0)
        return sys_sigaction(sig, act, old);
    if (!ours(&cur)) {
        /* The host's own: the agent takes it back only when the host
         * asks for the default. */
        if (act == NULL || act->sa_handler != SIG_DFL || handling)
            return sys_sigaction(sig, act, old);
        if (old != NULL)
            *old = cur;
        host_view[i] = *act;
        return install(i);
    }
    struct sigaction prev = host_view[i];
    if (act != NULL) {
        if (act->sa_handler == SIG_DFL)
            host_view[i] = *act;           /* still the default: kept */
        else if (sys_sigaction(sig, act, NULL) != 0)
            return -1;                     /* else the host's from now on */
    }
    if (old != NULL)
        *old = prev;
    return 0;
}

int tp_crash_sigaltstack(const stack_t *ss, stack_t *old)
{
    stack_t was;
    long r = syscall(SYS_sigaltstack, ss, &was);
    if (r != 0)
        return -1;
    if (old != NULL) {
        *old = was;
        if (alt_ours) {   /* the host set none */
            old->ss_sp = NULL;
            old->ss_size = 0;
            old->ss_flags = SS_DISABLE;
        }
    }
    if (ss != NULL)
        alt_ours = 0;     /* the host's stack, or none, from now on */
    return 0;
}

/* --- for the dump child's snapshot ----------------------------------------- */

pid_t tp_crash_thread(void)
{
    return in_dump_child ? record.tid : 0;
}

size_t tp_crash_threads(pid_t *tids, size_t max)
{
    size_t n = 0;
    if (!in_dump_child)
        return 0;
    if (n < max)
        tids[n++] = record.tid;
    int claimed = atomic_load(&nothers);
    for (int k = 0; k < claimed && k < TP_CRASH_OTHERS && others != NULL && n < max; k++)
        if (atomic_load(&others[k].ready))
            tids[n++] = others[k].tid;
    return n;
}

int tp_crash_lookup(pid_t tid, tp_crash_ctx_t *out)
{
    if (!in_dump_child || tid == 0)
        return 0;
    if (tid == record.tid) {
        out->signo = record.si.si_signo;
        out->uc = &record.uc;
        out->whole = 1;
        return 1;
    }
    int claimed = atomic_load(&nothers);
    for (int k = 0; k < claimed && k < TP_CRASH_OTHERS && others != NULL; k++) {
        if (atomic_load(&others[k].ready) && others[k].tid == tid) {
            out->signo = others[k].signo;
            out->uc = &others[k].uc;
            out->whole = k < others_at_fork;
            return 1;
        }
    }
    return 0;
}

uintptr_t tp_crash_pc(const void *uc)
{
    return (uintptr_t)((const ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP];
}

void tp_crash_describe(tp_snap_crash_t *c)
{
    const siginfo_t *si = &record.si;
    c->signo = si->si_signo;
    c->code = si->si_code;
    c->tid = record.tid;
    if (si->si_code > 0)
        c->addr = (uintptr_t)si->si_addr;
    else
        c->sender = si->si_pid;
    c->raised = si->si_code <= 0 && si->si_pid == record.pid;
    const greg_t *g = record.uc.uc_mcontext.gregs;
    for (int r = 0; r < TP_CRASH_NREGS; r++)
        c->regs[r] = (uint64_t)g[r];
    c->have_regs = 1;
}
