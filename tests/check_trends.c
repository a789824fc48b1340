/*
 * check_trends: soak-test trends under the agent (THREADPROF_TREND,
 * THREADPROF_TRIGGER) on tests/programs/soak.c: the verdicts of leaking
 * services, none for one that warms up and levels off, the trend file,
 * and exactly one dump per threshold crossing.
 */
#include <check.h>
#include <sys/stat.h>

#include "tests/testutil.h"

/* Runs `soak args...` with the agent (trend every 200 ms plus env) to its
 * end; returns the exit dump's summary (malloc'd). */
static char *run_soak(tu_proc_t *p, const char *const *env, const char *mode, const char *arg)
{
    const char *args[] = {mode, arg, NULL};
    const char *base[16] = {"THREADPROF_TREND=200ms", "THREADPROF_QUIET=1"};
    int n = 2;
    for (const char *const *e = env; e && *e && n < 15; e++)
        base[n++] = *e;
    base[n] = NULL;
    memset(p, 0, sizeof *p);
    tu_start_full(p, "soak", 1, base, args);
    int st = tu_finish(p, 0, 60000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "soak %s: status %d; stderr:\n%s",
                  mode, st, p->err);
    ck_assert_int_eq(tu_count_dumps(p->dir, p->pid), 1);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.000001.summary.txt", p->dir, (int)p->pid);
    return tu_read_file(path);
}

static char *trend_file(const tu_proc_t *p)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.trend.jsonl", p->dir, (int)p->pid);
    struct stat st;
    ck_assert_msg(lstat(path, &st) == 0, "no %s", path);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    return tu_read_file(path);
}

/* The trends section of a summary (up to its blank line). */
static char *trends_section(const char *summary)
{
    const char *start = strstr(summary, "\ntrends: ");
    ck_assert_msg(start != NULL, "no trends section in:\n%.3000s", summary);
    const char *end = strstr(start + 1, "\n\n");
    return strndup(start + 1, end != NULL ? (size_t)(end - start) : strlen(start));
}

START_TEST(leaking_service_gets_verdicts)
{
    tu_proc_t p;
    const char *env[] = {"THREADPROF_HEAP_RATE=1", NULL};
    char *sum = run_soak(&p, env, "leak", "4");
    char *tr = trends_section(sum);
    tu_assert_match(tr, "^trends: [0-9]+ samples, one every 200ms, over [0-9.]+s \\(kept: [0-9]+ "
                        "points per series, at most 256: every sample; [0-9.]+ KiB for the series\\)");
    tu_assert_match(tr, "\n  thread leak: threads created at handle_request \\([^)]*soak\\.c:[0-9]+\\) "
                        "[0-9]+ \u2192 [0-9]+ in [0-9.]+s \\(\\+[0-9.]+/s\\), growing in [0-9]+ of "
                        "[0-9]+ intervals; [0-9]+ of them in cond wait at await_callback "
                        "\\([^)]*soak\\.c:[0-9]+\\); confidence (high|medium)");
    tu_assert_match(tr, "\n  memory growth: remember_response \\([^)]*soak\\.c:[0-9]+\\) in use "
                        "[0-9.]+ KiB \u2192 [0-9.]+ MiB in ");
    /* The heap section names the growing site a leak suspect. */
    tu_assert_match(sum, "\n     leak suspect: its memory in use kept growing, [0-9.]+ KiB "
                         "→ [0-9.]+ MiB \\(see trends\\)\n       remember_response \\(");
    char *json = trend_file(&p);
    ck_assert(tu_starts_with(json, "{\"type\":\"start\",\"version\":1,\"pid\":"));
    tu_assert_match(json, "^\\{\"type\":\"start\",[^\n]*\"program\":\"soak\",\"cmdline\":"
                          "\"[^\"]*soak leak 4\"");
    ck_assert_int_ge(tu_count(json, "{\"type\":\"sample\","), 15);
    tu_assert_match(json, "\n\\{\"type\":\"names\",\"names\":\\{[^\n]*\"c1\":\"handle_request ");
    tu_assert_match(json, "\n\\{\"type\":\"dump\",[^\n]*\"seq\":1,\"reasons\":\\[\"exit\"\\],"
                          "\"files\":\\{\"threads\":\"threadprof\\.[0-9]+\\.000001\\.threads\\.txt\"");
    tu_assert_match(json, "\n\\{\"type\":\"verdicts\",[^\n]*\"kind\":\"thread leak\",\"key\":\"c1\"");
    /* Every line one whole object. */
    int lines = tu_count(json, "\n");
    ck_assert_int_eq(tu_count(json, "}\n"), lines);
    ck_assert_int_eq(tu_count(json, "\n{\"type\":") + 1, lines);
    free(json);
    free(tr);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* A pool, a cache and pipes that reach their size in the first second,
 * then stay: no verdict, and no leak suspect. */
START_TEST(plateau_gets_no_verdict)
{
    tu_proc_t p;
    const char *env[] = {"THREADPROF_HEAP_RATE=1", NULL};
    char *sum = run_soak(&p, env, "plateau", "5");
    char *tr = trends_section(sum);
    tu_assert_match(tr, "\n  nothing keeps growing: threads, heap, resident memory and "
                        "descriptors are flat or levelled off$");
    ck_assert_int_eq(tu_count(tr, "\n  "), 2);   /* the cost, then that line */
    tu_assert_no_match(sum, "leak suspect");
    free(tr);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(unjoined_threads_verdict)
{
    tu_proc_t p;
    char *sum = run_soak(&p, NULL, "unjoined", "4");
    char *tr = trends_section(sum);
    tu_assert_match(tr, "\n  exited but not joined: threads created at spawn_and_forget "
                        "\\([^)]*soak\\.c:[0-9]+\\) [0-9]+ \u2192 [0-9]+ in ");
    tu_assert_no_match(tr, "thread leak");   /* they exited: nothing lives on */
    free(tr);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(fd_leak_verdict)
{
    tu_proc_t p;
    char *sum = run_soak(&p, NULL, "fds", "4");
    char *tr = trends_section(sum);
    tu_assert_match(tr, "\n  fd growth: pipe descriptors [0-9]+ \u2192 [0-9]+ in [0-9.]+s "
                        "\\(\\+[0-9.]+/s\\)");
    free(tr);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(stuck_threads_verdict)
{
    tu_proc_t p;
    char *sum = run_soak(&p, NULL, "stuck", "3");
    char *tr = trends_section(sum);
    tu_assert_match(tr, "\n  stuck: 3 threads waiting more than 2\\.0s in mutex wait at "
                        "lock_waiter \\([^)]*soak\\.c:[0-9]+\\), created at stuck ");
    free(tr);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* Too short a run for a verdict: the section says so. */
START_TEST(too_early_for_verdicts)
{
    tu_proc_t p;
    char *sum = run_soak(&p, NULL, "leak", "0.9");
    char *tr = trends_section(sum);
    tu_assert_match(tr, "\n  no growth verdict before 8 samples \\(one every 200ms\\); [0-7] so "
                        "far over ");
    tu_assert_no_match(tr, "leak:");
    char *json = trend_file(&p);
    tu_assert_match(json, "\"verdicts\":\\[\\],\"pending\":\"no growth verdict before 8 samples");
    free(json);
    free(tr);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trends_off)
{
    tu_proc_t p;
    const char *env[] = {"THREADPROF_TREND=off", NULL};
    char *sum = run_soak(&p, env, "leak", "0.5");
    tu_assert_match(sum, "\ntrends: off \\(THREADPROF_TREND=off\\)\n");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.trend.jsonl", p.dir, (int)p.pid);
    ck_assert_int_ne(access(path, F_OK), 0);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* THREADPROF_EXITCODE fails a leaking run, and only that one. */
START_TEST(exit_code_on_leak_verdicts)
{
    const char *env[] = {"THREADPROF_TREND=200ms", "THREADPROF_QUIET=1", "THREADPROF_EXITCODE=66",
                         "THREADPROF_HEAP_RATE=1", NULL};
    const char *leak[] = {"leak", "3", NULL}, *plateau[] = {"plateau", "3", NULL};
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start_full(&p, "soak", 1, env, leak);
    int st = tu_finish(&p, 0, 60000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 66, "status %d; stderr:\n%s", st, p.err);
    tu_assert_match(p.err, "^threadprof: exit status 66 instead of 0 \\(THREADPROF_EXITCODE\\): "
                           "[0-9]+ leak verdicts \\(trends\\) found\n$");
    tu_cleanup(&p);
    memset(&p, 0, sizeof p);
    tu_start_full(&p, "soak", 1, env, plateau);
    st = tu_finish(&p, 0, 60000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d; stderr:\n%s", st, p.err);
    ck_assert_int_eq(p.err_len, 0);
    tu_cleanup(&p);
}
END_TEST

/* Each threshold kind: the value rises above its limit twice, falling
 * back between: exactly two threshold dumps, each naming the crossing.
 * The programs run side by side. */
static const struct {
    const char *kind, *trigger, *reason, *env;
} crossings[] = {
    {"threads", "threads>20", "threshold threads 3[0-9] > 20", NULL},
    /* Every allocation tracked: the 16 MiB is seen as it is, not estimated. */
    {"heap", "heap>8m", "threshold heap 16\\.[0-9] MiB > 8\\.0 MiB", "THREADPROF_HEAP_RATE=1"},
    {"rss", "rss>200m", "threshold rss 2[0-9.]+ MiB > 200\\.0 MiB", NULL},
    {"fds", "fds>50", "threshold fds [0-9]+ > 50", NULL},
    {"wait", "wait>1s", "threshold wait [12]\\.[0-9]+s > 1\\.00s", NULL},
    {"contention", "contention>1000/s", "threshold contention [0-9]+/s > 1000/s", NULL},
    /* Two thresholds crossing together: one dump, the other waits its
     * turn (3 s) and by then is below again. */
    {"threads", "threads>20,threads>25", "threshold threads 3[0-9] > 20", NULL},
};
#define NCROSS (sizeof crossings / sizeof crossings[0])

START_TEST(each_threshold_one_dump_per_crossing)
{
    tu_proc_t p[NCROSS];
    char trig[NCROSS][128];
    for (size_t i = 0; i < NCROSS; i++) {
        snprintf(trig[i], sizeof trig[i], "THREADPROF_TRIGGER=%s", crossings[i].trigger);
        const char *env[] = {trig[i], "THREADPROF_TREND=off", "THREADPROF_QUIET=1",
                             crossings[i].env, NULL};
        const char *args[] = {"cross", crossings[i].kind, NULL};
        memset(&p[i], 0, sizeof p[i]);
        tu_start_full(&p[i], "soak", 1, env, args);
    }
    for (size_t i = 0; i < NCROSS; i++) {
        int st = tu_finish(&p[i], 0, 60000);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", crossings[i].kind, st);
        ck_assert_msg(p[i].err_len == 0, "%s: stderr:\n%s", crossings[i].trigger, p[i].err);
        int n = tu_count_dumps(p[i].dir, p[i].pid);
        ck_assert_msg(n == 3, "%s: %d dumps, not 2 threshold dumps and the exit dump",
                      crossings[i].trigger, n);
        for (unsigned seq = 1; seq <= 2; seq++) {
            char path[PATH_MAX], re[256];
            tu_dump_path(&p[i], p[i].pid, seq, path, sizeof path);
            char *dump = tu_read_file(path);
            snprintf(re, sizeof re, "\nreason: %s\n", crossings[i].reason);
            tu_assert_match(dump, re);
            free(dump);
        }
        tu_cleanup(&p[i]);
    }
}
END_TEST

/* Bad trigger items: one line each, the good ones still work. */
START_TEST(bad_trigger_items_warned_rest_works)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_TRIGGER=goroutines>5,threads>20,heap>-1",
                         "THREADPROF_TREND=off", "THREADPROF_QUIET=1", NULL};
    const char *args[] = {"cross", "threads", NULL};
    tu_start_full(&p, "soak", 1, env, args);
    int st = tu_finish(&p, 0, 60000);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(tu_count(p.err, "\n"), 2);
    tu_assert_match(p.err, "^threadprof: THREADPROF_TRIGGER=\"goroutines>5\" is not a threshold "
                           "[^\n]*; ignoring that item\n");
    tu_assert_match(p.err, "\nthreadprof: THREADPROF_TRIGGER=\"heap>-1\" is not a threshold ");
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 3);
    tu_cleanup(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trends");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, leaking_service_gets_verdicts);
    tcase_add_test(tc, plateau_gets_no_verdict);
    tcase_add_test(tc, unjoined_threads_verdict);
    tcase_add_test(tc, fd_leak_verdict);
    tcase_add_test(tc, stuck_threads_verdict);
    tcase_add_test(tc, too_early_for_verdicts);
    tcase_add_test(tc, trends_off);
    tcase_add_test(tc, exit_code_on_leak_verdicts);
    tcase_add_test(tc, each_threshold_one_dump_per_crossing);
    tcase_add_test(tc, bad_trigger_items_warned_rest_works);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
