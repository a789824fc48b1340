/*
 * check_trendrule: the growth rule of the trend verdicts (agent/trendrule.c)
 * on leaks, plateaus, noise and short runs, and the words of a verdict
 * (output/trends.c).
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/trendrule.h"
#include "output/trends.h"
#include "tests/testbase.h"

#define N 40

static uint64_t t_ns[256];
static float v[256];

static const tp_growth_rule_t threads = {.min_points = 8, .min_rise = 5, .min_ratio = 0.2};
static const tp_growth_rule_t memory = {.min_points = 8, .min_rise = 1 << 20, .min_ratio = 0.1};

/* A second per point. */
static void times(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        t_ns[i] = (uint64_t)i * 1000000000ull;
}

/* Deterministic noise in [-amp, amp]. */
static float noise(unsigned i, float amp)
{
    unsigned x = i * 2654435761u;
    x ^= x >> 13;
    return amp * (((float)(x % 2001) / 1000.0f) - 1.0f);
}

START_TEST(mann_kendall_of_a_straight_rise)
{
    float x[10];
    for (int i = 0; i < 10; i++)
        x[i] = (float)i;
    /* S = 45, var = 10*9*25/18 = 125: z = 44/sqrt(125). */
    ck_assert_double_eq_tol(tp_mann_kendall_z(x, 10), 44 / sqrt(125.0), 1e-9);
    for (int i = 0; i < 10; i++)
        x[i] = 5;
    ck_assert_double_eq(tp_mann_kendall_z(x, 10), 0);
    for (int i = 0; i < 10; i++)
        x[i] = (float)(10 - i);
    ck_assert_double_lt(tp_mann_kendall_z(x, 10), -3);
}
END_TEST

START_TEST(a_steady_leak_grows)
{
    times(N);
    for (unsigned i = 0; i < N; i++)
        v[i] = 3.0f + 20.0f * (float)i;          /* a thread per 50 ms */
    tp_growth_t g;
    ck_assert(tp_trend_growing(t_ns, v, N, &threads, &g));
    ck_assert(g.high);
    ck_assert_uint_eq(g.up, N - 1);
    ck_assert_uint_eq(g.intervals, N - 1);
    ck_assert_double_eq(g.first, 3);
    ck_assert_double_eq(g.last, 3 + 20 * (N - 1));
    ck_assert_uint_eq(g.span_ns, (N - 1) * 1000000000ull);
}
END_TEST

/* Memory that leaks in steps under allocator noise still grows. */
START_TEST(a_noisy_stepped_leak_grows)
{
    times(N);
    for (unsigned i = 0; i < N; i++)
        v[i] = (float)((i / 4) * (512 << 10)) + 8e6f + noise(i, 200e3f);
    tp_growth_t g;
    ck_assert(tp_trend_growing(t_ns, v, N, &memory, &g));
    ck_assert_uint_lt(g.up, N - 1);   /* not every interval grew */
}
END_TEST

/* A pool that grows to its size in the first half, then stays: no
 * verdict once it has been flat for a quarter of the run. */
START_TEST(a_plateau_is_no_leak)
{
    times(N);
    for (unsigned i = 0; i < N; i++)
        v[i] = i < N / 2 ? (float)(2 * i) : (float)N;
    tp_growth_t g;
    ck_assert(!tp_trend_growing(t_ns, v, N, &threads, &g));
    ck_assert(!g.new_high);
    ck_assert_double_gt(g.z, 2.33);    /* the trend test alone would flag it */
    /* The same cache warming up, with noise. */
    for (unsigned i = 0; i < N; i++)
        v[i] = (i < N / 2 ? (float)i * 400e3f : (float)(N / 2) * 400e3f) + noise(i, 50e3f);
    ck_assert(!tp_trend_growing(t_ns, v, N, &memory, &g));
}
END_TEST

START_TEST(noise_and_sawtooth_are_no_leak)
{
    times(N);
    tp_growth_t g;
    for (unsigned i = 0; i < N; i++)
        v[i] = 50e6f + noise(i, 3e6f);
    ck_assert(!tp_trend_growing(t_ns, v, N, &memory, &g));
    for (unsigned i = 0; i < N; i++)
        v[i] = 20.0f + (float)(i % 8);       /* a pool breathing */
    ck_assert(!tp_trend_growing(t_ns, v, N, &threads, &g));
}
END_TEST

/* Growth below the material rise (2 threads, 10 KiB) is no verdict. */
START_TEST(small_growth_is_no_leak)
{
    times(N);
    tp_growth_t g;
    for (unsigned i = 0; i < N; i++)
        v[i] = 100.0f + (float)(i * 2 / N) * 2.0f;
    ck_assert(!tp_trend_growing(t_ns, v, N, &threads, &g));
    for (unsigned i = 0; i < N; i++)
        v[i] = 1e6f + (float)i * 256.0f;
    ck_assert(!tp_trend_growing(t_ns, v, N, &memory, &g));
}
END_TEST

/* Fewer points than the rule asks for: no verdict, however steep. */
START_TEST(too_few_points_no_verdict)
{
    times(7);
    for (unsigned i = 0; i < 7; i++)
        v[i] = (float)(100 * i);
    tp_growth_t g;
    ck_assert(!tp_trend_growing(t_ns, v, 7, &threads, &g));
    ck_assert_uint_eq(g.n, 7);
    times(8);
    v[7] = 700;
    ck_assert(tp_trend_growing(t_ns, v, 8, &threads, &g));
    ck_assert(!g.high);                /* 8 points: medium at most */
}
END_TEST

/* Points without a value (a site not yet seen) are skipped. */
START_TEST(missing_points_are_skipped)
{
    times(N);
    for (unsigned i = 0; i < N; i++)
        v[i] = i < 10 ? NAN : (float)(i * 10);
    tp_growth_t g;
    ck_assert(tp_trend_growing(t_ns, v, N, &threads, &g));
    ck_assert_uint_eq(g.n, N - 10);
    ck_assert_double_eq(g.first, 100);
}
END_TEST

/* The words: totals need no symbolizer. */
START_TEST(verdict_words)
{
    tp_trend_view_t view;
    memset(&view, 0, sizeof view);
    view.enabled = 1;
    view.interval_ns = 10000000000ull;
    view.taken = view.points = 31;
    view.capacity = 256;
    view.stride = 1;
    view.min_points = 8;
    view.span_ns = 300000000000ull;
    view.nverdicts = 2;
    view.verdicts[0] = (tp_trend_verdict_t){
        .kind = TP_VERDICT_FDS, .key = -1, .fd_kind = TP_FDK_SOCKET, .first = 12, .last = 412,
        .span_ns = 300000000000ull, .up = 28, .intervals = 30, .z = 7.2, .high = 1,
        .group_key = -1,
    };
    view.verdicts[1] = (tp_trend_verdict_t){
        .kind = TP_VERDICT_MEMORY, .key = -1, .first = 600 * 1024, .last = 12.5 * 1048576,
        .span_ns = 12000000000ull, .up = 11, .intervals = 12, .z = 3.1, .group_key = -1,
    };
    char text[1400];
    tp_trend_verdict_text(&view, &view.verdicts[0], text, sizeof text);
    ck_assert_str_eq(text, "fd growth: socket descriptors 12 \u2192 412 in 5m0s (+80/min), "
                           "growing in 28 of 30 intervals; confidence high (trend test z = 7.2)");
    tp_trend_verdict_text(&view, &view.verdicts[1], text, sizeof text);
    ck_assert_str_eq(text, "memory growth: heap in use 600.0 KiB \u2192 12.5 MiB in 12s "
                           "(+1016.7 KiB/s), growing in 11 of 12 intervals; confidence medium "
                           "(trend test z = 3.1)");
    tp_sink_t s;
    tp_sink_init_mem(&s);
    tp_summary_trends_write(&s, &view);
    tu_assert_match(tp_sink_text(&s), "^trends: 31 samples, one every 10s, over 5m0s \\(kept: 31 points "
                           "per series, at most 256: every sample;");
    tu_assert_match(tp_sink_text(&s), "\n  fd growth: socket descriptors 12 ");
    tu_assert_match(tp_sink_text(&s), "\n  memory growth: heap in use ");
    tp_sink_free(&s);
    /* Too early for a verdict: says so. */
    view.points = view.taken = 3;
    view.span_ns = 20000000000ull;
    view.nverdicts = 0;
    tp_sink_init_mem(&s);
    tp_summary_trends_write(&s, &view);
    tu_assert_match(tp_sink_text(&s), "\n  no growth verdict before 8 samples \\(one every 10s\\); 3 so "
                           "far over 20s\n");
    tp_sink_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trendrule");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, mann_kendall_of_a_straight_rise);
    tcase_add_test(tc, a_steady_leak_grows);
    tcase_add_test(tc, a_noisy_stepped_leak_grows);
    tcase_add_test(tc, a_plateau_is_no_leak);
    tcase_add_test(tc, noise_and_sawtooth_are_no_leak);
    tcase_add_test(tc, small_growth_is_no_leak);
    tcase_add_test(tc, too_few_points_no_verdict);
    tcase_add_test(tc, missing_points_are_skipped);
    tcase_add_test(tc, verdict_words);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
