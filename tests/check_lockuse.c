/*
 * check_lockuse: the summary's lock-use sections (output/lockuse.c),
 * rendered from a model filled by hand into a memory sink.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/locks.h"
#include "output/lockuse.h"
#include "output/sink.h"
#include "tests/testbase.h"

#define MS 1000000ull

/* Code to name as call sites (see check_summary.c). */
#define SITE_FN(fn, n) \
    static __attribute__((noinline, used)) int fn(void) { return n; }
SITE_FN(flush_taken, 1)
SITE_FN(flush_sleep, 2)
SITE_FN(flush_write, 3)
#define PC(fn) ((uintptr_t)(fn) + 1)
#define AT_RE(fn) fn " at /[^ ]*check_lockuse\\.c:[0-9]+"

static tp_lock_stats_t stats;

static tp_held_across_t *add_row(uintptr_t lock, tp_lock_kind_t kind, uintptr_t taken,
                                 uintptr_t blocked, const char *call, uint64_t n,
                                 uint64_t total, uint64_t max)
{
    ck_assert_uint_lt(stats.nacross, TP_HELD_ACROSS_MAX);
    tp_held_across_t *a = &stats.across[stats.nacross++];
    *a = (tp_held_across_t){.lock = lock, .kind = kind, .taken_site = taken,
                            .block_site = blocked, .call = call, .count = n,
                            .total_ns = total, .max_ns = max};
    stats.across_rows = stats.nacross;
    return a;
}

static char *render(const tp_lock_stats_t *st)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    tp_summary_held_across_write(s, st);
    ck_assert_int_eq(tp_sink_flush(s), 0);
    char *text = strdup(tp_sink_text(s));
    tp_sink_free(s);
    free(s);
    return text;
}

/* Each row in one line: the lock, where it was taken, the call and where
 * it blocked, with its count, total and maximum; in the model's order
 * (the agent ranks them); the section ends with a blank line. */
START_TEST(held_across_rows_one_line_each)
{
    memset(&stats, 0, sizeof stats);
    add_row(0x5000, TP_LOCK_MUTEX, PC(flush_taken), PC(flush_sleep), "usleep", 140,
            2900 * MS, 21 * MS);
    add_row(0x6000, TP_LOCK_WRITE, PC(flush_taken), PC(flush_write), "write", 1, 3 * MS,
            3 * MS);
    char *text = render(&stats);
    tu_assert_match(text, "^locks held across blocking calls \\(by total time blocked "
                          "since start; [^\n]*\\):\n"
                          "  1\\. mutex 0x5000 \\(taken in " AT_RE("flush_taken") "\\) held "
                          "across usleep in " AT_RE("flush_sleep") ": 140 times, 2\\.90s total, "
                          "max 21\\.00ms\n"
                          "  2\\. rwlock \\(write\\) 0x6000 \\(taken in " AT_RE("flush_taken")
                          "\\) held across write in " AT_RE("flush_write") ": 1 time, 3\\.00ms "
                          "total, max 3\\.00ms\n\n$");
    free(text);
}
END_TEST

/* None, more rows than shown, calls dropped, and no statistics at all. */
START_TEST(held_across_none_more_dropped)
{
    memset(&stats, 0, sizeof stats);
    char *text = render(&stats);
    tu_assert_match(text, ":\n  none\n\n$");
    free(text);
    add_row(0x5000, TP_LOCK_MUTEX, 0, 0, NULL, 2, 2 * MS, MS);
    stats.across_rows = 30;
    stats.across_dropped = 7;
    text = render(&stats);
    tu_assert_match(text, "^  1\\. mutex 0x5000 \\(taken in \\?\\?\\) held across a blocking "
                          "call in \\?\\?: 2 times, 2\\.00ms total, max 1\\.00ms\n"
                          "  \\(1 of 30 shown\\)\n"
                          "  \\(7 calls not counted: table full\\)\n\n$");
    free(text);
    text = render(NULL);
    tu_assert_match(text, ":\n  not collected\n\n$");
    free(text);
}
END_TEST

#define SEC 1000000000ull

/* A lock's hold figures: share of the uptime, acquisitions, average and
 * max, and how they were timed; nothing when nothing was timed. */
START_TEST(hold_described_with_how_it_was_timed)
{
    char buf[256];
    tp_lock_stat_t l = {.addr = 0x5000, .kind = TP_LOCK_MUTEX, .hold_samples = 3,
                        .hold_blocked = 140, .acquisitions = 140 + 3 * 256,
                        .hold_ns = 2800 * MS + 768 * 5000, .hold_max_ns = 21 * MS};
    tp_describe_hold(&l, 10 * SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "held ~28% of the time: ~908 acquisitions, avg 3.08ms, max 21.00ms "
                          "(timed: 140 with a blocking call, 3 sampled)");
    l.hold_ns = 2 * MS;   /* under 10%: one decimal */
    tp_describe_hold(&l, 10 * SEC, buf, sizeof buf);
    tu_assert_match(buf, "^held ~0\\.0% of the time: ");
    memset(&l, 0, sizeof l);
    tp_describe_hold(&l, 10 * SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
}
END_TEST

static char *render_longest(const tp_lock_stats_t *st)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    tp_summary_held_longest_write(s, st, 10 * SEC);
    ck_assert_int_eq(tp_sink_flush(s), 0);
    char *text = strdup(tp_sink_text(s));
    tp_sink_free(s);
    free(s);
    return text;
}

/* The locks held longest, in the model's order, each with where its
 * longest hold was taken; the table's fill; none; and off. */
START_TEST(held_longest_section)
{
    memset(&stats, 0, sizeof stats);
    stats.hold_fraction = 256;
    stats.hold_cap = 8192;
    stats.hold_entries = 2;
    stats.hold_dropped = 4;
    stats.nholds = 2;
    stats.holds[0] = (tp_lock_stat_t){.addr = 0x5000, .kind = TP_LOCK_MUTEX,
                                      .hold_blocked = 10, .acquisitions = 10,
                                      .hold_ns = 200 * MS, .hold_max_ns = 21 * MS,
                                      .hold_max_site = PC(flush_taken)};
    stats.holds[1] = (tp_lock_stat_t){.addr = 0x6000, .kind = TP_LOCK_READ, .destroyed = 1,
                                      .hold_samples = 1, .acquisitions = 256,
                                      .hold_ns = 256 * 1000, .hold_max_ns = 1000};
    char *text = render_longest(&stats);
    tu_assert_match(text, "^locks held longest \\(by estimated total hold since start: every "
                          "hold with a blocking call in it timed from that call, and one other "
                          "acquisition in 256 per thread, scaled back\\):\n"
                          "  1\\. mutex 0x5000: held ~2\\.0% of the time: ~10 acquisitions, "
                          "avg 20\\.00ms, max 21\\.00ms \\(timed: 10 with a blocking call, 0 "
                          "sampled\\) \\(longest taken in " AT_RE("flush_taken") "\\)\n"
                          "  2\\. rwlock 0x6000 \\(destroyed\\): held ~0\\.0% of the time: ~256 "
                          "acquisitions, avg 1\\.0us, max 1\\.0us \\(timed: 0 with a blocking "
                          "call, 1 sampled\\) \\(longest taken in \\?\\?\\)\n"
                          "hold table: 2/8192 locks, 4 holds dropped\n\n$");
    free(text);
    stats.nholds = 0;
    text = render_longest(&stats);
    tu_assert_match(text, ":\n  none timed yet\nhold table: ");
    free(text);
    stats.hold_fraction = 0;
    text = render_longest(&stats);
    ck_assert_str_eq(text, "locks held longest: not measured (THREADPROF_HOLD_FRACTION=0)\n\n");
    free(text);
}
END_TEST

static Suite *lockuse_suite(void)
{
    Suite *s = suite_create("lockuse");
    TCase *tc = tcase_create("held_across");
    tcase_add_test(tc, held_across_rows_one_line_each);
    tcase_add_test(tc, held_across_none_more_dropped);
    tcase_add_test(tc, hold_described_with_how_it_was_timed);
    tcase_add_test(tc, held_longest_section);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite_fork(lockuse_suite(), CK_FORK);
}
