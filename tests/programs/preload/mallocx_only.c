/*
 * mallocx_only: a library that exports jemalloc's mallocx API without
 * defining malloc, as a program that links jemalloc statically and
 * exports its API does.  The agent must warn that memory handed out
 * through it is not in the heap profile (tests/check_heap.c).
 */
#include <stddef.h>

extern void *__libc_malloc(size_t);

void *mallocx(size_t n, int flags);

void *mallocx(size_t n, int flags)
{
    (void)flags;
    return __libc_malloc(n);
}
