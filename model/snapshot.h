/*
 * model/snapshot: one thread dump as plain data.  The agent's capture
 * (agent/snapshot.c) fills a tp_snapshot_t from its registry, the wait
 * records and /proc; the renderers (output/threaddump.c, output/summary.c,
 * with output/describe.c for the words) turn it into text.  What is here
 * is what was seen: the intercepted call, its arguments, what the dump
 * thread read about them (holders, names, what a descriptor is).  Names
 * and descriptor descriptions are data read from /proc; no field is
 * rendered text.
 */
#ifndef TP_MODEL_SNAPSHOT_H
#define TP_MODEL_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "model/kinds.h"

#define TP_SNAP_FRAMES 64
#define TP_SNAP_CREATE_FRAMES 24
#define TP_SNAP_HOLDERS 8
#define TP_SNAP_HELD 16
#define TP_SNAP_CYCLES 16
#define TP_SNAP_CYCLE_LEN 16
#define TP_SNAP_FDS 6            /* fds of a poll set or an epoll fd kept */

/* Why a dump was taken: bits of tp_snapshot_t.reasons.  WAKE is the dump
 * thread's own (re-check its state) and never reaches a snapshot. */
enum {
    TP_REASON_SIGNAL   = 1u << 0,
    TP_REASON_INTERVAL = 1u << 1,
    TP_REASON_EXIT     = 1u << 2,
    TP_REASON_WAKE     = 1u << 3,
    TP_REASON_DEADLOCK = 1u << 4,  /* the periodic check found a deadlock */
    TP_REASON_THRESHOLD = 1u << 5, /* a THREADPROF_TRIGGER threshold was crossed */
    TP_REASON_REQUEST = 1u << 6,   /* asked for over the endpoint (THREADPROF_HTTP) */
    TP_REASON_CRASH   = 1u << 7,   /* a fatal signal (tp_snapshot_t.crash) */
};

/* The x86-64 general registers of a fault, in the order of the kernel's
 * signal context (glibc's REG_R8 .. REG_CR2). */
enum {
    TP_CRASH_R8, TP_CRASH_R9, TP_CRASH_R10, TP_CRASH_R11, TP_CRASH_R12,
    TP_CRASH_R13, TP_CRASH_R14, TP_CRASH_R15, TP_CRASH_RDI, TP_CRASH_RSI,
    TP_CRASH_RBP, TP_CRASH_RBX, TP_CRASH_RDX, TP_CRASH_RAX, TP_CRASH_RCX,
    TP_CRASH_RSP, TP_CRASH_RIP, TP_CRASH_EFLAGS, TP_CRASH_CSGSFS,
    TP_CRASH_ERR, TP_CRASH_TRAPNO, TP_CRASH_OLDMASK, TP_CRASH_CR2,
    TP_CRASH_NREGS
};

/* The registers of a crash as the JVM's hs_err file lists them, four to
 * a line (the thread dump and the crash handler's short dump): X(name,
 * index). */
#define TP_CRASH_HS_ERR_REGS(X)                                               \
    X("RAX", TP_CRASH_RAX) X("RBX", TP_CRASH_RBX) X("RCX", TP_CRASH_RCX)      \
    X("RDX", TP_CRASH_RDX) X("RSP", TP_CRASH_RSP) X("RBP", TP_CRASH_RBP)      \
    X("RSI", TP_CRASH_RSI) X("RDI", TP_CRASH_RDI) X("R8 ", TP_CRASH_R8)       \
    X("R9 ", TP_CRASH_R9) X("R10", TP_CRASH_R10) X("R11", TP_CRASH_R11)       \
    X("R12", TP_CRASH_R12) X("R13", TP_CRASH_R13) X("R14", TP_CRASH_R14)      \
    X("R15", TP_CRASH_R15) X("RIP", TP_CRASH_RIP) X("EFLAGS", TP_CRASH_EFLAGS) \
    X("CSGSFS", TP_CRASH_CSGSFS) X("ERR", TP_CRASH_ERR)

/* TP_REASON_CRASH: the fatal signal, whom it struck and the registers
 * at that instant. */
typedef struct tp_snap_crash {
    int signo;
    int code;                        /* si_code */
    uintptr_t addr;                  /* si_addr: the faulting address */
    pid_t sender;                    /* si_pid of a signal sent (code <= 0) */
    int raised;                      /* sent by the process itself (abort,
                                      * raise, kill of its own pid) */
    pid_t tid;                       /* the thread it struck */
    char name[64];                   /* its name (escaped) */
    int have_regs;
    uint64_t regs[TP_CRASH_NREGS];
} tp_snap_crash_t;

/* Why a thread has no stack (or only its first frame). */
typedef enum tp_no_stack {
    TP_NO_STACK_NONE = 0,        /* nothing to say */
    TP_NO_STACK_UNWIND,          /* parked, but libunwind walked nothing */
    TP_NO_STACK_SYSCALL_SITE,    /* outside any hook: only the system call's pc */
    TP_NO_STACK_RUNNING,         /* outside any hook and any system call */
} tp_no_stack_t;

/* The kind of object a thread waits for in the wait-for graph. */
typedef enum tp_wait_kind {
    TP_WAIT_NONE = 0,            /* no owner to wait for */
    TP_WAIT_MUTEX,
    TP_WAIT_RWLOCK,
    TP_WAIT_SPIN,
    TP_WAIT_THREAD,              /* a join: waits for the thread to exit */
} tp_wait_kind_t;

/* A lock the thread holds. */
typedef struct tp_snap_held {
    const void *lock;
    uintptr_t site;                  /* return address of the lock call */
    tp_lock_kind_t kind;
    uint32_t held_s;                 /* seconds held (tick resolution) */
} tp_snap_held_t;

/* A wait-for cycle: members index snapshot threads, each waiting for a
 * lock (or the exit) of the next, the last for the first's. */
typedef struct tp_snap_cycle {
    int n;
    size_t members[TP_SNAP_CYCLE_LEN];
} tp_snap_cycle_t;

/* A descriptor as the dump found it (it may have been closed or reused
 * since the thread blocked on it). */
typedef struct tp_snap_fd {
    int fd;
    char kind[64];                   /* "pipe", "tcp socket", "not open" */
} tp_snap_fd_t;

/* What a waiting thread (state != TP_ST_RUNNING) waits on: the wait
 * record's arguments, and what the dump thread read about them. */
typedef struct tp_snap_wait {
    const char *call;                /* the intercepted function, a static
                                      * string ("pthread_cond_timedwait");
                                      * NULL unknown */
    const void *obj, *obj2;          /* the lock, cond, sem, barrier, the
                                      * pthread_t joined, the pollfd array;
                                      * obj2: a cond's mutex */
    long arg;                        /* the fd, child pid, sleep in ms,
                                      * the poll set's size */
    int value;                       /* a semaphore's value, an rwlock's
                                      * reader count */
    pid_t holder;                    /* mutex owner, rwlock writer; 0 unknown */
    char holder_name[64];            /* its name (escaped), read when known */
    pid_t join_tid;                  /* the thread joined; 0 unknown */
    int join_exited;                 /* it has exited (not yet joined) */
    char join_name[64];              /* its name, read while it lives */
    /* TP_ST_FDIO, TP_ST_FILELOCK: the descriptor (arg) and a line on it
     * ("fd 7: pipe:[1234]", "fd 5: tcp socket 1.2.3.4:80 -> ..."). */
    tp_snap_fd_t fd;
    char fd_detail[224];
    /* TP_ST_POLL: the set's size, and its first fds when obj (the pollfd
     * array) is known.  TP_ST_EPOLL: how many fds the epoll fd (arg)
     * watches, and the first of them. */
    int nfds;
    tp_snap_fd_t fds[TP_SNAP_FDS];
} tp_snap_wait_t;

typedef struct tp_snap_thread {
    pid_t tid;
    char name[64];                   /* escaped for quoting */
    int state;                       /* tp_state_t; 0 = running */
    uint64_t wait_ns;                /* time in the state (waiting threads) */
    tp_snap_wait_t wait;             /* waiting threads */
    /* Running threads (in no hook): the system call the kernel says it
     * is in (-1: none, or not known), and whether it is the thread
     * writing this dump from exit(). */
    long syscall_nr;
    int writes_exit_dump;
    int npcs;
    uintptr_t pcs[TP_SNAP_FRAMES];
    int first_pc_exact;              /* pcs[0] is not a return address */
    tp_no_stack_t no_stack;
    int has_creator;
    pid_t parent_tid;
    int ncreate;
    uintptr_t create_pcs[TP_SNAP_CREATE_FRAMES];
    uint64_t age_ns;                 /* since the thread started (0: unknown) */
    int is_main;
    int crash_signo;                 /* the fatal signal that struck this
                                      * thread (TP_REASON_CRASH), else 0 */
    /* The wait-for graph: what the thread waits for and who has it. */
    const void *wait_obj;            /* the lock, or NULL */
    tp_wait_kind_t wait_kind;
    int nholders;
    pid_t holders[TP_SNAP_HOLDERS];  /* owner, writer, readers, join target */
    int holders_from_held;           /* holders are the threads with the lock
                                      * on their held list (an rwlock's
                                      * readers, a spinlock's holder): glibc
                                      * records no owner for those */
    int nheld;                       /* may exceed TP_SNAP_HELD (then cut) */
    tp_snap_held_t held[TP_SNAP_HELD];
} tp_snap_thread_t;

typedef struct tp_snapshot {
    char program[256];
    char cmdline[512];
    pid_t pid;
    unsigned seq;
    struct timespec wall;
    uint64_t uptime_ns;
    unsigned reasons;                /* TP_REASON_* */
    int signo;                       /* the trigger signal (TP_REASON_SIGNAL) */
    uint64_t interval_ns;            /* the interval (TP_REASON_INTERVAL) */
    /* TP_REASON_THRESHOLD: which (tp_threshold_kind_t), the value seen
     * and the limit it exceeded. */
    int threshold_kind;
    uint64_t threshold_value, threshold_limit;
    size_t nthreads;
    tp_snap_thread_t *threads;       /* the crashed thread first, then the
                                      * main thread, then by tid */
    size_t exited_unjoined;
    size_t unknown_threads;          /* in /proc but never seen by a hook */
    size_t storage_bytes;            /* the filler's bookkeeping for threads */
    size_t ncycles;                  /* deadlocks: wait-for cycles */
    tp_snap_cycle_t cycles[TP_SNAP_CYCLES];
    tp_snap_crash_t crash;           /* TP_REASON_CRASH */
} tp_snapshot_t;

#endif
