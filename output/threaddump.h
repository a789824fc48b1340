/*
 * threaddump: the goroutine-style text dump of every thread.
 *
 * The agent fills a tp_snapshot_t (agent/snapshot.c) and this module turns
 * it into text: a header, the deadlock-free grouped view (threads with the
 * same state, stack and creator merged, most numerous first) when any
 * stack is shared, then one Go-style entry per thread.  Symbolization goes
 * through symbolizer/ and happens here, in the dump thread.
 */
#ifndef TP_THREADDUMP_H
#define TP_THREADDUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "model/kinds.h"
#include "output/sink.h"

#define TP_SNAP_FRAMES 64
#define TP_SNAP_CREATE_FRAMES 24
#define TP_SNAP_DETAILS 4
#define TP_SNAP_HOLDERS 8
#define TP_SNAP_HELD 16
#define TP_SNAP_CYCLES 16
#define TP_SNAP_CYCLE_LEN 16


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

typedef struct tp_snap_thread {
    pid_t tid;
    char name[64];
    int state;                       /* tp_state_t; 0 = running */
    char state_text[96];             /* "read fd 7 (pipe)", "mutex wait" */
    char group_text[64];             /* the state without instance detail */
    uint64_t wait_ns;                /* time in the state (waiting threads) */
    int ndetails;
    char details[TP_SNAP_DETAILS][224];
    int npcs;
    uintptr_t pcs[TP_SNAP_FRAMES];
    int first_pc_exact;              /* pcs[0] is not a return address */
    const char *no_stack;            /* why there is no stack, or NULL */
    int has_creator;
    pid_t parent_tid;
    int ncreate;
    uintptr_t create_pcs[TP_SNAP_CREATE_FRAMES];
    uint64_t age_ns;                 /* since the thread started (0: unknown) */
    int is_main;
    /* The wait-for graph: what the thread waits for and who has it. */
    const void *wait_obj;            /* the lock, or NULL */
    const char *wait_kind;           /* "mutex", "rwlock", "thread" */
    int nholders;
    pid_t holders[TP_SNAP_HOLDERS];  /* owner, writer, readers, join target */
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
    char reason[64];
    size_t nthreads;
    tp_snap_thread_t *threads;
    size_t exited_unjoined;
    size_t unknown_threads;          /* in /proc but never seen by a hook */
    size_t storage_bytes;            /* the filler's bookkeeping for threads */
    size_t ncycles;                  /* deadlocks: wait-for cycles */
    tp_snap_cycle_t cycles[TP_SNAP_CYCLES];
} tp_snapshot_t;

/* Finds the wait-for cycles among the snapshot's threads (each waiting
 * thread has edges to its holders) and stores them in snap->cycles, each
 * once, starting at its lowest tid.  Returns the number found. */
size_t tp_deadlock_find(tp_snapshot_t *snap);

/* Writes the whole dump; returns the sink's sticky error (0 on success). */
int tp_threaddump_write(tp_sink_t *s, const tp_snapshot_t *snap);

/* "850ms", "12s", "3m12s", "2h5m", "3d4h". */
void tp_format_duration(uint64_t ns, char *buf, size_t len);

/* Writes the frames of one stack, Go style (function line, then a tab and
 * file:line +0xoffset).  first_exact: pcs[0] is a precise pc. */
void tp_threaddump_frames(tp_sink_t *s, const uintptr_t *pcs, int n,
                          int first_exact);

#endif
