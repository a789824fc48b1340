/*
 * model/locks: what the lock bookkeeping knows, as plain data for the
 * dump's renderers: the most contended locks with their statistics
 * (agent/lockprof.c) and the lock-order inversions (agent/lockorder.c).
 * Call sites and stacks are code addresses (return addresses); the
 * renderer symbolizes them.
 */
#ifndef TP_MODEL_LOCKS_H
#define TP_MODEL_LOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "model/kinds.h"

/* The most delayed locks kept: more than a summary shows (its top ten),
 * so a renderer may rank them its own way. */
#define TP_LOCK_STATS_MAX 40
/* The locks held longest (estimated total hold) kept. */
#define TP_HOLD_STATS_MAX 20

/* One lock's statistics: contended acquisitions only, since start. */
typedef struct tp_lock_stat {
    uintptr_t addr;
    int destroyed;                   /* destroyed or initialised again since:
                                      * the same address is now a new lock */
    tp_lock_kind_t kind;
    uint64_t contentions;
    uint64_t total_ns;               /* wait of all contended acquisitions */
    uint64_t max_ns;
    uintptr_t waiter_site;           /* the most recent waiter's call, 0 unknown */
    uintptr_t holder_site;           /* the release it was blamed on, 0 unknown */
    /* Hold times (agent/holdprof.c), contended or not: every hold with a
     * blocking call in it, and one other acquisition in hold_fraction
     * (tp_lock_stats_t) timed and scaled back. */
    uint64_t hold_samples;           /* sampled holds without a blocking call */
    uint64_t hold_blocked;           /* holds with one (every one) */
    uint64_t acquisitions;           /* estimated: blocked + samples x fraction */
    uint64_t hold_ns;                /* estimated total time held */
    uint64_t hold_max_ns;            /* the longest hold seen (sampled, or
                                      * timed from a blocking call within
                                      * it: at least that); 0 none */
    uintptr_t hold_max_site;         /* where that hold was taken */
} tp_lock_stat_t;

/* A lock held across a blocking call (agent/heldacross.c): every such
 * call since start, per (lock, where it was taken, where the thread
 * blocked).  call is the intercepted function's name ("usleep"). */
#define TP_HELD_ACROSS_MAX 16        /* the rows with the most time kept */
typedef struct tp_held_across {
    uintptr_t lock;
    tp_lock_kind_t kind;             /* TP_LOCK_MUTEX or TP_LOCK_WRITE */
    uintptr_t taken_site, block_site;
    const char *call;
    uint64_t count, total_ns, max_ns;
} tp_held_across_t;

typedef struct tp_lock_stats {
    int enabled;                     /* 0: lock profiling is off */
    size_t nlocks;                   /* most total wait first */
    tp_lock_stat_t locks[TP_LOCK_STATS_MAX];
    size_t contended_locks;          /* in the table (may exceed nlocks) */
    uint64_t total_contentions;      /* over every lock in the table */
    uint64_t total_ns;
    uint32_t stacks, stack_cap;      /* table fill and capacities */
    uint32_t lock_entries, lock_cap;
    uint64_t dropped_events;         /* no room for their stack or lock */
    size_t tables_bytes;             /* reserved, 0: not mapped */
    size_t tables_resident;          /* of which in memory */
    /* Hold times (agent/holdprof.c): the locks held longest, contended
     * or not (only the hold fields and addr, destroyed, kind are set). */
    uint32_t hold_fraction;          /* THREADPROF_HOLD_FRACTION, 0: off */
    size_t nholds;                   /* most total hold first */
    tp_lock_stat_t holds[TP_HOLD_STATS_MAX];
    uint32_t hold_entries, hold_cap; /* the hold table's fill */
    uint64_t hold_dropped;           /* holds without room for their lock */
    size_t nacross;                  /* most total time first */
    tp_held_across_t across[TP_HELD_ACROSS_MAX];
    size_t across_rows;              /* in the table (may exceed nacross) */
    uint64_t across_dropped;         /* calls without room for their row */
} tp_lock_stats_t;

/* Lock-order inversions: cycles in the graph of "lock b taken while lock
 * a was held", each with every edge of the cycle as first seen. */
#define TP_ORDER_INVERSIONS 8        /* at most this many kept */
#define TP_ORDER_CYCLE_EDGES 8
#define TP_ORDER_EDGE_FRAMES 16

typedef struct tp_order_edge {
    tp_lock_kind_t kind_a, kind_b;
    uintptr_t a, b;                  /* b was taken while a was held */
    uintptr_t site_a, site_b;        /* where each was taken */
    int tid;
    char name[64];                   /* the thread's name then (escaped) */
    uint32_t npcs;                   /* the stack of b's acquisition */
    uintptr_t pcs[TP_ORDER_EDGE_FRAMES];
} tp_order_edge_t;

typedef struct tp_order_inversion {
    int nedges;
    tp_order_edge_t edges[TP_ORDER_CYCLE_EDGES];
} tp_order_inversion_t;

typedef struct tp_lock_order {
    int enabled;                     /* 0: THREADPROF_LOCK_ORDER is off */
    size_t ninversions;              /* kept */
    size_t found;                    /* may exceed ninversions */
    tp_order_inversion_t inversions[TP_ORDER_INVERSIONS];
    uint32_t edges, edge_cap;
    uint64_t dropped;                /* edges without room in the table */
    size_t bytes;                    /* reserved by the graph, 0: not mapped */
    size_t resident;                 /* of which in memory */
} tp_lock_order_t;

#endif
