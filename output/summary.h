/*
 * summary: threadprof.<pid>.<seq>.summary.txt, the short text a user reads
 * first.  It restates the dump's header, names the deadlocks, lists the
 * most contended locks since start, counts the threads by state and points
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
    const char *kind;                /* "mutex" */
    uint64_t contentions;
    uint64_t total_ns;               /* wait of all contended acquisitions */
    uint64_t max_ns;
    char waiter[256];                /* most recent waiter's site, "" unknown */
    char holder[256];                /* last contended release's site, "" unknown */
} tp_summary_lock_t;

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
    /* Other files of this dump, NULL when not written. */
    const char *threads_file;
    const char *mutex_file;
    const char *block_file;
} tp_summary_t;

/* Writes the summary; returns the sink's sticky error (0 on success). */
int tp_summary_write(tp_sink_t *s, const tp_summary_t *sum);

/* "hot_acquire (/src/contention.c:51)": the function and place of a
 * return address pc, into buf.  Symbolizes (dump thread only). */
void tp_summary_site(uintptr_t pc, char *buf, size_t len);

/* "850ns", "12.3us", "4.56ms", "1.23s", "3m12s": a lock wait. */
void tp_summary_duration(uint64_t ns, char *buf, size_t len);

#endif
