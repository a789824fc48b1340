/*
 * pprof: the profile as its caller builds it (see pprof.h; field numbers
 * in /work/shared/FORMATS.md and google/pprof's proto/profile.proto).
 *
 * What is kept between calls is the part that depends on the caller: the
 * string table (deduplicated through a hash table, entry 0 the empty
 * string), the header fields, one Location per distinct call address, and
 * the samples (deduplicated by stack and labels).  Everything derived from
 * the process is computed by tp_pprof_write (pprof_encode.c) with the
 * help of pprof_maps.c and pprof_symbolize.c; pprof_internal.h says how
 * the files share the work.
 */
#include "output/pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "output/pprof_internal.h"

/* Limits that keep a sample's size reasonable. */
#define MAX_STACK (1 << 20)
#define MAX_LABELS (1 << 16)

/* ---- small containers ---- */

int tp__pprof_grow(void **ptr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / elem)
        return -ENOMEM;
    void *q = realloc(*ptr, n * elem);
    if (q == NULL)
        return -ENOMEM;
    *ptr = q;
    *cap = n;
    return 0;
}

int tp__pprof_tab_reserve(idxtab_t *t, size_t count, hash_of_fn_t *hash_of,
                          const void *ctx)
{
    if ((count + 1) * 2 <= t->nslots)
        return 0;
    size_t n = t->nslots ? t->nslots * 2 : 64;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        uint32_t v = t->slots[i];
        if (v == 0)
            continue;
        size_t j = hash_of(ctx, v - 1) & (n - 1);
        while (slots[j] != 0)
            j = (j + 1) & (n - 1);
        slots[j] = v;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return 0;
}

static uint32_t hash_bytes(uint32_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;            /* FNV-1a */
    return h;
}

#define HASH_SEED 2166136261u

/* ---- strings ---- */

static uint32_t str_hash_of(const void *ctx, uint32_t idx)
{
    return ((const tp_pprof_t *)ctx)->strs[idx].hash;
}

int64_t tp__pprof_intern_n(tp_pprof_t *p, const char *s, size_t n)
{
    if (n > UINT32_MAX)
        return -EINVAL;
    uint32_t h = hash_bytes(HASH_SEED, s, n);
    if (p->nstrs >= TP_PPROF_MAX_ITEMS ||
        tp__pprof_tab_reserve(&p->str_index, p->nstrs, str_hash_of, p) != 0)
        return -ENOMEM;
    size_t mask = p->str_index.nslots - 1;
    size_t i = h & mask;
    for (uint32_t v; (v = p->str_index.slots[i]) != 0; i = (i + 1) & mask) {
        const pstr_t *e = &p->strs[v - 1];
        if (e->hash == h && e->len == n && memcmp(p->chars + e->off, s, n) == 0)
            return v - 1;
    }
    if (TP_PPROF_GROW(p->strs, p->strs_cap, p->nstrs + 1) != 0 ||
        tp__pprof_grow((void **)&p->chars, &p->chars_cap, p->chars_len + n + 1, 1) != 0)
        return -ENOMEM;
    memcpy(p->chars + p->chars_len, s, n);
    p->chars[p->chars_len + n] = '\0';
    p->strs[p->nstrs] = (pstr_t){.off = p->chars_len, .len = (uint32_t)n, .hash = h};
    p->chars_len += n + 1;
    p->str_index.slots[i] = (uint32_t)++p->nstrs;
    return (int64_t)p->nstrs - 1;
}

int64_t tp__pprof_intern(tp_pprof_t *p, const char *s)
{
    return tp__pprof_intern_n(p, s ? s : "", s ? strlen(s) : 0);
}

/* ---- the profile ---- */

tp_pprof_t *tp_pprof_new(void)
{
    tp_pprof_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    if (tp__pprof_intern(p, "") != 0) {     /* string_table[0] must be "" */
        tp_pprof_free(p);
        return NULL;
    }
    return p;
}

void tp_pprof_free(tp_pprof_t *p)
{
    if (p == NULL)
        return;
    free(p->chars);
    free(p->strs);
    free(p->str_index.slots);
    free(p->types);
    free(p->comments);
    free(p->locs);
    free(p->loc_index.slots);
    for (size_t i = 0; i < p->nsamples; i++)
        free(p->samples[i]);
    free(p->samples);
    free(p->sample_index.slots);
    free(p);
}

int tp_pprof_sample_type(tp_pprof_t *p, const char *type, const char *unit)
{
    if (type == NULL || unit == NULL || p->nsamples > 0)
        return -EINVAL;
    int64_t t = tp__pprof_intern(p, type), u = tp__pprof_intern(p, unit);
    if (t < 0 || u < 0)
        return t < 0 ? (int)t : (int)u;
    if (TP_PPROF_GROW(p->types, p->types_cap, p->ntypes + 1) != 0)
        return -ENOMEM;
    p->types[p->ntypes][0] = t;
    p->types[p->ntypes][1] = u;
    p->ntypes++;
    return 0;
}

void tp_pprof_period(tp_pprof_t *p, const char *type, const char *unit,
                     int64_t period)
{
    int64_t t = tp__pprof_intern(p, type), u = tp__pprof_intern(p, unit);
    if (t < 0 || u < 0) {
        p->err = -ENOMEM;
        return;
    }
    p->period_type[0] = t;
    p->period_type[1] = u;
    p->has_period_type = 1;
    p->period = period;
}

void tp_pprof_time(tp_pprof_t *p, int64_t time_nanos, int64_t duration_nanos)
{
    p->time_nanos = time_nanos;
    p->duration_nanos = duration_nanos;
}

int tp_pprof_comment(tp_pprof_t *p, const char *text)
{
    if (text == NULL)
        return -EINVAL;
    int64_t s = tp__pprof_intern(p, text);
    if (s < 0)
        return (int)s;
    if (TP_PPROF_GROW(p->comments, p->comments_cap, p->ncomments + 1) != 0)
        return -ENOMEM;
    p->comments[p->ncomments++] = s;
    return 0;
}

int tp_pprof_default_sample_type(tp_pprof_t *p, const char *type)
{
    if (type == NULL)
        return -EINVAL;
    for (size_t i = 0; i < p->ntypes; i++) {
        const pstr_t *e = &p->strs[p->types[i][0]];
        if (strlen(type) == e->len && memcmp(p->chars + e->off, type, e->len) == 0) {
            p->default_type = p->types[i][0];
            return 0;
        }
    }
    return -EINVAL;
}

/* ---- locations and samples ---- */

static uint32_t loc_hash_of(const void *ctx, uint32_t idx)
{
    return tp__pprof_hash_u64(((const tp_pprof_t *)ctx)->locs[idx].addr);
}

/* The id (1-based) of the location of pc, adding it if new; or -ENOMEM. */
static int64_t location_id(tp_pprof_t *p, uintptr_t pc, int is_return)
{
    /* Go's convention: a location's address is the call instruction's,
     * which a return address lies just after. */
    uint64_t addr = is_return && pc > 0 ? (uint64_t)pc - 1 : (uint64_t)pc;
    uint32_t h = tp__pprof_hash_u64(addr);
    if (p->nlocs >= TP_PPROF_MAX_ITEMS ||
        tp__pprof_tab_reserve(&p->loc_index, p->nlocs, loc_hash_of, p) != 0)
        return -ENOMEM;
    size_t mask = p->loc_index.nslots - 1;
    size_t i = h & mask;
    for (uint32_t v; (v = p->loc_index.slots[i]) != 0; i = (i + 1) & mask)
        if (p->locs[v - 1].addr == addr)
            return v;
    if (TP_PPROF_GROW(p->locs, p->locs_cap, p->nlocs + 1) != 0)
        return -ENOMEM;
    p->locs[p->nlocs] = (loc_t){.addr = addr, .pc = pc, .is_return = is_return};
    p->loc_index.slots[i] = (uint32_t)++p->nlocs;
    return (int64_t)p->nlocs;
}

static uint32_t sample_hash_of(const void *ctx, uint32_t idx)
{
    return ((const tp_pprof_t *)ctx)->samples[idx]->hash;
}

int tp_pprof_add_sample(tp_pprof_t *p, const uintptr_t *pcs, int npcs,
                        int first_exact, const int64_t *values, int nvalues,
                        const tp_pprof_label_t *labels, int nlabels)
{
    if (p->ntypes == 0 || nvalues < 0 || (size_t)nvalues != p->ntypes ||
        values == NULL || npcs < 0 || npcs > MAX_STACK || (npcs > 0 && pcs == NULL) ||
        nlabels < 0 || nlabels > MAX_LABELS || (nlabels > 0 && labels == NULL))
        return -EINVAL;
    for (int i = 0; i < nlabels; i++)
        if (labels[i].key == NULL)
            return -EINVAL;
    size_t words = (size_t)npcs + 4 * (size_t)nlabels + (size_t)nvalues;
    sample_t *s = malloc(sizeof *s + words * sizeof s->d[0]);
    if (s == NULL)
        return -ENOMEM;
    s->nlocs = (uint32_t)npcs;
    s->nlabels = (uint32_t)nlabels;
    int64_t *d = s->d;
    for (int i = 0; i < npcs; i++) {
        int64_t id = location_id(p, pcs[i], !(i == 0 && first_exact));
        if (id < 0)
            goto nomem;
        *d++ = id;
    }
    for (int i = 0; i < nlabels; i++) {
        const tp_pprof_label_t *l = &labels[i];
        int64_t k = tp__pprof_intern(p, l->key);
        int64_t v = l->str ? tp__pprof_intern(p, l->str) : -1;
        int64_t u = !l->str && l->num_unit ? tp__pprof_intern(p, l->num_unit) : 0;
        if (k < 0 || (l->str && v < 0) || u < 0)
            goto nomem;
        *d++ = k;
        *d++ = v;
        *d++ = l->str ? 0 : l->num;
        *d++ = u;
    }
    memcpy(d, values, (size_t)nvalues * sizeof *values);
    size_t nkey = tp__pprof_sample_key_words(s);
    s->hash = hash_bytes(tp__pprof_hash_u64(((uint64_t)s->nlocs << 32) | s->nlabels),
                         s->d, nkey * sizeof s->d[0]);

    if (p->nsamples >= TP_PPROF_MAX_ITEMS ||
        tp__pprof_tab_reserve(&p->sample_index, p->nsamples, sample_hash_of, p) != 0)
        goto nomem;
    size_t mask = p->sample_index.nslots - 1;
    size_t i = s->hash & mask;
    for (uint32_t v; (v = p->sample_index.slots[i]) != 0; i = (i + 1) & mask) {
        sample_t *o = p->samples[v - 1];
        if (o->hash != s->hash || o->nlocs != s->nlocs || o->nlabels != s->nlabels ||
            memcmp(o->d, s->d, nkey * sizeof s->d[0]) != 0)
            continue;
        /* Same stack and labels: sum the values (wrapping, never UB). */
        for (int j = 0; j < nvalues; j++)
            o->d[nkey + (size_t)j] =
                (int64_t)((uint64_t)o->d[nkey + (size_t)j] + (uint64_t)values[j]);
        free(s);
        return 0;
    }
    if (TP_PPROF_GROW(p->samples, p->samples_cap, p->nsamples + 1) != 0)
        goto nomem;
    p->samples[p->nsamples] = s;
    p->sample_index.slots[i] = (uint32_t)++p->nsamples;
    return 0;
nomem:
    free(s);
    return -ENOMEM;
}

size_t tp_pprof_nsamples(const tp_pprof_t *p)
{
    return p->nsamples;
}

size_t tp_pprof_nlocations(const tp_pprof_t *p)
{
    return p->nlocs;
}
