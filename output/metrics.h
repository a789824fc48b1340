/*
 * metrics: a model/metrics.h model in the Prometheus text exposition
 * format, version 0.0.4 (served as "text/plain; version=0.0.4"), for a
 * /metrics scrape or a node_exporter textfile (*.prom).  Every metric has
 * its # HELP and # TYPE lines; names follow Prometheus's conventions
 * (threadprof_ prefix, base units, _total on counters) and the process
 * metrics use the names of Go's client process collector, so dashboards
 * made for those read them.  Symbolizes the lock sites (symbolizer/).
 */
#ifndef TP_OUTPUT_METRICS_H
#define TP_OUTPUT_METRICS_H

#include "model/metrics.h"
#include "output/sink.h"

/*
 * Writes m onto s and flushes it.  The families, in this order (label
 * values escaped: backslash, double quote and newline as \\ \" \n; bytes
 * that are not UTF-8 as U+FFFD):
 *
 *   threadprof_threads{state}                      gauge, every state
 *       (0 too, so no series vanishes); state: the thread dump's words
 *       ("running", "mutex wait", "cond wait", ..., "io wait")
 *   threadprof_threads_created_total               counter
 *   threadprof_threads_exited_total                counter
 *   threadprof_threads_exited_unjoined             gauge
 *   threadprof_lock_contentions_total              counter  } when
 *   threadprof_lock_wait_seconds_total             counter  } locks_on
 *   threadprof_lock_contentions_by_lock_total{lock,kind,site}  counter,
 *   threadprof_lock_wait_seconds_by_lock_total{lock,kind,site} counter,
 *       the sample's top locks (lock="0x...", kind="mutex", "rwlock" or
 *       "spinlock", site="func (file:line)" of the waiting call); left
 *       out when it has none; two locks whose labels read the same are
 *       one series, their values summed
 *   threadprof_deadlocks_found_total               counter
 *   threadprof_lock_order_inversions_total         counter
 *   threadprof_heap_inuse_bytes                    gauge    } when
 *   threadprof_heap_allocated_bytes_total          counter  } heap_on
 *   threadprof_open_fds{kind}                      gauge, every kind
 *   threadprof_dumps_written_total                 counter
 *   threadprof_agent_memory_bytes                  gauge
 *   process_cpu_seconds_total                      counter, when known
 *   process_open_fds                               gauge
 *   process_resident_memory_bytes                  gauge, when known
 *   process_start_time_seconds                     gauge, when known
 *
 * Without a trend sample (m->sample NULL) the families it gives (threads
 * by state, unjoined, locks, heap, fds, dumps, process fds and RSS) are
 * left out.  Durations are written in seconds, exactly (ns / 1e9 in
 * decimal); no timestamps.
 *
 * Returns 0 or the sink's sticky error.
 */
int tp_metrics_write(tp_sink_t *s, const tp_metrics_t *m);

#endif
