/*
 * hooks/malloc: the allocator entry points, passed through.
 *
 * They are interposed now so that the bootstrap problem is solved once, in
 * one place: dlsym() may itself call calloc/malloc before the real
 * allocator is known.  Those few early requests are served from a static
 * arena, on purpose, and such blocks are never handed to the real free()
 * or realloc().  Heap profiling builds on these wrappers.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define BOOT_ARENA_SIZE (64 * 1024)

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static _Alignas(16) char boot_arena[BOOT_ARENA_SIZE];
static size_t boot_used;
static __thread int resolving __attribute__((tls_model("initial-exec")));

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
    __atomic_store_n(&real_calloc, (void *(*)(size_t, size_t))c, __ATOMIC_RELAXED);
    __atomic_store_n(&real_realloc, (void *(*)(void *, size_t))r, __ATOMIC_RELAXED);
    __atomic_store_n(&real_free, (void (*)(void *))f, __ATOMIC_RELAXED);
    __atomic_store_n(&real_malloc, (void *(*)(size_t))m, __ATOMIC_RELAXED);
    resolving = 0;
    return real_malloc != NULL && real_calloc != NULL && real_realloc != NULL &&
           real_free != NULL;
}

TP_HOOK void *malloc(size_t n)
{
    if (TP_UNLIKELY(__atomic_load_n(&real_malloc, __ATOMIC_RELAXED) == NULL) &&
        !resolve())
        return boot_alloc(n);
    return real_malloc(n);
}

TP_HOOK void *calloc(size_t n, size_t size)
{
    if (TP_UNLIKELY(__atomic_load_n(&real_calloc, __ATOMIC_RELAXED) == NULL) &&
        !resolve()) {
        size_t total;
        if (__builtin_mul_overflow(n, size, &total))
            return NULL;
        return boot_alloc(total);
    }
    return real_calloc(n, size);
}

TP_HOOK void *realloc(void *p, size_t n)
{
    if (TP_UNLIKELY(from_boot(p))) {
        /* A bootstrap block moves to the real heap; its old size is not
         * recorded, so copy what can be in the arena after it. */
        void *q = malloc(n);
        if (q != NULL) {
            size_t avail = (size_t)(boot_arena + BOOT_ARENA_SIZE - (char *)p);
            memcpy(q, p, n < avail ? n : avail);
        }
        return q;
    }
    if (TP_UNLIKELY(__atomic_load_n(&real_realloc, __ATOMIC_RELAXED) == NULL) &&
        !resolve())
        return p == NULL ? boot_alloc(n) : NULL;
    return real_realloc(p, n);
}

TP_HOOK void free(void *p)
{
    if (TP_UNLIKELY(from_boot(p)))
        return;
    if (TP_UNLIKELY(__atomic_load_n(&real_free, __ATOMIC_RELAXED) == NULL) &&
        !resolve())
        return;
    real_free(p);
}
