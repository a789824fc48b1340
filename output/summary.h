/*
 * summary: threadprof.<pid>.<seq>.summary.txt, the short text a user reads
 * first.  It restates the dump's header, names the deadlocks and the
 * lock-order inversions (deadlocks that can happen), lists the most
 * contended locks since start, counts the threads by state and points
 * at the other files of the dump.
 *
 * The writer is a pure function of a tp_summary_t: the agent fills one
 * from the snapshot and lockprof's per-lock statistics (agent/lockprof.c,
 * agent/snapshot.c); unit tests fill one by hand and write it to a memory
 * sink.  Call sites arrive as text (tp_summary_site() makes it), so the
 * writer never symbolizes.
 */
#ifndef TP_SUMMARY_H
#define TP_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "output/sink.h"
#include "output/threaddump.h"

#define TP_SUMMARY_TOP_LOCKS 10
#define TP_SUMMARY_TOP_STATES 5

/* One lock's statistics: contended acquisitions only. */
typedef struct tp_summary_lock {
    uintptr_t addr;
    int destroyed;                   /* destroyed or initialised again since:
                                      * the same address is now a new lock */
    const char *kind;                /* "mutex" */
    uint64_t contentions;
    uint64_t total_ns;               /* wait of all contended acquisitions */
    uint64_t max_ns;
    char waiter[256];                /* most recent waiter's site, "" unknown */
    char holder[256];                /* last contended release's site, "" unknown */
} tp_summary_lock_t;

/* Lock-order inversions (agent/lockorder.c): cycles in the graph of
 * "lock b taken while lock a was held", each reported once, with every
 * edge of the cycle as first seen. */
#define TP_SUMMARY_INVERSIONS 8         /* at most this many shown */
#define TP_SUMMARY_CYCLE_EDGES 8
#define TP_SUMMARY_EDGE_FRAMES 16
typedef struct tp_summary_edge {
    const char *kind_a, *kind_b;     /* "mutex", "rwlock"... */
    uintptr_t a, b;                  /* b was taken while a was held */
    char site_a[256];                /* where a was taken, "f at file:line" */
    char site_b[256];                /* where b was taken */
    int tid;
    char name[64];                   /* thread name then (escaped), "" unknown */
    int nframes;                     /* the stack of b's acquisition */
    char frames[TP_SUMMARY_EDGE_FRAMES][200];
} tp_summary_edge_t;

typedef struct tp_summary_inversion {
    int nedges;
    tp_summary_edge_t edges[TP_SUMMARY_CYCLE_EDGES];
} tp_summary_inversion_t;

typedef struct tp_summary {
    const tp_snapshot_t *snap;       /* header, deadlocks, thread states */
    int lock_stats;                  /* 0: profiling is off, no lock statistics */
    const tp_summary_lock_t *locks;  /* any order; the writer picks the top */
    size_t nlocks;
    size_t contended_locks;          /* locks with contentions in the table
                                      * (may exceed nlocks) */
    uint32_t stacks, stack_cap;      /* table fill and capacities */
    uint32_t lock_entries, lock_cap;
    uint64_t dropped_events;         /* no room for their stack or lock */
    size_t tables_bytes;             /* reserved by those tables, 0: not mapped */
    size_t tables_resident;          /* of which in memory */
    int lock_order;                  /* 0: THREADPROF_LOCK_ORDER is off */
    const tp_summary_inversion_t *inversions;
    size_t ninversions;              /* shown */
    size_t inversions_found;         /* may exceed ninversions */
    uint32_t order_edges, order_edge_cap;
    uint64_t order_dropped;          /* edges without room in the table */
    size_t order_bytes;              /* reserved by the graph, 0: not mapped */
    size_t order_resident;           /* of which in memory */
    /* The heap section (output/leaks.h), NULL for none. */
    const struct tp_summary_heap *heap;
    /* Other files of this dump, NULL when not written. */
    const char *threads_file;
    const char *mutex_file;
    const char *block_file;
    const char *heap_file;
} tp_summary_t;

/* Writes the summary; returns the sink's sticky error (0 on success). */
int tp_summary_write(tp_sink_t *s, const tp_summary_t *sum);

/* "hot_acquire (/src/contention.c:51)": the function and place of a
 * return address pc, into buf.  Symbolizes (dump thread only). */
void tp_summary_site(uintptr_t pc, char *buf, size_t len);

/* "f at /src/file.c:51" (or "f in module+0x12"): the same place as
 * tp_summary_site in the words of the lock-order section. */
void tp_summary_site_at(uintptr_t pc, char *buf, size_t len);

/* "850ns", "12.3us", "4.56ms", "1.23s", "3m12s": a lock wait. */
void tp_summary_duration(uint64_t ns, char *buf, size_t len);

#endif
