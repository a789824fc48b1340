/*
 * check_profiles: integration tests of the mutex and block profiles
 * (agent/lockprof.c).  tests/programs/contention makes lock contention of
 * known shapes; after a dump the profiles are read by the real consumer,
 * Debian's `go tool pprof` (HOME and GOCACHE in the test's directory), and
 * the delay of each call site is compared.  The dump's summary.txt is
 * checked here too: its top lock and call sites with contention, a mutex
 * initialised again listed as a new lock, and its deadlock section with
 * tests/programs/abba.
 */
#include <stdint.h>

#include "tests/testutil.h"

#define WAIT_MS 20000

static void profile_path(const tu_proc_t *p, pid_t pid, unsigned seq,
                         const char *kind, char *buf, size_t len)
{
    snprintf(buf, len, "%.3000s/threadprof.%d.%06u.%s.pb.gz", p->dir, (int)pid,
             seq, kind);
}

/* The profiles are written right after the thread dump. */
static void wait_file(tu_proc_t *p, const char *path)
{
    long end = tu_now_ms() + WAIT_MS;
    while (access(path, F_OK) != 0) {
        tu_drain(p);
        ck_assert_msg(tu_now_ms() < end, "no %s; stderr:\n%.2000s", path, p->err);
        usleep(10000);
    }
}

/* Runs contention to "ready" and dumps it with SIGUSR2 (dump 1). */
static void start_and_dump(tu_proc_t *p, const char *const *env)
{
    memset(p, 0, sizeof *p);
    tu_start(p, "contention", env);
    tu_wait_output(p, "ready", WAIT_MS);
    kill(p->pid, SIGUSR2);
    free(tu_wait_dump(p, p->pid, 1, WAIT_MS));
}

START_TEST(profiles_mutex_blames_hot_unlocker)
{
    tu_proc_t p;
    start_and_dump(&p, NULL);
    char mutex[PATH_MAX], block[PATH_MAX];
    profile_path(&p, p.pid, 1, "mutex", mutex, sizeof mutex);
    profile_path(&p, p.pid, 1, "block", block, sizeof block);
    wait_file(&p, mutex);
    wait_file(&p, block);

    /* Go's mutex profile: the stacks that released the lock while others
     * waited, with the waiters' delay. */
    char *top = tu_top_delay(&p, mutex);
    uint64_t hot = tu_flat_ns(top, "hot_release"), cold = tu_flat_ns(top, "cold_release");
    ck_assert_msg(hot > 1000000, "hot_release has %llu ns:\n%.3000s",
                  (unsigned long long)hot, top);
    ck_assert_msg(hot > 10 * cold, "hot %llu ns, cold %llu ns:\n%.3000s",
                  (unsigned long long)hot, (unsigned long long)cold, top);
    /* The waiters are not blamed in the mutex profile. */
    ck_assert_msg(tu_flat_ns(top, "hot_acquire") == 0, "waiter in mutex profile:\n%.3000s", top);
    free(top);

    char *raw = tu_pprof(&p, "-raw", mutex);
    tu_assert_match(raw, "^PeriodType: contentions count$");
    tu_assert_match(raw, "^Period: 1$");
    tu_assert_match(raw, "^contentions/count delay/nanoseconds$");
    tu_assert_match(raw, "^ +[0-9]+: 0x[0-9a-f]+ M=[0-9]+ hot_release /.*contention\\.c:[0-9]+ s=0$");
    tu_assert_match(raw, "^[0-9]+: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ /.*/contention [0-9a-f]{40} \\[FN\\]\\[FL\\]\\[LN\\]\\[IN\\]$");
    free(raw);

    /* Go's block profile: the waiters' stacks. */
    top = tu_top_delay(&p, block);
    ck_assert_msg(tu_flat_ns(top, "hot_acquire") > 1000000, "no hot_acquire:\n%.3000s", top);
    ck_assert_msg(tu_flat_ns(top, "hot_release") == 0, "releaser in block profile:\n%.3000s", top);
    free(top);
    char *traces = tu_pprof(&p, "-traces", block);
    tu_assert_match(traces, "hot_acquire\n +hot_thread\n");
    free(traces);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

START_TEST(profiles_block_has_rwlock_and_cond_waits)
{
    tu_proc_t p;
    start_and_dump(&p, NULL);
    char block[PATH_MAX];
    profile_path(&p, p.pid, 1, "block", block, sizeof block);
    wait_file(&p, block);
    char *top = tu_top_delay(&p, block);
    /* Readers hold the rwlock 100 ms, the writer arrives 20 ms in; the
     * condvar waiter waits ~100 ms for main. */
    ck_assert_msg(tu_flat_ns(top, "writer_wait") > 40000000, "writer_wait:\n%.3000s", top);
    ck_assert_msg(tu_flat_ns(top, "cond_waiter") > 50000000, "cond_waiter:\n%.3000s", top);
    /* main joins its threads: join waits are there too. */
    ck_assert_msg(tu_flat_ns(top, "main") > 0, "no join wait in main:\n%.3000s", top);
    free(top);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* Every dump writes both profiles next to its thread dump, 0600, values
 * cumulative (a later dump has at least the delay of an earlier one). */
START_TEST(profiles_written_with_every_dump)
{
    tu_proc_t p;
    start_and_dump(&p, NULL);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 2, WAIT_MS));
    uint64_t hot[3] = {0};
    for (unsigned seq = 1; seq <= 2; seq++) {
        for (int k = 0; k < 2; k++) {
            char path[PATH_MAX];
            profile_path(&p, p.pid, seq, k ? "block" : "mutex", path, sizeof path);
            wait_file(&p, path);
            struct stat st;
            ck_assert_int_eq(stat(path, &st), 0);
            ck_assert_msg((st.st_mode & 07777) == 0600, "%s has mode %o", path,
                          (unsigned)(st.st_mode & 07777));
            ck_assert(S_ISREG(st.st_mode));
        }
        char mutex[PATH_MAX];
        profile_path(&p, p.pid, seq, "mutex", mutex, sizeof mutex);
        char *top = tu_top_delay(&p, mutex);
        hot[seq] = tu_flat_ns(top, "hot_release");
        free(top);
    }
    ck_assert(hot[1] > 0);
    ck_assert_msg(hot[2] >= hot[1], "not cumulative: %llu then %llu",
                  (unsigned long long)hot[1], (unsigned long long)hot[2]);
    /* No temporary files are left behind. */
    char cmd[PATH_MAX + 256];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -v '^threadprof\\.' | grep -v '^\\.gocache$' | grep -c . || true", p.dir);
    char *left = tu_run_cmd(cmd);
    ck_assert_msg(atoi(left) == 0, "stray files in %s", p.dir);
    free(left);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* THREADPROF_BLOCK_RATE=0 turns the block profile off: no file at all;
 * the mutex profile is still written, here by the exit dump. */
START_TEST(profiles_block_rate_zero_writes_no_block_file)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_BLOCK_RATE=0", NULL};
    const char *args[] = {"exit", NULL};
    tu_start_full(&p, "contention", 1, env, args);
    int st = tu_finish(&p, 0, WAIT_MS);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    char mutex[PATH_MAX], block[PATH_MAX], dump[PATH_MAX];
    tu_dump_path(&p, p.pid, 1, dump, sizeof dump);
    profile_path(&p, p.pid, 1, "mutex", mutex, sizeof mutex);
    profile_path(&p, p.pid, 1, "block", block, sizeof block);
    ck_assert_msg(access(dump, F_OK) == 0, "no exit dump; stderr:\n%s", p.err);
    ck_assert_msg(access(mutex, F_OK) == 0, "no mutex profile; stderr:\n%s", p.err);
    ck_assert_msg(access(block, F_OK) != 0, "block profile written with rate 0");
    ck_assert_msg(strstr(p.err, "BLOCK_RATE") == NULL, "warning:\n%s", p.err);
    tu_cleanup(&p);
}
END_TEST

/* A bad fraction: one warning naming it, and the default (every
 * contention) used. */
START_TEST(profiles_bad_fraction_warns_and_uses_default)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_MUTEX_FRACTION=garbage", NULL};
    const char *args[] = {"exit", NULL};
    tu_start_full(&p, "contention", 1, env, args);
    tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(tu_count(p.err, "THREADPROF_MUTEX_FRACTION") == 1,
                  "stderr:\n%s", p.err);
    tu_assert_match(p.err, "^threadprof: THREADPROF_MUTEX_FRACTION=\"garbage\" is not .*; using 1 ");
    char mutex[PATH_MAX];
    profile_path(&p, p.pid, 1, "mutex", mutex, sizeof mutex);
    char *top = tu_top_delay(&p, mutex);
    ck_assert_msg(tu_flat_ns(top, "hot_release") > 0, "%.3000s", top);
    free(top);
    tu_cleanup(&p);
}
END_TEST

/* With a fraction of 1000 about 1 in 1000 contentions is kept, and each
 * kept one counts 1000: the counts come out as multiples of 1000. */
START_TEST(profiles_fraction_scales_counts)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_MUTEX_FRACTION=1000", NULL};
    const char *args[] = {"exit", NULL};
    tu_start_full(&p, "contention", 1, env, args);
    tu_finish(&p, 0, WAIT_MS);
    char mutex[PATH_MAX];
    profile_path(&p, p.pid, 1, "mutex", mutex, sizeof mutex);
    char *raw = tu_pprof(&p, "-raw", mutex);
    tu_assert_match(raw, "^Period: 1$");
    /* Every sample's count is 0 mod 1000 (there may be none at all). */
    tu_assert_no_match(raw, "^ +[0-9]*[1-9][0-9]{0,2} +[0-9]+:");
    free(raw);
    tu_cleanup(&p);
}
END_TEST

/* "52.0 KiB" (the summary's sizes) in bytes. */
static double bytes_of(const char *text)
{
    double v = 0;
    char unit[8] = "";
    if (sscanf(text, "%lf %7s", &v, unit) != 2)
        return -1;
    return v * (strcmp(unit, "KiB") == 0   ? 1024.0
                : strcmp(unit, "MiB") == 0 ? 1048576.0
                : strcmp(unit, "GiB") == 0 ? 1073741824.0 : 1.0);
}

static char *read_summary(tu_proc_t *p, unsigned seq, char *path, size_t len)
{
    snprintf(path, len, "%.3000s/threadprof.%d.%06u.summary.txt", p->dir,
             (int)p->pid, seq);
    wait_file(p, path);
    char *text = tu_read_file(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

/* The summary of each dump: private, in sections, and its first lock is
 * the hot mutex, with the program's own waiting and releasing functions. */
START_TEST(profiles_summary_names_hot_lock)
{
    tu_proc_t p;
    start_and_dump(&p, NULL);
    char path[PATH_MAX];
    char *text = read_summary(&p, 1, path, sizeof path);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_msg((st.st_mode & 07777) == 0600, "%s has mode %o", path,
                  (unsigned)(st.st_mode & 07777));
    char re[256];
    snprintf(re, sizeof re, "^threadprof summary of dump 1 of pid %d$", (int)p.pid);
    tu_assert_match(text, re);
    tu_assert_match(text, "^program: /.*/contention$");
    tu_assert_match(text, "^reason: signal SIGUSR2$");
    tu_assert_match(text, "^deadlocks: none$");
    char count[32];
    ck_assert_msg(tu_match(text, "^  1\\. mutex 0x[0-9a-f]+: ([0-9]+) contentions?, "
                           "total wait [0-9.]+(ns|us|ms|s), max wait [0-9.]+(ns|us|ms|s)$",
                           count, sizeof count), "no first lock in:\n%.3000s", text);
    ck_assert_msg(strtoull(count, NULL, 10) > 0, "%s", text);
    tu_assert_match(text, "^  1\\. mutex .*\n"
                          "       waited at hot_acquire \\(/.*contention\\.c:[0-9]+\\)\n"
                          "       held at hot_release \\(/.*contention\\.c:[0-9]+\\)\n");
    tu_assert_match(text, "^tables: [1-9][0-9]*/4096 stacks, [1-9][0-9]*/16384 locks, "
                          "[0-9]+ events dropped"
                          " \\([0-9.]+ MiB reserved, [0-9.]+ (B|KiB|MiB) resident\\)$");
    /* The tables are mapped whole but touched only where entries are. */
    char reserved[32], resident[32];
    ck_assert(tu_match(text, "^tables: .* \\(([0-9.]+ [KMG]?i?B) reserved", reserved,
                       sizeof reserved));
    ck_assert(tu_match(text, "^tables: .* reserved, ([0-9.]+ [KMG]?i?B) resident", resident,
                       sizeof resident));
    ck_assert_msg(bytes_of(resident) > 0 && bytes_of(resident) < bytes_of(reserved),
                  "%s resident of %s", resident, reserved);
    tu_assert_match(text, "^threads: [0-9]+ live \\([0-9]+ running, [0-9]+ waiting\\), "
                          "[0-9]+ exited but not joined$");
    snprintf(re, sizeof re, "^files: threadprof\\.%d\\.000001\\.threads\\.txt, "
             "threadprof\\.%d\\.000001\\.mutex\\.pb\\.gz, threadprof\\.%d\\.000001\\.block\\.pb\\.gz, "
             "threadprof\\.%d\\.000001\\.heap\\.pb\\.gz$",
             (int)p.pid, (int)p.pid, (int)p.pid, (int)p.pid);
    tu_assert_match(text, re);
    tu_assert_match(text, "go tool pprof -top -sample_index=delay ");
    free(text);
    /* The next dump has its own summary. */
    kill(p.pid, SIGUSR2);
    text = read_summary(&p, 2, path, sizeof path);
    tu_assert_match(text, "^threadprof summary of dump 2 of pid ");
    free(text);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* Blocking system calls are in the block profile, with their length: a
 * read that blocked ~150 ms, a poll that timed out after 100 ms, and
 * reads that never block but are sampled in proportion. */
START_TEST(profiles_block_has_system_calls)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "syscalls", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    char file[PATH_MAX];
    profile_path(&p, p.pid, 1, "block", file, sizeof file);
    wait_file(&p, file);
    char *top = tu_top_delay(&p, file);
    uint64_t rd = tu_flat_ns(top, "pipe_reader"), pl = tu_flat_ns(top, "poller");
    ck_assert_msg(rd >= 100000000u && rd < 2000000000u, "pipe_reader %llu ns:\n%.3000s",
                  (unsigned long long)rd, top);
    ck_assert_msg(pl >= 80000000u && pl < 2000000000u, "poller %llu ns:\n%.3000s",
                  (unsigned long long)pl, top);
    ck_assert_msg(tu_flat_ns(top, "zero_reader") > 0, "no zero_reader:\n%.3000s", top);
    free(top);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* 10,000 distinct mutexes, each contended once: the program's result
 * is unchanged, the tables hold thousands of locks within their caps, the
 * summary says how full they are, and the profiles read back. */
START_TEST(profiles_many_mutexes_bounded)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    tu_start(&p, "many_mutexes", env);
    int status = tu_finish(&p, 0, 60000);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x: %s",
                  status, p.err);
    ck_assert_str_eq(p.out, "contended 10000\n");
    char path[PATH_MAX];
    char *text = read_summary(&p, 1, path, sizeof path);
    char locks[32];
    ck_assert_msg(tu_match(text, "^tables: [0-9]+/4096 stacks, ([0-9]+)/16384 locks, "
                           "[0-9]+ events dropped \\([0-9.]+ MiB reserved, "
                           "[0-9.]+ (B|KiB|MiB) resident\\)$", locks, sizeof locks),
                  "no tables line in:\n%.3000s", text);
    ck_assert_msg(atoi(locks) >= 9000, "only %s locks contended:\n%.3000s", locks, text);
    /* Each was held by hold_one while wait_one waited; the waiter's own
     * unlock afterwards (glibc leaves the word at 2) is not the holder. */
    tu_assert_match(text, "^  1\\. mutex .*\n"
                          "       waited at wait_one \\(/.*many_mutexes\\.c:[0-9]+\\)\n"
                          "       held at hold_one \\(/.*many_mutexes\\.c:[0-9]+\\)\n");
    free(text);
    char file[PATH_MAX];
    profile_path(&p, p.pid, 1, "mutex", file, sizeof file);
    char *top = tu_top_delay(&p, file);
    tu_assert_match(top, " hold_one$");
    free(top);
    tu_cleanup(&p);
}
END_TEST

/* A mutex destroyed (or only initialised again) and contended again is a
 * new lock: the summary lists both at the same address, the old one
 * marked destroyed, each with its own exact count of contentions. */
START_TEST(profiles_summary_reinitialised_mutex_is_new_lock)
{
    const char *modes[] = {"destroy", "init"};
    for (int k = 0; k < 2; k++) {
        tu_proc_t p;
        memset(&p, 0, sizeof p);
        const char *args[] = {modes[k], NULL};
        tu_start_full(&p, "mutex_reinit", 1, NULL, args);
        int status = tu_finish(&p, 0, WAIT_MS);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "%s: status %#x: %s", modes[k], status, p.err);
        ck_assert_str_eq(p.out, "done\n");
        char path[PATH_MAX], re[512], old[32], now[32];
        char *text = read_summary(&p, 1, path, sizeof path);
        int line = tu_source_line("tests/programs/mutex_reinit.c", "LINE:contend");
        snprintf(re, sizeof re, "^  [12]\\. mutex (0x[0-9a-f]+) \\(destroyed\\): 3 contentions, "
                 "total wait [0-9.]+(us|ms|s), max wait [0-9.]+(us|ms|s)\n"
                 "       waited at contend \\(/.*mutex_reinit\\.c:%d\\)$", line);
        ck_assert_msg(tu_match(text, re, old, sizeof old), "%s: no /%s/ in:\n%.3000s",
                      modes[k], re, text);
        snprintf(re, sizeof re, "^  [12]\\. mutex (0x[0-9a-f]+): 5 contentions, "
                 "total wait [0-9.]+(us|ms|s), max wait [0-9.]+(us|ms|s)\n"
                 "       waited at contend \\(/.*mutex_reinit\\.c:%d\\)$", line);
        ck_assert_msg(tu_match(text, re, now, sizeof now), "%s: no /%s/ in:\n%.3000s",
                      modes[k], re, text);
        ck_assert_str_eq(old, now);
        tu_assert_no_match(text, "^  3\\. ");
        /* The retired entry keeps its slot: two entries for one address. */
        tu_assert_match(text, "^tables: [0-9]+/4096 stacks, 2/16384 locks, ");
        free(text);
        tu_cleanup(&p);
    }
}
END_TEST

/* A real ABBA deadlock: the summary names both threads of the cycle. */
START_TEST(profiles_summary_names_deadlocked_threads)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "abba", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    /* Nobody signals: the periodic deadlock check writes dump 1. */
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    pid_t ab = tu_thread_tid(dump, "transfer-ab"), ba = tu_thread_tid(dump, "transfer-ba");
    ck_assert(ab > 0 && ba > 0);
    free(dump);
    char path[PATH_MAX], re[512];
    char *text = read_summary(&p, 1, path, sizeof path);
    tu_assert_match(text, "^reason: deadlock$");
    tu_assert_match(text, "^deadlocks: 1$");
    snprintf(re, sizeof re,
             "^    thread %d \"transfer-ab\" waits for mutex 0x[0-9a-f]+ held by thread %d \"transfer-ba\"\n"
             "    thread %d \"transfer-ba\" waits for mutex 0x[0-9a-f]+ held by thread %d \"transfer-ab\"$",
             (int)ab, (int)ba, (int)ba, (int)ab);
    tu_assert_match(text, re);
    tu_assert_match(text, "^  states: 2 mutex wait, ");
    free(text);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("profiles");
    TCase *tc = tcase_create("profiles");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, profiles_mutex_blames_hot_unlocker);
    tcase_add_test(tc, profiles_block_has_rwlock_and_cond_waits);
    tcase_add_test(tc, profiles_written_with_every_dump);
    tcase_add_test(tc, profiles_block_rate_zero_writes_no_block_file);
    tcase_add_test(tc, profiles_bad_fraction_warns_and_uses_default);
    tcase_add_test(tc, profiles_fraction_scales_counts);
    tcase_add_test(tc, profiles_summary_names_hot_lock);
    tcase_add_test(tc, profiles_summary_names_deadlocked_threads);
    tcase_add_test(tc, profiles_many_mutexes_bounded);
    tcase_add_test(tc, profiles_summary_reinitialised_mutex_is_new_lock);
    tcase_add_test(tc, profiles_block_has_system_calls);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(suite());
}
