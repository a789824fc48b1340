/*
 * model/metrics: what a Prometheus scrape reports (GET /metrics), as
 * plain data.  The serving code fills one from the latest trend sample
 * (model/trend.h) and the agent's counters; output/metrics.c writes it in
 * the Prometheus text exposition format.  Lock sites are code addresses:
 * the renderer symbolizes them.  No field is rendered text.
 */
#ifndef TP_MODEL_METRICS_H
#define TP_MODEL_METRICS_H

#include <stdint.h>

#include "model/trend.h"

typedef struct tp_metrics {
    /* The latest trend sample: threads by state, heap, RSS, descriptors,
     * locks, dumps.  NULL: none taken yet (THREADPROF_TREND=off, or
     * before the first); the metrics it gives are then left out. */
    const tp_trend_sample_t *sample;
    /* The keys sample->locks[i].key indexes (the trend view's keys): a
     * lock's address, kind and the pc of the site that waited for it.
     * A key at or past nkeys is not written. */
    const tp_trend_key_t *keys;
    unsigned nkeys;
    uint64_t threads_created;      /* since the process started */
    uint64_t threads_exited;       /* since the process started */
    uint64_t deadlocks;            /* wait-for cycles found so far */
    uint64_t inversions;           /* lock-order inversions found so far */
    uint64_t agent_bytes;          /* the agent's own memory */
    double start_time_s;           /* process start, unix seconds; <= 0 unknown */
    uint64_t cpu_ns;               /* process CPU time, user + system; 0 unknown */
} tp_metrics_t;

#endif
