/*
 * leaks: the heap part of the summary — memory in use now, allocated
 * since start, what the profile covers, and the allocation sites holding
 * the most (at exit: what is still in use).  A function of the heap view (model/heap.h), filled by
 * agent/heapprof.c; sites are symbolized here (output/stack.h).
 */
#ifndef TP_LEAKS_H
#define TP_LEAKS_H

#include <stddef.h>
#include <stdint.h>

#include "model/heap.h"
#include "model/trend.h"
#include "output/sink.h"

/* Writes the heap section (nothing when h is NULL); a site whose memory
 * kept growing by the trends (NULL: none known) is a leak suspect. */
void tp_summary_heap_write(tp_sink_t *s, const tp_heap_view_t *h,
                           const tp_trend_view_t *trends);

#endif
