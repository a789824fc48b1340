/*
 * goroutine: the goroutine and threadcreate profiles of a snapshot (see
 * goroutine.h).  Both count threads by a stack: the threads' stacks are
 * sorted, equal runs become one sample, and the samples are ordered by
 * count.
 */
#include "output/goroutine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One thread's stack, as counted. */
typedef struct stack_ref {
    const uintptr_t *pcs;
    uint32_t npcs;
    int exact;
    size_t index;        /* the thread's index in the snapshot */
} stack_ref_t;

/* A run of equal stacks in the sorted refs. */
typedef struct run {
    size_t first;        /* index into the sorted refs */
    size_t count;
    size_t index;        /* the smallest thread index of the run */
} run_t;

static int cmp_stack(const stack_ref_t *a, const stack_ref_t *b)
{
    if (a->npcs != b->npcs)
        return a->npcs < b->npcs ? -1 : 1;
    if (a->exact != b->exact)
        return a->exact < b->exact ? -1 : 1;
    if (a->npcs == 0)
        return 0;
    return memcmp(a->pcs, b->pcs, a->npcs * sizeof a->pcs[0]);
}

static int cmp_ref(const void *pa, const void *pb)
{
    const stack_ref_t *a = pa, *b = pb;
    int c = cmp_stack(a, b);
    if (c != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Most threads first; then as their first thread comes in the snapshot. */
static int cmp_run(const void *pa, const void *pb)
{
    const run_t *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static uint32_t clamp_depth(int n, int max)
{
    return n <= 0 ? 0 : n > max ? (uint32_t)max : (uint32_t)n;
}

/* Counts refs (n of them, sorted here) by stack into out->samples. */
static int count_stacks(stack_ref_t *refs, size_t n, tp_profile_t *out)
{
    if (n == 0)
        return 0;
    qsort(refs, n, sizeof *refs, cmp_ref);
    run_t *runs = malloc(n * sizeof *runs);
    tp_profile_sample_t *samples = calloc(n, sizeof *samples);
    if (runs == NULL || samples == NULL) {
        free(runs);
        free(samples);
        return -ENOMEM;
    }
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && cmp_stack(&refs[i - 1], &refs[i]) == 0) {
            /* Sorted by index within a run: the first has the smallest. */
            runs[nruns - 1].count++;
            continue;
        }
        runs[nruns++] = (run_t){.first = i, .count = 1, .index = refs[i].index};
    }
    qsort(runs, nruns, sizeof *runs, cmp_run);
    for (size_t i = 0; i < nruns; i++) {
        const stack_ref_t *r = &refs[runs[i].first];
        samples[i].pcs = r->npcs > 0 ? r->pcs : NULL;
        samples[i].npcs = r->npcs;
        samples[i].first_exact = r->exact;
        samples[i].v[0] = (int64_t)runs[i].count;
    }
    free(runs);
    out->samples = samples;
    out->nsamples = nruns;
    return 0;
}

static void init_profile(const tp_snapshot_t *snap, tp_profile_kind_t kind, tp_profile_t *out)
{
    memset(out, 0, sizeof *out);
    out->kind = kind;
    out->time_ns = (int64_t)snap->wall.tv_sec * 1000000000 + snap->wall.tv_nsec;
}

int tp_goroutine_profile(const tp_snapshot_t *snap, tp_profile_t *out)
{
    init_profile(snap, TP_PROFILE_GOROUTINE, out);
    size_t n = snap->nthreads;
    if (n == 0)
        return 0;
    stack_ref_t *refs = malloc(n * sizeof *refs);
    if (refs == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const tp_snap_thread_t *t = &snap->threads[i];
        uint32_t npcs = clamp_depth(t->npcs, TP_SNAP_FRAMES);
        refs[i] = (stack_ref_t){.pcs = t->pcs, .npcs = npcs,
                                .exact = npcs > 0 && t->first_pc_exact, .index = i};
    }
    int r = count_stacks(refs, n, out);
    free(refs);
    return r;
}

int tp_threadcreate_profile(const tp_snapshot_t *snap, tp_profile_t *out)
{
    init_profile(snap, TP_PROFILE_THREADCREATE, out);
    size_t n = snap->nthreads;
    if (n == 0)
        return 0;
    stack_ref_t *refs = malloc(n * sizeof *refs);
    if (refs == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const tp_snap_thread_t *t = &snap->threads[i];
        /* has_creator 0: create_pcs hold nothing of this thread. */
        uint32_t npcs = t->has_creator ? clamp_depth(t->ncreate, TP_SNAP_CREATE_FRAMES) : 0;
        refs[i] = (stack_ref_t){.pcs = t->create_pcs, .npcs = npcs, .index = i};
    }
    int r = count_stacks(refs, n, out);
    free(refs);
    return r;
}
