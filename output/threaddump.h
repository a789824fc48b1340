/*
 * threaddump: the goroutine-style text dump of every thread.
 *
 * The agent fills a tp_snapshot_t (model/snapshot.h, agent/snapshot.c)
 * and this module turns it into text: a header, the deadlock cycles, the
 * grouped view (threads with the same state, stack and creator merged,
 * most numerous first) when any stack is shared, then one Go-style entry
 * per thread.  The words for each state come from output/describe.c.
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

#endif
