/*
 * pprof: builds a profile.proto in memory and writes it gzipped (see
 * pprof.h; field numbers in /work/shared/FORMATS.md and google/pprof's
 * proto/profile.proto).
 *
 * What is kept between calls is the part that depends on the caller: the
 * string table (deduplicated through a hash table, entry 0 the empty
 * string), the header fields, one Location per distinct call address, and
 * the samples (deduplicated by stack and labels).  Everything derived from
 * the process is computed in tp_pprof_write: the Mapping entries from
 * /proc/self/maps with build ids from the loaded objects' PT_NOTE segments
 * (dl_iterate_phdr: no file is opened), and the Lines and Functions of
 * each location from the symbolizer.
 *
 * The encoder streams: each top-level field is encoded into a small
 * protobuf buffer that is handed to the gzip stream whenever it passes
 * 64 KB, so writing needs no second copy of the whole profile.
 */
#include "output/pprof.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/forkguard.h"
#include "output/gzip.h"
#include "output/protobuf.h"
#include "base/procparse.h"
#include "symbolizer/symbolizer.h"

/* profile.proto field numbers. */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
    PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6,
    PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10,
    PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
    LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3, LABEL_NUM_UNIT = 4,
    MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3,
    MAPPING_FILE_OFFSET = 4, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
    MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10,
    LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3,
    LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1, LINE_LINE = 2,
    FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
    FUNCTION_FILENAME = 4,
};

/* Limits that keep every count and index inside 32 bits. */
#define MAX_ITEMS 0x7fffffffu
#define MAX_STACK (1 << 20)
#define MAX_LABELS (1 << 16)
/* Frames one address may expand to (inline depth + 1). */
#define MAX_INLINE 32
/* Hand encoded bytes to the gzip stream in pieces of about this size. */
#define FLUSH_BYTES 65536
/* Longest ELF build id kept (SHA-1 ids are 20 bytes). */
#define MAX_BUILD_ID 64

/* ---- small containers ---- */

/* Grows *ptr (of *cap elements of size elem) to hold need elements. */
static int grow(void **ptr, size_t *cap, size_t need, size_t elem)
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

#define GROW(arr, cap, need) grow((void **)&(arr), &(cap), (need), sizeof *(arr))

/* An open-addressing index: slots hold element index + 1 (0 = empty);
 * the elements live in an array of their own. */
typedef struct idxtab {
    uint32_t *slots;
    size_t nslots;            /* a power of two, or 0 */
} idxtab_t;

typedef uint32_t hash_of_fn_t(const void *ctx, uint32_t idx);

/* Makes room for count + 1 entries (load factor at most 1/2), rehashing
 * with hash_of.  Returns 0 or -ENOMEM (the table is unchanged then). */
static int tab_reserve(idxtab_t *t, size_t count, hash_of_fn_t *hash_of,
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

static uint32_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return (uint32_t)x;
}

/* ---- the profile ---- */

typedef struct pstr {
    size_t off;               /* in chars */
    uint32_t len, hash;
} pstr_t;

typedef struct loc {
    uint64_t addr;            /* the call address: pc - 1, or the exact pc */
    uintptr_t pc;             /* as first given, for the symbolizer */
    int is_return;
} loc_t;

/* key[]: location ids, then 4 words per label (key, str or -1, num,
 * unit); values follow the key. */
typedef struct sample {
    uint32_t hash, nlocs, nlabels;
    int64_t d[];
} sample_t;

struct tp_pprof {
    int err;                  /* kept from tp_pprof_period (positive) */

    char *chars;
    size_t chars_len, chars_cap;
    pstr_t *strs;
    size_t nstrs, strs_cap;
    idxtab_t str_index;

    int64_t (*types)[2];      /* sample types: type, unit */
    size_t ntypes, types_cap;
    int64_t period_type[2];
    int has_period_type;
    int64_t period;
    int64_t time_nanos, duration_nanos;
    int64_t *comments;
    size_t ncomments, comments_cap;
    int64_t default_type;

    loc_t *locs;
    size_t nlocs, locs_cap;
    idxtab_t loc_index;

    sample_t **samples;
    size_t nsamples, samples_cap;
    idxtab_t sample_index;
};

static uint32_t str_hash_of(const void *ctx, uint32_t idx)
{
    return ((const tp_pprof_t *)ctx)->strs[idx].hash;
}

/* The index of string s[0..n) in the table, adding it if new; or -ENOMEM
 * (-EINVAL for strings of 4 GB and more). */
static int64_t intern_n(tp_pprof_t *p, const char *s, size_t n)
{
    if (n > UINT32_MAX)
        return -EINVAL;
    uint32_t h = hash_bytes(HASH_SEED, s, n);
    if (p->nstrs >= MAX_ITEMS ||
        tab_reserve(&p->str_index, p->nstrs, str_hash_of, p) != 0)
        return -ENOMEM;
    size_t mask = p->str_index.nslots - 1;
    size_t i = h & mask;
    for (uint32_t v; (v = p->str_index.slots[i]) != 0; i = (i + 1) & mask) {
        const pstr_t *e = &p->strs[v - 1];
        if (e->hash == h && e->len == n && memcmp(p->chars + e->off, s, n) == 0)
            return v - 1;
    }
    if (GROW(p->strs, p->strs_cap, p->nstrs + 1) != 0 ||
        grow((void **)&p->chars, &p->chars_cap, p->chars_len + n + 1, 1) != 0)
        return -ENOMEM;
    memcpy(p->chars + p->chars_len, s, n);
    p->chars[p->chars_len + n] = '\0';
    p->strs[p->nstrs] = (pstr_t){.off = p->chars_len, .len = (uint32_t)n, .hash = h};
    p->chars_len += n + 1;
    p->str_index.slots[i] = (uint32_t)++p->nstrs;
    return (int64_t)p->nstrs - 1;
}

static int64_t intern(tp_pprof_t *p, const char *s)
{
    return intern_n(p, s ? s : "", s ? strlen(s) : 0);
}

tp_pprof_t *tp_pprof_new(void)
{
    tp_pprof_t *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    if (intern(p, "") != 0) {           /* string_table[0] must be "" */
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
    int64_t t = intern(p, type), u = intern(p, unit);
    if (t < 0 || u < 0)
        return t < 0 ? (int)t : (int)u;
    if (GROW(p->types, p->types_cap, p->ntypes + 1) != 0)
        return -ENOMEM;
    p->types[p->ntypes][0] = t;
    p->types[p->ntypes][1] = u;
    p->ntypes++;
    return 0;
}

void tp_pprof_period(tp_pprof_t *p, const char *type, const char *unit,
                     int64_t period)
{
    int64_t t = intern(p, type), u = intern(p, unit);
    if (t < 0 || u < 0) {
        p->err = ENOMEM;
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
    int64_t s = intern(p, text);
    if (s < 0)
        return (int)s;
    if (GROW(p->comments, p->comments_cap, p->ncomments + 1) != 0)
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

static uint32_t loc_hash_of(const void *ctx, uint32_t idx)
{
    return hash_u64(((const tp_pprof_t *)ctx)->locs[idx].addr);
}

/* The id (1-based) of the location of pc, adding it if new; or -ENOMEM. */
static int64_t location_id(tp_pprof_t *p, uintptr_t pc, int is_return)
{
    /* Go's convention: a location's address is the call instruction's,
     * which a return address lies just after. */
    uint64_t addr = is_return && pc > 0 ? (uint64_t)pc - 1 : (uint64_t)pc;
    uint32_t h = hash_u64(addr);
    if (p->nlocs >= MAX_ITEMS ||
        tab_reserve(&p->loc_index, p->nlocs, loc_hash_of, p) != 0)
        return -ENOMEM;
    size_t mask = p->loc_index.nslots - 1;
    size_t i = h & mask;
    for (uint32_t v; (v = p->loc_index.slots[i]) != 0; i = (i + 1) & mask)
        if (p->locs[v - 1].addr == addr)
            return v;
    if (GROW(p->locs, p->locs_cap, p->nlocs + 1) != 0)
        return -ENOMEM;
    p->locs[p->nlocs] = (loc_t){.addr = addr, .pc = pc, .is_return = is_return};
    p->loc_index.slots[i] = (uint32_t)++p->nlocs;
    return (int64_t)p->nlocs;
}

static size_t sample_key_words(const sample_t *s)
{
    return s->nlocs + 4 * (size_t)s->nlabels;
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
        int64_t k = intern(p, l->key);
        int64_t v = l->str ? intern(p, l->str) : -1;
        int64_t u = !l->str && l->num_unit ? intern(p, l->num_unit) : 0;
        if (k < 0 || (l->str && v < 0) || u < 0)
            goto nomem;
        *d++ = k;
        *d++ = v;
        *d++ = l->str ? 0 : l->num;
        *d++ = u;
    }
    memcpy(d, values, (size_t)nvalues * sizeof *values);
    size_t nkey = sample_key_words(s);
    s->hash = hash_bytes(hash_u64(((uint64_t)s->nlocs << 32) | s->nlabels),
                         s->d, nkey * sizeof s->d[0]);

    if (p->nsamples >= MAX_ITEMS ||
        tab_reserve(&p->sample_index, p->nsamples, sample_hash_of, p) != 0)
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
    if (GROW(p->samples, p->samples_cap, p->nsamples + 1) != 0)
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

/* ---- tp_pprof_write: mappings ---- */

typedef struct mapping {
    uint64_t start, limit, offset;
    int64_t file;                        /* string index */
    int64_t build_id;                    /* string index, 0 = none */
    unsigned char bid[MAX_BUILD_ID];     /* raw build id, from dl_iterate_phdr */
    size_t bid_len;
    int has_functions, has_filenames, has_line_numbers, has_inline_frames;
} mapping_t;

typedef struct line {
    uint64_t function_id;
    int64_t line;
} line_t;

typedef struct function {
    int64_t name, file;                  /* string indexes */
} function_t;

/* What tp_pprof_write derives from the process, freed when it returns. */
typedef struct derived {
    mapping_t *maps;
    size_t nmaps, maps_cap;
    uint64_t *loc_mapping;               /* per location: mapping id or 0 */
    size_t *loc_line;                    /* per location: first line */
    uint32_t *loc_nlines;
    unsigned char *loc_gave;             /* per location: GAVE_* bits */
    line_t *lines;
    size_t nlines, lines_cap;
    function_t *funcs;
    size_t nfuncs, funcs_cap;
    idxtab_t func_index;
} derived_t;

static void derived_free(derived_t *w)
{
    free(w->maps);
    free(w->loc_mapping);
    free(w->loc_line);
    free(w->loc_nlines);
    free(w->loc_gave);
    free(w->lines);
    free(w->funcs);
    free(w->func_index.slots);
}

/* One line of /proc/self/maps; executable, file-backed (or named, like
 * [vdso]) mappings are kept, as Go's parseProcSelfMaps keeps them. */
static int parse_maps_line(void *arg, char *line)
{
    tp_pprof_t *p = ((void **)arg)[0];
    derived_t *w = ((void **)arg)[1];
    tp_maps_line_t ml;
    if (!tp_maps_parse_line(line, &ml))
        return 0;
    if (GROW(w->maps, w->maps_cap, w->nmaps + 1) != 0)
        return -ENOMEM;
    int64_t f = intern_n(p, ml.file, ml.file_len);
    if (f < 0)
        return (int)f;
    mapping_t *m = &w->maps[w->nmaps++];
    memset(m, 0, sizeof *m);
    m->start = ml.start;
    m->limit = ml.limit;
    m->offset = ml.offset;
    m->file = f;
    return 0;
}

/* Reads /proc/self/maps line by line through a fixed buffer (lines
 * longer than it, impossible with PATH_MAX paths, are skipped).  A
 * process without /proc gets no mappings, which is not an error. */
static int read_maps(tp_pprof_t *p, derived_t *w)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    void *arg[2] = {p, w};
    int rc = tp_maps_each_line(fd, parse_maps_line, arg);
    close(fd);
    return rc;
}

/* The NT_GNU_BUILD_ID note of a loaded object, read from its PT_NOTE
 * segments in memory.  Returns the id's length (0: none). */
static size_t object_build_id(const struct dl_phdr_info *info, unsigned char *out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        size_t align = ph->p_align == 8 ? 8 : 4;
        const unsigned char *q = (const unsigned char *)(info->dlpi_addr + ph->p_vaddr);
        size_t left = ph->p_memsz;
        while (left >= sizeof(ElfW(Nhdr))) {
            ElfW(Nhdr) nh;
            memcpy(&nh, q, sizeof nh);
            size_t name_sz = (nh.n_namesz + align - 1) & ~(align - 1);
            size_t desc_sz = (nh.n_descsz + align - 1) & ~(align - 1);
            if (name_sz > left - sizeof nh || desc_sz > left - sizeof nh - name_sz)
                break;
            const unsigned char *name = q + sizeof nh;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0 && nh.n_descsz > 0) {
                size_t n = nh.n_descsz < MAX_BUILD_ID ? nh.n_descsz : MAX_BUILD_ID;
                memcpy(out, name + name_sz, n);
                return n;
            }
            q += sizeof nh + name_sz + desc_sz;
            left -= sizeof nh + name_sz + desc_sz;
        }
    }
    return 0;
}

/* dl_iterate_phdr callback: gives each mapping that overlaps a loadable
 * segment of the object the object's build id.  Allocates nothing (it runs
 * with the loader's lock held). */
static int match_build_id(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    derived_t *w = data;
    unsigned char bid[MAX_BUILD_ID];
    size_t n = 0;
    int looked = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
            continue;
        uint64_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        for (size_t j = 0; j < w->nmaps; j++) {
            mapping_t *m = &w->maps[j];
            if (m->bid_len != 0 || m->start >= hi || m->limit <= lo)
                continue;
            if (!looked) {
                n = object_build_id(info, bid);
                looked = 1;
            }
            if (n == 0)
                return 0;
            memcpy(m->bid, bid, n);
            m->bid_len = n;
        }
    }
    return 0;
}

static int add_build_ids(tp_pprof_t *p, derived_t *w)
{
    if (w->nmaps == 0)
        return 0;
    tp_loader_enter_wait(100);          /* no fork meanwhile (base/forkguard.c) */
    dl_iterate_phdr(match_build_id, w);
    tp_loader_leave();
    for (size_t i = 0; i < w->nmaps; i++) {
        mapping_t *m = &w->maps[i];
        if (m->bid_len == 0)
            continue;
        char hex[2 * MAX_BUILD_ID + 1];
        for (size_t j = 0; j < m->bid_len; j++)
            snprintf(hex + 2 * j, 3, "%02x", m->bid[j]);
        int64_t s = intern(p, hex);
        if (s < 0)
            return (int)s;
        m->build_id = s;
    }
    return 0;
}

/* The mapping holding addr (maps are sorted by address): its 1-based id,
 * or 0. */
static uint64_t mapping_of(const derived_t *w, uint64_t addr)
{
    size_t lo = 0, hi = w->nmaps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (addr < w->maps[mid].start)
            hi = mid;
        else if (addr >= w->maps[mid].limit)
            lo = mid + 1;
        else
            return mid + 1;
    }
    return 0;
}

/* ---- tp_pprof_write: symbolization ---- */

static uint32_t func_hash_of(const void *ctx, uint32_t idx)
{
    const function_t *f = &((const derived_t *)ctx)->funcs[idx];
    return hash_u64(((uint64_t)f->name << 32) ^ (uint64_t)f->file);
}

/* The id of function (name, file), adding it if new; or -ENOMEM. */
static int64_t function_id(derived_t *w, int64_t name, int64_t file)
{
    function_t key = {.name = name, .file = file};
    uint32_t h = hash_u64(((uint64_t)name << 32) ^ (uint64_t)file);
    if (w->nfuncs >= MAX_ITEMS ||
        tab_reserve(&w->func_index, w->nfuncs, func_hash_of, w) != 0)
        return -ENOMEM;
    size_t mask = w->func_index.nslots - 1;
    size_t i = h & mask;
    for (uint32_t v; (v = w->func_index.slots[i]) != 0; i = (i + 1) & mask)
        if (w->funcs[v - 1].name == name && w->funcs[v - 1].file == file)
            return v;
    if (GROW(w->funcs, w->funcs_cap, w->nfuncs + 1) != 0)
        return -ENOMEM;
    w->funcs[w->nfuncs] = key;
    w->func_index.slots[i] = (uint32_t)++w->nfuncs;
    return (int64_t)w->nfuncs;
}

/* What the symbolizer gave for a location, for its mapping's has_* flags. */
enum {
    GAVE_FUNCTION = 1, GAVE_FILENAME = 2, GAVE_LINE_NUMBER = 4, GAVE_INLINE = 8,
};

/*
 * Turns each location into Lines.  The symbolizer's frames come innermost
 * inlined function first, pprof's order too.  A frame without a function
 * name is named "module+0xoffset" (the call address's offset in the
 * module, what `addr2line -e module` takes), so that `pprof -top` shows
 * something to look up; its mapping does not claim has_functions for it,
 * so pprof still symbolizes such a mapping itself when the binary is at
 * hand.  An address in no module gets no Line: pprof shows its address.
 */
static int symbolize(tp_pprof_t *p, derived_t *w)
{
    if (p->nlocs == 0)
        return 0;
    w->loc_mapping = calloc(p->nlocs, sizeof *w->loc_mapping);
    w->loc_line = calloc(p->nlocs, sizeof *w->loc_line);
    w->loc_nlines = calloc(p->nlocs, sizeof *w->loc_nlines);
    w->loc_gave = calloc(p->nlocs, sizeof *w->loc_gave);
    if (!w->loc_mapping || !w->loc_line || !w->loc_nlines || !w->loc_gave)
        return -ENOMEM;
    tp_sym_frame_t fr[MAX_INLINE];
    for (size_t i = 0; i < p->nlocs; i++) {
        const loc_t *l = &p->locs[i];
        int k = tp_sym_resolve(l->pc, l->is_return, fr, MAX_INLINE);
        if (GROW(w->lines, w->lines_cap, w->nlines + (size_t)(k > 0 ? k : 0)) != 0)
            return -ENOMEM;
        w->loc_line[i] = w->nlines;
        unsigned gave = 0;
        for (int j = 0; j < k; j++) {
            const tp_sym_frame_t *f = &fr[j];
            int64_t name;
            if (f->function != NULL) {
                name = intern(p, f->function);
            } else if (f->module != NULL) {
                char buf[4200];
                uintptr_t off = f->module_offset - (l->is_return && f->module_offset > 0);
                snprintf(buf, sizeof buf, "%s+0x%lx", f->module, (unsigned long)off);
                name = intern(p, buf);
            } else {
                continue;
            }
            int64_t file = intern(p, f->file);
            if (name < 0 || file < 0)
                return -ENOMEM;
            int64_t fid = function_id(w, name, file);
            if (fid < 0)
                return (int)fid;
            w->lines[w->nlines++] = (line_t){.function_id = (uint64_t)fid,
                                             .line = f->line > 0 ? f->line : 0};
            gave |= (f->function ? GAVE_FUNCTION : 0) | (f->file ? GAVE_FILENAME : 0) |
                    (f->line > 0 ? GAVE_LINE_NUMBER : 0) | (f->inlined ? GAVE_INLINE : 0);
        }
        w->loc_nlines[i] = (uint32_t)(w->nlines - w->loc_line[i]);
        w->loc_gave[i] = (unsigned char)gave;
    }
    return 0;
}

/* Points each location at its mapping and sets the mappings' has_* flags
 * from what the symbolizer gave for the locations in them. */
static void assign_mappings(const tp_pprof_t *p, derived_t *w)
{
    for (size_t i = 0; i < p->nlocs; i++) {
        uint64_t mid = mapping_of(w, p->locs[i].addr);
        w->loc_mapping[i] = mid;
        if (mid == 0)
            continue;
        mapping_t *m = &w->maps[mid - 1];
        unsigned gave = w->loc_gave[i];
        m->has_functions |= (gave & GAVE_FUNCTION) != 0;
        m->has_filenames |= (gave & GAVE_FILENAME) != 0;
        m->has_line_numbers |= (gave & GAVE_LINE_NUMBER) != 0;
        /* Line numbers come from the libdw back end, which expands inlined
         * calls: its answers are complete in that respect (pprof's own
         * symbolizer sets the flag the same way). */
        m->has_inline_frames |= (gave & (GAVE_INLINE | GAVE_LINE_NUMBER)) != 0;
    }
}

/* ---- tp_pprof_write: encoding ---- */

/* Hands the encoded bytes to the gzip stream once they are many. */
static void maybe_flush(tp_pb_t *b, tp_gzip_t *gz, int force)
{
    if (b->err || b->len == 0 || (!force && b->len < FLUSH_BYTES))
        return;
    tp_gzip_write(gz, b->data, b->len);
    tp_pb_reset(b);
}

static void value_type(tp_pb_t *b, int tag, const int64_t vt[2])
{
    size_t start = tp_pb_start_message(b);
    tp_pb_int64_opt(b, VALUETYPE_TYPE, vt[0]);
    tp_pb_int64_opt(b, VALUETYPE_UNIT, vt[1]);
    tp_pb_end_message(b, tag, start);
}

static void encode_sample(tp_pb_t *b, const tp_pprof_t *p, const sample_t *s)
{
    size_t start = tp_pb_start_message(b);
    size_t nkey = sample_key_words(s);
    /* Location ids are positive: their int64 words are the uint64s. */
    tp_pb_int64s(b, SAMPLE_LOCATION_ID, s->d, s->nlocs);
    tp_pb_int64s(b, SAMPLE_VALUE, s->d + nkey, p->ntypes);
    for (uint32_t i = 0; i < s->nlabels; i++) {
        const int64_t *l = s->d + s->nlocs + 4 * (size_t)i;
        size_t ls = tp_pb_start_message(b);
        tp_pb_int64_opt(b, LABEL_KEY, l[0]);
        if (l[1] >= 0) {
            tp_pb_int64_opt(b, LABEL_STR, l[1]);
        } else {
            tp_pb_int64_opt(b, LABEL_NUM, l[2]);
            tp_pb_int64_opt(b, LABEL_NUM_UNIT, l[3]);
        }
        tp_pb_end_message(b, SAMPLE_LABEL, ls);
    }
    tp_pb_end_message(b, PROFILE_SAMPLE, start);
}

static void encode_mapping(tp_pb_t *b, const mapping_t *m, uint64_t id)
{
    size_t start = tp_pb_start_message(b);
    tp_pb_uint64(b, MAPPING_ID, id);
    tp_pb_uint64_opt(b, MAPPING_MEMORY_START, m->start);
    tp_pb_uint64_opt(b, MAPPING_MEMORY_LIMIT, m->limit);
    tp_pb_uint64_opt(b, MAPPING_FILE_OFFSET, m->offset);
    tp_pb_int64_opt(b, MAPPING_FILENAME, m->file);
    tp_pb_int64_opt(b, MAPPING_BUILD_ID, m->build_id);
    tp_pb_bool_opt(b, MAPPING_HAS_FUNCTIONS, m->has_functions);
    tp_pb_bool_opt(b, MAPPING_HAS_FILENAMES, m->has_filenames);
    tp_pb_bool_opt(b, MAPPING_HAS_LINE_NUMBERS, m->has_line_numbers);
    tp_pb_bool_opt(b, MAPPING_HAS_INLINE_FRAMES, m->has_inline_frames);
    tp_pb_end_message(b, PROFILE_MAPPING, start);
}

static void encode_location(tp_pb_t *b, const tp_pprof_t *p, const derived_t *w,
                            size_t i)
{
    size_t start = tp_pb_start_message(b);
    tp_pb_uint64(b, LOCATION_ID, i + 1);
    tp_pb_uint64_opt(b, LOCATION_MAPPING_ID, w->loc_mapping[i]);
    tp_pb_uint64_opt(b, LOCATION_ADDRESS, p->locs[i].addr);
    for (uint32_t j = 0; j < w->loc_nlines[i]; j++) {
        const line_t *ln = &w->lines[w->loc_line[i] + j];
        size_t ls = tp_pb_start_message(b);
        tp_pb_uint64_opt(b, LINE_FUNCTION_ID, ln->function_id);
        tp_pb_int64_opt(b, LINE_LINE, ln->line);
        tp_pb_end_message(b, LOCATION_LINE, ls);
    }
    tp_pb_end_message(b, PROFILE_LOCATION, start);
}

static void encode_function(tp_pb_t *b, const function_t *f, uint64_t id)
{
    size_t start = tp_pb_start_message(b);
    tp_pb_uint64(b, FUNCTION_ID, id);
    tp_pb_int64_opt(b, FUNCTION_NAME, f->name);
    tp_pb_int64_opt(b, FUNCTION_SYSTEM_NAME, f->name);
    tp_pb_int64_opt(b, FUNCTION_FILENAME, f->file);
    tp_pb_end_message(b, PROFILE_FUNCTION, start);
}

/* Encodes the whole profile into gz.  Every string is interned before
 * this runs, so the string table goes last. */
static int encode(const tp_pprof_t *p, const derived_t *w, tp_gzip_t *gz)
{
    tp_pb_t b;
    tp_pb_init(&b);
    for (size_t i = 0; i < p->ntypes; i++)
        value_type(&b, PROFILE_SAMPLE_TYPE, p->types[i]);
    for (size_t i = 0; i < p->nsamples && !b.err && !gz->err; i++) {
        encode_sample(&b, p, p->samples[i]);
        maybe_flush(&b, gz, 0);
    }
    for (size_t i = 0; i < w->nmaps && !b.err && !gz->err; i++) {
        encode_mapping(&b, &w->maps[i], i + 1);
        maybe_flush(&b, gz, 0);
    }
    for (size_t i = 0; i < p->nlocs && !b.err && !gz->err; i++) {
        encode_location(&b, p, w, i);
        maybe_flush(&b, gz, 0);
    }
    for (size_t i = 0; i < w->nfuncs && !b.err && !gz->err; i++) {
        encode_function(&b, &w->funcs[i], i + 1);
        maybe_flush(&b, gz, 0);
    }
    tp_pb_int64_opt(&b, PROFILE_TIME_NANOS, p->time_nanos);
    tp_pb_int64_opt(&b, PROFILE_DURATION_NANOS, p->duration_nanos);
    if (p->has_period_type)
        value_type(&b, PROFILE_PERIOD_TYPE, p->period_type);
    tp_pb_int64_opt(&b, PROFILE_PERIOD, p->period);
    tp_pb_int64s(&b, PROFILE_COMMENT, p->comments, p->ncomments);
    tp_pb_int64_opt(&b, PROFILE_DEFAULT_SAMPLE_TYPE, p->default_type);
    for (size_t i = 0; i < p->nstrs && !b.err && !gz->err; i++) {
        tp_pb_bytes(&b, PROFILE_STRING_TABLE, p->chars + p->strs[i].off, p->strs[i].len);
        maybe_flush(&b, gz, 0);
    }
    maybe_flush(&b, gz, 1);
    int err = b.err;
    tp_pb_free(&b);
    return err;
}

int tp_pprof_write(tp_pprof_t *p, tp_sink_t *sink)
{
    if (p->err)
        return p->err;
    if (sink->err)
        return sink->err;
    /* Symbolizing may load libdw and its libraries, and the gzip stream
     * libz: both come before /proc/self/maps is read, so that the mappings
     * of a first profile are those of the next ones. */
    derived_t w;
    memset(&w, 0, sizeof w);
    int rc = -symbolize(p, &w);
    tp_gzip_t gz;
    if (rc == 0)
        rc = tp_gzip_begin(&gz, sink);
    if (rc != 0) {
        derived_free(&w);
        return rc;
    }
    int enc = -read_maps(p, &w);
    if (enc == 0)
        enc = -add_build_ids(p, &w);
    if (enc == 0) {
        assign_mappings(p, &w);
        enc = encode(p, &w, &gz);
    }
    rc = tp_gzip_end(&gz);
    derived_free(&w);
    return enc ? enc : rc;
}
