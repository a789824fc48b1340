/*
 * check_misuse: the lock misuse the Go handbook warns about, as the agent
 * shows it in real programs (issue 14).  heldblock holds stats_lock
 * across a 20 ms sleep and a write in flush_stats while two reporters
 * wait for it; a ticker takes tick_lock only briefly and a sleeper waits
 * on a condition variable with tick_lock as its mutex: only the first is
 * the misuse.
 */
#include "tests/testutil.h"

#define WAIT_MS 20000
#define HELD_SRC "tests/programs/heldblock.c"

/* Signal dumps until one catches "flusher" in a blocking call made
 * holding stats_lock (20 ms of each 23); its text. */
static char *dump_with_flusher_blocked(tu_proc_t *p)
{
    for (unsigned seq = 1; seq <= 5; seq++) {
        kill(p->pid, SIGUSR2);
        char *dump = tu_wait_dump(p, p->pid, seq, WAIT_MS);
        char *flusher = tu_thread_entry(dump, "flusher");
        int blocked = tu_match(flusher, "\\[(sleep|write [^]]*), ", NULL, 0) &&
                      strstr(flusher, ", while in ") != NULL;
        free(flusher);
        if (blocked)
            return dump;
        free(dump);
    }
    ck_abort_msg("5 dumps, none with flusher in its sleep or write holding stats_lock");
    return NULL;
}

/* The thread dump's entry says which lock is held across which call, and
 * where it was taken; no other thread is flagged. */
START_TEST(misuse_dump_names_lock_held_across_call)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    tu_start(&p, "heldblock", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    char *dump = dump_with_flusher_blocked(&p);
    char *flusher = tu_thread_entry(dump, "flusher");
    char re[512];
    snprintf(re, sizeof re, "^    holds mutex 0x[0-9a-f]+ since [^,]+, taken in flush_stats "
                            "\\(/.*heldblock\\.c:%d\\), while in (usleep|write)$",
             tu_source_line(HELD_SRC, "LINE:lock"));
    tu_assert_match(flusher, re);
    free(flusher);
    /* Besides flusher, only saver may be caught holding a lock across a
     * call: not the brief tick_lock, not the sleeper's cond wait on its
     * own mutex, not saver's read lock. */
    char *saver = tu_thread_entry(dump, "saver");
    ck_assert_int_le(tu_count(saver, ", while in "), 1);
    ck_assert_int_eq(tu_count(dump, ", while in "), 1 + tu_count(saver, ", while in "));
    if (strstr(saver, ", while in ") != NULL)
        tu_assert_match(saver, "^    holds (mutex|rwlock \\(write\\)) 0x[0-9a-f]+ since [^,]+, "
                               "taken in save_state \\(/.*heldblock\\.c:[0-9]+\\), while in poll$");
    free(saver);
    static const char *const others[] = {"ticker", "sleeper", "reporter", "heldblock"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        char *e = tu_thread_entry(dump, others[i]);
        ck_assert_msg(strstr(e, "while in") == NULL, "%s flagged:\n%s", others[i], e);
        free(e);
    }
    free(dump);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* A duration as the summary writes it ("850ns", "12.3us", "4.56ms",
 * "1.23s"), in ns; -1 when it is none of those. */
static double parse_wait(const char *text)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text)
        return -1;
    if (strncmp(end, "ns", 2) == 0)
        return v;
    if (strncmp(end, "us", 2) == 0)
        return v * 1e3;
    if (strncmp(end, "ms", 2) == 0)
        return v * 1e6;
    if (*end == 's')
        return v * 1e9;
    return -1;
}

/* The summary of dump seq of p (malloc'd), waited for: it is written
 * after the thread dump (each file is renamed into place whole). */
static char *summary_of(tu_proc_t *p, unsigned seq)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.%06u.summary.txt", p->dir,
             (int)p->pid, seq);
    long end = tu_now_ms() + WAIT_MS;
    while (access(path, F_OK) != 0) {
        ck_assert_msg(tu_now_ms() < end, "no %s", path);
        usleep(10000);
    }
    return tu_read_file(path);
}

/* The summary section that starts with title, up to its blank line
 * (malloc'd); fails when it is missing. */
static char *section_of(const char *summary, const char *title)
{
    const char *at = strstr(summary, title);
    ck_assert_msg(at != NULL, "no section \"%s\" in the summary:\n%s", title, summary);
    const char *end = strstr(at, "\n\n");
    size_t n = end != NULL ? (size_t)(end - at) + 1 : strlen(at);
    char *out = malloc(n + 1);
    memcpy(out, at, n);
    out[n] = '\0';
    return out;
}

/* The summary ranks the locks held across calls by total time: stats_lock
 * across flush_stats' 20 ms sleep, save_lock (trylocked) across saver's
 * 5 ms poll, config_rw write-locked across its 2 ms poll, stats_lock
 * across the write; with both call sites, counts and times near the
 * program's.  Nothing else: tick_lock is held briefly, the sleeper's cond
 * wait releases it, and a read lock excludes nobody but writers. */
START_TEST(misuse_summary_ranks_locks_held_across_calls)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    tu_start(&p, "heldblock", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    usleep(1500 * 1000);   /* ~65 flushes, ~75 saves */
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    char *summary = summary_of(&p, 1);
    tu_finish(&p, SIGKILL, WAIT_MS);
    char *sec = section_of(summary, "locks held across blocking calls");
    ck_assert_int_eq(tu_count(sec, "\n  "), 4);
    char re[1024];
    static const struct {
        const char *kind, *fn, *taken, *call, *blocked;
        int min_ms, max_ms;
    } rows[] = {
        {"mutex", "flush_stats", "LINE:lock", "usleep", "LINE:sleep", 20, 40},
        {"mutex", "save_state", "LINE:trylock", "poll", "LINE:poll", 5, 20},
        {"rwlock \\(write\\)", "save_state", "LINE:wrlock", "poll", "LINE:wrpoll", 2, 20},
        {"mutex", "flush_stats", "LINE:lock", "write", "LINE:write", 0, 20},
    };
    char cap[64];
    for (int i = 0; i < 4; i++) {
        snprintf(re, sizeof re,
                 "^  %d\\. %s (0x[0-9a-f]+) \\(taken in %s at /.*heldblock\\.c:%d\\) "
                 "held across %s in %s at /.*heldblock\\.c:%d: ([0-9]+) times, "
                 "([0-9.]+[mun]?s) total, max ([0-9.]+[mun]?s)$",
                 i + 1, rows[i].kind, rows[i].fn, tu_source_line(HELD_SRC, rows[i].taken),
                 rows[i].call, rows[i].fn, tu_source_line(HELD_SRC, rows[i].blocked));
        tu_assert_match(sec, re);
        /* The figures, by capture: count, total, max. */
        regex_t rx;
        regmatch_t m[5];
        ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
        ck_assert_int_eq(regexec(&rx, sec, 5, m, 0), 0);
        long count = strtol(sec + m[2].rm_so, NULL, 10);
        snprintf(cap, sizeof cap, "%.*s", (int)(m[3].rm_eo - m[3].rm_so), sec + m[3].rm_so);
        double total = parse_wait(cap);
        snprintf(cap, sizeof cap, "%.*s", (int)(m[4].rm_eo - m[4].rm_so), sec + m[4].rm_so);
        double max = parse_wait(cap);
        regfree(&rx);
        ck_assert_msg(count >= 40, "%s: %ld calls in 1.5 s", rows[i].call, count);
        ck_assert_msg(max >= rows[i].min_ms * 1e6 && max < rows[i].max_ms * 1e6 + 100e6,
                      "%s: max %.0f ns", rows[i].call, max);
        if (i == 0) {
            double avg = total / (double)count;
            ck_assert_msg(avg >= 20e6 && avg < 30e6, "usleep(20ms): average %.0f ns", avg);
        }
    }
    free(sec);
    free(summary);
    tu_cleanup(&p);
}
END_TEST

/* The mutex profile blames the holder that kept stats_lock while the
 * reporters waited, flush_stats, with at least 90% of their delay, though
 * the release that wakes a reporter is often the other reporter's (Go's
 * rule, which blames the waking unlock alone, gives it about half). */
START_TEST(misuse_mutex_profile_blames_long_holder)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    tu_start(&p, "heldblock", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    usleep(1500 * 1000);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    free(summary_of(&p, 1));   /* the profiles are written before it */
    tu_finish(&p, SIGKILL, WAIT_MS);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.000001.mutex.pb.gz", p.dir, (int)p.pid);
    char *top = tu_top_delay(&p, path);
    uint64_t flush = tu_flat_ns(top, "flush_stats");
    uint64_t report = tu_flat_ns(top, "report_stats");
    ck_assert_msg(flush > 500000000ull, "flush_stats blamed for %llu ns in 1.5 s:\n%s",
                  (unsigned long long)flush, top);
    ck_assert_msg(flush >= 9 * report, "flush_stats %llu ns, report_stats %llu ns:\n%s",
                  (unsigned long long)flush, (unsigned long long)report, top);
    free(top);
    /* The summary's "held at" is the long holder's release too. */
    char *summary = summary_of(&p, 1);
    char *sec = section_of(summary, "top contended locks");
    tu_assert_match(sec, "^       held at flush_stats \\(/.*heldblock\\.c:[0-9]+\\)$");
    free(sec);
    free(summary);
    tu_cleanup(&p);
}
END_TEST

/* A duration in the summary's text at the start of s, in ns; fails when
 * it is not one. */
static double wait_at(const char *s)
{
    double v = parse_wait(s);
    ck_assert_msg(v >= 0, "not a duration: %.40s", s);
    return v;
}

/* Hold times: stats_lock, held 20 ms of each 23 by flush_stats, ranks
 * first among the locks held longest, held most of the time with its
 * longest hold near 20 ms and every one of flush_stats' holds timed (each
 * has a blocking call); tick_lock is held microseconds, never across a
 * call.  The default sampling, as a user gets it. */
START_TEST(misuse_hold_times_of_long_and_short_locks)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    tu_start(&p, "heldblock", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    usleep(1500 * 1000);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    char *summary = summary_of(&p, 1);
    tu_finish(&p, SIGKILL, WAIT_MS);
    char *sec = section_of(summary, "locks held longest");
    char re[1024], cap[64];
    snprintf(re, sizeof re,
             "^  1\\. mutex 0x[0-9a-f]+: held ~([0-9.]+)%% of the time: ~[0-9]+ acquisitions, "
             "avg [0-9.]+[mun]?s, max ([0-9.]+[mun]?s) \\(timed: ([0-9]+) with a blocking call, "
             "[0-9]+ sampled\\) \\(longest taken in flush_stats at /.*heldblock\\.c:%d\\)$",
             tu_source_line(HELD_SRC, "LINE:lock"));
    tu_assert_match(sec, re);
    regex_t rx;
    regmatch_t m[4];
    ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE), 0);
    ck_assert_int_eq(regexec(&rx, sec, 4, m, 0), 0);
    regfree(&rx);
    double share = strtod(sec + m[1].rm_so, NULL);
    snprintf(cap, sizeof cap, "%.*s", (int)(m[2].rm_eo - m[2].rm_so), sec + m[2].rm_so);
    double max = wait_at(cap);
    long blocked = strtol(sec + m[3].rm_so, NULL, 10);
    /* Held 20 of every ~23 ms since the flusher started, a little after
     * the process: more than half of the process's life. */
    ck_assert_msg(share >= 50 && share <= 100, "stats_lock held %.1f%%:\n%s", share, sec);
    ck_assert_msg(max >= 20e6 && max < 100e6, "stats_lock longest hold %.0f ns", max);
    ck_assert_msg(blocked >= 40, "%ld holds with a blocking call in 1.5 s", blocked);
    /* tick_lock: the ticker's, short, never across a call. */
    snprintf(re, sizeof re,
             "^  [0-9]+\\. mutex 0x[0-9a-f]+: held ~[0-9.]+%% of the time: ~[0-9]+ acquisitions, "
             "avg ([0-9.]+[mun]?s), max [0-9.]+[mun]?s \\(timed: 0 with a blocking call, "
             "[0-9]+ sampled\\) \\(longest taken in (ticker|sleeper) at /.*heldblock\\.c:[0-9]+\\)$");
    ck_assert_msg(tu_match(sec, re, cap, sizeof cap), "no tick_lock line:\n%s", sec);
    ck_assert_msg(wait_at(cap) < 1e6, "tick_lock average hold %s", cap);
    free(sec);
    /* The contended lock's entry gives its hold times too. */
    sec = section_of(summary, "top contended locks");
    tu_assert_match(sec, "^       held at flush_stats .*\n       held ~[0-9.]+% of the time: ");
    free(sec);
    free(summary);
    tu_cleanup(&p);
}
END_TEST

static Suite *misuse_suite(void)
{
    Suite *s = suite_create("misuse");
    TCase *tc = tcase_create("misuse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, misuse_dump_names_lock_held_across_call);
    tcase_add_test(tc, misuse_summary_ranks_locks_held_across_calls);
    tcase_add_test(tc, misuse_mutex_profile_blames_long_holder);
    tcase_add_test(tc, misuse_hold_times_of_long_and_short_locks);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(misuse_suite());
}
