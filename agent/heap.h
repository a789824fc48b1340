/*
 * heap: the heap profile's entry points for the allocation hooks.
 */
#ifndef TP_HEAP_H
#define TP_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "agent/thread.h"

/* The allocator the malloc hooks forward to: libc's, resolved by the
 * hooks on first use; in a snapshot child the agent swaps in its private
 * arena (tp_malloc_private_arena, agent/privarena.c).  Hidden, so a hook
 * reaches it as it would a static. */
typedef struct tp_alloc {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    size_t (*usable_size)(void *);
} tp_alloc_t;
extern tp_alloc_t tp_alloc __attribute__((visibility("hidden")));

/* --- heap profile (agent/heapprof.c) ------------------------------------
 *
 * The allocation hooks' fast path is the countdown below: a compare, a
 * subtraction and a store in this thread's TLS.  Only an allocation that
 * exhausts it goes out of line, where it is sampled (Go's rule: gaps
 * exponentially distributed with mean THREADPROF_HEAP_RATE bytes) and
 * remembered in the live table until freed.  A free looks at one byte of
 * filter indexed by the pointer's 512-byte granule, nonzero only where
 * some sampled block lies; before the first sample it is one load of a
 * NULL pointer. */

/* The real allocation of n bytes at p just succeeded; out of line when
 * the countdown ran out.  site: the host's call site. */
void tp__heap_allocated(void *p, size_t n, uintptr_t site);
/* p, a block the filter says may be sampled, is about to be freed (or
 * moved by realloc: then its size is returned through old_size, else
 * untouched).  Returns 1 when it was a sampled block, now forgotten. */
int tp__heap_forget(const void *p, size_t *old_size);
/* realloc failed after tp__heap_forget: p is live again, as before. */
void tp__heap_restore(const void *p, size_t size, uintptr_t site);
extern const uint8_t *tp__heap_filter;   /* read and set with __atomic builtins */

#define TP_HEAP_FILTER_BITS 16
/* The filter byte of p: its 512-byte granule, direct-mapped (the heap
 * wraps around the filter every 32 MiB).  Not hashed, so frees of blocks
 * near each other read the same filter line: a hash scattered them over
 * 1,024 lines, and that load was most of free()'s cost in the agent. */
TP_INLINE uint32_t tp_heap_filter_slot(const void *p)
{
    return (uint32_t)((uintptr_t)p >> 9) & ((1u << TP_HEAP_FILTER_BITS) - 1);
}

TP_INLINE void tp_heap_allocated(void *p, size_t n, uintptr_t site)
{
    uint64_t left = tp_tls.heap_left;
    if (TP_LIKELY(n < left))
        tp_tls.heap_left = left - n;
    else if (p != NULL)
        tp__heap_allocated(p, n, site);
}

/* The countdown taken before the real call, so that the hook can then
 * tail-call it: 1 when n bytes do not reach the next sample (the
 * countdown went down by n), 0 when they do (nothing changed: the hook
 * calls the real function and then tp_heap_allocated). */
TP_INLINE int tp_heap_unsampled(size_t n)
{
    uint64_t left = tp_tls.heap_left;
    if (TP_LIKELY(n < left)) {
        tp_tls.heap_left = left - n;
        return 1;
    }
    return 0;
}

TP_INLINE int tp_heap_maybe_sampled(const void *p)
{
    const uint8_t *f = __atomic_load_n(&tp__heap_filter, __ATOMIC_RELAXED);
    if (TP_LIKELY(f == NULL) || p == NULL)
        return 0;
    return f[tp_heap_filter_slot(p)] != 0;
}


#endif
