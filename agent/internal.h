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
int tp_registry_lock_timed(uint64_t timeout_ns);  /* 0 or ETIMEDOUT */
void tp_registry_unlock(void);
tp_thread_t *tp_registry_alloc(void);            /* zeroed, not linked */
void tp_registry_free(tp_thread_t *t);           /* lock held */
void tp_registry_link(tp_thread_t *t);           /* lock held */
tp_thread_t *tp_registry_first(void);            /* lock held: live threads */
tp_thread_t *tp_registry_next(tp_thread_t *t);  /* lock held: NULL after the last */
size_t tp_registry_exited_unjoined(void);        /* lock held */
tp_thread_t *tp_registry_find_pthread(pthread_t th, int exited); /* lock held */
tp_thread_t *tp_registry_find_tid(pid_t tid);    /* lock held, live only */
tp_thread_t *tp_registry_lookup_tid(pid_t tid);  /* lock-free; NULL if unsure */
void tp_registry_register_self(tp_thread_t *t);  /* key destructor + tp_self */
void tp_registry_after_fork_child(void);
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

/* dumper.c: the dump thread and the reasons it wakes for. */
enum {
    TP_REASON_SIGNAL   = 1u << 0,
    TP_REASON_INTERVAL = 1u << 1,
    TP_REASON_EXIT     = 1u << 2,
    TP_REASON_WAKE     = 1u << 3,  /* internal: re-check state, no dump */
    TP_REASON_DEADLOCK = 1u << 4,  /* the periodic check found a deadlock */
};
void tp_dumper_init(void);
void tp_request_dump(unsigned reason);           /* async-signal-safe */
void tp_dumper_after_fork_child(void);
pid_t tp_dumper_tid(void);
unsigned tp_dump_next_seq(void);
/* The pid dumps are written for: getpid(), or the program's in a
 * snapshot child (watcher.c). */
pid_t tp_dump_pid(void);
/* In a snapshot child, as the program's thread: writes dump seq of the
 * program host (dumper.c). */
void tp_snapshot_child_dump(pid_t host, unsigned seq);

/* watcher.c: THREADPROF_DUMP_THREAD=lazy, dumps of a single-threaded
 * program without a dump thread. */
int tp_watcher_start(void);                      /* 0, or -1: not started */
int tp_watcher_running(void);
void tp_watcher_stop(void);                      /* bounded wait */
pid_t tp_watcher_tid(void);
void tp_watcher_reap_orphan(void);               /* dump thread, each tick */
void tp_watcher_after_fork_child(void);
int tp__dumper_watching(void);
void tp_dumper_leave_lazy(void);                 /* the dump thread takes over */

/* snapshot.c: registry -> output/threaddump.h data, and the files. */
struct tp_snapshot;
/* light: only the threads waiting for a lock or a join (they alone can be
 * in a deadlock), with what they wait for and the locks they hold; no
 * stacks, names or /proc reads.  Enough to look for deadlocks. */
int tp_snapshot_take(struct tp_snapshot *snap, uint64_t lock_timeout_ns, int light);
void tp_snapshot_free(struct tp_snapshot *snap);
int tp_dump_write(unsigned reasons, unsigned seq, uint64_t lock_timeout_ns);

/* lockprof.c: the mutex and block profiles. */
void tp_lockprof_init(void);                     /* constructor: config, glibc check */
void tp_lockprof_after_fork_child(void);         /* the child starts empty */
/* Writes threadprof.<pid>.<seq>.{mutex,block}.pb.gz into dirfd (dir names
 * it in messages); a failure is reported once on stderr when report is
 * set.  Returns the TP_LOCKPROF_*_FILE bits of the files written.  Dump
 * thread. */
enum { TP_LOCKPROF_MUTEX_FILE = 1, TP_LOCKPROF_BLOCK_FILE = 2 };
unsigned tp_lockprof_write(int dirfd, const char *dir, pid_t pid, unsigned seq,
                           int report);
/* Fills the lock part of a summary (output/summary.h): table fill and
 * drops, and in locks (max entries, at most 40) the most delayed locks
 * by total contention delay, sorted, with their sites symbolized.  Dump
 * thread. */
struct tp_summary;
struct tp_summary_lock;
void tp_lockprof_summary(struct tp_summary *sum, struct tp_summary_lock *locks,
                         size_t max);

/* heapprof.c: the heap profile (THREADPROF_HEAP_RATE). */
typedef struct tp_heap_values {     /* one stack's figures, scaled back */
    uint64_t alloc_objects, alloc_bytes, inuse_objects, inuse_bytes;
} tp_heap_values_t;
void tp_heapprof_init(void);                     /* constructor: config */
void tp_heapprof_fork_prepare(void);
void tp_heapprof_fork_parent(void);
void tp_heapprof_fork_child(void);               /* keeps the parent's samples */
/* Writes threadprof.<pid>.<seq>.heap.pb.gz; 1 when written, else 0 (a
 * failure reported once when report is set).  Dump thread. */
int tp_heapprof_write(int dirfd, const char *dir, pid_t pid, unsigned seq, int report);
struct tp_summary_heap;
void tp_heapprof_summary(struct tp_summary_heap *h, int at_exit);

/* lockorder.c: lock-order inversions (THREADPROF_LOCK_ORDER). */
void tp_lock_order_init(void);                   /* constructor: config */
void tp_lock_order_after_fork_child(void);       /* the child starts empty */
/* Fills the inversion part of a summary: whether checking is on, the
 * graph's fill and drops, and in out (max entries) the cycles found, in
 * the order found, their sites and stacks symbolized.  Dump thread. */
struct tp_summary_inversion;
void tp_lock_order_summary(struct tp_summary *sum,
                           struct tp_summary_inversion *out, size_t max);

/* fdinfo.c: what a descriptor is, read at dump time. */
void tp_fd_describe(int fd, char *kind, size_t kind_len, char *detail,
                    size_t detail_len);

/* memory.c: bytes of the pages of [addr, addr + len) that this process
 * has in memory, whole pages counted (pages only read, which map the
 * shared zero page, do not count); 0 on error.  errno is preserved. */
size_t tp_resident_bytes(const void *addr, size_t len);

#endif
