/*
 * dumper: the dedicated dump thread and the reasons it wakes for.
 *
 * Requests arrive as bits OR'ed into one word; the first request after a
 * dump posts a semaphore (both async-signal-safe), later ones coalesce
 * into the dump already due, so a burst of 1,000 signals costs a couple of
 * dumps.  The thread also wakes on its own every THREADPROF_INTERVAL.  It
 * is created with every signal blocked but the trigger, is invisible in
 * dumps, and is recreated in a forked child when the child first creates a
 * thread or waits in an intercepted call (a child that only execs never
 * pays for it).
 *
 * The exit dump runs in the exiting thread itself, from an atexit handler
 * registered as main starts (hooks/start.c), so it runs after the host's
 * own atexit work and before shared objects are finalised; the constructor
 * registers it too, for programs whose main we did not see start (then it
 * runs from _dl_fini).  It runs once, bounded in time; afterwards the dump
 * lock is kept so no dump can start while the process tears down.
 */
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/internal.h"

#define EXIT_LOCK_TIMEOUT_NS (2000000000ull)

static sem_t wake_sem;
/* Requested reasons, taken only by whoever holds the dump lock, so a
 * request is answered either by the dump thread or by the exit dump. */
static _Atomic unsigned pending;
static pthread_mutex_t dump_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned dump_seq;
static volatile pid_t dump_tid;
static volatile int exiting;
volatile int tp__need_dump_thread;

pid_t tp_dumper_tid(void)
{
    return dump_tid;
}

void tp_request_dump(unsigned reason)
{
    if (atomic_fetch_or(&pending, reason) == 0)
        sem_post(&wake_sem);
}

static void dump_locked(unsigned reasons, uint64_t lock_timeout_ns)
{
    unsigned seq = atomic_fetch_add(&dump_seq, 1) + 1;
    tp_dump_write(reasons, seq, lock_timeout_ns);
}

static void *dump_thread_main(void *arg)
{
    (void)arg;
    tp_in_agent = 1;
    dump_tid = tp_gettid();
    tp_trigger_dump_thread_setup();
    uint64_t interval = tp_config.interval_ns;
    uint64_t next = tp_now_ns() + interval;
    for (;;) {
        int r;
        if (interval != 0) {
            struct timespec ts = {.tv_sec = (time_t)(next / 1000000000u),
                                  .tv_nsec = (long)(next % 1000000000u)};
            r = sem_clockwait(&wake_sem, CLOCK_MONOTONIC, &ts);
        } else {
            r = sem_wait(&wake_sem);
        }
        unsigned reasons = 0;
        if (r != 0 && errno == ETIMEDOUT) {
            reasons = TP_REASON_INTERVAL;
            uint64_t now = tp_now_ns();
            next += interval;
            if (next <= now)  /* fell behind (a slow dump, a stopped process) */
                next = now + interval;
        } else if (r != 0) {
            continue;         /* EINTR: the trigger's handler ran here */
        }
        tp_trigger_dump_thread_poll();
        if (exiting)
            continue;
        pthread_mutex_lock(&dump_lock);
        reasons |= atomic_exchange(&pending, 0) & ~TP_REASON_WAKE;
        if (!exiting && reasons != 0)
            dump_locked(reasons, 0);
        pthread_mutex_unlock(&dump_lock);
    }
    return NULL;
}

static void start_dump_thread(void)
{
    pthread_attr_t attr;
    pthread_t th;
    sigset_t all, old;
    sigfillset(&all);
    tp_in_agent++;
    /* Created with everything blocked so no host signal can land in it
     * before it sets its own mask. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int r = ((int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                      void *))tp__real("pthread_create", NULL))(
        &th, &attr, dump_thread_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r == 0)
        pthread_setname_np(th, "threadprof");
    else
        tp_warn("cannot start the dump thread (%s); dumps happen only at exit",
                strerror(r));
    tp_in_agent--;
}

static void on_exit_dump(void)
{
    static _Atomic int done;
    if (!tp_config.on_exit || tp_in_agent || atomic_exchange(&done, 1))
        return;
    exiting = 1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += EXIT_LOCK_TIMEOUT_NS / 1000000000u;
    tp_in_agent++;
    int saved = errno;
    if (pthread_mutex_timedlock(&dump_lock, &ts) == 0) {
        /* A signal that arrived just before exit is answered by this dump. */
        unsigned pending_now = atomic_exchange(&pending, 0) & ~TP_REASON_WAKE;
        dump_locked(TP_REASON_EXIT | pending_now, EXIT_LOCK_TIMEOUT_NS);
    }
    else
        tp_warn("a dump was still being written at exit; no exit dump");
    /* The lock stays held: no dump may start while the process ends. */
    errno = saved;
    tp_in_agent--;
}

/* Without a trigger signal or an interval nothing can wake a dump
 * thread: the process is left with the threads it made itself. */
static int dump_thread_wanted(void)
{
    return tp_config.signo != 0 || tp_config.interval_ns != 0;
}

void tp_dumper_init(void)
{
    sem_init(&wake_sem, 0, 0);
    atexit(on_exit_dump);
    if (dump_thread_wanted())
        start_dump_thread();
}

void tp_main_starting(void)
{
    tp_in_agent++;
    atexit(on_exit_dump);
    tp_in_agent--;
}

void tp__start_dump_thread_lazily(void)
{
    if (__atomic_exchange_n(&tp__need_dump_thread, 0, __ATOMIC_ACQ_REL))
        start_dump_thread();
}

void tp_dumper_at_exit(void)
{
    on_exit_dump();
}

void tp_dumper_after_fork_child(void)
{
    sem_init(&wake_sem, 0, 0);
    pthread_mutex_init(&dump_lock, NULL);
    atomic_store(&pending, 0);
    atomic_store(&dump_seq, 0);
    dump_tid = 0;
    exiting = 0;
    tp__need_dump_thread = dump_thread_wanted();
}
