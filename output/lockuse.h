/*
 * lockuse: the summary's sections on how locks are used, beside which
 * ones are contended (summary.c): how long locks are held, and the locks
 * held across blocking calls.
 */
#ifndef TP_LOCKUSE_H
#define TP_LOCKUSE_H

#include <stddef.h>
#include <stdint.h>

#include "model/locks.h"
#include "output/sink.h"

/* "locks held across blocking calls (...):" and one line per row of st,
 * most total time first; "none" when there is none, "not collected" for
 * st == NULL.  Ends with a blank line, as every summary section. */
void tp_summary_held_across_write(tp_sink_t *s, const tp_lock_stats_t *st);

/* "held ~86% of the time: ~7700 acquisitions, avg 7.10ms, max 20.12ms
 * (timed: 140 with a blocking call, 30 sampled)":
 * a lock's hold figures into buf ("" when there are none).  uptime_ns:
 * what the share is of. */
void tp_describe_hold(const tp_lock_stat_t *l, uint64_t uptime_ns, char *buf, size_t len);

/* "locks held longest (...):" and the locks of st->holds, one line each
 * with where the longest hold was taken; ends with a blank line. */
void tp_summary_held_longest_write(tp_sink_t *s, const tp_lock_stats_t *st,
                                   uint64_t uptime_ns);

#endif
