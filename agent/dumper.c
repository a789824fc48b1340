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
 * lock is kept so no dump can start while the process tears down.  A
 * forked child, or a program whose parent runs the agent too, skips it
 * when it was short-lived and single-threaded and dumped nothing before
 * (THREADPROF_ON_EXIT=all keeps it): a program that forks a worker per
 * task, or a shell script under the agent, would otherwise pay per child
 * a symbolizer start (~0.2 s) and five files.
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/discovery.h"
#include "agent/internal.h"
#include "base/procparse.h"
#include "model/snapshot.h"

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
/* In a forked child (that has not exec'd): when it was forked. */
static uint64_t forked_at_ns;

#define CHILD_EXIT_DUMP_AFTER_NS 1000000000ull

static int names_agent(void *arg, char *line)
{
    (void)arg;
    return strstr(line, "libthreadprof.so") != NULL;
}

/* Whether the parent process runs the agent too: this process is one a
 * program under the agent started (a shell's readlink, a build's
 * compiler), not the program the user ran.  Read at exit only. */
static int parent_runs_agent(void)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)getppid());
    tp_in_agent++;   /* the line reader's buffer is the agent's */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int found = fd >= 0 && tp_maps_each_line(fd, names_agent, NULL) == 1;
    if (fd >= 0)
        close(fd);
    tp_in_agent--;
    return found;
}

/* Whether this process's exit is worth a dump (tp_config_t.on_exit).  A
 * forked child, or a program started by another one under the agent,
 * gets none when it was short-lived, made no thread and dumped nothing:
 * a shell script's tools, a build's compilers or a server's per-task
 * children would otherwise each pay a symbolizer start and five files. */
static int exit_dump_wanted(void)
{
    if (tp_config.on_exit == TP_ON_EXIT_OFF)
        return 0;
    if (tp_config.on_exit == TP_ON_EXIT_ALL)
        return 1;
    uint64_t born = forked_at_ns != 0 ? forked_at_ns : tp_start_ns;
    if (tp_now_ns() - born >= CHILD_EXIT_DUMP_AFTER_NS ||
        atomic_load(&dump_seq) != 0 || tp_registry_ever_had_threads())
        return 1;
    /* A program THREADPROF_PROGRAMS names is one the user cares about,
     * whoever started it. */
    return forked_at_ns == 0 && (tp_config.programs[0] != '\0' || !parent_runs_agent());
}

pid_t tp_dumper_tid(void)
{
    return dump_tid;
}


/* The real sem_post, resolved before the dump thread starts: the trigger
 * signal's handler posts, and through the interposed sem_post it would
 * resolve the real one with dlsym, which a handler must not call. */
static int (*post_wake)(sem_t *);

void tp_request_dump(unsigned reason)
{
    if (atomic_fetch_or(&pending, reason) == 0)
        (post_wake != NULL ? post_wake : sem_post)(&wake_sem);
}

/* The next sequence number (the caller holds the dump lock).  A pid keeps
 * its number across exec, so the program exec'd by a program that dumped
 * must not start again at 1 and overwrite those files: tp_dump_write asks
 * for the next number while the name is taken. */
unsigned tp_dump_next_seq(void)
{
    return atomic_fetch_add(&dump_seq, 1) + 1;
}

void tp_dump_seq_at_least(unsigned n)
{
    unsigned cur = atomic_load(&dump_seq);
    while (cur < n && !atomic_compare_exchange_weak(&dump_seq, &cur, n))
        ;
}

static _Atomic unsigned dumps_written;

unsigned tp_dumper_dumps_written(void)
{
    return atomic_load(&dumps_written);
}

static void dump_locked(unsigned reasons, uint64_t lock_timeout_ns)
{
    unsigned seq = tp_dump_next_seq();
    if (tp_dump_write(reasons, seq, lock_timeout_ns) == 0)
        atomic_fetch_add(&dumps_written, 1);
}

#define SECOND_NS 1000000000ull
#define DEADLOCK_CHECK_NS (2 * SECOND_NS)
#define MAX_DEADLOCKS_REMEMBERED 64

/* A cycle's identity: its threads and what each waits for. */
static uint64_t cycle_signature(const tp_snapshot_t *snap, const tp_snap_cycle_t *c)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < c->n; i++) {
        const tp_snap_thread_t *t = &snap->threads[c->members[i]];
        h = (h ^ (uint64_t)t->tid) * 1099511628211ull;
        h = (h ^ (uint64_t)(uintptr_t)t->wait_obj) * 1099511628211ull;
    }
    return h;
}

/* Looks for wait-for cycles (a light snapshot: no stacks).  A cycle seen
 * at two checks in a row is a deadlock that persists: returns 1 the first
 * time that happens to it, so each deadlock gets one dump of its own. */
static uint64_t dumped[MAX_DEADLOCKS_REMEMBERED];
static _Atomic size_t ndumped;

int tp_dumper_lock(uint64_t timeout_ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + timeout_ns % SECOND_NS;
    ts.tv_sec += (time_t)(timeout_ns / SECOND_NS + ns / SECOND_NS);
    ts.tv_nsec = (long)(ns % SECOND_NS);
    int r = pthread_mutex_timedlock(&dump_lock, &ts);
    return r == 0 ? 0 : -r;
}

void tp_dumper_unlock(void)
{
    pthread_mutex_unlock(&dump_lock);
}

size_t tp_dumper_deadlocks_seen(void)
{
    return atomic_load(&ndumped);
}

static int deadlock_needs_dump(void)
{
    static uint64_t previous[TP_SNAP_CYCLES];
    static size_t nprevious;
    static tp_snapshot_t snap;
    if (tp_snapshot_take(&snap, 0, 1) != 0)
        return 0;
    uint64_t now[TP_SNAP_CYCLES];
    size_t nnow = snap.ncycles;
    int wanted = 0;
    for (size_t i = 0; i < nnow; i++) {
        now[i] = cycle_signature(&snap, &snap.cycles[i]);
        int persisted = 0, seen = 0;
        for (size_t j = 0; j < nprevious; j++)
            persisted |= previous[j] == now[i];
        for (size_t j = 0; j < ndumped; j++)
            seen |= dumped[j] == now[i];
        if (persisted && !seen && ndumped < MAX_DEADLOCKS_REMEMBERED) {
            dumped[ndumped] = now[i];
            atomic_fetch_add(&ndumped, 1);
            wanted = 1;
        }
    }
    memcpy(previous, now, nnow * sizeof now[0]);
    nprevious = nnow;
    tp_snapshot_free(&snap);
    return wanted;
}

/* The dump thread wakes for requests, for the interval, for trend
 * samples, and once a second to advance tp_tick (the clock of the
 * held-lock lists), to check the thresholds and, every two seconds, to
 * look for deadlocks. */
static void *dump_thread_main(void *arg)
{
    (void)arg;
    tp_in_agent = 1;
    dump_tid = tp_gettid();
    tp_trigger_dump_thread_setup();
    if (forked_at_ns != 0)
        tp_httpd_child_note();
    else
        tp_httpd_start();
    /* The discovery file waits a second: the many processes that live
     * less (a script's tools, a build's compilers) write none. */
    uint64_t publish_at = tp_now_ns() + SECOND_NS;
    uint64_t interval = tp_config.interval_ns;
    uint64_t now = tp_now_ns();
    uint64_t next_interval = now + interval;
    uint64_t next_tick = now + SECOND_NS;
    uint64_t next_check = now + DEADLOCK_CHECK_NS;
    /* THREADPROF_METRICS_FILE is rewritten at each trend sample (every
     * 10 s when the trends are off). */
    uint64_t trend = tp_config.trend_ns != 0 ? tp_config.trend_ns
                     : tp_config.metrics_file[0] != '\0' ? TP_DEFAULT_TREND_NS : 0;
    uint64_t next_trend = now + trend;
    for (;;) {
        uint64_t deadline = next_tick;
        if (interval != 0 && next_interval < deadline)
            deadline = next_interval;
        if (trend != 0 && next_trend < deadline)
            deadline = next_trend;
        struct timespec ts = {.tv_sec = (time_t)(deadline / SECOND_NS),
                              .tv_nsec = (long)(deadline % SECOND_NS)};
        int r = sem_clockwait(&wake_sem, CLOCK_MONOTONIC, &ts);
        if (r != 0 && errno == EINTR)
            continue;         /* the trigger's handler ran here: sem is posted */
        now = tp_now_ns();
        tp_tick = (uint32_t)((now - tp_start_ns) / SECOND_NS);
        if (now >= next_tick)
            next_tick = now + SECOND_NS;
        unsigned reasons = 0;
        if (interval != 0 && now >= next_interval) {
            reasons |= TP_REASON_INTERVAL;
            next_interval += interval;
            if (next_interval <= now)  /* fell behind (a slow dump, a stopped process) */
                next_interval = now + interval;
        }
        tp_trigger_dump_thread_poll();
        tp_watcher_reap_orphan();
        if (publish_at != 0 && now >= publish_at) {
            publish_at = 0;
            tp_discovery_publish();
        }
        if (exiting)
            continue;
        if (tp_config.deadlock_check && now >= next_check) {
            next_check = now + DEADLOCK_CHECK_NS;
            if (deadlock_needs_dump())
                reasons |= TP_REASON_DEADLOCK;
        }
        if (tp_config.nthresholds != 0 && tp_threshold_check(now))
            reasons |= TP_REASON_THRESHOLD;
        pthread_mutex_lock(&dump_lock);
        if (trend != 0 && now >= next_trend && !exiting) {
            next_trend += trend;
            if (next_trend <= now)
                next_trend = now + trend;
            tp_trend_sample();
            tp_endpoint_metrics_file();
        }
        reasons |= atomic_exchange(&pending, 0) & ~TP_REASON_WAKE;
        if (!exiting && reasons != 0)
            dump_locked(reasons, 0);
        pthread_mutex_unlock(&dump_lock);
    }
    return NULL;
}

/* THREADPROF_DUMP_THREAD=lazy and the watcher runs in place of the dump
 * thread (watcher.c); the first pthread_create replaces it. */
static volatile int watching;
static pid_t dump_pid;   /* a snapshot child's program, else 0 */

pid_t tp_dump_pid(void)
{
    return dump_pid != 0 ? dump_pid : getpid();
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
    if (!tp_in_agent)
        tp_discovery_remove();   /* whether or not it dumps */
    if (tp_in_agent || !exit_dump_wanted() || atomic_exchange(&done, 1))
        return;
    exiting = 1;
    tp_in_agent++;
    int saved = errno;
    tp_unwind_load();
    if (tp_dumper_lock(EXIT_LOCK_TIMEOUT_NS) == 0) {
        /* A signal that arrived just before exit is answered by this dump. */
        unsigned pending_now = atomic_exchange(&pending, 0) & ~TP_REASON_WAKE;
        /* The trends end where the run ends. */
        if (tp_trend_samples_taken() != 0)
            tp_trend_sample();
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
    return tp_config.signo != 0 || tp_config.interval_ns != 0 || tp_config.trend_ns != 0 ||
           tp_config.nthresholds != 0 || tp_config.http.family != 0 ||
           tp_config.metrics_file[0] != '\0';
}

/* The watcher can stand in for the dump thread only while the program
 * has this one thread, the trigger is the agent's alone and nothing
 * else (an interval, the deadlock check's clock) needs a thread. */
static int watcher_can_serve(void)
{
    return tp_config.lazy_dump_thread && tp_config.signo != 0 &&
           tp_config.interval_ns == 0 && tp_config.nthresholds == 0 &&
           tp_config.http.family == 0 && tp_config.metrics_file[0] == '\0' &&
           !tp_registry_ever_had_threads() &&
           tp_trigger_owned();
}

/* 0 when the watcher now stands in for the dump thread, else -errno. */
static int start_watcher(void)
{
    tp_in_agent++;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);   /* no program signal lands in it */
    int r = tp_watcher_start();
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    tp_in_agent--;
    if (r != 0) {
        tp_warn("cannot start the watcher; the dump thread serves instead");
        return r;
    }
    watching = 1;
    return 0;
}

void tp_dumper_init(void)
{
    post_wake = (int (*)(sem_t *))tp__real("sem_post", NULL);
    sem_init(&wake_sem, 0, 0);
    atexit(on_exit_dump);
    if (!dump_thread_wanted())
        return;
    if (watcher_can_serve() && start_watcher() == 0)
        return;
    start_dump_thread();
}

/* The program makes a thread, or takes the trigger signal for itself:
 * the dump thread takes over from the watcher. */
void tp_dumper_leave_lazy(void)
{
    if (__atomic_exchange_n(&watching, 0, __ATOMIC_ACQ_REL)) {
        tp_watcher_stop();
        start_dump_thread();
    }
}

void tp_snapshot_child_enter(pid_t host)
{
    tp_in_agent = 1;
    tp_tls.heap_left = UINT64_MAX;        /* nothing here is sampled */
    tp_malloc_private_arena();            /* the program may be inside malloc */
    tp_private_fds_drop();                /* libunwind's pipe is the program's copy */
    dump_pid = host;
}

int tp_snapshot_child_dump(pid_t host, unsigned seq, unsigned reasons)
{
    tp_snapshot_child_enter(host);
    return tp_snapshot_child_write(seq, reasons);
}

int tp_snapshot_child_write(unsigned seq, unsigned reasons)
{
    return tp_dump_write(reasons, seq, 1000000000ull);
}

void tp_main_starting(void)
{
    tp_in_agent++;
    atexit(on_exit_dump);
    tp_in_agent--;
}

void tp__start_dump_thread_lazily(void)
{
    if (watching)
        tp_dumper_leave_lazy();
    else if (__atomic_exchange_n(&tp__need_dump_thread, 0, __ATOMIC_ACQ_REL))
        start_dump_thread();
}

int tp__dumper_watching(void)
{
    return watching;
}

void tp_dumper_after_fork_child(void)
{
    sem_init(&wake_sem, 0, 0);
    pthread_mutex_init(&dump_lock, NULL);
    atomic_store(&pending, 0);
    atomic_store(&dump_seq, 0);
    atomic_store(&dumps_written, 0);
    dump_tid = 0;
    exiting = 0;
    forked_at_ns = tp_now_ns();
    watching = 0;
    dump_pid = 0;
    tp_watcher_after_fork_child();
    tp_trend_after_fork_child();
    tp_threshold_after_fork_child();
    /* The child has one thread: with THREADPROF_DUMP_THREAD=lazy the
     * watcher serves it at once (a busy child would otherwise get no
     * dump until it waits or makes a thread); else the dump thread
     * starts at its first wait or thread. */
    tp__need_dump_thread = dump_thread_wanted() && !(watcher_can_serve() && start_watcher() == 0);
}
