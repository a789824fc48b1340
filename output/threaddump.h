/*
 * threaddump: the goroutine-style text dump of every thread.
 *
 * The agent fills a tp_snapshot_t (model/snapshot.h, agent/snapshot.c)
 * and this module turns it into text: a header, the deadlock cycles, the
 * grouped view (threads with the same state, stack and creator merged,
 * most numerous first) when any stack is shared, then one Go-style entry
 * per thread; or the grouped view alone.  The words for each state come
 * from output/describe.c.
 * Symbolization goes through symbolizer/ and happens here, in the dump
 * thread.
 */
#ifndef TP_THREADDUMP_H
#define TP_THREADDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "model/snapshot.h"
#include "output/sink.h"

/* Writes the whole dump; returns the sink's sticky error (0 on success). */
int tp_threaddump_write(tp_sink_t *s, const tp_snapshot_t *snap);

/*
 * Writes the grouped view alone (Go's goroutine?debug=1, where
 * tp_threaddump_write is debug=2): the same header and deadlock cycles
 * (the header announces them), then every group of threads with the same
 * state, stack and creation site, most numerous first, each with its
 * count, its threads' names (the first four), its stack and where it was
 * created; grouped even when no two threads share a stack; no per-thread
 * entries.  Ends with "end of dump" as the full dump does, and flushes.
 * Returns 0, -ENOMEM (nothing written) or the sink's sticky error.
 */
int tp_threaddump_write_grouped(tp_sink_t *s, const tp_snapshot_t *snap);

#endif
