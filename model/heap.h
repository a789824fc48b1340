/*
 * model/heap: the heap profiler's view for the summary (agent/heapprof.c):
 * totals, table fill and the allocation sites holding the most memory.
 * Figures are scaled back from samples; stacks are return addresses.
 */
#ifndef TP_MODEL_HEAP_H
#define TP_MODEL_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define TP_HEAP_SITES 10
#define TP_HEAP_SITE_FRAMES 8

typedef struct tp_heap_site {
    uint64_t inuse_bytes, inuse_objects;
    uint64_t alloc_bytes, alloc_objects;   /* since start */
    uint32_t npcs;
    uintptr_t pcs[TP_HEAP_SITE_FRAMES];
} tp_heap_site_t;

/* What the heap profile cannot see: the profile counts the allocations
 * that reach the C library's malloc family; a program that defines malloc
 * itself, or hands out memory from another allocator, is only partly
 * covered. */
typedef enum tp_heap_foreign {
    TP_HEAP_FOREIGN_NONE = 0,
    TP_HEAP_FOREIGN_MALLOC,         /* malloc defined by `where`, ahead of libc */
    TP_HEAP_FOREIGN_ALLOCATOR,      /* `what` (in `where`): another allocator */
} tp_heap_foreign_t;

typedef struct tp_heap_view {
    uint64_t rate;                  /* THREADPROF_HEAP_RATE; 0 off */
    tp_heap_foreign_t foreign;
    char foreign_what[32];          /* the allocator's entry point found */
    char foreign_where[160];        /* the object defining it */
    int at_exit;                    /* the dump at exit: leak suspects */
    uint64_t inuse_bytes, inuse_objects, alloc_bytes, alloc_objects;
    uint64_t live_samples, dropped;
    uint32_t stacks, stack_cap;
    size_t table_bytes;             /* reserved by the profiler's tables */
    int nsites;                     /* most in-use bytes first */
    tp_heap_site_t sites[TP_HEAP_SITES];
} tp_heap_view_t;

#endif
