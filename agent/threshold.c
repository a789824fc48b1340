/*
 * threshold: THREADPROF_TRIGGER, dumps when a value crosses a limit.
 *
 * The dump thread checks once a second, reading only what the configured
 * thresholds need (agent/trend.c's collectors: descriptors are counted,
 * not described).  A crossing writes one dump (reason "threshold threads
 * 512 > 500"); the threshold is then disarmed until its value falls back
 * below 90% of the limit, so a value hovering at the limit is not a dump
 * a second.  Threshold dumps are at least THRESHOLD_GAP_NS apart: a
 * crossing that comes sooner waits for its turn (if the value is still
 * above the limit then).
 */
#include <string.h>

#include "agent/internal.h"

#define THRESHOLD_GAP_NS (3 * 1000000000ull)
#define REARM_PERCENT 90

static int disarmed[TP_MAX_THRESHOLDS];
static uint64_t last_dump_ns;
static int crossed = -1;                 /* the threshold of the pending dump */
static uint64_t crossed_value;
static uint64_t prev_contentions, prev_ns; /* for the contention rate */
static int have_prev;

static unsigned needs(void)
{
    unsigned what = 0;
    for (int i = 0; i < tp_config.nthresholds; i++) {
        switch (tp_config.thresholds[i].kind) {
        case TP_THRESHOLD_THREADS:
        case TP_THRESHOLD_WAIT:
            what |= TP_COLLECT_THREADS;
            break;
        case TP_THRESHOLD_HEAP:
            what |= TP_COLLECT_HEAP;
            break;
        case TP_THRESHOLD_RSS:
            what |= TP_COLLECT_MEMORY;
            break;
        case TP_THRESHOLD_FDS:
            what |= TP_COLLECT_FD_COUNT;
            break;
        case TP_THRESHOLD_CONTENTION:
            what |= TP_COLLECT_LOCK_TOTALS;
            break;
        case TP_THRESHOLD_COUNT:
            break;
        }
    }
    return what;
}

/* The value threshold kind watches; 0 when unknown. */
static int value_of(tp_threshold_kind_t kind, const tp_trend_sample_t *s, uint64_t now,
                    uint64_t *v)
{
    switch (kind) {
    case TP_THRESHOLD_THREADS:
        *v = s->threads;
        return 1;
    case TP_THRESHOLD_HEAP:
        *v = s->heap_inuse;
        return s->heap_on;
    case TP_THRESHOLD_RSS:
        *v = s->rss;
        return s->rss != 0;
    case TP_THRESHOLD_FDS:
        *v = s->fds_total;
        return 1;
    case TP_THRESHOLD_WAIT:
        *v = s->longest_wait_ns;
        return 1;
    case TP_THRESHOLD_CONTENTION:
        if (!s->locks_on || !have_prev || now <= prev_ns)
            return 0;
        *v = (uint64_t)((double)(s->contentions - prev_contentions) * 1e9 /
                        (double)(now - prev_ns));
        return 1;
    case TP_THRESHOLD_COUNT:
        break;
    }
    return 0;
}

int tp_threshold_check(uint64_t now)
{
    static tp_trend_sample_t s;
    if (tp_config.nthresholds == 0)
        return 0;
    tp_trend_collect(&s, needs());
    int want = -1;
    uint64_t want_value = 0;
    for (int i = 0; i < tp_config.nthresholds; i++) {
        const tp_threshold_t *t = &tp_config.thresholds[i];
        uint64_t v;
        if (!value_of(t->kind, &s, now, &v))
            continue;
        if (disarmed[i]) {
            if (v < t->limit / 100 * REARM_PERCENT + t->limit % 100 * REARM_PERCENT / 100)
                disarmed[i] = 0;
        } else if (v > t->limit && want < 0) {
            want = i;
            want_value = v;
        }
    }
    if (s.locks_on) {
        prev_contentions = s.contentions;
        prev_ns = now;
        have_prev = 1;
    }
    if (want < 0 || (last_dump_ns != 0 && now - last_dump_ns < THRESHOLD_GAP_NS))
        return 0;
    disarmed[want] = 1;
    last_dump_ns = now;
    crossed = want;
    crossed_value = want_value;
    return 1;
}

void tp_threshold_crossing(tp_snapshot_t *snap)
{
    if (crossed < 0)
        return;
    snap->threshold_kind = (int)tp_config.thresholds[crossed].kind;
    snap->threshold_limit = tp_config.thresholds[crossed].limit;
    snap->threshold_value = crossed_value;
}

void tp_threshold_after_fork_child(void)
{
    memset(disarmed, 0, sizeof disarmed);
    last_dump_ns = 0;
    crossed = -1;
    have_prev = 0;
}
