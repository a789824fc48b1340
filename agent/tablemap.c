/*
 * tablemap: anonymous mappings for the agent's tables (agent/tablemap.h).
 */
#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "agent/tablemap.h"

void *tp_table_map(size_t bytes, int noreserve)
{
    int saved = errno;
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0),
                   -1, 0);
    if (m == MAP_FAILED) {
        errno = saved;
        return NULL;
    }
    /* Advice only: a kernel without THP says EINVAL, and that is fine. */
    madvise(m, bytes, MADV_NOHUGEPAGE);
    errno = saved;
    return m;
}

void tp_table_unmap(void *p, size_t bytes)
{
    int saved = errno;
    if (p != NULL)
        munmap(p, bytes);
    errno = saved;
}

void *tp_table_lazy(void *_Atomic *slot, size_t bytes)
{
    void *t = atomic_load_explicit(slot, memory_order_acquire);
    if (__builtin_expect(t != NULL, 1))
        return t;
    void *m = tp_table_map(bytes, 1);
    if (m == NULL)
        return NULL;
    void *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(slot, &expected, m,
                                                 memory_order_acq_rel,
                                                 memory_order_acquire)) {
        tp_table_unmap(m, bytes);
        return expected;
    }
    return m;
}

void tp_table_drop(void *_Atomic *slot, size_t bytes)
{
    tp_table_unmap(atomic_exchange(slot, NULL), bytes);
}
