/*
 * profdelta: the difference of two profiles of the same kind taken at
 * two moments, for profiles over an interval: Go's `?seconds=N` on
 * /debug/pprof/{heap,allocs,mutex,block,goroutine,threadcreate} (profile
 * now minus profile N seconds ago) and Grafana godeltaprof's delta_heap,
 * delta_mutex and delta_block (minus the profile of the previous request).
 *
 * Pure data over model/profile.h: no symbolizing, no I/O.
 */
#ifndef TP_PROFDELTA_H
#define TP_PROFDELTA_H

#include "model/profile.h"

/* absolute_mask bits for the heap's in-use values (inuse_objects,
 * inuse_space): godeltaprof's delta_heap gives alloc_* as deltas and
 * inuse_* as they are now. */
#define TP_PROFDELTA_HEAP_INUSE ((1u << 2) | (1u << 3))

/*
 * Fills out with now - before, sample by sample.  Samples are matched by
 * identical stack: the same pcs in the same order and the same
 * first_exact.  Several samples of one profile with the same stack count
 * as one (their values summed).  For each stack of either profile, value
 * k (of the kind's values, output/profile.h tp_profile_nvalues) is
 *   now's - before's             when bit k of absolute_mask is clear,
 *   now's as it is (0 when the   when it is set (a gauge, such as the
 *   stack is only in before)     heap's in-use values);
 * values past the kind's are 0.  A stack whose values are then all 0 is
 * dropped; a stack only in before has negative values (as Go's delta,
 * profile.Merge of now with before scaled by -1), unless only masked
 * values were left to it.
 *
 * out: kind, period and comment of now; time_ns = now->time_ns,
 * duration_ns = now->time_ns - before->time_ns.  Samples come in now's
 * order (a stack at its first sample), then the stacks found only in
 * before, in before's order.
 *
 * out->samples is calloc'd (NULL when no sample is left): the caller
 * frees (void *)out->samples.  Each sample's pcs points into the storage
 * of now's samples' stacks, or of before's for the stacks only in before:
 * both profiles' stacks must outlive out.  out may not be now or before.
 *
 * Returns 0, -EINVAL (an unknown kind, kinds that differ, samples NULL
 * with nsamples > 0, a sample with pcs NULL and npcs > 0) or -ENOMEM; out
 * is then empty (nothing to free).
 */
int tp_profile_subtract(const tp_profile_t *now, const tp_profile_t *before,
                        unsigned absolute_mask, tp_profile_t *out);

#endif
