/*
 * dump: renders one part of a dump (model/dump.h) into any sink, with the
 * renderer that part needs: the thread dump text, a pprof profile, the
 * summary.  The dump writer sends parts to files; a unit test or an
 * endpoint sends them to memory.
 */
#ifndef TP_OUTPUT_DUMP_H
#define TP_OUTPUT_DUMP_H

#include "model/dump.h"
#include "output/sink.h"

/* Whether the dump has what part needs (a profile that is off has not). */
int tp_dump_has(const tp_dump_t *d, tp_dump_part_t part);

/* Renders part into s and flushes it.  0, -EINVAL when the dump lacks
 * the part, or a negative errno from the renderer or the sink. */
int tp_dump_render(tp_sink_t *s, const tp_dump_t *d, tp_dump_part_t part);

/* "threads.txt", "mutex.pb.gz", ...: how the part's file name ends. */
const char *tp_dump_part_suffix(tp_dump_part_t part);

#endif
