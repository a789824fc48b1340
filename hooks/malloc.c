/*
 * hooks/malloc: the allocator entry points, for the heap profile.
 *
 * Each hook runs the sampling countdown first (agent.h: a compare, a
 * subtraction, a store) and, when the bytes are not the sampled ones,
 * tail-calls the real function: the real allocator returns straight to
 * the program, the hook adds no frame.  The sampled call goes out of
 * line.  A free asks the filter whether the block may be sampled before
 * it goes.  Results
 * and errno are the real allocator's, edge cases included (malloc(0),
 * free(NULL), realloc(p, 0), calloc overflow, bad alignments).
 *
 * Bootstrap: dlsym() may itself call calloc/malloc before the real
 * allocator is known.  Those few early requests are served from a static
 * arena, on purpose, and such blocks are never handed to the real free()
 * or realloc().
 *
 * A sampled block is forgotten before the real free or realloc, never
 * after: once the real call returns, another thread may be handed the
 * same address and sample it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define BOOT_ARENA_SIZE (64 * 1024)

/* The hooks forward to tp_alloc (agent/heap.h): libc's allocator once
 * resolve() has found it; a snapshot child's private arena there
 * (agent/privarena.c). */

static _Alignas(16) char boot_arena[BOOT_ARENA_SIZE];
static size_t boot_used;
static __thread int resolving __attribute__((tls_model("initial-exec")));

TP_REAL_DECL(reallocarray);
TP_REAL_DECL(posix_memalign);
TP_REAL_DECL(aligned_alloc);
TP_REAL_DECL(memalign);
TP_REAL_DECL(valloc);
TP_REAL_DECL(pvalloc);
TP_REAL_DECL(malloc_usable_size);

static int from_boot(const void *p)
{
    return (const char *)p >= boot_arena && (const char *)p < boot_arena + BOOT_ARENA_SIZE;
}

static void *boot_alloc(size_t n)
{
    size_t need = (n + 15) & ~(size_t)15;
    size_t at = __atomic_fetch_add(&boot_used, need, __ATOMIC_RELAXED);
    if (need < n || at + need > BOOT_ARENA_SIZE)
        return NULL;
    return boot_arena + at;   /* static storage: already zeroed */
}

static TP_COLD int resolve(void)
{
    if (resolving)
        return 0;
    resolving = 1;
    void *m = dlsym(RTLD_NEXT, "malloc");
    void *c = dlsym(RTLD_NEXT, "calloc");
    void *r = dlsym(RTLD_NEXT, "realloc");
    void *f = dlsym(RTLD_NEXT, "free");
    tp_alloc.usable_size = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    __atomic_store_n(&tp_alloc.calloc, (void *(*)(size_t, size_t))c, __ATOMIC_RELAXED);
    __atomic_store_n(&tp_alloc.realloc, (void *(*)(void *, size_t))r, __ATOMIC_RELAXED);
    __atomic_store_n(&tp_alloc.free, (void (*)(void *))f, __ATOMIC_RELAXED);
    __atomic_store_n(&tp_alloc.malloc, (void *(*)(size_t))m, __ATOMIC_RELAXED);
    resolving = 0;
    return tp_alloc.malloc != NULL && tp_alloc.calloc != NULL && tp_alloc.realloc != NULL &&
           tp_alloc.free != NULL;
}

#define READY(fn) \
    (TP_LIKELY(__atomic_load_n(&tp_alloc.fn, __ATOMIC_RELAXED) != NULL) || resolve())

static TP_COLD void *malloc_sampled(size_t n, uintptr_t site)
{
    void *p = tp_alloc.malloc(n);
    tp_heap_allocated(p, n, site);
    return p;
}

TP_HOOK void *malloc(size_t n)
{
    if (!READY(malloc))
        return boot_alloc(n);
    if (TP_LIKELY(tp_heap_unsampled(n)))
        return tp_alloc.malloc(n);
    return malloc_sampled(n, TP_SITE());
}

static TP_COLD void *calloc_sampled(size_t n, size_t size, size_t total, uintptr_t site)
{
    void *p = tp_alloc.calloc(n, size);
    tp_heap_allocated(p, total, site);
    return p;
}

TP_HOOK void *calloc(size_t n, size_t size)
{
    size_t total;
    if (!READY(calloc)) {
        if (__builtin_mul_overflow(n, size, &total))
            return NULL;
        return boot_alloc(total);
    }
    if (__builtin_mul_overflow(n, size, &total) || TP_LIKELY(tp_heap_unsampled(total)))
        return tp_alloc.calloc(n, size);   /* an overflow: its ENOMEM */
    return calloc_sampled(n, size, total, TP_SITE());
}

/* The block's old self is forgotten first (see above); when the real
 * realloc fails with the old block still live, it is sampled again. */
static void *realloc_tracked(void *p, size_t n, uintptr_t site)
{
    size_t old = 0;
    int was_sampled = tp_heap_maybe_sampled(p) && tp__heap_forget(p, &old);
    void *q = tp_alloc.realloc(p, n);
    if (q != NULL)
        tp_heap_allocated(q, n, site);
    else if (was_sampled && n != 0)
        tp__heap_restore(p, old, site);   /* failed: p is untouched */
    return q;
}

/* A bootstrap block moves to the real heap; its old size is not
 * recorded, so copy what can be in the arena after it. */
static TP_COLD void *realloc_from_boot(void *p, size_t n)
{
    void *q = malloc(n);
    if (q != NULL) {
        size_t avail = (size_t)(boot_arena + BOOT_ARENA_SIZE - (char *)p);
        memcpy(q, p, n < avail ? n : avail);
    }
    return q;
}

TP_HOOK void *realloc(void *p, size_t n)
{
    if (TP_UNLIKELY(from_boot(p)))
        return realloc_from_boot(p, n);
    if (!READY(realloc))
        return p == NULL ? boot_alloc(n) : NULL;
    if (TP_LIKELY(!tp_heap_maybe_sampled(p)) && TP_LIKELY(tp_heap_unsampled(n)))
        return tp_alloc.realloc(p, n);
    return realloc_tracked(p, n, TP_SITE());
}

TP_HOOK void *reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (TP_UNLIKELY(from_boot(p)) || !READY(realloc) ||
        __builtin_mul_overflow(n, size, &total))
        return TP_REAL(reallocarray)(p, n, size);   /* its ENOMEM, its rules */
    return realloc_tracked(p, total, TP_SITE());
}

TP_HOOK void free(void *p)
{
    if (TP_UNLIKELY(from_boot(p)))
        return;
    if (!READY(free))
        return;
    if (TP_UNLIKELY(tp_heap_maybe_sampled(p)))
        tp__heap_forget(p, NULL);
    tp_alloc.free(p);
}

TP_HOOK int posix_memalign(void **out, size_t align, size_t n)
{
    int r = TP_REAL(posix_memalign)(out, align, n);
    if (r == 0)
        tp_heap_allocated(*out, n, TP_SITE());
    return r;
}

TP_HOOK void *aligned_alloc(size_t align, size_t n)
{
    void *p = TP_REAL(aligned_alloc)(align, n);
    tp_heap_allocated(p, n, TP_SITE());
    return p;
}

TP_HOOK void *memalign(size_t align, size_t n)
{
    void *p = TP_REAL(memalign)(align, n);
    tp_heap_allocated(p, n, TP_SITE());
    return p;
}

TP_HOOK void *valloc(size_t n)
{
    void *p = TP_REAL(valloc)(n);
    tp_heap_allocated(p, n, TP_SITE());
    return p;
}

TP_HOOK void *pvalloc(size_t n)
{
    void *p = TP_REAL(pvalloc)(n);
    tp_heap_allocated(p, n, TP_SITE());
    return p;
}

/* Interposed only for bootstrap blocks, which the real one must never
 * see: their size is not recorded, so they report none usable beyond
 * what was asked (0: callers fall back to what they requested). */
TP_HOOK size_t malloc_usable_size(void *p)
{
    if (TP_UNLIKELY(from_boot(p)))
        return 0;
    return TP_REAL(malloc_usable_size)(p);
}
