/*
 * profdelta: now - before for two profiles (see profdelta.h).  The
 * samples of both are sorted together by stack; each run of one stack
 * becomes at most one sample of the difference, which is then put back
 * in now's order.
 */
#include "output/profdelta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/profile.h"

/* A sample of either profile, as sorted. */
typedef struct ref {
    const tp_profile_sample_t *s;
    size_t order;        /* now's samples 0..n-1, then before's */
    int from_now;
} ref_t;

/* A sample of the difference and where it goes. */
typedef struct diff {
    tp_profile_sample_t s;
    size_t order;
} diff_t;

static int cmp_stack(const tp_profile_sample_t *a, const tp_profile_sample_t *b)
{
    if (a->npcs != b->npcs)
        return a->npcs < b->npcs ? -1 : 1;
    int ea = a->first_exact != 0, eb = b->first_exact != 0;
    if (ea != eb)
        return ea < eb ? -1 : 1;
    if (a->npcs == 0)
        return 0;
    return memcmp(a->pcs, b->pcs, a->npcs * sizeof a->pcs[0]);
}

static int cmp_ref(const void *pa, const void *pb)
{
    const ref_t *a = pa, *b = pb;
    int c = cmp_stack(a->s, b->s);
    if (c != 0)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_diff(const void *pa, const void *pb)
{
    const diff_t *a = pa, *b = pb;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int valid(const tp_profile_t *p)
{
    if (p->nsamples > 0 && p->samples == NULL)
        return 0;
    for (size_t i = 0; i < p->nsamples; i++)
        if (p->samples[i].npcs > 0 && p->samples[i].pcs == NULL)
            return 0;
    return 1;
}

/* Sums wrap rather than overflow (never undefined behaviour). */
static int64_t add(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static int64_t sub(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a - (uint64_t)b);
}

/* The difference of one run of equal stacks, refs[0..n-1]; 0 when all
 * its values are 0. */
static int diff_run(const ref_t *refs, size_t n, int nvalues, unsigned mask, diff_t *out)
{
    int64_t now[TP_PROFILE_VALUES] = {0}, before[TP_PROFILE_VALUES] = {0};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < nvalues; k++) {
            int64_t *sum = refs[i].from_now ? &now[k] : &before[k];
            *sum = add(*sum, refs[i].s->v[k]);
        }
    memset(out, 0, sizeof *out);
    /* Sorted by order within the run: now's first sample comes first. */
    out->order = refs[0].order;
    out->s.pcs = refs[0].s->npcs > 0 ? refs[0].s->pcs : NULL;
    out->s.npcs = refs[0].s->npcs;
    out->s.first_exact = refs[0].s->first_exact != 0;
    int nonzero = 0;
    for (int k = 0; k < nvalues; k++) {
        out->s.v[k] = mask & (1u << k) ? now[k] : sub(now[k], before[k]);
        nonzero |= out->s.v[k] != 0;
    }
    return nonzero;
}

int tp_profile_subtract(const tp_profile_t *now, const tp_profile_t *before,
                        unsigned absolute_mask, tp_profile_t *out)
{
    memset(out, 0, sizeof *out);
    int nvalues = tp_profile_nvalues(now->kind);
    if (nvalues < 0 || before->kind != now->kind || !valid(now) || !valid(before))
        return -EINVAL;
    out->kind = now->kind;
    out->period = now->period;
    out->time_ns = now->time_ns;
    out->duration_ns = (int64_t)((uint64_t)now->time_ns - (uint64_t)before->time_ns);
    memcpy(out->comment, now->comment, sizeof out->comment);

    size_t n = now->nsamples + before->nsamples;
    if (n == 0)
        return 0;
    ref_t *refs = malloc(n * sizeof *refs);
    diff_t *diffs = malloc(n * sizeof *diffs);
    if (refs == NULL || diffs == NULL) {
        free(refs);
        free(diffs);
        memset(out, 0, sizeof *out);
        return -ENOMEM;
    }
    for (size_t i = 0; i < now->nsamples; i++)
        refs[i] = (ref_t){.s = &now->samples[i], .order = i, .from_now = 1};
    for (size_t i = 0; i < before->nsamples; i++)
        refs[now->nsamples + i] =
            (ref_t){.s = &before->samples[i], .order = now->nsamples + i, .from_now = 0};
    qsort(refs, n, sizeof *refs, cmp_ref);

    size_t ndiffs = 0;
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && cmp_stack(refs[i].s, refs[j].s) == 0; j++)
            ;
        if (diff_run(&refs[i], j - i, nvalues, absolute_mask, &diffs[ndiffs]))
            ndiffs++;
    }
    free(refs);
    qsort(diffs, ndiffs, sizeof *diffs, cmp_diff);

    tp_profile_sample_t *samples = NULL;
    if (ndiffs > 0) {
        samples = calloc(ndiffs, sizeof *samples);
        if (samples == NULL) {
            free(diffs);
            memset(out, 0, sizeof *out);
            return -ENOMEM;
        }
        for (size_t i = 0; i < ndiffs; i++)
            samples[i] = diffs[i].s;
    }
    free(diffs);
    out->samples = samples;
    out->nsamples = ndiffs;
    return 0;
}
