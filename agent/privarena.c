/*
 * privarena: a snapshot child's allocator (agent/watcher.c).
 *
 * The child is a copy of the program taken at any instant, possibly in
 * the middle of malloc: it must not touch the program's heap.  Bump
 * allocation from a large reservation; free does nothing (the child
 * lives for one dump); realloc of one of the program's blocks copies
 * what malloc_usable_size says it holds.  The malloc hooks forward to
 * tp_alloc (agent/heap.h), which this swaps to the arena.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "agent/internal.h"

tp_alloc_t tp_alloc;
static size_t (*libc_usable_size)(void *);

#define PRIVATE_ARENA_SIZE (4ull << 30)
#define PRIVATE_HEADER 16

static char *private_base;
static size_t private_used;

static void *private_malloc(size_t n)
{
    size_t need = ((n + 15) & ~(size_t)15) + PRIVATE_HEADER;
    if (need < n || need > PRIVATE_ARENA_SIZE - private_used) {
        errno = ENOMEM;
        return NULL;
    }
    char *p = private_base + private_used;
    private_used += need;
    *(size_t *)(void *)p = n;
    return p + PRIVATE_HEADER;    /* fresh pages: already zero */
}

static void *private_calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return private_malloc(total);
}

static int in_private(const void *p)
{
    return (const char *)p >= private_base &&
           (const char *)p < private_base + PRIVATE_ARENA_SIZE;
}

static void *private_realloc(void *p, size_t n)
{
    if (p == NULL)
        return private_malloc(n);
    size_t old = in_private(p) ? *(size_t *)(void *)((char *)p - PRIVATE_HEADER)
                               : libc_usable_size(p);
    void *q = private_malloc(n);
    if (q != NULL)
        memcpy(q, p, old < n ? old : n);
    return q;
}

static void private_free(void *p)
{
    (void)p;
}

void tp_malloc_private_arena(void)
{
    libc_usable_size = tp_alloc.usable_size;   /* kept before the switch */
    if (libc_usable_size == NULL)
        return;   /* the hooks never resolved libc's: nothing to switch */
    void *m = mmap(NULL, PRIVATE_ARENA_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return;   /* then the program's heap it is */
    private_base = m;
    private_used = 0;
    tp_alloc.malloc = private_malloc;
    tp_alloc.calloc = private_calloc;
    tp_alloc.realloc = private_realloc;
    tp_alloc.free = private_free;
}

