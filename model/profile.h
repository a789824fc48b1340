/*
 * model/profile: one sampled profile as plain data, the form in which the
 * agent's profilers (agent/lockprof.c, agent/heapprof.c) hand their
 * figures to a renderer (output/profile.c writes it as a pprof
 * profile.proto), and in which output/goroutine.c and output/profdelta.c
 * build and combine profiles.  Stacks are raw code addresses, leaf first,
 * every one a return address except a sample's first when it says so;
 * nothing here is text but the comment.
 */
#ifndef TP_MODEL_PROFILE_H
#define TP_MODEL_PROFILE_H

#include <stddef.h>
#include <stdint.h>

/* Which profile: it fixes the sample types, their order and the period's
 * meaning (Go's names, so pprof and its backends read them as Go's):
 *   MUTEX   contentions/count, delay/nanoseconds; period 1 contentions
 *   BLOCK   contentions/count, delay/nanoseconds; period 1 contentions
 *   HEAP    alloc_objects/count, alloc_space/bytes, inuse_objects/count,
 *           inuse_space/bytes (shown first); period = sampling rate in
 *           space/bytes
 *   GOROUTINE     goroutine/count (threads by stack); period 1 goroutine
 *   THREADCREATE  threadcreate/count (threads by creation stack); period
 *                 1 threadcreate
 *   ALLOCS  HEAP's values in HEAP's order, alloc_space shown first (Go's
 *           /debug/pprof/allocs); period as HEAP */
typedef enum tp_profile_kind {
    TP_PROFILE_MUTEX,
    TP_PROFILE_BLOCK,
    TP_PROFILE_HEAP,
    TP_PROFILE_GOROUTINE,
    TP_PROFILE_THREADCREATE,
    TP_PROFILE_ALLOCS,
} tp_profile_kind_t;

#define TP_PROFILE_VALUES 4       /* the most values a kind has */

typedef struct tp_profile_sample {
    const uintptr_t *pcs;         /* leaf first, return addresses */
    uint32_t npcs;
    int64_t v[TP_PROFILE_VALUES]; /* in the kind's order; the rest 0 */
    int first_exact;              /* pcs[0] is a precise pc (a thread's
                                   * interrupted pc), not a return address;
                                   * 0 (the default): a return address */
} tp_profile_sample_t;

typedef struct tp_profile {
    tp_profile_kind_t kind;
    int64_t period;
    int64_t time_ns;              /* when taken: wall clock, ns since the epoch */
    int64_t duration_ns;          /* what the counts cover: since process start */
    char comment[320];            /* "" for none */
    size_t nsamples;
    const tp_profile_sample_t *samples;
} tp_profile_t;

#endif
