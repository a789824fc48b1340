/*
 * summary: threadprof.<pid>.<seq>.summary.txt, the short text a user reads
 * first.  It restates the dump's header, names the deadlocks and the
 * lock-order inversions (deadlocks that can happen), lists the most
 * contended locks since start, counts the threads by state and points
 * at the other files of the dump.
 *
 * The writer is a function of a tp_summary_t, which points at the dump's
 * model: the snapshot, the lock statistics and lock-order inversions
 * (model/locks.h), the heap view (model/heap.h).  Call sites and stacks
 * arrive as code addresses and are symbolized here (output/stack.h); unit
 * tests fill a summary by hand and write it to a memory sink.
 */
#ifndef TP_SUMMARY_H
#define TP_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "model/heap.h"
#include "model/locks.h"
#include "model/trend.h"
#include "output/sink.h"
#include "output/threaddump.h"

#define TP_SUMMARY_TOP_LOCKS 10
#define TP_SUMMARY_TOP_STATES 5

typedef struct tp_summary {
    const tp_snapshot_t *snap;       /* header, deadlocks, thread states */
    const tp_lock_stats_t *locks;    /* contended locks (any order: the
                                      * writer picks the top) */
    const tp_lock_order_t *order;    /* lock-order inversions */
    const tp_heap_view_t *heap;      /* the heap section, NULL for none */
    const tp_trend_view_t *trends;   /* the trends section, NULL for none */
    /* Other files of this dump, NULL when not written. */
    const char *threads_file;
    const char *mutex_file;
    const char *block_file;
    const char *heap_file;
    /* Retention: THREADPROF_KEEP, periodic dumps on disk, thinned out. */
    unsigned keep, periodic_kept, periodic_thinned;
} tp_summary_t;

/* Writes the summary; returns the sink's sticky error (0 on success). */
int tp_summary_write(tp_sink_t *s, const tp_summary_t *sum);

#endif
