/*
 * goroutine: Go's goroutine and threadcreate profiles made from a thread
 * dump.  A thread stands for a goroutine: the goroutine profile counts
 * the live threads of a snapshot (model/snapshot.h) by stack, the
 * threadcreate profile counts them by the stack that created them.  Both
 * are model/profile.h profiles, written with output/profile.h like the
 * others (GET /debug/pprof/goroutine and /debug/pprof/threadcreate).
 *
 * Pure data: no symbolizing, no I/O.  The samples are calloc'd; their
 * stacks are not copied.
 */
#ifndef TP_GOROUTINE_H
#define TP_GOROUTINE_H

#include "model/profile.h"
#include "model/snapshot.h"

/*
 * Fills out with a TP_PROFILE_GOROUTINE profile of snap: one sample per
 * distinct stack (pcs, leaf first, with first_pc_exact: a thread stopped
 * at a precise pc and one with the same return addresses differ), its
 * value the number of threads with it.  Threads without a stack (npcs 0:
 * libunwind walked nothing, or the thread was running outside any hook
 * and any system call) count together under one sample with an empty
 * stack, so the profile's total is always the number of threads: `go
 * tool pprof -top` counts that sample in its total ("of 7 total") under
 * no function, -raw and -traces leave it out.  (A pseudo frame naming
 * them would need a location without an address, which the encoder,
 * output/pprof.h, does not make.)
 *
 * Samples are ordered by count, most first; equal counts in the order
 * their first thread has in snap.  time_ns is snap->wall, duration_ns,
 * period and comment are 0 / "" (Go's count profiles have none).
 *
 * out->samples is calloc'd (NULL when there are no threads): the caller
 * frees (void *)out->samples.  Each sample's pcs points into snap's
 * threads (snap->threads[i].pcs): snap must outlive out and stay
 * unchanged while out is used.  Returns 0, or -ENOMEM (out is then
 * empty, nothing to free).
 */
int tp_goroutine_profile(const tp_snapshot_t *snap, tp_profile_t *out);

/*
 * Fills out with a TP_PROFILE_THREADCREATE profile of snap: the live
 * threads counted by creation stack (create_pcs, all return addresses),
 * one sample per distinct stack.  Threads with no creation stack (the
 * main thread, threads created before the agent started or not by
 * pthread_create, or whose creator's stack was not captured) count under
 * one sample with an empty stack, as Go's threadcreate profile shows the
 * main thread.  Unlike Go's (its threads never exit), only the threads
 * alive at the snapshot count.
 *
 * Order, time, ownership, lifetime (pcs point into
 * snap->threads[i].create_pcs) and errors as tp_goroutine_profile.
 */
int tp_threadcreate_profile(const tp_snapshot_t *snap, tp_profile_t *out);

#endif
