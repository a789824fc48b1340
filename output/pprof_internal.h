/*
 * pprof_internal: what the files of the pprof writer share.  Internal to
 * output/pprof*.c; output/pprof.h is the public face.
 *
 * The writer is four files along the way a profile is made:
 *   pprof.c            the profile as the caller builds it: strings,
 *                      sample types, header fields, locations, samples;
 *   pprof_maps.c       Mapping entries from /proc/self/maps, with the
 *                      loaded objects' ELF build ids;
 *   pprof_symbolize.c  Lines and Functions of each location;
 *   pprof_encode.c     the protobuf encoding and tp_pprof_write.
 * The first holds what the caller added (struct tp_pprof); the others
 * compute, at write time, what is derived from the process (derived_t),
 * which is freed when tp_pprof_write returns.
 *
 * Every function here returns 0 (or an index / id) or a negative errno.
 */
#ifndef TP_PPROF_INTERNAL_H
#define TP_PPROF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "output/pprof.h"

/* Limits that keep every count and index inside 32 bits. */
#define TP_PPROF_MAX_ITEMS 0x7fffffffu
/* Longest ELF build id kept (SHA-1 ids are 20 bytes). */
#define TP_PPROF_MAX_BUILD_ID 64

/* ---- containers and hashing (pprof.c) ---- */

/* Grows *ptr (of *cap elements of size elem) to hold need elements.
 * Returns 0 or -ENOMEM (*ptr unchanged then). */
int tp__pprof_grow(void **ptr, size_t *cap, size_t need, size_t elem);

#define TP_PPROF_GROW(arr, cap, need) \
    tp__pprof_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

/* An open-addressing index: slots hold element index + 1 (0 = empty);
 * the elements live in an array of their own. */
typedef struct idxtab {
    uint32_t *slots;
    size_t nslots;            /* a power of two, or 0 */
} idxtab_t;

typedef uint32_t hash_of_fn_t(const void *ctx, uint32_t idx);

/* Makes room for count + 1 entries (load factor at most 1/2), rehashing
 * with hash_of.  Returns 0 or -ENOMEM (the table is unchanged then). */
int tp__pprof_tab_reserve(idxtab_t *t, size_t count, hash_of_fn_t *hash_of,
                          const void *ctx);

static inline uint32_t tp__pprof_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return (uint32_t)x;
}

/* ---- the profile as built by the caller (pprof.c) ---- */

typedef struct pstr {
    size_t off;               /* in chars */
    uint32_t len, hash;
} pstr_t;

typedef struct loc {
    uint64_t addr;            /* the call address: pc - 1, or the exact pc */
    uintptr_t pc;             /* as first given, for the symbolizer */
    int is_return;
} loc_t;

/* d[]: the key, location ids then 4 words per label (key, str or -1, num,
 * unit); the values follow the key. */
typedef struct sample {
    uint32_t hash, nlocs, nlabels;
    int64_t d[];
} sample_t;

static inline size_t tp__pprof_sample_key_words(const sample_t *s)
{
    return s->nlocs + 4 * (size_t)s->nlabels;
}

struct tp_pprof {
    int err;                  /* kept from tp_pprof_period (negative) */

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

/* The index of string s[0..n) in the string table, adding it if new; or
 * -ENOMEM (-EINVAL for strings of 4 GB and more). */
int64_t tp__pprof_intern_n(tp_pprof_t *p, const char *s, size_t n);
/* The same for a C string; NULL is "". */
int64_t tp__pprof_intern(tp_pprof_t *p, const char *s);

/* ---- what tp_pprof_write derives from the process ---- */

typedef struct mapping {
    uint64_t start, limit, offset;
    int64_t file;                        /* string index */
    int64_t build_id;                    /* string index, 0 = none */
    unsigned char bid[TP_PPROF_MAX_BUILD_ID];   /* raw, from dl_iterate_phdr */
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

/* What the symbolizer gave for a location, for its mapping's has_* flags. */
enum {
    GAVE_FUNCTION = 1, GAVE_FILENAME = 2, GAVE_LINE_NUMBER = 4, GAVE_INLINE = 8,
};

typedef struct derived {
    mapping_t *maps;                     /* sorted by address */
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

/* pprof_maps.c: reads the executable mappings of /proc/self/maps into
 * w->maps (none without /proc, which is not an error), gives them the
 * build ids of the loaded objects, and points every location at its
 * mapping (after tp__pprof_symbolize: the has_* flags come from what the
 * symbolizer gave).  0 or a negative errno. */
int tp__pprof_read_maps(tp_pprof_t *p, derived_t *w);
int tp__pprof_add_build_ids(tp_pprof_t *p, derived_t *w);
void tp__pprof_assign_mappings(const tp_pprof_t *p, derived_t *w);

/* pprof_symbolize.c: the Lines and Functions of every location.  0 or
 * -ENOMEM. */
int tp__pprof_symbolize(tp_pprof_t *p, derived_t *w);

#endif
