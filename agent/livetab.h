/*
 * livetab: the heap profile's table of sampled blocks still allocated,
 * pointer -> (size, stack id), filled from inside malloc and free.
 *
 * 1024 stripes, each an open-addressing table of its own (linear
 * probing, backward-shift deletion) under its own spinlock, sized to
 * what it holds (8 slots to start, doubled at three quarters full).  A
 * lookup touches one slot run, usually one cache line: chained nodes
 * cost a second cache miss per free, which dominated full tracking.
 * Storage is mmap'd: small chunks recycled by size class, large ones
 * unmapped when a table outgrows them; never malloc.  A byte per 512-byte
 * granule of the address space, direct-mapped (the filter, agent.h),
 * counts the live blocks there, saturating at 255, so that free() of an
 * unsampled block normally takes no lock.  The stripe is a hash of the
 * filter byte's index, so each byte is updated under one stripe's lock;
 * the slot comes from a hash of the block's 512-byte neighbourhood plus
 * its offset in it (successive frees mostly touch neighbours, so the
 * table lines they need stay in cache).
 */
#ifndef TP_LIVETAB_H
#define TP_LIVETAB_H

#include <stddef.h>
#include <stdint.h>

/* Remembers block p; 0, or -1 when out of memory (then not remembered). */
int tp_live_insert(uintptr_t p, uint64_t size, uint32_t stack);
/* Forgets block p: 1 with its size and stack when it was there, else 0. */
int tp_live_remove(uintptr_t p, uint64_t *size, uint32_t *stack);
/* Calls fn for every block, one stripe at a time under its lock (fn must
 * not allocate or touch the table). */
void tp_live_foreach(void (*fn)(void *arg, uint64_t size, uint32_t stack), void *arg);
uint64_t tp_live_count(void);
size_t tp_live_bytes(void);             /* reserved by the table */
/* fork: no stripe lock may be left held by a thread the child lacks. */
void tp_live_fork_prepare(void);
void tp_live_fork_parent(void);
void tp_live_fork_child(void);

#endif
