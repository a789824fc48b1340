/*
 * check_triggers: integration tests of what makes a dump happen and of the
 * host seeing nothing of it: the trigger signal and a host's own handler,
 * bad settings, an unusable directory, EINTR, bursts, signal masks
 * inherited by child programs.
 */

#include <sys/syscall.h>

#include "tests/testutil.h"

#define WAIT_MS 10000

static void own_handler_case(const char *how)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {how, NULL};
    tu_start_full(&p, "own_handler", 1, NULL, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "status %d, stdout: %s", status, p.out);
    ck_assert_str_eq(p.out, "ready\nhandled 1\n");
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    /* The program exits as soon as its handler ran: the signal's dump is
     * either written first or answered by the exit dump. */
    tu_assert_match(dump, "^reason: signal SIGUSR2( \\+ exit)?$");
    tu_assert_match(p.err, "^threadprof: the program handles SIGUSR2 itself; its handler and the dump both run$");
    free(dump);
    tu_cleanup(&p);
}

START_TEST(trigger_host_sigaction_handler_also_runs)
{
    own_handler_case("sigaction");
}
END_TEST

START_TEST(trigger_host_signal_handler_also_runs)
{
    own_handler_case("signal");
}
END_TEST

/* A host that handles the signal and sends it to its own threads (the
 * JVM's thread suspension): those signals run its handler but ask for no
 * dump; a signal sent to the process still does. */
START_TEST(trigger_host_thread_signals_are_not_dumps)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {"tkill", NULL};
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    tu_start_full(&p, "own_handler", 1, env, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_str_eq(p.out, "self-sent 3\nready\nhandled 4\n");
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 1);
    char *dump = tu_wait_dump(&p, p.pid, 1, 1000);
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_custom_signal)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_SIGNAL=SIGRTMIN+3", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGRTMIN + 3);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: signal SIGRTMIN\\+3$");
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_none_leaves_signal_alone)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_SIGNAL=none", "THREADPROF_ON_EXIT=0", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    int status = tu_finish(&p, 0, WAIT_MS);
    /* As without the agent: SIGUSR2's default action ends the process. */
    ck_assert(WIFSIGNALED(status));
    ck_assert_int_eq(WTERMSIG(status), SIGUSR2);
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 0);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_bad_settings_warn_once_each)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_SIGNAL=SIGFOO", "THREADPROF_ON_EXIT=maybe",
                         "THREADPROF_INTERVAL=soon", "THREADPROF_QUIET=2", NULL};
    tu_start(&p, "exiter", env);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    ck_assert_str_eq(p.out, "hello from exiter\n");
    tu_assert_match(p.err, "^threadprof: THREADPROF_SIGNAL=\"SIGFOO\" is not .*; using SIGUSR2$");
    tu_assert_match(p.err, "^threadprof: THREADPROF_ON_EXIT=\"maybe\" is not .*; using 1 \\(dump at exit\\)$");
    tu_assert_match(p.err, "^threadprof: THREADPROF_INTERVAL=\"soon\" is not .*; using off \\(no periodic dumps\\)$");
    tu_assert_match(p.err, "^threadprof: THREADPROF_QUIET=\"2\" is not .*; using 0 \\(not quiet\\)$");
    ck_assert_int_eq(tu_count(p.err, "threadprof: THREADPROF_"), 4);
    /* Defaults in force: the exit dump was written and announced. */
    ck_assert_int_eq(tu_count(p.err, "threadprof: wrote "), 1);
    ck_assert_int_eq(tu_count(p.err, "\n"), 5);
    char *dump = tu_wait_dump(&p, p.pid, 1, 1000);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_unusable_dir_falls_back)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    char file[PATH_MAX + 16], env_dir[PATH_MAX + 32];
    snprintf(file, sizeof file, "%.3000s/not-a-dir", p.dir);
    tu_write_file(file, "", 0600);
    snprintf(env_dir, sizeof env_dir, "THREADPROF_DIR=%s", file);
    const char *env[] = {env_dir, NULL};
    tu_start(&p, "exiter", env);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    char re[PATH_MAX + 128];
    snprintf(re, sizeof re, "^threadprof: THREADPROF_DIR %s is unusable \\(.*\\); writing to /tmp/threadprof-%u instead$",
             file, (unsigned)getuid());
    tu_assert_match(p.err, re);
    char fallback[128];
    snprintf(fallback, sizeof fallback, "/tmp/threadprof-%u/threadprof.%d.000001.threads.txt",
             (unsigned)getuid(), (int)p.pid);
    struct stat st;
    ck_assert_int_eq(stat(fallback, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    unlink(fallback);
    tu_cleanup(&p);
}
END_TEST

/* A full disk: the dump is lost, said once on stderr, nothing is left
 * behind, and the program runs and ends as it would. */
START_TEST(trigger_full_disk_reported)
{
    if (geteuid() != 0)
        tu_skip("mounting a small tmpfs needs root");
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    tu_sh("mount -t tmpfs -o size=64k,mode=0700 tmpfs '%s'", p.dir);
    char fill[PATH_MAX + 16];
    snprintf(fill, sizeof fill, "%.3000s/fill", p.dir);
    FILE *f = fopen(fill, "w");
    ck_assert(f != NULL);
    static char block[4096];
    while (fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0)
        ;
    fclose(f);
    tu_start(&p, "exiter", NULL);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    ck_assert_str_eq(p.out, "hello from exiter\n");
    char re[PATH_MAX + 128];
    snprintf(re, sizeof re, "^threadprof: dump 1 lost: cannot write threadprof\\.%d\\.000001\\.threads\\.txt in %s: No space left on device$",
             (int)p.pid, p.dir);
    tu_assert_match(p.err, re);
    ck_assert_int_eq(tu_count(p.err, "\n"), 1);
    ck_assert_int_eq(tu_count_entries(p.dir, NULL), 1);
    ck_assert_int_eq(access(fill, F_OK), 0);
    tu_sh("umount '%s'", p.dir);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_no_eintr_in_host)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {"3", NULL};
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    tu_start_full(&p, "eintr", 1, env, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    for (int i = 0; i < 40; i++) {
        kill(p.pid, SIGUSR2);
        usleep(50000);
    }
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    tu_assert_match(p.out, "^eintr 0$");
    ck_assert_int_ge(tu_count_dumps(p.dir, p.pid), 10);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_burst_coalesces)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    for (int i = 0; i < 1000; i++)
        kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    free(dump);
    usleep(1500000);
    int n = tu_count_dumps(p.dir, p.pid);
    ck_assert_msg(n >= 1 && n <= 5, "%d dumps for a burst of 1000 signals", n);
    ck_assert_int_eq(kill(p.pid, 0), 0);   /* still alive */
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_children_inherit_host_mask)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "spawner", NULL);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d: %s %s",
                  status, p.out, p.err);
    tu_assert_match(p.out, "^self-view usr2-blocked=0$");
    /* SIGUSR2 is signal 12: bit 0x800 of SigBlk. */
    const char *hows[] = {"posix_spawn", "execv"};
    for (size_t i = 0; i < 2; i++) {
        char re[128], cap[32];
        snprintf(re, sizeof re, "^%s SigBlk:\t([0-9a-f]+)$", hows[i]);
        ck_assert_msg(tu_match(p.out, re, cap, sizeof cap), "no %s line in %s", hows[i], p.out);
        unsigned long long mask = strtoull(cap, NULL, 16);
        ck_assert_msg((mask & 0x800) == 0, "%s child has SIGUSR2 blocked: %s", hows[i], cap);
    }
    char cap[32];
    /* SIGUSR1 (bit 0x200), blocked by the program, is inherited. */
    ck_assert(tu_match(p.out, "^posix_spawn-usr1 SigBlk:\t([0-9a-f]+)$", cap, sizeof cap));
    ck_assert_msg((strtoull(cap, NULL, 16) & 0xa00) == 0x200, "SigBlk %s", cap);
    tu_assert_match(p.out, "^self-view-usr1 usr1-blocked=1 usr2-blocked=0$");
    tu_cleanup(&p);
}
END_TEST

START_TEST(trigger_dumps_race_busy_threads)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {"3", NULL};
    /* Every dump is read below: none thinned out (THREADPROF_KEEP). */
    const char *env[] = {"THREADPROF_INTERVAL=10ms", "THREADPROF_QUIET=1", "THREADPROF_KEEP=0",
                         NULL};
    tu_start_full(&p, "churn", 1, env, args);
    int status = tu_finish(&p, 0, 30000);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "status %d, stderr: %s", status, p.err);
    ck_assert_str_eq(p.out, "ready\ndone\n");
    int n = tu_count_dumps(p.dir, p.pid);
    ck_assert_msg(n >= 20, "only %d dumps in 3 s at a 10 ms interval", n);
    /* Every dump is complete. */
    for (int seq = 1; seq <= n; seq++) {
        char *dump = tu_wait_dump(&p, p.pid, (unsigned)seq, 1000);
        ck_assert_msg(strstr(dump, "\nend of dump\n") != NULL, "dump %d cut short", seq);
        free(dump);
    }
    tu_cleanup(&p);
}
END_TEST

/* Dumps come and go while THREADPROF_KEEP thins them out: wait on the
 * highest number. */
static void wait_highest_dump(const tu_proc_t *p, unsigned at_least)
{
    long end = tu_now_ms() + WAIT_MS;
    while (tu_highest_dump(p->dir, p->pid) < at_least) {
        ck_assert_msg(tu_now_ms() < end, "no dump %u or later", at_least);
        usleep(5000);
    }
}

/* THREADPROF_KEEP: periodic dumps past the limit are thinned out so that
 * the first, the latest and a spread between remain, each with all its
 * files; a signal dump and the exit dump are never removed; the summary
 * says how many went. */
START_TEST(trigger_keep_thins_periodic_dumps)
{
    tu_proc_t p;
    char file[PATH_MAX + 16];
    const char *env[] = {"THREADPROF_INTERVAL=10ms", "THREADPROF_KEEP=4",
                         "THREADPROF_QUIET=1", NULL};
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    snprintf(file, sizeof file, "%.3000s/go", p.dir);
    const char *args[] = {file, "single", NULL};
    tu_start_full(&p, "lazy", 1, env, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    /* Dumps back to back for a while, one signal in their midst. */
    wait_highest_dump(&p, 6);
    kill(p.pid, SIGUSR2);
    unsigned signalled = 0;
    for (long end = tu_now_ms() + WAIT_MS; signalled == 0 && tu_now_ms() < end;
         usleep(10000)) {
        for (unsigned seq = 7; seq < 2000 && signalled == 0; seq++) {
            char path[PATH_MAX + 64];
            tu_dump_path(&p, p.pid, seq, path, sizeof path);
            char *text = tu_read_file(path);
            if (text != NULL && tu_match(text, "^reason: signal", NULL, 0))
                signalled = seq;
            free(text);
        }
    }
    ck_assert_msg(signalled != 0, "no signal dump");
    wait_highest_dump(&p, signalled + 6);
    tu_write_file(file, "", 0600);
    ck_assert_int_eq(WEXITSTATUS(tu_finish(&p, 0, WAIT_MS)), 0);

    /* What is left: dump 1, three more periodic ones (the latest among
     * them), the signal dump and the exit dump, the last one written. */
    unsigned seqs[16], n = 0, last = 0;
    for (unsigned seq = 1; seq < 2000; seq++) {
        char path[PATH_MAX + 64];
        tu_dump_path(&p, p.pid, seq, path, sizeof path);
        if (access(path, F_OK) == 0) {
            ck_assert_uint_lt(n, 16);
            seqs[n++] = seq;
            last = seq;
        }
    }
    ck_assert_msg(n == 6, "%u dumps left", n);
    ck_assert_uint_eq(seqs[0], 1);
    ck_assert_uint_gt(last, signalled + 6);
    int with_signal = 0;
    for (unsigned i = 0; i < n; i++) {
        char *dump = tu_wait_dump(&p, p.pid, seqs[i], 1000);
        with_signal += tu_match(dump, "^reason: signal", NULL, 0);
        free(dump);
    }
    ck_assert_int_eq(with_signal, 1);
    char *exit_dump = tu_wait_dump(&p, p.pid, last, 1000);
    tu_assert_match(exit_dump, "^reason: exit$");
    free(exit_dump);
    /* Every part of a dump is kept or removed with it: 5 files a dump. */
    ck_assert_int_eq(tu_count_entries(p.dir, "threadprof."), 6 * 5);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.%06u.summary.txt", p.dir, (int)p.pid,
             last);
    char *sum = tu_read_file(path);
    ck_assert_ptr_nonnull(sum);
    tu_assert_match(sum, "^  periodic dumps: 4 kept, [1-9][0-9]* thinned out "
                         "\\(THREADPROF_KEEP=4: ");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* pthread_cancel unwinds through the agent's wrappers while it dumps. */
START_TEST(trigger_dumps_survive_cancellation)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {"150", NULL};
    const char *env[] = {"THREADPROF_INTERVAL=10ms", "THREADPROF_QUIET=1", "THREADPROF_KEEP=0",
                         NULL};
    tu_start_full(&p, "cancel", 1, env, args);
    int status = tu_finish(&p, 0, 30000);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "status %d, stderr: %s", status, p.err);
    ck_assert_str_eq(p.out, "cancelled 450\n");
    int n = tu_count_dumps(p.dir, p.pid);
    ck_assert_msg(n >= 10, "only %d dumps", n);
    /* At exit every cancelled thread is gone: only main is left. */
    char *last = tu_wait_dump(&p, p.pid, (unsigned)n, 1000);
    tu_assert_match(last, "^reason: exit$");
    tu_assert_match(last, "^threads: 1 live \\(1 running, 0 waiting\\), 0 exited but not joined$");
    free(last);
    tu_cleanup(&p);
}
END_TEST

static const char *const lazy_env[] = {"THREADPROF_DUMP_THREAD=lazy",
                                        "THREADPROF_QUIET=1", NULL};

/* Starts tests/programs/lazy with its go file in p's directory (written
 * to file) and "how" (NULL: none), and waits for "ready". */
static void start_lazy(tu_proc_t *p, const char *const *env, const char *how,
                       char *file, size_t len)
{
    memset(p, 0, sizeof *p);
    tu_make_dir(p);
    snprintf(file, len, "%.3000s/go", p->dir);
    const char *args[] = {file, how, NULL};
    tu_start_full(p, "lazy", 1, env, args);
    tu_wait_output(p, "ready", WAIT_MS);
}

/* Waits until process pid has no child process: no snapshot child of the
 * watcher is still writing a dump.  Five signals coalesce into dumps that
 * may outlast the first one; a dump counted after that is the next
 * request's. */
static void wait_no_snapshot_child(pid_t pid, long timeout_ms)
{
    long end = tu_now_ms() + timeout_ms;
    for (;;) {
        int children = 0;
        DIR *d = opendir("/proc");
        ck_assert_ptr_nonnull(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char path[300];
            snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
            char *stat = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? tu_read_file(path) : NULL;
            const char *close_paren = stat != NULL ? strrchr(stat, ')') : NULL;
            int ppid = 0;
            char state;
            if (close_paren != NULL && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2)
                children += ppid == (int)pid;
            free(stat);
        }
        closedir(d);
        if (children == 0)
            return;
        ck_assert_msg(tu_now_ms() < end, "a snapshot child of %d still runs after %ld ms",
                      (int)pid, timeout_ms);
        usleep(20000);
    }
}

/* Waits until the program's main thread blocks in poll(2) (its loop's
 * wait), so a dump taken now finds it in an intercepted call, not
 * between "ready" and its first poll. */
static void wait_in_poll(pid_t pid, long timeout_ms)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
    long end = tu_now_ms() + timeout_ms;
    for (;;) {
        char *text = tu_read_file(path);
        int in_poll = text != NULL && atol(text) == SYS_poll;
        free(text);
        if (in_poll)
            return;
        ck_assert_msg(tu_now_ms() < end, "pid %d not in poll after %ld ms", (int)pid,
                      timeout_ms);
        usleep(1000);
    }
}

/* THREADPROF_DUMP_THREAD=lazy: a single-threaded program stays in glibc's
 * single-threaded mode and gets its dumps (from a snapshot child, under
 * its own pid), with no EINTR and no child it could see; once it makes a
 * thread the dump thread takes over. */
START_TEST(trigger_lazy_dump_thread_keeps_single_threaded)
{
    tu_proc_t p;
    char file[PATH_MAX + 16], second[PATH_MAX + 16];
    start_lazy(&p, lazy_env, NULL, file, sizeof file);
    snprintf(second, sizeof second, "%.3100s.2", file);
    tu_assert_match(p.out, "^single 1$");
    wait_in_poll(p.pid, WAIT_MS);
    for (int i = 0; i < 5; i++) {
        kill(p.pid, SIGUSR2);
        usleep(100000);
    }
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    tu_assert_match(dump, "^threads: 1 live");
    tu_assert_match(dump, "^thread [0-9]+ \"lazy\" \\[");
    tu_assert_match(dump, "^main\\(\\.\\.\\.\\)$");
    free(dump);
    wait_no_snapshot_child(p.pid, WAIT_MS);
    tu_write_file(file, "", 0600);
    tu_wait_output(&p, "thread", WAIT_MS);
    tu_assert_match(p.out, "^phase1 single 1 eintr 0$");
    int before = tu_count_dumps(p.dir, p.pid);
    ck_assert_int_ge(before, 1);
    kill(p.pid, SIGUSR2);
    dump = tu_wait_dump(&p, p.pid, (unsigned)before + 1, WAIT_MS);
    tu_assert_match(dump, "^threads: 2 live");
    tu_assert_match(dump, "^thread [0-9]+ \"worker\" \\[cond wait");
    free(dump);
    tu_write_file(second, "", 0600);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x: %s", status, p.err);
    tu_assert_match(p.out, "^phase2 single 0 children -1 errno 10$");   /* ECHILD */
    ck_assert_str_eq(p.err, "");
    tu_cleanup(&p);
}
END_TEST

/* A program that stays single-threaded to its end: its exit dump does
 * not count the watcher among its threads. */
START_TEST(trigger_lazy_exit_dump_omits_the_watcher)
{
    tu_proc_t p;
    char file[PATH_MAX + 16];
    start_lazy(&p, lazy_env, "single", file, sizeof file);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    tu_write_file(file, "", 0600);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    tu_assert_match(p.out, "^phase1 single 1 eintr 0$");
    char *dump = tu_wait_dump(&p, p.pid, 2, WAIT_MS);
    tu_assert_match(dump, "^reason: exit$");
    tu_assert_match(dump, "^threads: 1 live \\(1 running, 0 waiting\\), 0 exited but not joined$");
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* A forked child is served at once, busy as it is, under its pid. */
START_TEST(trigger_lazy_forked_child_dumped)
{
    tu_proc_t p;
    char file[PATH_MAX + 16];
    start_lazy(&p, lazy_env, "fork", file, sizeof file);
    tu_wait_output(&p, "child ", WAIT_MS);
    char cap[32];
    ck_assert(tu_match(p.out, "^child ([0-9]+)$", cap, sizeof cap));
    pid_t kid = (pid_t)atoi(cap);
    kill(kid, SIGUSR2);
    char *dump = tu_wait_dump(&p, kid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    tu_assert_match(dump, "^threads: 1 live");
    free(dump);
    tu_write_file(file, "", 0600);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    tu_assert_match(p.out, "^child status 0$");
    tu_cleanup(&p);
}
END_TEST

/* By default the dump thread is there from the start. */
START_TEST(trigger_default_has_the_dump_thread_from_the_start)
{
    tu_proc_t p;
    char file[PATH_MAX + 16], second[PATH_MAX + 16];
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    start_lazy(&p, env, NULL, file, sizeof file);
    snprintf(second, sizeof second, "%.3100s.2", file);
    tu_assert_match(p.out, "^single 0$");
    tu_write_file(file, "", 0600);
    tu_write_file(second, "", 0600);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    tu_cleanup(&p);
}
END_TEST

static Suite *triggers_suite(void)
{
    Suite *s = suite_create("triggers");
    TCase *tc = tcase_create("triggers");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, trigger_host_sigaction_handler_also_runs);
    tcase_add_test(tc, trigger_host_signal_handler_also_runs);
    tcase_add_test(tc, trigger_host_thread_signals_are_not_dumps);
    tcase_add_test(tc, trigger_custom_signal);
    tcase_add_test(tc, trigger_none_leaves_signal_alone);
    tcase_add_test(tc, trigger_bad_settings_warn_once_each);
    tcase_add_test(tc, trigger_unusable_dir_falls_back);
    tcase_add_test(tc, trigger_full_disk_reported);
    tcase_add_test(tc, trigger_no_eintr_in_host);
    tcase_add_test(tc, trigger_burst_coalesces);
    tcase_add_test(tc, trigger_children_inherit_host_mask);
    tcase_add_test(tc, trigger_dumps_race_busy_threads);
    tcase_add_test(tc, trigger_dumps_survive_cancellation);
    tcase_add_test(tc, trigger_keep_thins_periodic_dumps);
    tcase_add_test(tc, trigger_lazy_dump_thread_keeps_single_threaded);
    tcase_add_test(tc, trigger_lazy_exit_dump_omits_the_watcher);
    tcase_add_test(tc, trigger_lazy_forked_child_dumped);
    tcase_add_test(tc, trigger_default_has_the_dump_thread_from_the_start);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(triggers_suite());
}
