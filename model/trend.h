/*
 * model/trend: the soak-test trends (THREADPROF_TREND) as plain data.
 * agent/trend.c takes a sample of cheap counters every interval (no
 * stacks, no symbolizing) and keeps the series; agent/trendrule.c judges
 * them; output/trends.c names the verdicts in the summary and
 * output/trendjson.c writes the samples as JSON lines (docs/trends.md).
 * Sites are code addresses and lock addresses: renderers symbolize them.
 */
#ifndef TP_MODEL_TREND_H
#define TP_MODEL_TREND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model/kinds.h"

/* What a key stands for: its JSON prefix letter. */
typedef enum tp_trend_family {
    TP_TREND_SITE = 'c',       /* threads created at pc */
    TP_TREND_GROUP = 'g',      /* threads in state at pc, created at pc2 */
    TP_TREND_HEAP = 'h',       /* memory allocated at pc */
    TP_TREND_LOCK = 'l',       /* the lock at addr, waited for at pc */
} tp_trend_family_t;

typedef struct tp_trend_key {
    char family;               /* tp_trend_family_t */
    unsigned id;               /* the n of "c<n>", counted per family */
    uintptr_t pc;              /* creation, wait or allocation site */
    uintptr_t pc2;             /* a group's creation site (0: none) */
    uintptr_t addr;            /* a lock's address */
    int state;                 /* a group's tp_state_t */
    const char *call;          /* a group's intercepted call (static) */
    tp_lock_kind_t lock_kind;
} tp_trend_key_t;

/* Descriptor kinds counted by a sample. */
typedef enum tp_fd_kind {
    TP_FDK_SOCKET, TP_FDK_PIPE, TP_FDK_FILE, TP_FDK_EVENTFD, TP_FDK_EPOLL,
    TP_FDK_TIMERFD, TP_FDK_SIGNALFD, TP_FDK_INOTIFY, TP_FDK_DEVICE,
    TP_FDK_OTHER, TP_FDK_COUNT
} tp_fd_kind_t;

#define TP_TREND_MAX_KEYS 128      /* keys per process image, all families */
#define TP_TREND_PER_FAMILY 24     /* keys in one sample, per family */

/* One keyed figure of a sample: key indexes tp_trend_view_t.keys. */
typedef struct tp_trend_count {
    uint16_t key;
    uint64_t v, v2;            /* heap: in use, allocated; lock: contentions, wait ns */
} tp_trend_count_t;

typedef struct tp_trend_sample {
    uint64_t t_ns;             /* since the agent started */
    struct timespec wall;
    uint64_t threads, exited_unjoined;
    uint64_t longest_wait_ns;  /* the longest lock, join or barrier wait now
                                * (not written out) */
    uint32_t by_state[TP_ST_COUNT];
    unsigned nsites, ngroups, nunjoined, nheap, nlocks;
    tp_trend_count_t sites[TP_TREND_PER_FAMILY];     /* live threads by creation site */
    tp_trend_count_t groups[TP_TREND_PER_FAMILY];
    tp_trend_count_t unjoined[TP_TREND_PER_FAMILY];  /* exited unjoined by creation site */
    int heap_on;
    uint64_t heap_inuse, heap_alloc;
    tp_trend_count_t heap[TP_TREND_PER_FAMILY];
    uint64_t rss, hwm;         /* bytes; 0 unknown */
    uint32_t fds[TP_FDK_COUNT];
    uint32_t fds_total;
    int locks_on;
    uint64_t contentions, wait_ns;  /* cumulative */
    tp_trend_count_t locks[8];
    unsigned dumps;
} tp_trend_sample_t;

/* A verdict: a series that keeps growing, or a fact worth a line. */
typedef enum tp_verdict_kind {
    TP_VERDICT_THREAD_LEAK,    /* key: a creation site, or -1: all threads */
    TP_VERDICT_UNJOINED,       /* exited but not joined; key: creation site or -1 */
    TP_VERDICT_MEMORY,         /* key: an allocation site, or -1: the whole heap */
    TP_VERDICT_RSS,
    TP_VERDICT_FDS,            /* fd_kind */
    TP_VERDICT_STUCK,          /* key: the group */
} tp_verdict_kind_t;

typedef struct tp_trend_verdict {
    tp_verdict_kind_t kind;
    int key;                   /* index into keys, -1: a total */
    int fd_kind;
    double first, last;        /* the series at the start and end */
    uint64_t span_ns;          /* between them */
    unsigned up, intervals;    /* intervals that grew, of those compared */
    double z;                  /* the trend test's statistic (growth only) */
    int high;                  /* confidence high, else medium */
    int group_key;             /* thread leak: the largest group of them, -1 */
    uint64_t group_count;
    uint64_t wait_ns;          /* stuck: the shortest wait among them */
} tp_trend_verdict_t;

#define TP_TREND_VERDICTS 16

typedef struct tp_trend_view {
    int enabled;               /* 0: THREADPROF_TREND=off */
    uint64_t interval_ns;
    uint64_t taken;            /* samples taken since start */
    unsigned points, capacity; /* kept per series, and the bound */
    unsigned stride;           /* one kept point per stride samples */
    size_t bytes;              /* reserved by the series */
    uint64_t cost_ns;          /* the dump thread's time in samples, all of them */
    uint64_t max_cost_ns;      /* the longest sample */
    uint64_t span_ns;          /* from the first kept sample to the last */
    unsigned min_points;       /* no verdict before this many */
    uint64_t stuck_ns;         /* stuck: waits longer than this */
    unsigned nkeys;
    const tp_trend_key_t *keys;
    unsigned nverdicts;
    tp_trend_verdict_t verdicts[TP_TREND_VERDICTS];
} tp_trend_view_t;

#endif
