/*
 * pprof_decode.h: a tiny protobuf decoder for the unit suites of the
 * pprof writer (check_pprof, check_pprof_samples, check_profile,
 * check_protobuf), to assert on
 * what `go tool pprof` hides: exact varint bytes, the string table,
 * packed fields, addresses.  Field numbers are profile.proto's
 * (/work/shared/FORMATS.md).
 *
 * Header-only: static functions marked unused (each suite uses some),
 * failing the running Check test on malformed input.  The two field
 * readers stay out of line: inlined into a test, they let the compiler see
 * paths where the test's out parameter stays unset, and
 * -Wmaybe-uninitialized fails the -Werror build.
 */
#ifndef TP_PPROF_DECODE_H
#define TP_PPROF_DECODE_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PD_FN static __attribute__((unused))
#define PD_READER static __attribute__((unused, noinline))   /* see above */

/* Varints at their edges and the bytes that encode them (int64 fields:
 * a negative value takes ten bytes). */
typedef struct pd_varint_case {
    int64_t v;
    size_t len;
    unsigned char bytes[10];
} pd_varint_case_t;
static const pd_varint_case_t pd_varint_cases[] __attribute__((unused)) = {
    {0, 1, {0x00}},
    {1, 1, {0x01}},
    {127, 1, {0x7f}},
    {128, 2, {0x80, 0x01}},
    {300, 2, {0xac, 0x02}},
    {INT64_MAX, 9, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
    {-1, 10, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
};
enum { PD_VARINT_CASES = sizeof pd_varint_cases / sizeof pd_varint_cases[0] };

typedef struct pd_bytes {
    unsigned char *data;
    size_t len;
} pd_bytes_t;

/* The whole file at path, malloc'd. */
PD_FN pd_bytes_t pd_read_file(const char *path)
{
    pd_bytes_t b = {NULL, 0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    struct stat st;
    ck_assert(fstat(fd, &st) == 0);
    b.data = malloc((size_t)st.st_size + 1);
    ck_assert_ptr_nonnull(b.data);
    while (b.len < (size_t)st.st_size) {
        ssize_t r = read(fd, b.data + b.len, (size_t)st.st_size - b.len);
        ck_assert(r > 0);
        b.len += (size_t)r;
    }
    close(fd);
    return b;
}

typedef struct pd_field {
    int tag, wire;
    uint64_t v;                 /* wire type 0 */
    const unsigned char *data;  /* wire type 2 */
    size_t len;
} pd_field_t;

/* A varint at *p (advanced past it); 0, or -1 when malformed. */
PD_FN int pd_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char c = *(*p)++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Next field of a message; 1, or 0 at its end.  Fails on bad input. */
PD_FN int pd_next_field(const unsigned char **p, const unsigned char *end,
                                pd_field_t *f)
{
    if (*p >= end)
        return 0;
    uint64_t key;
    ck_assert_msg(pd_varint(p, end, &key) == 0, "bad key");
    f->tag = (int)(key >> 3);
    f->wire = (int)(key & 7);
    if (f->wire == 0) {
        ck_assert_msg(pd_varint(p, end, &f->v) == 0, "bad varint");
    } else {
        ck_assert_msg(f->wire == 2, "unexpected wire type %d", f->wire);
        uint64_t n;
        ck_assert_msg(pd_varint(p, end, &n) == 0 && n <= (uint64_t)(end - *p),
                      "bad length");
        f->data = *p;
        f->len = (size_t)n;
        *p += n;
    }
    return 1;
}

/* The fields with tag of a message, up to max; returns how many. */
PD_READER size_t pd_fields(const unsigned char *b, size_t n, int tag,
                               pd_field_t *out, size_t max)
{
    const unsigned char *p = b, *end = b + n;
    pd_field_t f;
    size_t k = 0;
    while (pd_next_field(&p, end, &f))
        if (f.tag == tag && k < max)
            out[k++] = f;
    return k;
}

/* The repeated numbers with tag in a message, packed or not, up to max;
 * returns how many. */
PD_READER size_t pd_numbers(const unsigned char *b, size_t n, int tag,
                                uint64_t *out, size_t max)
{
    const unsigned char *p = b, *end = b + n;
    pd_field_t f;
    size_t k = 0;
    while (pd_next_field(&p, end, &f)) {
        if (f.tag != tag)
            continue;
        if (f.wire == 0) {
            if (k < max)
                out[k++] = f.v;
            continue;
        }
        const unsigned char *q = f.data, *qe = f.data + f.len;
        uint64_t v;
        while (q < qe) {
            ck_assert(pd_varint(&q, qe, &v) == 0);
            if (k < max)
                out[k++] = v;
        }
    }
    return k;
}

/* The one number with tag in a message, or dflt when it is absent (as
 * proto3 leaves out zeros). */
PD_FN uint64_t pd_number(const unsigned char *b, size_t n, int tag, uint64_t dflt)
{
    uint64_t v;
    return pd_numbers(b, n, tag, &v, 1) == 1 ? v : dflt;
}

#define PD_MAXF 4096

/* The string table of a Profile: strs[i] malloc'd, NUL-terminated. */
typedef struct pd_strtab {
    char **strs;
    size_t n;
} pd_strtab_t;

PD_FN pd_strtab_t pd_string_table(const pd_bytes_t *b)
{
    pd_field_t *fs = malloc(PD_MAXF * sizeof *fs);
    ck_assert_ptr_nonnull(fs);
    pd_strtab_t t;
    t.n = pd_fields(b->data, b->len, 6, fs, PD_MAXF);
    t.strs = calloc(t.n + 1, sizeof *t.strs);
    ck_assert_ptr_nonnull(t.strs);
    for (size_t i = 0; i < t.n; i++) {
        ck_assert_int_eq(fs[i].wire, 2);
        t.strs[i] = strndup((const char *)fs[i].data, fs[i].len);
    }
    free(fs);
    return t;
}

/* String i of t; fails the test when i is out of the table. */
PD_FN const char *pd_str(const pd_strtab_t *t, uint64_t i)
{
    ck_assert_msg(i < t->n, "string index %llu of %zu", (unsigned long long)i, t->n);
    return t->strs[i];
}

PD_FN void pd_strtab_free(pd_strtab_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->strs[i]);
    free(t->strs);
}

#endif
