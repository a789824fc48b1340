/*
 * leaks: the heap part of the summary — memory in use now, allocated
 * since start, and the allocation sites holding the most (at exit: the
 * leak suspects).  A pure function of a tp_summary_heap_t, filled by
 * agent/heapprof.c (sites arrive symbolized, as text).
 */
#ifndef TP_LEAKS_H
#define TP_LEAKS_H

#include <stddef.h>
#include <stdint.h>

#include "output/sink.h"

#define TP_SUMMARY_HEAP_SITES 10
#define TP_SUMMARY_HEAP_FRAMES 8

typedef struct tp_summary_heap_site {
    uint64_t inuse_bytes, inuse_objects;   /* scaled back from samples */
    uint64_t alloc_bytes, alloc_objects;   /* since start */
    int nframes;
    char frames[TP_SUMMARY_HEAP_FRAMES][200];   /* "f (file:line)" */
} tp_summary_heap_site_t;

typedef struct tp_summary_heap {
    uint64_t rate;                  /* THREADPROF_HEAP_RATE; 0 off */
    int at_exit;                    /* the dump at exit: leak suspects */
    uint64_t inuse_bytes, inuse_objects, alloc_bytes, alloc_objects;
    uint64_t live_samples, dropped;
    uint32_t stacks, stack_cap;
    size_t table_bytes;             /* reserved by the profiler's tables */
    int nsites;                     /* most in-use bytes first */
    tp_summary_heap_site_t sites[TP_SUMMARY_HEAP_SITES];
} tp_summary_heap_t;

/* Writes the heap section (nothing when h is NULL). */
void tp_summary_heap_write(tp_sink_t *s, const tp_summary_heap_t *h);

/* "512 B", "1.5 KiB", "12.3 MiB", "2.0 GiB" into buf. */
void tp_summary_bytes(uint64_t bytes, char *buf, size_t len);

#endif
