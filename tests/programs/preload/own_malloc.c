/*
 * own_malloc: a library that defines malloc and friends itself, as a
 * program or library with a bundled allocator does.  Preloaded ahead of
 * libthreadprof.so (tests/check_heap.c), its functions take every call,
 * so the agent must say that the heap profile cannot see them.  They
 * pass to glibc's __libc_* entry points, which nothing interposes.
 */
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);

void *malloc(size_t n)
{
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}
