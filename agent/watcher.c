/*
 * watcher: dumps of a single-threaded program without a dump thread
 * (THREADPROF_DUMP_THREAD=lazy).
 *
 * Any thread made with pthread_create switches glibc into its
 * multi-threaded mode for good: malloc and free then lock their arena
 * whenever they miss the per-thread cache, which costs a heap-churning
 * single-threaded program more than the agent itself.  So instead of the
 * dump thread the agent starts a task glibc knows nothing of: a bare
 * clone() sharing the address space, with a TLS block of its own that no
 * code uses, running only raw system calls.  The trigger stays blocked in
 * the program's thread as always; the watcher takes it with
 * rt_sigtimedwait, so no handler runs in the program and no system call
 * of the program is interrupted.
 *
 * On a dump request the watcher waits until the program's thread is not
 * inside the agent (whose locks it may hold), then forks a snapshot
 * child with a bare clone (exit signal 0: invisible to the program's
 * wait(), reaped here).  The child adopts the program thread's TLS and
 * writes the dump as the dump thread would, with the allocator switched
 * to a private arena (the program may have been inside malloc), then
 * exits without running anything of the program's.  A child that takes
 * too long is killed.  The watcher also advances tp_tick once a second.
 *
 * When the program makes a thread, installs its own handler for the
 * trigger or waits for it itself, the watcher is stopped and the dump
 * thread started (dumper.c).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "agent/internal.h"

#define WATCHER_STACK (8u << 20)       /* the snapshot child runs the dump on it */
#define WATCHER_TLS 4096u
#define CHILD_TIMEOUT_NS (60ull * 1000000000ull)
#define AGENT_WAIT_NS (2ull * 1000000000ull)
#define SECOND_NS 1000000000ull

#ifndef ARCH_SET_FS
#define ARCH_SET_FS 0x1002
#endif
#ifndef __WCLONE
#define __WCLONE 0x80000000
#endif

/* Raw system calls: the watcher has no usable TLS, so no errno. */
static inline long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define RAW(nr, a, b, c, d) raw6((nr), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

static void *stack_base;
static void *tls_block;
static volatile int stop;
static volatile pid_t watcher_tid;      /* cleared by the kernel at exit */
static pid_t host_pid;
static unsigned long host_fs;           /* the program thread's TCB */
static volatile int *host_in_agent;     /* its tp_in_agent */
static volatile pid_t orphan;           /* a snapshot child left when stopping */

static uint64_t raw_now(void)
{
    struct timespec ts;
    RAW(SYS_clock_gettime, CLOCK_MONOTONIC, &ts, 0, 0);
    return (uint64_t)ts.tv_sec * SECOND_NS + (uint64_t)ts.tv_nsec;
}

static void raw_sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    RAW(SYS_nanosleep, &ts, 0, 0, 0);
}

/* In the snapshot child, on the watcher's stack: become the program's
 * thread (its TLS) and write the dump.  Never returns; no stack
 * protector across the switch of TLS (the canary lives there). */
__attribute__((noreturn, noinline, no_stack_protector))
static void child_main(unsigned seq)
{
    RAW(SYS_arch_prctl, ARCH_SET_FS, host_fs, 0, 0);
    tp_snapshot_child_dump(host_pid, seq, TP_REASON_SIGNAL);
    for (;;)
        RAW(SYS_exit_group, 0, 0, 0, 0);
}

/* Forks the snapshot child and waits for it, bounded. */
__attribute__((no_stack_protector))
static void snapshot(void)
{
    uint64_t t0 = raw_now();
    while (*host_in_agent != 0 && !stop && raw_now() - t0 < AGENT_WAIT_NS)
        raw_sleep_ms(1);
    if (*host_in_agent != 0 || stop)
        return;   /* the program stays inside the agent: not now */
    unsigned seq = tp_dump_next_seq();
    long pid = RAW(SYS_clone, 0, 0, 0, 0);   /* fork-like, exit signal 0 */
    if (pid == 0)
        child_main(seq);
    if (pid < 0)
        return;
    tp_dump_swept_by_child();
    uint64_t start = raw_now();
    for (;;) {
        int status;
        long r = RAW(SYS_wait4, pid, &status, __WCLONE | 1 /* WNOHANG */, 0);
        if (r == pid || (r < 0 && r != -4 /* EINTR */))
            return;
        if (stop) {
            orphan = (pid_t)pid;   /* the dump thread reaps it */
            return;
        }
        if (raw_now() - start > CHILD_TIMEOUT_NS) {
            RAW(SYS_kill, pid, SIGKILL, 0, 0);
            RAW(SYS_wait4, pid, &status, __WCLONE, 0);
            return;
        }
        raw_sleep_ms(5);
    }
}

__attribute__((no_stack_protector))
static int watcher_main(void *arg)
{
    (void)arg;
    uint64_t all = ~0ull;
    RAW(SYS_rt_sigprocmask, SIG_SETMASK, &all, 0, 8);
    uint64_t want = 1ull << (tp_trigger_signo - 1);
    while (!stop) {
        struct timespec ts = {1, 0};
        siginfo_t si;
        long sig = RAW(SYS_rt_sigtimedwait, &want, &si, &ts, 8);
        tp_tick = (uint32_t)((raw_now() - tp_start_ns) / SECOND_NS);
        if (sig <= 0 || stop)
            continue;
        /* A stop request comes from this process with tgkill; anything
         * else asks for a dump (kill from outside, or the agent's own
         * handler when the program's thread took the signal). */
        snapshot();
    }
    return 0;
}

int tp_watcher_start(void)
{
    host_pid = (pid_t)RAW(SYS_getpid, 0, 0, 0, 0);
    host_fs = (unsigned long)pthread_self();
    host_in_agent = &tp_in_agent;
    stop = 0;
    orphan = 0;
    if (stack_base == NULL) {
        stack_base = mmap(NULL, WATCHER_STACK, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        tls_block = mmap(NULL, WATCHER_TLS, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (stack_base == MAP_FAILED || tls_block == MAP_FAILED) {
            stack_base = tls_block = NULL;
            return -ENOMEM;
        }
    }
    /* A TCB of its own whose self pointers point at itself: code that
     * reads TLS by mistake finds zeros here, not the program's data. */
    unsigned long *tcb = (unsigned long *)((char *)tls_block + WATCHER_TLS / 2);
    tcb[0] = (unsigned long)tcb;
    tcb[2] = (unsigned long)tcb;
    int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    int r = clone(watcher_main, (char *)stack_base + WATCHER_STACK, flags, NULL,
                  &watcher_tid, tcb, &watcher_tid);
    return r < 0 ? -errno : 0;
}

int tp_watcher_running(void)
{
    return __atomic_load_n(&watcher_tid, __ATOMIC_ACQUIRE) != 0;
}

void tp_watcher_stop(void)
{
    pid_t tid = __atomic_load_n(&watcher_tid, __ATOMIC_ACQUIRE);
    if (tid == 0)
        return;
    stop = 1;
    RAW(SYS_tgkill, host_pid, tid, tp_trigger_signo, 0);
    /* It leaves its wait at once; the kernel clears watcher_tid when it
     * is gone (CLONE_CHILD_CLEARTID).  Bounded: a snapshot child it is
     * waiting for is left to the dump thread. */
    for (int i = 0; i < 2000 && __atomic_load_n(&watcher_tid, __ATOMIC_ACQUIRE) != 0; i++)
        raw_sleep_ms(1);
}

pid_t tp_watcher_tid(void)
{
    return watcher_tid;
}

void tp_watcher_reap_orphan(void)
{
    pid_t pid = orphan;
    int status;
    if (pid != 0 && RAW(SYS_wait4, pid, &status, __WCLONE | 1, 0) != 0)
        orphan = 0;
}

void tp_watcher_after_fork_child(void)
{
    /* The watcher is not in the child (only the forking thread is). */
    watcher_tid = 0;
    orphan = 0;
}
