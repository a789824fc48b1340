/*
 * Check suite for output/profdelta.c, the difference of two profiles
 * (Go's ?seconds=N, godeltaprof's delta_* paths): samples matched by
 * stack, the absolute mask (heap in-use values as they are), zeros
 * dropped, stacks only in the older profile negative, the order, where
 * the stacks point, the header, errors; and the difference written as a
 * profile that decodes, and that `go tool pprof` reads when go is
 * installed (skipped otherwise).
 *
 * Stacks are arrays of addresses in this file's functions; the tests
 * check which array a result points into.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/profile.h"
#include "output/gzip.h"
#include "output/profdelta.h"
#include "output/profile.h"
#include "output/sink.h"
#include "tests/pprof_decode.h"
#include "tests/testbase.h"

static volatile int sink_var;

static __attribute__((noipa)) int pd_leaf(int x) { return x * 3 + sink_var; }
static __attribute__((noipa)) int pd_middle(int x) { return pd_leaf(x) - 7; }
static __attribute__((noipa)) int pd_root(int x) { return pd_middle(x) * 5; }
static __attribute__((noipa)) int pd_other(int x) { return pd_leaf(x) + 11; }

#define PC_IN(fn) ((uintptr_t)(fn) + 1)

/* Each profile has stacks of its own (equal contents, other storage), as
 * two captures would. */
static const uintptr_t now_a[] = {PC_IN(pd_leaf), PC_IN(pd_middle), PC_IN(pd_root)};
static const uintptr_t now_b[] = {PC_IN(pd_leaf), PC_IN(pd_other)};
static const uintptr_t now_a2[] = {PC_IN(pd_leaf), PC_IN(pd_middle), PC_IN(pd_root)};
static const uintptr_t before_a[] = {PC_IN(pd_leaf), PC_IN(pd_middle), PC_IN(pd_root)};
static const uintptr_t before_b[] = {PC_IN(pd_leaf), PC_IN(pd_other)};
static const uintptr_t before_c[] = {PC_IN(pd_middle), PC_IN(pd_root)};

enum { SAMPLE = 2, TIME_NANOS = 9, DURATION_NANOS = 10 };

static char tmpdir[PATH_MAX];

static void setup(void)
{
    tu_temp_dir(tmpdir, sizeof tmpdir, "profdelta-");
    char cache[PATH_MAX + 16];
    snprintf(cache, sizeof cache, "%s/gocache", tmpdir);
    setenv("HOME", tmpdir, 1);
    setenv("GOCACHE", cache, 1);
    unsetenv("GOFLAGS");
    tp__gzip_force_raw(0);
}

static void teardown(void)
{
    tp__gzip_force_raw(0);
    tu_remove_temp_dir(tmpdir);
}

static tp_profile_t profile(tp_profile_kind_t kind, const tp_profile_sample_t *s, size_t n,
                            int64_t time_ns)
{
    tp_profile_t p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.samples = s;
    p.nsamples = n;
    p.time_ns = time_ns;
    return p;
}

static void assert_values(const tp_profile_sample_t *s, int64_t v0, int64_t v1, int64_t v2,
                          int64_t v3)
{
    ck_assert_int_eq(s->v[0], v0);
    ck_assert_int_eq(s->v[1], v1);
    ck_assert_int_eq(s->v[2], v2);
    ck_assert_int_eq(s->v[3], v3);
}

/* ---- matching and signs ---- */

START_TEST(profdelta_matches_stacks_and_subtracts)
{
    tp_profile_sample_t now_s[] = {
        {.pcs = now_a, .npcs = 3, .v = {5, 5000}},
        {.pcs = now_b, .npcs = 2, .v = {3, 300}},
    };
    tp_profile_sample_t before_s[] = {
        {.pcs = before_c, .npcs = 2, .v = {1, 10}},
        {.pcs = before_a, .npcs = 3, .v = {2, 2000}},
    };
    tp_profile_t now = profile(TP_PROFILE_MUTEX, now_s, 2, INT64_C(1700000010000000000));
    tp_profile_t before = profile(TP_PROFILE_MUTEX, before_s, 2, INT64_C(1700000000000000000));
    now.period = 1;
    snprintf(now.comment, sizeof now.comment, "threadprof: mutex fraction 1");
    tp_profile_t d;
    ck_assert_int_eq(tp_profile_subtract(&now, &before, 0, &d), 0);

    ck_assert_int_eq(d.kind, TP_PROFILE_MUTEX);
    ck_assert_int_eq(d.period, 1);
    ck_assert_int_eq(d.time_ns, INT64_C(1700000010000000000));
    ck_assert_int_eq(d.duration_ns, INT64_C(10000000000));
    ck_assert_str_eq(d.comment, "threadprof: mutex fraction 1");
    ck_assert_uint_eq(d.nsamples, 3);
    /* now's order, then before's: a, b, then c with negative values. */
    ck_assert_ptr_eq(d.samples[0].pcs, now_a);
    ck_assert_uint_eq(d.samples[0].npcs, 3);
    assert_values(&d.samples[0], 3, 3000, 0, 0);
    ck_assert_ptr_eq(d.samples[1].pcs, now_b);
    assert_values(&d.samples[1], 3, 300, 0, 0);
    ck_assert_ptr_eq(d.samples[2].pcs, before_c);
    ck_assert_uint_eq(d.samples[2].npcs, 2);
    assert_values(&d.samples[2], -1, -10, 0, 0);
    free((void *)d.samples);
}
END_TEST

/* What did not change is dropped; so is a stack at zero in both. */
START_TEST(profdelta_drops_unchanged_stacks)
{
    tp_profile_sample_t now_s[] = {
        {.pcs = now_a, .npcs = 3, .v = {5, 5000}},
        {.pcs = now_b, .npcs = 2, .v = {3, 300}},
        {.pcs = NULL, .npcs = 0, .v = {0, 0}},
    };
    tp_profile_sample_t before_s[] = {
        {.pcs = before_a, .npcs = 3, .v = {5, 5000}},
        {.pcs = before_b, .npcs = 2, .v = {2, 300}},    /* one more, same delay */
    };
    tp_profile_t now = profile(TP_PROFILE_BLOCK, now_s, 3, 20);
    tp_profile_t before = profile(TP_PROFILE_BLOCK, before_s, 2, 10);
    tp_profile_t d;
    ck_assert_int_eq(tp_profile_subtract(&now, &before, 0, &d), 0);
    ck_assert_uint_eq(d.nsamples, 1);
    ck_assert_ptr_eq(d.samples[0].pcs, now_b);
    assert_values(&d.samples[0], 1, 0, 0, 0);
    free((void *)d.samples);

    /* Nothing changed at all: no samples, nothing allocated. */
    ck_assert_int_eq(tp_profile_subtract(&now, &now, 0, &d), 0);
    ck_assert_uint_eq(d.nsamples, 0);
    ck_assert_ptr_null(d.samples);
    ck_assert_int_eq(d.duration_ns, 0);
}
END_TEST

/* godeltaprof's delta_heap: alloc_* are deltas, inuse_* as they are now. */
START_TEST(profdelta_mask_keeps_inuse_absolute)
{
    tp_profile_sample_t now_s[] = {
        {.pcs = now_a, .npcs = 3, .v = {10, 10240, 4, 4096}},
        {.pcs = now_b, .npcs = 2, .v = {7, 700, 1, 100}},      /* allocated nothing since */
    };
    tp_profile_sample_t before_s[] = {
        {.pcs = before_a, .npcs = 3, .v = {6, 6144, 5, 5120}},
        {.pcs = before_b, .npcs = 2, .v = {7, 700, 2, 200}},
        {.pcs = before_c, .npcs = 2, .v = {1, 64, 1, 64}},     /* gone since */
    };
    tp_profile_t now = profile(TP_PROFILE_HEAP, now_s, 2, 2000);
    tp_profile_t before = profile(TP_PROFILE_HEAP, before_s, 3, 1000);
    tp_profile_t d;
    ck_assert_int_eq(tp_profile_subtract(&now, &before, TP_PROFDELTA_HEAP_INUSE, &d), 0);
    ck_assert_uint_eq(d.nsamples, 3);
    ck_assert_ptr_eq(d.samples[0].pcs, now_a);
    assert_values(&d.samples[0], 4, 4096, 4, 4096);
    /* No allocation since, but memory still in use: kept. */
    ck_assert_ptr_eq(d.samples[1].pcs, now_b);
    assert_values(&d.samples[1], 0, 0, 1, 100);
    /* Only in before: its allocations negative, nothing in use. */
    ck_assert_ptr_eq(d.samples[2].pcs, before_c);
    assert_values(&d.samples[2], -1, -64, 0, 0);
    free((void *)d.samples);

    /* Without the mask (Go's heap?seconds=N) in-use values are deltas too. */
    ck_assert_int_eq(tp_profile_subtract(&now, &before, 0, &d), 0);
    ck_assert_uint_eq(d.nsamples, 3);
    assert_values(&d.samples[0], 4, 4096, -1, -1024);
    assert_values(&d.samples[1], 0, 0, -1, -100);
    assert_values(&d.samples[2], -1, -64, -1, -64);
    free((void *)d.samples);

    /* Every value masked: a stack only in before has nothing left. */
    ck_assert_int_eq(tp_profile_subtract(&now, &before, 0xf, &d), 0);
    ck_assert_uint_eq(d.nsamples, 2);
    assert_values(&d.samples[0], 10, 10240, 4, 4096);
    assert_values(&d.samples[1], 7, 700, 1, 100);
    free((void *)d.samples);
}
END_TEST

/* Samples of one stack count as one; an exact first pc is another stack;
 * values past the kind's are not carried. */
START_TEST(profdelta_sums_duplicates_and_keeps_exact_apart)
{
    tp_profile_sample_t now_s[] = {
        {.pcs = now_a, .npcs = 3, .v = {2, 200, 99, 99}},
        {.pcs = now_b, .npcs = 2, .v = {4, 400}},
        {.pcs = now_a2, .npcs = 3, .v = {3, 300}},
        {.pcs = now_b, .npcs = 2, .v = {1, 100}, .first_exact = 1},
        {.pcs = now_a, .npcs = 2, .v = {8, 800}},   /* a prefix: another stack */
    };
    tp_profile_sample_t before_s[] = {
        {.pcs = before_a, .npcs = 3, .v = {1, 100}},
        {.pcs = before_a, .npcs = 3, .v = {1, 100}},
        {.pcs = before_b, .npcs = 2, .v = {4, 400}},
    };
    tp_profile_t now = profile(TP_PROFILE_MUTEX, now_s, 5, 2);
    tp_profile_t before = profile(TP_PROFILE_MUTEX, before_s, 3, 1);
    tp_profile_t d;
    ck_assert_int_eq(tp_profile_subtract(&now, &before, 0, &d), 0);
    ck_assert_uint_eq(d.nsamples, 3);
    ck_assert_ptr_eq(d.samples[0].pcs, now_a);          /* its first sample's */
    ck_assert_uint_eq(d.samples[0].npcs, 3);
    ck_assert_int_eq(d.samples[0].first_exact, 0);
    assert_values(&d.samples[0], 3, 300, 0, 0);         /* 2+3 - (1+1) */
    ck_assert_ptr_eq(d.samples[1].pcs, now_b);          /* b at an exact pc */
    ck_assert_int_eq(d.samples[1].first_exact, 1);
    assert_values(&d.samples[1], 1, 100, 0, 0);
    ck_assert_ptr_eq(d.samples[2].pcs, now_a);
    ck_assert_uint_eq(d.samples[2].npcs, 2);
    assert_values(&d.samples[2], 8, 800, 0, 0);
    free((void *)d.samples);
}
END_TEST

/* The goroutine profile over an interval: threads that came and went. */
START_TEST(profdelta_goroutine_counts)
{
    tp_profile_sample_t now_s[] = {{.pcs = now_a, .npcs = 3, .v = {7}},
                                   {.pcs = NULL, .npcs = 0, .v = {1}}};
    tp_profile_sample_t before_s[] = {{.pcs = before_a, .npcs = 3, .v = {4}},
                                      {.pcs = before_b, .npcs = 2, .v = {2}},
                                      {.pcs = NULL, .npcs = 0, .v = {1}}};
    tp_profile_t now = profile(TP_PROFILE_GOROUTINE, now_s, 2, 2);
    tp_profile_t before = profile(TP_PROFILE_GOROUTINE, before_s, 3, 1);
    tp_profile_t d;
    ck_assert_int_eq(tp_profile_subtract(&now, &before, 0, &d), 0);
    ck_assert_uint_eq(d.nsamples, 2);
    ck_assert_ptr_eq(d.samples[0].pcs, now_a);
    ck_assert_int_eq(d.samples[0].v[0], 3);
    ck_assert_ptr_eq(d.samples[1].pcs, before_b);
    ck_assert_int_eq(d.samples[1].v[0], -2);
    free((void *)d.samples);
}
END_TEST

START_TEST(profdelta_errors)
{
    tp_profile_sample_t s[] = {{.pcs = now_a, .npcs = 3, .v = {1, 1}}};
    tp_profile_sample_t nopcs[] = {{.pcs = NULL, .npcs = 2, .v = {1, 1}}};
    tp_profile_t mutex = profile(TP_PROFILE_MUTEX, s, 1, 2);
    tp_profile_t block = profile(TP_PROFILE_BLOCK, s, 1, 1);
    tp_profile_t d;
    memset(&d, 0x5a, sizeof d);
    ck_assert_int_eq(tp_profile_subtract(&mutex, &block, 0, &d), -EINVAL);
    ck_assert_uint_eq(d.nsamples, 0);
    ck_assert_ptr_null(d.samples);
    tp_profile_t bad = profile((tp_profile_kind_t)42, s, 1, 1);
    ck_assert_int_eq(tp_profile_subtract(&bad, &bad, 0, &d), -EINVAL);
    bad = profile(TP_PROFILE_MUTEX, NULL, 1, 1);
    ck_assert_int_eq(tp_profile_subtract(&mutex, &bad, 0, &d), -EINVAL);
    bad = profile(TP_PROFILE_MUTEX, nopcs, 1, 1);
    ck_assert_int_eq(tp_profile_subtract(&bad, &mutex, 0, &d), -EINVAL);
    ck_assert_ptr_null(d.samples);
}
END_TEST

/* ---- written out ---- */

/* The difference is a profile like any other: negative values included. */
START_TEST(profdelta_written_and_read_back)
{
    tp_profile_sample_t now_s[] = {{.pcs = now_a, .npcs = 3, .v = {5, 5000}}};
    tp_profile_sample_t before_s[] = {{.pcs = before_a, .npcs = 3, .v = {2, 2000}},
                                      {.pcs = before_b, .npcs = 2, .v = {1, 700}}};
    tp_profile_t now = profile(TP_PROFILE_MUTEX, now_s, 1, INT64_C(1700000030000000000));
    tp_profile_t before = profile(TP_PROFILE_MUTEX, before_s, 2, INT64_C(1700000000000000000));
    tp_profile_t d;
    ck_assert_int_eq(tp_profile_subtract(&now, &before, 0, &d), 0);

    tp__gzip_force_raw(1);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_profile_write(s, &d), 0);
    pd_bytes_t b = {(unsigned char *)tp_sink_text(s), s->total};
    ck_assert_uint_eq(pd_number(b.data, b.len, TIME_NANOS, 0), INT64_C(1700000030000000000));
    ck_assert_uint_eq(pd_number(b.data, b.len, DURATION_NANOS, 0), INT64_C(30000000000));
    pd_field_t f[4];
    ck_assert_uint_eq(pd_fields(b.data, b.len, SAMPLE, f, 4), 2);
    uint64_t v[4];
    ck_assert_uint_eq(pd_numbers(f[1].data, f[1].len, 2, v, 4), 2);
    ck_assert_int_eq((int64_t)v[0], -1);
    ck_assert_int_eq((int64_t)v[1], -700);
    tp_sink_free(s);
    tp__gzip_force_raw(0);

    if (system("command -v go >/dev/null 2>&1") != 0) {
        free(s);
        free((void *)d.samples);
        tu_skip("go is not installed (make setup installs golang-go)");
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/delta.pb.gz", tmpdir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_profile_write(s, &d), 0);
    ck_assert_int_eq(close(fd), 0);
    free(s);
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "go tool pprof -raw '%s' 2>&1", path);
    char *raw = tu_run_cmd(cmd);
    tu_assert_match(raw, "^contentions/count delay/nanoseconds$");
    tu_assert_match(raw, "^ +3 +3000: 1 2 3 $");
    tu_assert_match(raw, "^ +-1 +-700: 1 4 $");
    tu_assert_match(raw, "^ +4: 0x[0-9a-f]+ M=[0-9]+ pd_other ");
    free(raw);
    free((void *)d.samples);
}
END_TEST

static Suite *profdelta_suite(void)
{
    Suite *s = suite_create("profdelta");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, profdelta_matches_stacks_and_subtracts);
    tcase_add_test(tc, profdelta_drops_unchanged_stacks);
    tcase_add_test(tc, profdelta_mask_keeps_inuse_absolute);
    tcase_add_test(tc, profdelta_sums_duplicates_and_keeps_exact_apart);
    tcase_add_test(tc, profdelta_goroutine_counts);
    tcase_add_test(tc, profdelta_errors);
    tcase_add_test(tc, profdelta_written_and_read_back);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(profdelta_suite());
}
