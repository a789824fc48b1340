/*
 * trendjson: the records of the trend file threadprof.<pid>.trend.jsonl,
 * one JSON object per line (docs/trends.md is the format).
 */
#ifndef TP_OUTPUT_TRENDJSON_H
#define TP_OUTPUT_TRENDJSON_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "model/dump.h"
#include "model/snapshot.h"
#include "model/trend.h"
#include "output/sink.h"

/* The first record of a process image: ident gives program and cmdline. */
void tp_trend_json_start(tp_sink_t *s, const tp_snapshot_t *ident, pid_t pid,
                         const struct timespec *wall, uint64_t t_ns, uint64_t interval_ns);
void tp_trend_json_sample(tp_sink_t *s, const tp_trend_sample_t *x, const tp_trend_key_t *keys);
/* Names of keys[from..to) (symbolizes); nothing when the range is empty. */
void tp_trend_json_names(tp_sink_t *s, const tp_trend_key_t *keys, unsigned from, unsigned to);
/* The dump d was written (its snapshot's time, reasons and files). */
void tp_trend_json_dump(tp_sink_t *s, const tp_dump_t *d);
void tp_trend_json_verdicts(tp_sink_t *s, const tp_trend_view_t *v, uint64_t t_ns);

#endif
