/*
 * model/dump: everything one dump shows, captured at one instant and
 * handed to the renderers: the threads (model/snapshot), the lock
 * statistics and inversions (model/locks.h), the heap view (model/heap.h)
 * and the profiles (model/profile.h).  The dump writer (agent/dumpwriter.c)
 * fills one and picks the parts to write; output/dump.h renders a part
 * into any sink.
 */
#ifndef TP_MODEL_DUMP_H
#define TP_MODEL_DUMP_H

#include "model/heap.h"
#include "model/locks.h"
#include "model/profile.h"
#include "model/trend.h"

struct tp_snapshot;

/* The parts of a dump, each a file of its own when written to disk. */
typedef enum tp_dump_part {
    TP_PART_THREADS,      /* threadprof.<pid>.<seq>.threads.txt */
    TP_PART_MUTEX,        /* .mutex.pb.gz */
    TP_PART_BLOCK,        /* .block.pb.gz */
    TP_PART_HEAP,         /* .heap.pb.gz */
    TP_PART_SUMMARY,      /* .summary.txt: names the parts written */
    TP_PART_COUNT
} tp_dump_part_t;

typedef struct tp_dump {
    const struct tp_snapshot *snap;
    const tp_lock_stats_t *locks;      /* NULL: not collected */
    const tp_lock_order_t *order;      /* NULL: not checked */
    const tp_heap_view_t *heap;        /* NULL: no heap section */
    const tp_profile_t *mutex, *block, *heap_profile;   /* NULL: off */
    const tp_trend_view_t *trends;     /* NULL: no trends section */
    /* The file name of each part written so far, NULL for the others:
     * what the summary points the reader to. */
    const char *files[TP_PART_COUNT];
    /* Retention (THREADPROF_KEEP, 0 = every dump kept): periodic dumps
     * on disk and how many were thinned out. */
    unsigned keep, periodic_kept, periodic_thinned;
} tp_dump_t;

#endif
