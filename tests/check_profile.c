/*
 * Check suite for output/profile.c, the renderer of model/profile.h
 * profiles: for each kind, what is written to a memory sink is decoded
 * (tests/pprof_decode.h) and checked against Go's conventions: the sample
 * types in order, the period type and period, the default sample type,
 * time and duration, the comment, and every sample with its stack (as
 * call addresses) and values.  Errors come back as negative errnos.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/profile.h"
#include "output/gzip.h"
#include "output/profile.h"
#include "output/sink.h"
#include "tests/pprof_decode.h"
#include "tests/profile_util.h"
#include "tests/testbase.h"

#if defined(__clang__)
#define NOIPA __attribute__((noinline, optnone))
#else
#define NOIPA __attribute__((noipa))
#endif

static volatile int sink_var;

static NOIPA int pf_leaf(int x) { return x * 3 + sink_var; }
static NOIPA int pf_middle(int x) { return pf_leaf(x) - 7; }
static NOIPA int pf_root(int x) { return pf_middle(x) * 5; }

/* A return address just inside fn: its call address is fn itself. */
#define PC_IN(fn) ((uintptr_t)(fn) + 1)

/* profile.proto field numbers (FORMATS.md). */
enum {
    SAMPLE_TYPE = 1, SAMPLE = 2, LOCATION = 4, TIME_NANOS = 9,
    DURATION_NANOS = 10, PERIOD_TYPE = 11, PERIOD = 12, COMMENT = 13,
    DEFAULT_SAMPLE_TYPE = 14,
};

static const uintptr_t stack1[] = {PC_IN(pf_leaf), PC_IN(pf_middle), PC_IN(pf_root)};
static const uintptr_t stack2[] = {PC_IN(pf_leaf), PC_IN(pf_root)};

static void setup(void)
{
    tp__gzip_force_raw(1);          /* the decoder reads the raw proto */
}

static void teardown(void)
{
    tp__gzip_force_raw(0);
}

static tp_profile_t profile(tp_profile_kind_t kind, const tp_profile_sample_t *s, size_t n)
{
    tp_profile_t p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.samples = s;
    p.nsamples = n;
    return p;
}

/* The sample types, joined with spaces. */
static void sample_types(const pd_bytes_t *b, const pd_strtab_t *t, char *buf, size_t len)
{
    pd_field_t f[8];
    size_t n = pd_fields(b->data, b->len, SAMPLE_TYPE, f, 8);
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char vt[128];
        value_type(&f[i], t, vt, sizeof vt);
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, "%s%s", i ? " " : "", vt);
    }
}

static void period_type(const pd_bytes_t *b, const pd_strtab_t *t, char *buf, size_t len)
{
    pd_field_t f;
    ck_assert_uint_eq(pd_fields(b->data, b->len, PERIOD_TYPE, &f, 1), 1);
    value_type(&f, t, buf, len);
}

/* Sample i's stack as call addresses (through its location ids) and its
 * values; returns the stack's depth. */
static size_t sample_of(const pd_bytes_t *b, size_t i, uint64_t *addrs, size_t max,
                        uint64_t *values, size_t *nvalues)
{
    pd_field_t s[16], locs[64];
    size_t ns = pd_fields(b->data, b->len, SAMPLE, s, 16);
    ck_assert_uint_lt(i, ns);
    size_t nl = pd_fields(b->data, b->len, LOCATION, locs, 64);
    uint64_t ids[64];
    size_t n = pd_numbers(s[i].data, s[i].len, 1, ids, 64);
    ck_assert_uint_le(n, max);
    for (size_t k = 0; k < n; k++) {
        ck_assert_uint_ge(ids[k], 1);
        ck_assert_uint_le(ids[k], nl);
        const pd_field_t *l = &locs[ids[k] - 1];
        ck_assert_uint_eq(pd_number(l->data, l->len, 1, 0), ids[k]);
        addrs[k] = pd_number(l->data, l->len, 3, 0);
    }
    *nvalues = pd_numbers(s[i].data, s[i].len, 2, values, 8);
    return n;
}

static size_t nsamples(const pd_bytes_t *b)
{
    pd_field_t s[64];
    return pd_fields(b->data, b->len, SAMPLE, s, 64);
}

/* The comments, as strings; returns how many, the first in buf. */
static size_t comment(const pd_bytes_t *b, const pd_strtab_t *t, char *buf, size_t len)
{
    uint64_t c[4];
    size_t n = pd_numbers(b->data, b->len, COMMENT, c, 4);
    buf[0] = '\0';
    if (n > 0)
        snprintf(buf, len, "%s", pd_str(t, c[0]));
    return n;
}

/* ---- tests ---- */

START_TEST(profile_mutex_types_period_time_comment)
{
    tp_profile_sample_t s[] = {
        {.pcs = stack1, .npcs = 3, .v = {3, 3000}},
        {.pcs = stack2, .npcs = 2, .v = {5, 125000}},
    };
    tp_profile_t p = profile(TP_PROFILE_MUTEX, s, 2);
    p.period = 999;                       /* not used for mutex: period 1 */
    p.time_ns = INT64_C(1700000000123456789);
    p.duration_ns = INT64_C(5000000000);
    snprintf(p.comment, sizeof p.comment, "threadprof: mutex fraction 1");
    pd_bytes_t b = render(&p);
    pd_strtab_t t = pd_string_table(&b);
    ck_assert_str_eq(pd_str(&t, 0), "");
    char buf[512];
    sample_types(&b, &t, buf, sizeof buf);
    ck_assert_str_eq(buf, "contentions/count delay/nanoseconds");
    period_type(&b, &t, buf, sizeof buf);
    ck_assert_str_eq(buf, "contentions/count");
    ck_assert_uint_eq(pd_number(b.data, b.len, PERIOD, 0), 1);
    ck_assert_uint_eq(pd_number(b.data, b.len, TIME_NANOS, 0), (uint64_t)p.time_ns);
    ck_assert_uint_eq(pd_number(b.data, b.len, DURATION_NANOS, 0), (uint64_t)p.duration_ns);
    ck_assert_uint_eq(pd_number(b.data, b.len, DEFAULT_SAMPLE_TYPE, 0), 0);
    ck_assert_uint_eq(comment(&b, &t, buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "threadprof: mutex fraction 1");

    ck_assert_uint_eq(nsamples(&b), 2);
    uint64_t addrs[8], v[8];
    size_t nv;
    ck_assert_uint_eq(sample_of(&b, 0, addrs, 8, v, &nv), 3);
    ck_assert_uint_eq(addrs[0], (uintptr_t)pf_leaf);     /* leaf first, pc - 1 */
    ck_assert_uint_eq(addrs[1], (uintptr_t)pf_middle);
    ck_assert_uint_eq(addrs[2], (uintptr_t)pf_root);
    ck_assert_uint_eq(nv, 2);
    ck_assert_uint_eq(v[0], 3);
    ck_assert_uint_eq(v[1], 3000);
    ck_assert_uint_eq(sample_of(&b, 1, addrs, 8, v, &nv), 2);
    ck_assert_uint_eq(addrs[0], (uintptr_t)pf_leaf);
    ck_assert_uint_eq(addrs[1], (uintptr_t)pf_root);
    ck_assert_uint_eq(nv, 2);
    ck_assert_uint_eq(v[0], 5);
    ck_assert_uint_eq(v[1], 125000);
    pd_strtab_free(&t);
    free(b.data);
}
END_TEST

START_TEST(profile_block_same_types_as_mutex)
{
    /* Values past the kind's two are not written. */
    tp_profile_sample_t s[] = {{.pcs = stack2, .npcs = 2, .v = {2, 4000000, 77, 88}}};
    tp_profile_t p = profile(TP_PROFILE_BLOCK, s, 1);
    p.period = 10000;
    p.time_ns = 1;
    p.duration_ns = 2;
    pd_bytes_t b = render(&p);
    pd_strtab_t t = pd_string_table(&b);
    char buf[512];
    sample_types(&b, &t, buf, sizeof buf);
    ck_assert_str_eq(buf, "contentions/count delay/nanoseconds");
    period_type(&b, &t, buf, sizeof buf);
    ck_assert_str_eq(buf, "contentions/count");
    ck_assert_uint_eq(pd_number(b.data, b.len, PERIOD, 0), 1);
    ck_assert_uint_eq(pd_number(b.data, b.len, TIME_NANOS, 0), 1);
    ck_assert_uint_eq(pd_number(b.data, b.len, DURATION_NANOS, 0), 2);
    ck_assert_uint_eq(pd_number(b.data, b.len, DEFAULT_SAMPLE_TYPE, 0), 0);
    uint64_t addrs[8], v[8];
    size_t nv;
    ck_assert_uint_eq(sample_of(&b, 0, addrs, 8, v, &nv), 2);
    ck_assert_uint_eq(nv, 2);
    ck_assert_uint_eq(v[0], 2);
    ck_assert_uint_eq(v[1], 4000000);
    pd_strtab_free(&t);
    free(b.data);
}
END_TEST

START_TEST(profile_heap_types_default_and_period)
{
    tp_profile_sample_t s[] = {
        {.pcs = stack1, .npcs = 3, .v = {10, 1048576, 2, 209715}},
        {.pcs = stack2, .npcs = 2, .v = {1, 4096, 0, 0}},
    };
    tp_profile_t p = profile(TP_PROFILE_HEAP, s, 2);
    p.period = 524288;
    p.time_ns = INT64_C(1700000000000000000);
    p.duration_ns = INT64_C(192000000000);
    snprintf(p.comment, sizeof p.comment, "threadprof: heap rate 524288 bytes");
    pd_bytes_t b = render(&p);
    pd_strtab_t t = pd_string_table(&b);
    char buf[512];
    sample_types(&b, &t, buf, sizeof buf);
    ck_assert_str_eq(buf, "alloc_objects/count alloc_space/bytes "
                          "inuse_objects/count inuse_space/bytes");
    ck_assert_str_eq(pd_str(&t, pd_number(b.data, b.len, DEFAULT_SAMPLE_TYPE, 0)),
                     "inuse_space");
    period_type(&b, &t, buf, sizeof buf);
    ck_assert_str_eq(buf, "space/bytes");
    ck_assert_uint_eq(pd_number(b.data, b.len, PERIOD, 0), 524288);
    ck_assert_uint_eq(pd_number(b.data, b.len, TIME_NANOS, 0), (uint64_t)p.time_ns);
    ck_assert_uint_eq(pd_number(b.data, b.len, DURATION_NANOS, 0), (uint64_t)p.duration_ns);
    ck_assert_uint_eq(comment(&b, &t, buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "threadprof: heap rate 524288 bytes");
    ck_assert_uint_eq(nsamples(&b), 2);
    uint64_t addrs[8], v[8];
    size_t nv;
    ck_assert_uint_eq(sample_of(&b, 0, addrs, 8, v, &nv), 3);
    ck_assert_uint_eq(nv, 4);
    ck_assert_uint_eq(v[0], 10);
    ck_assert_uint_eq(v[1], 1048576);
    ck_assert_uint_eq(v[2], 2);
    ck_assert_uint_eq(v[3], 209715);
    ck_assert_uint_eq(sample_of(&b, 1, addrs, 8, v, &nv), 2);
    ck_assert_uint_eq(nv, 4);
    ck_assert_uint_eq(v[1], 4096);
    ck_assert_uint_eq(v[3], 0);
    pd_strtab_free(&t);
    free(b.data);
}
END_TEST

/* The caller filters: a sample of zeros, and one with no stack, are
 * written too. */
START_TEST(profile_every_sample_written)
{
    tp_profile_sample_t s[] = {
        {.pcs = stack1, .npcs = 3, .v = {0, 0}},
        {.pcs = stack2, .npcs = 2, .v = {1, 10}},
        {.pcs = NULL, .npcs = 0, .v = {4, 40}},
    };
    tp_profile_t p = profile(TP_PROFILE_MUTEX, s, 3);
    pd_bytes_t b = render(&p);
    ck_assert_uint_eq(nsamples(&b), 3);
    uint64_t addrs[8], v[8];
    size_t nv;
    ck_assert_uint_eq(sample_of(&b, 0, addrs, 8, v, &nv), 3);
    ck_assert_uint_eq(v[0], 0);
    ck_assert_uint_eq(v[1], 0);
    ck_assert_uint_eq(sample_of(&b, 2, addrs, 8, v, &nv), 0);
    ck_assert_uint_eq(v[0], 4);
    ck_assert_uint_eq(v[1], 40);
    free(b.data);

    /* No samples at all: a profile with its header only. */
    p = profile(TP_PROFILE_HEAP, NULL, 0);
    b = render(&p);
    ck_assert_uint_eq(nsamples(&b), 0);
    pd_strtab_t t = pd_string_table(&b);
    char buf[512];
    sample_types(&b, &t, buf, sizeof buf);
    ck_assert_str_eq(buf, "alloc_objects/count alloc_space/bytes "
                          "inuse_objects/count inuse_space/bytes");
    pd_strtab_free(&t);
    free(b.data);
}
END_TEST

START_TEST(profile_comment_only_when_set)
{
    tp_profile_sample_t s[] = {{.pcs = stack2, .npcs = 2, .v = {1, 1}}};
    tp_profile_t p = profile(TP_PROFILE_BLOCK, s, 1);
    pd_bytes_t b = render(&p);
    pd_strtab_t t = pd_string_table(&b);
    char buf[512];
    ck_assert_uint_eq(comment(&b, &t, buf, sizeof buf), 0);
    pd_strtab_free(&t);
    free(b.data);

    /* A comment filling the whole array, without a NUL, is kept whole. */
    memset(p.comment, 'c', sizeof p.comment);
    b = render(&p);
    t = pd_string_table(&b);
    char want[sizeof p.comment + 1];
    memset(want, 'c', sizeof p.comment);
    want[sizeof p.comment] = '\0';
    ck_assert_uint_eq(comment(&b, &t, buf, sizeof buf), 1);
    ck_assert_str_eq(buf, want);
    pd_strtab_free(&t);
    free(b.data);
}
END_TEST

START_TEST(profile_written_gzipped)
{
    tp__gzip_force_raw(0);
    tp_profile_sample_t s[] = {{.pcs = stack1, .npcs = 3, .v = {1, 2, 3, 4}}};
    tp_profile_t p = profile(TP_PROFILE_HEAP, s, 1);
    p.period = 512 * 1024;
    pd_bytes_t b = render(&p);
    ck_assert_uint_ge(b.len, 18);
    ck_assert_uint_eq(b.data[0], 0x1f);
    ck_assert_uint_eq(b.data[1], 0x8b);
    free(b.data);
}
END_TEST

START_TEST(profile_errors_are_negative)
{
    tp_profile_sample_t s[] = {{.pcs = stack1, .npcs = 3, .v = {1, 2}}};
    tp_sink_t *sink = malloc(sizeof *sink);
    ck_assert_ptr_nonnull(sink);

    /* Bad arguments: nothing is written. */
    tp_sink_init_mem(sink);
    tp_profile_t p = profile((tp_profile_kind_t)42, s, 1);
    ck_assert_int_eq(tp_profile_write(sink, &p), -EINVAL);
    p = profile(TP_PROFILE_MUTEX, NULL, 1);
    ck_assert_int_eq(tp_profile_write(sink, &p), -EINVAL);
    tp_profile_sample_t nopcs = {.pcs = NULL, .npcs = 2};
    p = profile(TP_PROFILE_MUTEX, &nopcs, 1);
    ck_assert_int_eq(tp_profile_write(sink, &p), -EINVAL);
    ck_assert_uint_eq(sink->total, 0);
    ck_assert_int_eq(sink->err, 0);

    /* A sink that failed before keeps its error. */
    p = profile(TP_PROFILE_MUTEX, s, 1);
    sink->err = -EIO;
    ck_assert_int_eq(tp_profile_write(sink, &p), -EIO);
    tp_sink_free(sink);

    /* A full disk, compressed or not. */
    for (int raw = 0; raw <= 1; raw++) {
        tp__gzip_force_raw(raw);
        int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        tp_sink_init_fd(sink, fd);
        ck_assert_int_eq(tp_profile_write(sink, &p), -ENOSPC);
        ck_assert_int_eq(sink->err, -ENOSPC);
        close(fd);
    }
    free(sink);
}
END_TEST

static Suite *profile_suite(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, profile_mutex_types_period_time_comment);
    tcase_add_test(tc, profile_block_same_types_as_mutex);
    tcase_add_test(tc, profile_heap_types_default_and_period);
    tcase_add_test(tc, profile_every_sample_written);
    tcase_add_test(tc, profile_comment_only_when_set);
    tcase_add_test(tc, profile_written_gzipped);
    tcase_add_test(tc, profile_errors_are_negative);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(profile_suite());
}
