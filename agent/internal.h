/*
 * internal.h: prototypes shared between the files of agent/, grouped by
 * the file that owns them.  Hooks include agent/agent.h only.
 */
#ifndef TP_INTERNAL_H
#define TP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/agent.h"
#include "agent/config.h"
#include "model/snapshot.h"
#include "model/heap.h"
#include "model/locks.h"
#include "model/profile.h"
#include "model/trend.h"

/* init.c */
extern tp_config_t tp_config;
extern volatile int tp_ready;          /* constructor finished */
extern uint64_t tp_start_ns;           /* CLOCK_MONOTONIC at start */
uint64_t tp_now_ns(void);              /* precise CLOCK_MONOTONIC */
pid_t tp_gettid(void);

/* log.c: one line on stderr, "threadprof: " prefixed, only while fd 2 is
 * still the descriptor the program started with. */
void tp_log_init(void);
void tp_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tp_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* registry.c */
extern __thread int tp_thread_dead;
void tp_registry_init(void);
void tp_registry_lock(void);
int tp_registry_lock_timed(uint64_t timeout_ns);  /* 0 or -ETIMEDOUT */
void tp_registry_unlock(void);
tp_thread_t *tp_registry_alloc(void);            /* zeroed, not linked */
void tp_registry_free(tp_thread_t *t);           /* lock held */
void tp_registry_link(tp_thread_t *t);           /* lock held */
void tp_registry_add_pending(tp_thread_t *t);    /* lock held: being created */
tp_thread_t *tp_registry_first(void);            /* lock held: live threads */
tp_thread_t *tp_registry_next(tp_thread_t *t);  /* lock held: NULL after the last */
size_t tp_registry_exited_unjoined(void);        /* lock held */
/* Threads created and threads that ended since start (or fork). */
void tp_registry_counts(uint64_t *created, uint64_t *ended);
tp_thread_t *tp_registry_first_exited(void);     /* lock held: exited, unjoined */
tp_thread_t *tp_registry_next_exited(tp_thread_t *t);
tp_thread_t *tp_registry_find_pthread(pthread_t th, int exited); /* lock held */
tp_thread_t *tp_registry_find_tid(pid_t tid);    /* lock held, live only */
tp_thread_t *tp_registry_lookup_tid(pid_t tid);  /* lock-free; NULL if unsure */
void tp_registry_register_self(tp_thread_t *t);  /* key destructor + tp_self */
void tp_registry_after_fork_child(void);
void tp_registry_unlock_forced(void);           /* a crash's dump child */
int tp_registry_ever_had_threads(void);       /* more than one linked since start/fork */
void tp_registry_adopt_existing(void);           /* /proc/self/task at start */

/* unwind.c: libunwind, loaded privately (RTLD_LOCAL) so its exported
 * backtrace() and _Unwind_* never replace the host's. */
void tp_unwind_locate_agent(void);              /* constructor: our own ranges */
int tp_unwind_load(void);                        /* dlopen libunwind (once) */
int tp_backtrace(uintptr_t *pcs, int max);       /* caller's stack, agent frames skipped */
/* Like tp_backtrace, but never waits for libunwind: -1 when it is not
 * loaded yet (the dump thread is asked to load it). */
int tp_backtrace_nowait(uintptr_t *pcs, int max);
int tp_unwind_regs(const tp_regs_t *regs, uintptr_t *pcs, int max);
/* From a signal's context (a ucontext_t): the first pc is where it struck. */
int tp_unwind_fault(const void *ucontext, uintptr_t *pcs, int max);
int tp_pc_in_agent(uintptr_t pc);
int tp_addr_in_agent(uintptr_t addr);            /* in our module's memory */

/* trigger.c */
void tp_trigger_init(void);
void tp_trigger_dump_thread_setup(void);  /* in the dump thread */
void tp_trigger_dump_thread_poll(void);   /* dump thread: apply a release */
int tp_trigger_owned(void);               /* blocked in every program thread */
/* The host's belief about the trigger in this thread's mask; a new
 * thread inherits its creator's. */
int tp__trigger_host_view(void);
void tp__trigger_set_host_view(int v);

/* dumper.c: the dump thread and the reasons it wakes for (TP_REASON_*,
 * model/snapshot.h). */
void tp_dumper_init(void);
void tp_request_dump(unsigned reason);           /* async-signal-safe */
void tp_dumper_after_fork_child(void);
pid_t tp_dumper_tid(void);
unsigned tp_dump_next_seq(void);
/* Later numbers only: the next tp_dump_next_seq is above n. */
void tp_dump_seq_at_least(unsigned n);
/* The pid dumps are written for: getpid(), or the program's in a
 * snapshot child (watcher.c). */
pid_t tp_dump_pid(void);
/* In a snapshot child, as the program's thread: writes dump seq of the
 * program host for reasons (dumper.c). */
int tp_snapshot_child_dump(pid_t host, unsigned seq, unsigned reasons);
/* The same in two steps: become the snapshot child of host (private
 * allocator, no inherited descriptor of the agent's), then write. */
void tp_snapshot_child_enter(pid_t host);
int tp_snapshot_child_write(unsigned seq, unsigned reasons);

/* crash.c: the crash dump (THREADPROF_ON_CRASH). */
void tp_crash_init(void);                        /* constructor, after the trigger */
void tp_crash_thread_start(tp_thread_t *t);      /* a new thread: its alternate stack */
void tp_crash_thread_exit(void);                 /* in the exiting thread */
/* In a crash's dump child: the thread the signal struck (else 0), the
 * signal's context (a ucontext_t), and the crash as the model has it. */
pid_t tp_crash_thread(void);
void tp_crash_describe(tp_snap_crash_t *c);
/* Every thread a fatal signal struck (the first, then those that crashed
 * while its dump was written), at most max; and one of them: its signal
 * and context (a ucontext_t); whole: its stack can be walked, else only
 * the faulting pc (tp_crash_pc) is sure.  1 when tid crashed. */
#define TP_CRASH_OTHERS 8
typedef struct tp_crash_ctx {
    int signo;
    const void *uc;
    int whole;
} tp_crash_ctx_t;
size_t tp_crash_threads(pid_t *tids, size_t max);
int tp_crash_lookup(pid_t tid, tp_crash_ctx_t *out);
uintptr_t tp_crash_pc(const void *uc);
/* crashnote.c: the handler's own short dump (async-signal-safe), named
 * into name: 0 when written, 1 when the full dump's thread file is there
 * already, -1 when the directory is not writable. */
int tp_crash_short_dump(const siginfo_t *si, const ucontext_t *uc, pid_t pid,
                        pid_t tid, unsigned seq, const char *why, char *name,
                        size_t len);

/* watcher.c: THREADPROF_DUMP_THREAD=lazy, dumps of a single-threaded
 * program without a dump thread. */
int tp_watcher_start(void);                      /* 0, or -errno: not started */
int tp_watcher_running(void);
void tp_watcher_stop(void);                      /* bounded wait */
pid_t tp_watcher_tid(void);
void tp_watcher_reap_orphan(void);               /* dump thread, each tick */
void tp_watcher_after_fork_child(void);
int tp__dumper_watching(void);
void tp_dumper_leave_lazy(void);                 /* the dump thread takes over */

/* snapshot.c: registry -> the model (model/snapshot.h).  0, -ETIMEDOUT
 * (the registry lock was not had in time) or -ENOMEM.  light: only the
 * threads waiting for a lock or a join (they alone can be in a deadlock),
 * with what they wait for and the locks they hold; no stacks, names or
 * /proc reads.  Enough to look for deadlocks.  The caller fills seq and
 * the reasons. */
int tp_snapshot_take(tp_snapshot_t *snap, uint64_t lock_timeout_ns, int light);
void tp_snapshot_free(tp_snapshot_t *snap);
/* Only the program and command line of snap. */
void tp_snapshot_identity(tp_snapshot_t *snap);

/* deadlock.c: finds the wait-for cycles among the snapshot's threads
 * (each waiting thread has edges to its holders) and stores them in
 * snap->cycles, each once, starting at its lowest tid.  Returns the number
 * found. */
size_t tp_deadlock_find(tp_snapshot_t *snap);

/* dumpwriter.c: one dump, from the snapshot to the files. */
int tp_dump_write(unsigned reasons, unsigned seq, uint64_t lock_timeout_ns);
/* The same capture, part (tp_dump_part_t) rendered into a sink and no
 * file written (the endpoint; dump lock held).  0 or -errno. */
struct tp_sink;
int tp_dump_render_now(struct tp_sink *s, int part);
/* A snapshot child has started (watcher.c): it sweeps the image's
 * leftover temporary files, and may still be writing its own when the
 * dump thread takes over, so the dump thread must not sweep again. */
void tp_dump_swept_by_child(void);

/* lockprof.c: the mutex and block profiles. */
void tp_lockprof_init(void);                     /* constructor: config, glibc check */
void tp_lockprof_after_fork_child(void);         /* the child starts empty */
void tp_lockprof_unlock_forced(void);            /* a crash's dump child */
/* Whether the profile of kind (TP_PROFILE_MUTEX or _BLOCK) is collected. */
int tp_lockprof_enabled(tp_profile_kind_t kind);
/* The profile of kind as it stands (p->samples calloc'd, the caller frees
 * it; their stacks point into the table, which lives as long as the
 * process).  Time fields are the caller's.  0 or -ENOMEM.  Dump thread. */
int tp_lockprof_profile(tp_profile_kind_t kind, tp_profile_t *p);
/* Table fill and drops, and the most delayed locks by total contention
 * delay, with their call sites.  Dump thread. */
void tp_lockprof_stats(tp_lock_stats_t *st);
/* The same without tables_resident (no mincore): each trend sample. */
void tp_lockprof_stats_light(tp_lock_stats_t *st);

/* holdprof.c: hold times (THREADPROF_HOLD_FRACTION). */
void tp_holdprof_init(void);                     /* constructor: config */
void tp_holdprof_after_fork_child(void);         /* the child starts empty */
/* Where a new thread record's countdown to its first timed hold starts. */
uint32_t tp_holdprof_first_countdown(const tp_thread_t *t);
/* A lock is destroyed or initialised: its hold figures are retired. */
void tp_holdprof_forget(const void *lock);
/* t enters a blocking call at since (CLOCK_MONOTONIC ns) holding locks:
 * the holds not timed yet are timed from now on (a lower bound). */
void tp_holdprof_blocked(tp_thread_t *t, uint64_t since);
/* The hold figures of st's contended locks, and the locks held longest. */
void tp_holdprof_view(tp_lock_stats_t *st);

/* heldacross.c: locks held across blocking calls (the wait hooks record). */
void tp_held_across_after_fork_child(void);      /* the child starts empty */
/* The rows with the most time blocked, into st's across fields. */
void tp_held_across_view(tp_lock_stats_t *st);

/* heapprof.c: the heap profile (THREADPROF_HEAP_RATE). */
typedef struct tp_heap_values {     /* one stack's figures, scaled back */
    uint64_t alloc_objects, alloc_bytes, inuse_objects, inuse_bytes;
} tp_heap_values_t;
void tp_heapprof_init(void);                     /* constructor: config */
void tp_heapprof_fork_prepare(void);
void tp_heapprof_fork_parent(void);
void tp_heapprof_fork_child(void);               /* keeps the parent's samples */
int tp_heapprof_enabled(void);
/* The heap profile as it stands (as tp_lockprof_profile).  0 or -ENOMEM.
 * Dump thread. */
int tp_heapprof_profile(tp_profile_t *p);
/* Totals over every stack, table fill, and the sites with the most in-use
 * bytes.  at_exit: the exit dump's (still in use at exit).  Dump thread. */
void tp_heapprof_view(tp_heap_view_t *h, int at_exit);
/* What the heap profile's tables reserve. */
size_t tp_heapprof_table_bytes(void);
/* Every stack's figures (nothing when the profile is off).  Dump thread. */
void tp_heapprof_each_stack(void (*each)(void *arg, const uintptr_t *pcs, uint32_t npcs,
                                         const tp_heap_values_t *v),
                            void *arg);

/* retention.c: THREADPROF_KEEP.  Periodic dump seq was written: list it,
 * and have remove() delete the dumps the limit thins out. */
void tp_retention_periodic(unsigned seq, void (*remove)(unsigned seq, void *arg), void *arg);
void tp_retention_counts(unsigned *on_disk, unsigned *removed);
void tp_retention_after_fork_child(void);

/* verdict.c: THREADPROF_EXITCODE (declared for the hooks in lifecycle.h). */
/* dumper.c: the dump lock (no dump nor trend sample runs while it is
 * held): 0, or -ETIMEDOUT. */
int tp_dumper_lock(uint64_t timeout_ns);
void tp_dumper_unlock(void);
/* dumper.c: the distinct deadlocks the periodic check has dumped. */
size_t tp_dumper_deadlocks_seen(void);

/* trend.c: THREADPROF_TREND samples and their verdicts (model/trend.h).
 * What tp_trend_collect reads: */
enum {
    TP_COLLECT_THREADS = 1u << 0,      /* the registry walk */
    TP_COLLECT_HEAP = 1u << 1,
    TP_COLLECT_MEMORY = 1u << 2,       /* VmRSS, VmHWM */
    TP_COLLECT_FDS = 1u << 3,          /* descriptors by kind */
    TP_COLLECT_FD_COUNT = 1u << 4,     /* descriptors, only counted */
    TP_COLLECT_LOCKS = 1u << 5,        /* totals and the top locks */
    TP_COLLECT_LOCK_TOTALS = 1u << 6,
    TP_COLLECT_ALL = TP_COLLECT_THREADS | TP_COLLECT_HEAP | TP_COLLECT_MEMORY | TP_COLLECT_FDS |
                   TP_COLLECT_LOCKS,
};
void tp_trend_collect(tp_trend_sample_t *s, unsigned what);   /* dump thread */
void tp_trend_sample(void);              /* dump thread, dump lock held: take one */
uint64_t tp_trend_samples_taken(void);
uint64_t tp_trend_stuck_ns(void);
void tp_trend_view(tp_trend_view_t *v);  /* the series' bounds and verdicts */
int tp_trend_leak_verdicts(void);        /* verdicts other than stuck, now */
const tp_trend_key_t *tp_trend_keys(unsigned *n);   /* the keys so far (dump lock) */
size_t tp_trend_bytes(void);             /* the series' memory, 0 before a sample */
void tp_trend_after_fork_child(void);
/* dumpwriter.c: appends a sample to the trend file (after the start
 * record, the first time in a process image). */
void tp_trend_append(const tp_trend_sample_t *s, const tp_trend_key_t *keys);
/* dumper.c: dumps this image wrote. */
unsigned tp_dumper_dumps_written(void);

/* threshold.c: THREADPROF_TRIGGER, checked by the dump thread each
 * second; 1 when a crossing wants a dump (it is remembered for it). */
int tp_threshold_check(uint64_t now_ns);
/* The crossing the threshold dump is for (snap: reason fields). */
void tp_threshold_crossing(tp_snapshot_t *snap);
void tp_threshold_after_fork_child(void);

/* httpd.c: the endpoint's listener (THREADPROF_HTTP). */
void tp_httpd_start(void);              /* dump thread, once per process */
void tp_httpd_after_fork_child(void);
void tp_httpd_child_note(void);         /* a forked child's dump thread */
pid_t tp_httpd_tid(void);               /* the listener thread, 0 for none */

/* endpoint.c: what each path of the endpoint serves. */
typedef struct tp_endpoint_query {
    unsigned debug, seconds;            /* ?debug=, ?seconds= (0 when absent) */
    int has_debug;
} tp_endpoint_query_t;
typedef struct tp_endpoint_request {
    int started;                        /* httpd: method, token and query checked */
    tp_endpoint_query_t query;
    int waited;                         /* endpoint: the ?seconds= wait is over */
    void *baseline;                     /* endpoint: what the wait started from */
} tp_endpoint_request_t;
typedef struct tp_endpoint_reply {
    unsigned status;                    /* HTTP status */
    const char *content_type;           /* NULL: text/plain; charset=utf-8 */
    const char *filename;               /* a download's name (profiles), or NULL */
    char *body;                         /* malloc'd, the listener frees it */
    size_t len;
    unsigned wait_s;                    /* > 0: call again after this many seconds */
} tp_endpoint_reply_t;
void tp_endpoint_handle(const char *path, tp_endpoint_request_t *req, tp_endpoint_reply_t *rep);
void tp_endpoint_request_done(tp_endpoint_request_t *req);
/* A plain-text reply (the listener's own errors too). */
void tp_endpoint_reply_text(tp_endpoint_reply_t *rep, unsigned status, const char *text);
void tp_endpoint_published(const char *url);   /* writes threadprof.<pid>.http */
void tp_endpoint_metrics_file(void);           /* dump thread: THREADPROF_METRICS_FILE */

/* lockorder.c: lock-order inversions (THREADPROF_LOCK_ORDER). */
void tp_lock_order_init(void);                   /* constructor: config */
void tp_lock_order_after_fork_child(void);       /* the child starts empty */
void tp_lock_order_unlock_forced(void);          /* a crash's dump child */
/* Whether checking is on, the graph's fill and drops, and the cycles
 * found, in the order found.  Dump thread. */
void tp_lock_order_view(tp_lock_order_t *o);
/* Inversions found since start (shown or not). */
size_t tp_lock_order_inversions(void);

/* fdinfo.c: what a descriptor is, read at dump time. */
void tp_fd_describe(int fd, char *kind, size_t kind_len, char *detail,
                    size_t detail_len);

/* memory.c: what the agent's tables reserve (lock profile, heap
 * profile, trends): its own memory, for /metrics. */
size_t tp_agent_memory_bytes(void);
/* memory.c: bytes of the pages of [addr, addr + len) that this process
 * has in memory, whole pages counted (pages only read, which map the
 * shared zero page, do not count); 0 on error.  errno is preserved. */
size_t tp_resident_bytes(const void *addr, size_t len);

#endif
