/*
 * tablemap: the anonymous mappings behind the agent's tables (stack,
 * lock, lock-order and live-block tables, the thread pool).
 *
 * Every table is filled from inside the host's calls (malloc, a contended
 * lock), so it can never come from malloc: it is mmap'd, zero pages that
 * cost nothing until an entry is written.  Two things every such mapping
 * needs, kept here once:
 *   - no transparent huge pages (MADV_NOHUGEPAGE): where the kernel backs
 *     anonymous memory with huge pages by default (THP "always"), writing
 *     one 300-byte entry would make 2 MiB resident, and a table mapped for
 *     its worst case would cost its worst case;
 *   - lazy creation, published with a CAS so that two threads racing to
 *     create a table leave one (the loser unmaps its own).
 */
#ifndef TP_TABLEMAP_H
#define TP_TABLEMAP_H

#include <stddef.h>

/* A zeroed, private, anonymous mapping of bytes (MAP_NORESERVE when
 * noreserve is set: the table is reserved for its worst case and touched
 * only as it fills), or NULL.  errno is preserved. */
void *tp_table_map(size_t bytes, int noreserve);
void tp_table_unmap(void *p, size_t bytes);

/* The table published in *slot, mapped (noreserve) on first use; NULL
 * when there is no memory.  Lock-free: callers may race. */
void *tp_table_lazy(void *_Atomic *slot, size_t bytes);

/* Unpublishes the table in *slot and unmaps it (a forked child starts
 * afresh); the next tp_table_lazy maps a new one. */
void tp_table_drop(void *_Atomic *slot, size_t bytes);

#endif
