/*
 * profile: renders a model/profile.h profile as a pprof profile.proto
 * into a sink: the one place that fixes what the agent's mutex, block,
 * heap, allocs, goroutine and threadcreate profiles say besides their
 * samples (sample types, period, default sample type), so the profilers
 * hand over data and nothing else.
 *
 * Built on output/pprof.h (symbolized locations, mappings with build ids,
 * gzip).  Runs in the dump thread; allocates with malloc and frees it all
 * before returning.
 */
#ifndef TP_PROFILE_H
#define TP_PROFILE_H

#include "model/profile.h"
#include "output/sink.h"

/*
 * Writes p into sink as a gzipped profile.proto (uncompressed when
 * libz.so.1 is missing, output/gzip.h), and flushes the sink.
 *
 * By kind, as Go writes them:
 *   MUTEX, BLOCK  sample types contentions/count, delay/nanoseconds;
 *                 period type contentions/count, period 1 (p->period is
 *                 not used: every event the agent kept is counted);
 *   HEAP          sample types alloc_objects/count, alloc_space/bytes,
 *                 inuse_objects/count, inuse_space/bytes, the default
 *                 inuse_space; period type space/bytes, period p->period;
 *   ALLOCS        HEAP's sample types and period, the default
 *                 alloc_space (Go's /debug/pprof/allocs);
 *   GOROUTINE     sample type goroutine/count; period type
 *                 goroutine/count, period 1;
 *   THREADCREATE  sample type threadcreate/count; period type
 *                 threadcreate/count, period 1.
 * For every kind: time_nanos p->time_ns, duration_nanos p->duration_ns,
 * one comment when p->comment is not "", and every sample with the kind's
 * number of values from s->v (a sample is written as given: the caller
 * filters; identical stacks are merged, values summed).  Every pc of a
 * stack is taken as a return address, except pcs[0] of a sample with
 * first_exact set (a precise pc: pprof's location is that address, not
 * the one before it).
 *
 * Returns 0, or a negative errno: -EINVAL (an unknown kind, samples NULL
 * with nsamples > 0, a stack with pcs NULL or over 2^20 frames), -ENOMEM,
 * or the sink's sticky error (-ENOSPC, -EBADF, ...).  On error the sink
 * may hold part of a profile: write into an output/outfile.h temporary
 * file and rename it only on success.
 */
int tp_profile_write(tp_sink_t *sink, const tp_profile_t *p);

/* How many of a sample's values the kind uses (the first ones of s->v):
 * 2 for MUTEX and BLOCK, 4 for HEAP and ALLOCS, 1 for GOROUTINE and
 * THREADCREATE; -EINVAL for an unknown kind. */
int tp_profile_nvalues(tp_profile_kind_t kind);

#endif
