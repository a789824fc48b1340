/*
 * lockuse: the summary's sections on how locks are used, beside which
 * ones are contended (summary.c): the locks held across blocking calls.
 */
#ifndef TP_LOCKUSE_H
#define TP_LOCKUSE_H

#include "model/locks.h"
#include "output/sink.h"

/* "locks held across blocking calls (...):" and one line per row of st,
 * most total time first; "none" when there is none, "not collected" for
 * st == NULL.  Ends with a blank line, as every summary section. */
void tp_summary_held_across_write(tp_sink_t *s, const tp_lock_stats_t *st);

#endif
