/*
 * Check suite for output/metrics.c, the Prometheus text exposition of a
 * tp_metrics_t: a model filled by hand is written to a memory sink and
 * the text compared whole; then what is left out (no heap profile, no
 * lock profile, no trend sample, unknown figures), the lock series'
 * labels (summed when they read the same, escaped, made valid UTF-8),
 * seconds written exactly, a sink's error; and `promtool check metrics`
 * (Debian's prometheus package) on the output: no error, no lint
 * problem (skipped when promtool is not installed).
 *
 * Lock sites are addresses in this file's functions, symbolized as the
 * endpoint would.  One of them, mt_weird_site, sits at the end of the
 * file under a #line whose file name holds a backslash, double quotes, a
 * newline and a byte that is not UTF-8, so its label needs every escape.
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

#include "model/metrics.h"
#include "model/trend.h"
#include "output/metrics.h"
#include "output/sink.h"
#include "output/stack.h"
#include "tests/testbase.h"

static volatile int sink_var;

enum { LOCK_SITE_LINE = __LINE__ + 1 };
static __attribute__((noipa)) int mt_lock_site(int x) { return x * 3 + sink_var; }
enum { OTHER_SITE_LINE = __LINE__ + 1 };
static __attribute__((noipa)) int mt_other_site(int x) { return x * 5 + sink_var; }
static int mt_weird_site(int x);   /* at the end of the file */

#define PC_IN(fn) ((uintptr_t)(fn) + 1)

/* The model of most tests: every family present. */
typedef struct fixture {
    tp_trend_sample_t sample;
    tp_trend_key_t keys[4];
    tp_metrics_t m;
} fixture_t;

static fixture_t *new_fixture(void)
{
    fixture_t *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    tp_trend_sample_t *x = &f->sample;
    x->threads = 6;
    x->by_state[TP_ST_RUNNING] = 2;
    x->by_state[TP_ST_MUTEX] = 1;
    x->by_state[TP_ST_COND] = 3;
    x->exited_unjoined = 1;
    x->locks_on = 1;
    x->contentions = 42;
    x->wait_ns = 1500000000;
    x->nlocks = 2;
    x->locks[0] = (tp_trend_count_t){.key = 1, .v = 30, .v2 = 1000000000};
    x->locks[1] = (tp_trend_count_t){.key = 2, .v = 12, .v2 = 500000042};
    x->heap_on = 1;
    x->heap_inuse = 1048576;
    x->heap_alloc = 8388608;
    x->rss = 52428800;
    x->hwm = 60000000;
    x->fds[TP_FDK_SOCKET] = 3;
    x->fds[TP_FDK_PIPE] = 2;
    x->fds[TP_FDK_FILE] = 5;
    x->fds_total = 10;
    x->dumps = 4;
    f->keys[0] = (tp_trend_key_t){.family = TP_TREND_SITE, .pc = PC_IN(mt_other_site)};
    f->keys[1] = (tp_trend_key_t){.family = TP_TREND_LOCK, .pc = PC_IN(mt_lock_site),
                                  .addr = 0x55d0c0a0, .lock_kind = TP_LOCK_MUTEX};
    f->keys[2] = (tp_trend_key_t){.family = TP_TREND_LOCK, .pc = PC_IN(mt_other_site),
                                  .addr = 0x55d0c100, .lock_kind = TP_LOCK_READ};
    f->keys[3] = (tp_trend_key_t){.family = TP_TREND_LOCK, .pc = PC_IN(mt_weird_site),
                                  .addr = 0x7f0000001000, .lock_kind = TP_LOCK_SPIN};
    f->m.sample = x;
    f->m.keys = f->keys;
    f->m.nkeys = 4;
    f->m.threads_created = 17;
    f->m.threads_exited = 9;
    f->m.deadlocks = 1;
    f->m.inversions = 2;
    f->m.agent_bytes = 123456;
    f->m.start_time_s = 1700000000.25;
    f->m.cpu_ns = 2250000000;
    return f;
}

/* The text tp_metrics_write gives m (malloc'd). */
static char *render(const tp_metrics_t *m)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_metrics_write(s, m), 0);
    char *text = strdup(tp_sink_text(s));
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(strlen(text), s->total);
    tp_sink_free(s);
    free(s);
    return text;
}

/* The site label of pc as the renderer symbolizes it; checked against
 * the function and line it must name. */
static void site_of(uintptr_t pc, const char *function, int line, char *buf, size_t len)
{
    tp_stack_site(pc, TP_SITE_PAREN, buf, len);
    char want[256];
    snprintf(want, sizeof want, "^%s \\(.*tests/check_metrics\\.c:%d\\)$", function, line);
    tu_assert_match(buf, want);
}

static const char *const thread_lines =
    "# HELP threadprof_threads Live threads by state (the thread dump's words).\n"
    "# TYPE threadprof_threads gauge\n"
    "threadprof_threads{state=\"running\"} 2\n"
    "threadprof_threads{state=\"mutex wait\"} 1\n"
    "threadprof_threads{state=\"rwlock read wait\"} 0\n"
    "threadprof_threads{state=\"rwlock write wait\"} 0\n"
    "threadprof_threads{state=\"cond wait\"} 3\n"
    "threadprof_threads{state=\"semaphore wait\"} 0\n"
    "threadprof_threads{state=\"barrier wait\"} 0\n"
    "threadprof_threads{state=\"join\"} 0\n"
    "threadprof_threads{state=\"sleep\"} 0\n"
    "threadprof_threads{state=\"io wait\"} 0\n"
    "threadprof_threads{state=\"poll wait\"} 0\n"
    "threadprof_threads{state=\"epoll wait\"} 0\n"
    "threadprof_threads{state=\"child wait\"} 0\n"
    "threadprof_threads{state=\"signal wait\"} 0\n"
    "threadprof_threads{state=\"file lock wait\"} 0\n"
    "threadprof_threads{state=\"spin wait\"} 0\n";

static const char *const counters_created_exited =
    "# HELP threadprof_threads_created_total Threads created since the process started.\n"
    "# TYPE threadprof_threads_created_total counter\n"
    "threadprof_threads_created_total 17\n"
    "# HELP threadprof_threads_exited_total Threads exited since the process started.\n"
    "# TYPE threadprof_threads_exited_total counter\n"
    "threadprof_threads_exited_total 9\n";

static const char *const findings =
    "# HELP threadprof_deadlocks_found_total Deadlocks (wait-for cycles of threads) found "
    "since the process started.\n"
    "# TYPE threadprof_deadlocks_found_total counter\n"
    "threadprof_deadlocks_found_total 1\n"
    "# HELP threadprof_lock_order_inversions_total Lock-order inversions found since the "
    "process started (THREADPROF_LOCK_ORDER=1).\n"
    "# TYPE threadprof_lock_order_inversions_total counter\n"
    "threadprof_lock_order_inversions_total 2\n";

static const char *const agent_memory =
    "# HELP threadprof_agent_memory_bytes Memory threadprof's agent holds for its own "
    "bookkeeping.\n"
    "# TYPE threadprof_agent_memory_bytes gauge\n"
    "threadprof_agent_memory_bytes 123456\n";

static const char *const cpu_lines =
    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
    "# TYPE process_cpu_seconds_total counter\n"
    "process_cpu_seconds_total 2.25\n";

static const char *const start_lines =
    "# HELP process_start_time_seconds Start time of the process since unix epoch in "
    "seconds.\n"
    "# TYPE process_start_time_seconds gauge\n"
    "process_start_time_seconds 1700000000.25\n";

/* ---- the whole text ---- */

START_TEST(metrics_exact_text)
{
    fixture_t *f = new_fixture();
    f->sample.nlocks = 2;     /* the two plain sites */
    char site1[512], site2[512];
    site_of(PC_IN(mt_lock_site), "mt_lock_site", LOCK_SITE_LINE, site1, sizeof site1);
    site_of(PC_IN(mt_other_site), "mt_other_site", OTHER_SITE_LINE, site2, sizeof site2);

    char *want = malloc(16384);
    ck_assert_ptr_nonnull(want);
    snprintf(want, 16384,
        "%s%s"
        "# HELP threadprof_threads_exited_unjoined Threads that have exited but were not "
        "joined yet.\n"
        "# TYPE threadprof_threads_exited_unjoined gauge\n"
        "threadprof_threads_exited_unjoined 1\n"
        "# HELP threadprof_lock_contentions_total Contended lock acquisitions (mutex, rwlock, "
        "spinlock) since the process started.\n"
        "# TYPE threadprof_lock_contentions_total counter\n"
        "threadprof_lock_contentions_total 42\n"
        "# HELP threadprof_lock_wait_seconds_total Time threads waited for contended locks "
        "since the process started.\n"
        "# TYPE threadprof_lock_wait_seconds_total counter\n"
        "threadprof_lock_wait_seconds_total 1.5\n"
        "# HELP threadprof_lock_contentions_by_lock_total Contended acquisitions of the most "
        "contended locks, by lock and waiting site.\n"
        "# TYPE threadprof_lock_contentions_by_lock_total counter\n"
        "threadprof_lock_contentions_by_lock_total{lock=\"0x55d0c0a0\",kind=\"mutex\","
        "site=\"%s\"} 30\n"
        "threadprof_lock_contentions_by_lock_total{lock=\"0x55d0c100\",kind=\"rwlock\","
        "site=\"%s\"} 12\n"
        "# HELP threadprof_lock_wait_seconds_by_lock_total Time waited for the most contended "
        "locks, by lock and waiting site.\n"
        "# TYPE threadprof_lock_wait_seconds_by_lock_total counter\n"
        "threadprof_lock_wait_seconds_by_lock_total{lock=\"0x55d0c0a0\",kind=\"mutex\","
        "site=\"%s\"} 1\n"
        "threadprof_lock_wait_seconds_by_lock_total{lock=\"0x55d0c100\",kind=\"rwlock\","
        "site=\"%s\"} 0.500000042\n"
        "%s"
        "# HELP threadprof_heap_inuse_bytes Heap memory in use: an estimate scaled back from "
        "the heap profile's samples.\n"
        "# TYPE threadprof_heap_inuse_bytes gauge\n"
        "threadprof_heap_inuse_bytes 1048576\n"
        "# HELP threadprof_heap_allocated_bytes_total Heap memory allocated since the process "
        "started: an estimate scaled back from the heap profile's samples.\n"
        "# TYPE threadprof_heap_allocated_bytes_total counter\n"
        "threadprof_heap_allocated_bytes_total 8388608\n"
        "# HELP threadprof_open_fds Open file descriptors by kind.\n"
        "# TYPE threadprof_open_fds gauge\n"
        "threadprof_open_fds{kind=\"socket\"} 3\n"
        "threadprof_open_fds{kind=\"pipe\"} 2\n"
        "threadprof_open_fds{kind=\"file\"} 5\n"
        "threadprof_open_fds{kind=\"eventfd\"} 0\n"
        "threadprof_open_fds{kind=\"epoll\"} 0\n"
        "threadprof_open_fds{kind=\"timerfd\"} 0\n"
        "threadprof_open_fds{kind=\"signalfd\"} 0\n"
        "threadprof_open_fds{kind=\"inotify\"} 0\n"
        "threadprof_open_fds{kind=\"device\"} 0\n"
        "threadprof_open_fds{kind=\"other\"} 0\n"
        "# HELP threadprof_dumps_written_total Dumps threadprof wrote since the process "
        "started.\n"
        "# TYPE threadprof_dumps_written_total counter\n"
        "threadprof_dumps_written_total 4\n"
        "%s%s"
        "# HELP process_open_fds Number of open file descriptors.\n"
        "# TYPE process_open_fds gauge\n"
        "process_open_fds 10\n"
        "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
        "# TYPE process_resident_memory_bytes gauge\n"
        "process_resident_memory_bytes 52428800\n"
        "%s",
        thread_lines, counters_created_exited, site1, site2, site1, site2, findings,
        agent_memory, cpu_lines, start_lines);
    char *text = render(&f->m);
    ck_assert_str_eq(text, want);
    free(text);
    free(want);
    free(f);
}
END_TEST

/* Without a trend sample: only the agent's counters and the start time. */
START_TEST(metrics_without_sample)
{
    fixture_t *f = new_fixture();
    f->m.sample = NULL;
    char want[4096];
    snprintf(want, sizeof want, "%s%s%s%s", counters_created_exited, findings, agent_memory,
             cpu_lines);
    size_t used = strlen(want);
    snprintf(want + used, sizeof want - used, "%s", start_lines);
    char *text = render(&f->m);
    ck_assert_str_eq(text, want);
    free(text);
    free(f);
}
END_TEST

/* ---- what is left out ---- */

START_TEST(metrics_omit_heap_and_locks_when_off)
{
    fixture_t *f = new_fixture();
    f->sample.heap_on = 0;
    f->sample.locks_on = 0;
    char *text = render(&f->m);
    tu_assert_no_match(text, "threadprof_heap_");
    tu_assert_no_match(text, "threadprof_lock_contentions");
    tu_assert_no_match(text, "threadprof_lock_wait");
    /* Findings do not depend on the lock profile. */
    tu_assert_match(text, "^threadprof_deadlocks_found_total 1$");
    tu_assert_match(text, "^threadprof_lock_order_inversions_total 2$");
    tu_assert_match(text, "^threadprof_open_fds\\{kind=\"socket\"\\} 3$");
    free(text);

    f->sample.heap_on = 1;
    text = render(&f->m);
    tu_assert_match(text, "^threadprof_heap_inuse_bytes 1048576$");
    tu_assert_no_match(text, "threadprof_lock_(contentions|wait)");
    free(text);
    free(f);
}
END_TEST

/* Unknown figures are left out rather than written as 0. */
START_TEST(metrics_omit_unknown_process_figures)
{
    fixture_t *f = new_fixture();
    f->m.cpu_ns = 0;
    f->m.start_time_s = 0;
    f->sample.rss = 0;
    char *text = render(&f->m);
    tu_assert_no_match(text, "process_cpu_seconds_total");
    tu_assert_no_match(text, "process_start_time_seconds");
    tu_assert_no_match(text, "process_resident_memory_bytes");
    tu_assert_match(text, "^process_open_fds 10\n$");   /* the last line */
    free(text);
    free(f);
}
END_TEST

/* Locks without a top entry, or whose key is unknown, have no series;
 * without any, the per-lock families are not written at all. */
START_TEST(metrics_lock_series_need_a_key)
{
    fixture_t *f = new_fixture();
    f->sample.locks[1].key = 9;          /* past nkeys */
    char *text = render(&f->m);
    ck_assert_int_eq(tu_count(text, "_by_lock_total{"), 2);
    tu_assert_match(text, "^threadprof_lock_contentions_by_lock_total\\{lock=\"0x55d0c0a0\"");
    tu_assert_no_match(text, "0x55d0c100");
    free(text);

    f->m.keys = NULL;
    text = render(&f->m);
    tu_assert_no_match(text, "_by_lock_total");
    tu_assert_match(text, "^threadprof_lock_contentions_total 42$");
    free(text);

    f->m.keys = f->keys;
    f->sample.nlocks = 0;
    text = render(&f->m);
    tu_assert_no_match(text, "_by_lock_total");
    free(text);
    free(f);
}
END_TEST

/* Two locks whose labels read the same would be one series twice (which
 * Prometheus rejects): they are one series, their figures summed. */
START_TEST(metrics_same_labels_are_one_series)
{
    fixture_t *f = new_fixture();
    f->keys[2] = f->keys[1];
    f->keys[2].pc = PC_IN(mt_lock_site) + 1;   /* another pc, the same line */
    char *text = render(&f->m);
    ck_assert_int_eq(tu_count(text, "threadprof_lock_contentions_by_lock_total{"), 1);
    ck_assert_int_eq(tu_count(text, "threadprof_lock_wait_seconds_by_lock_total{"), 1);
    tu_assert_match(text, "^threadprof_lock_contentions_by_lock_total\\{lock=\"0x55d0c0a0\","
                          "kind=\"mutex\",site=\"mt_lock_site [^\"]*\"\\} 42$");
    tu_assert_match(text, "^threadprof_lock_wait_seconds_by_lock_total\\{lock=\"0x55d0c0a0\","
                          "kind=\"mutex\",site=\"mt_lock_site [^\"]*\"\\} 1.500000042$");
    free(text);
    free(f);
}
END_TEST

START_TEST(metrics_label_values_escaped)
{
    fixture_t *f = new_fixture();
    f->sample.nlocks = 1;
    f->sample.locks[0] = (tp_trend_count_t){.key = 3, .v = 7, .v2 = 42};
    char raw[1024];
    tp_stack_site(PC_IN(mt_weird_site), TP_SITE_PAREN, raw, sizeof raw);
    ck_assert_msg(strstr(raw, "dir\\with \"quote\"\nnewline\xff.c:7)") != NULL,
                  "the symbolizer gave %s", raw);

    char *text = render(&f->m);
    const char *escaped = "dir\\\\with \\\"quote\\\"\\nnewline\xef\xbf\xbd.c:7)\"} ";
    ck_assert_int_eq(tu_count(text, escaped), 2);
    tu_assert_match(text, "^threadprof_lock_contentions_by_lock_total\\{lock=\"0x7f0000001000\","
                          "kind=\"spinlock\",site=\"mt_weird_site \\([^\n]*\\} 7$");
    tu_assert_match(text, "^threadprof_lock_wait_seconds_by_lock_total\\{lock=\"0x7f0000001000\","
                          "kind=\"spinlock\",site=\"mt_weird_site \\([^\n]*\\} 0.000000042$");
    ck_assert_ptr_null(strchr(text, '\xff'));
    free(text);
    free(f);
}
END_TEST

START_TEST(metrics_keep_sink_error)
{
    fixture_t *f = new_fixture();
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_metrics_write(s, &f->m), -ENOSPC);
    close(fd);
    free(s);
    free(f);
}
END_TEST

/* ---- promtool ---- */

/* `promtool check metrics` on text: its status, its messages in *out. */
static int promtool_check(const char *text, char **out)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], cmd[2 * PATH_MAX + 64];
    tu_temp_dir(dir, sizeof dir, "metrics-");
    snprintf(path, sizeof path, "%s/m.prom", dir);
    tu_write_file(path, text, 0600);
    snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", path);
    int status;
    *out = tu_cmd_output(cmd, &status);
    tu_remove_temp_dir(dir);
    return status;
}

START_TEST(metrics_pass_promtool)
{
    if (system("command -v promtool >/dev/null 2>&1") != 0)
        tu_skip("promtool is not installed (Debian package prometheus)");
    /* The check itself: promtool does flag a counter without _total, a
     * label value that is not UTF-8. */
    char *out;
    ck_assert_int_ne(promtool_check("# HELP x_bytes b\n# TYPE x_bytes counter\nx_bytes 1\n",
                                    &out), 0);
    tu_assert_match(out, "_total");
    free(out);
    ck_assert_int_ne(promtool_check("x{a=\"\xff\"} 1\n", &out), 0);
    free(out);

    /* Every family, the escaped labels among them. */
    fixture_t *f = new_fixture();
    f->sample.nlocks = 3;
    f->sample.locks[2] = (tp_trend_count_t){.key = 3, .v = 7, .v2 = 42};
    char *text = render(&f->m);
    ck_assert_int_eq(tu_count(text, "_by_lock_total{"), 6);
    int status = promtool_check(text, &out);
    ck_assert_msg(status == 0 && out[0] == '\0', "promtool (status %#x):\n%s\non:\n%.3000s",
                  status, out, text);
    free(out);
    free(text);
    free(f);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, metrics_exact_text);
    tcase_add_test(tc, metrics_without_sample);
    tcase_add_test(tc, metrics_omit_heap_and_locks_when_off);
    tcase_add_test(tc, metrics_omit_unknown_process_figures);
    tcase_add_test(tc, metrics_lock_series_need_a_key);
    tcase_add_test(tc, metrics_same_labels_are_one_series);
    tcase_add_test(tc, metrics_label_values_escaped);
    tcase_add_test(tc, metrics_keep_sink_error);
    tcase_add_test(tc, metrics_pass_promtool);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(metrics_suite());
}

/* Last in the file: the #line below renames the file for what follows. */
#line 7 "dir\\with \"quote\"\nnewline\xff.c"
static __attribute__((noipa)) int mt_weird_site(int x) { return x * 7 + sink_var; }
