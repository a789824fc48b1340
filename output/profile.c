/*
 * profile: see profile.h.  A tp_pprof_t is built from the model, written
 * once and freed.
 */
#include "output/profile.h"

#include <errno.h>
#include <string.h>

#include "output/pprof.h"

typedef struct kind_desc {
    const char *types[TP_PROFILE_VALUES][2];   /* type, unit; NULL ends */
    const char *period_type[2];
    const char *default_type;                  /* NULL: the first */
} kind_desc_t;

static const kind_desc_t *describe(tp_profile_kind_t kind)
{
    /* Go's runtime/pprof names, so pprof and its backends read these as
     * Go's (FORMATS.md, "Sample types and their meaning in Go"). */
    static const kind_desc_t contention = {
        .types = {{"contentions", "count"}, {"delay", "nanoseconds"}},
        .period_type = {"contentions", "count"},
    };
    static const kind_desc_t heap = {
        .types = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                  {"inuse_objects", "count"}, {"inuse_space", "bytes"}},
        .period_type = {"space", "bytes"},
        .default_type = "inuse_space",
    };
    /* Go's /debug/pprof/allocs: the heap profile, alloc_space first. */
    static const kind_desc_t allocs = {
        .types = {{"alloc_objects", "count"}, {"alloc_space", "bytes"},
                  {"inuse_objects", "count"}, {"inuse_space", "bytes"}},
        .period_type = {"space", "bytes"},
        .default_type = "alloc_space",
    };
    /* Go's count profiles (runtime/pprof printCountProfile): the same
     * name/count as sample and period type, period 1. */
    static const kind_desc_t goroutine = {
        .types = {{"goroutine", "count"}},
        .period_type = {"goroutine", "count"},
    };
    static const kind_desc_t threadcreate = {
        .types = {{"threadcreate", "count"}},
        .period_type = {"threadcreate", "count"},
    };
    switch (kind) {
    case TP_PROFILE_MUTEX:
    case TP_PROFILE_BLOCK:
        return &contention;
    case TP_PROFILE_HEAP:
        return &heap;
    case TP_PROFILE_ALLOCS:
        return &allocs;
    case TP_PROFILE_GOROUTINE:
        return &goroutine;
    case TP_PROFILE_THREADCREATE:
        return &threadcreate;
    }
    return NULL;
}

int tp_profile_nvalues(tp_profile_kind_t kind)
{
    const kind_desc_t *d = describe(kind);
    if (d == NULL)
        return -EINVAL;
    int n = 0;
    while (n < TP_PROFILE_VALUES && d->types[n][0] != NULL)
        n++;
    return n;
}

/* The header: sample types, period, time, comment. */
static int describe_profile(tp_pprof_t *pp, const kind_desc_t *d, const tp_profile_t *p,
                            int *nvalues)
{
    int n = 0;
    while (n < TP_PROFILE_VALUES && d->types[n][0] != NULL) {
        int r = tp_pprof_sample_type(pp, d->types[n][0], d->types[n][1]);
        if (r != 0)
            return r;
        n++;
    }
    *nvalues = n;
    if (d->default_type != NULL) {
        int r = tp_pprof_default_sample_type(pp, d->default_type);
        if (r != 0)
            return r;
    }
    /* Only the heap's period is a rate; the others count every event. */
    int sampled = p->kind == TP_PROFILE_HEAP || p->kind == TP_PROFILE_ALLOCS;
    tp_pprof_period(pp, d->period_type[0], d->period_type[1], sampled ? p->period : 1);
    tp_pprof_time(pp, p->time_ns, p->duration_ns);
    size_t len = strnlen(p->comment, sizeof p->comment);
    if (len == 0)
        return 0;
    /* A comment that fills the array has no NUL of its own. */
    char text[sizeof p->comment + 1];
    memcpy(text, p->comment, len);
    text[len] = '\0';
    return tp_pprof_comment(pp, text);
}

int tp_profile_write(tp_sink_t *sink, const tp_profile_t *p)
{
    const kind_desc_t *d = describe(p->kind);
    if (d == NULL || (p->nsamples > 0 && p->samples == NULL))
        return -EINVAL;
    tp_pprof_t *pp = tp_pprof_new();
    if (pp == NULL)
        return -ENOMEM;
    int nvalues = 0;
    int r = describe_profile(pp, d, p, &nvalues);
    for (size_t i = 0; r == 0 && i < p->nsamples; i++) {
        const tp_profile_sample_t *s = &p->samples[i];
        if (s->npcs > INT32_MAX) {
            r = -EINVAL;
            break;
        }
        r = tp_pprof_add_sample(pp, s->pcs, (int)s->npcs, s->first_exact != 0, s->v, nvalues,
                                NULL, 0);
    }
    if (r == 0)
        r = tp_pprof_write(pp, sink);
    tp_pprof_free(pp);
    return r;
}
