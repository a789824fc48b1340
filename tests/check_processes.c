/*
 * check_processes: the agent never harms its host.  Each test runs a
 * program under the agent (and, where the program can run alone, without
 * it) and asserts on what the program itself observed: signals (bursts,
 * EINTR, a host that blocks the trigger everywhere), processes (fork
 * while threads hold locks and allocate, exec, spawn, system, daemons
 * that close every descriptor, dup2 over the agent's descriptors, every
 * way of ending) and threads at scale (20,000 short-lived threads, 2,000
 * contending threads in one dump, threads exiting while dumps run).
 */
#include <dirent.h>
#include <sys/resource.h>

#include "tests/testutil.h"

#define WAIT_MS 10000

/* Every dump file in dir (any pid) ends complete; returns how many.
 * Temporary files (".threadprof.…tmp") of a dump that was being written
 * when its process ended or exec'd are not dumps: the agent does not hold
 * a process back for an interval dump, and no reader ever sees them as
 * dumps (they are renamed only when complete). */
static int check_all_dumps_complete(const char *dir)
{
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".threads.txt") == NULL)
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *text = tu_read_file(path);
        ck_assert_msg(text != NULL && strstr(text, "\nend of dump\n") != NULL,
                      "%s cut short", e->d_name);
        free(text);
        n++;
    }
    closedir(d);
    return n;
}

/* Runs prog to its end (with or without the agent) and returns its
 * status; p keeps the output. */
static int run_prog(tu_proc_t *p, const char *prog, int preload, const char *const *env,
                    const char *const *args, int timeout_ms)
{
    memset(p, 0, sizeof *p);
    tu_start_full(p, prog, preload, env, args);
    return tu_finish(p, 0, timeout_ms);
}

/* --- signals ------------------------------------------------------------ */

/* 1,000 signals at once: a few coalesced dumps, the program's output as
 * it would be without them, no EINTR. */
START_TEST(proc_signal_burst_of_1000)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    char stop[PATH_MAX + 16];
    snprintf(stop, sizeof stop, "%.3000s/stop", p.dir);
    const char *args[] = {"0", stop, NULL};
    const char *env[] = {"THREADPROF_QUIET=1", "THREADPROF_ON_EXIT=0", NULL};
    tu_start_full(&p, "eintr", 1, env, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(kill(p.pid, SIGUSR2), 0);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    usleep(1000000);
    tu_write_file(stop, "", 0600);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    ck_assert_str_eq(p.out, "ready\neintr 0\n");
    int n = tu_count_dumps(p.dir, p.pid);
    ck_assert_msg(n >= 1 && n <= 5, "%d dumps for a burst of 1000 signals", n);
    fprintf(stderr, "proc_signal_burst_of_1000: %d dumps\n", n);
    ck_assert_int_eq(check_all_dumps_complete(p.dir), n);
    tu_cleanup(&p);
}
END_TEST

/* 100 dumps, one after the other, while threads wait in poll, epoll_wait,
 * nanosleep, sem_timedwait, select, read on a pipe and sem_wait. */
START_TEST(proc_signal_100_dumps_no_eintr)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    char stop[PATH_MAX + 16];
    snprintf(stop, sizeof stop, "%.3000s/stop", p.dir);
    const char *args[] = {"0", stop, NULL};
    const char *env[] = {"THREADPROF_QUIET=1", "THREADPROF_ON_EXIT=0",
                         "THREADPROF_DEADLOCK_CHECK=0", NULL};
    tu_start_full(&p, "eintr", 1, env, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    for (unsigned i = 1; i <= 100; i++) {
        kill(p.pid, SIGUSR2);
        free(tu_wait_dump(&p, p.pid, i, WAIT_MS));
    }
    tu_write_file(stop, "", 0600);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    ck_assert_str_eq(p.out, "ready\neintr 0\n");
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 100);
    tu_cleanup(&p);
}
END_TEST

/* The host blocks the trigger in every thread (sigprocmask before its
 * first thread).  Its threads still see it blocked; the agent's dump
 * thread has a mask of its own and takes the signal, so the dump is
 * written and the signal is not left pending (without the agent it stays
 * pending: the one visible difference, the signal being the agent's). */
START_TEST(proc_signal_host_blocks_trigger_everywhere)
{
    tu_proc_t native, agent;
    memset(&native, 0, sizeof native);
    memset(&agent, 0, sizeof agent);
    tu_start_full(&native, "proc_masked", 0, NULL, NULL);
    tu_wait_output(&native, "ready", WAIT_MS);
    kill(native.pid, SIGUSR2);
    ck_assert_int_eq(tu_finish(&native, 0, WAIT_MS), 0);
    ck_assert_str_eq(native.out, "ready\nblocked in 4 of 4 threads, pending 1\n");

    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    tu_start_full(&agent, "proc_masked", 1, env, NULL);
    tu_wait_output(&agent, "ready", WAIT_MS);
    kill(agent.pid, SIGUSR2);
    char *dump = tu_wait_dump(&agent, agent.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    tu_assert_match(dump, "^threads: 4 live");
    ck_assert_int_eq(tu_finish(&agent, 0, WAIT_MS), 0);
    ck_assert_str_eq(agent.out, "ready\nblocked in 4 of 4 threads, pending 0\n");
    free(dump);
    tu_cleanup(&native);
    tu_cleanup(&agent);
}
END_TEST

/* --- processes ---------------------------------------------------------- */

static void fork_case(const char *const *env)
{
    tu_proc_t p;
    const char *args[] = {"200", NULL};
    long start = tu_now_ms();
    int status = run_prog(&p, "proc_fork", 1, env, args, 60000);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x: %s", status, p.err);
    tu_assert_match(p.out, "^forked 200 ok 200$");
    /* Every child printed exactly once (no buffered text flushed twice). */
    for (int i = 0; i < 200; i++) {
        char line[32];
        snprintf(line, sizeof line, "\nchild %d\n", i);
        ck_assert_msg(tu_count(p.out, line) + (i == 0 && strncmp(p.out, line + 1, strlen(line) - 1) == 0) == 1,
                      "child %d printed %d times", i, tu_count(p.out, line));
    }
    ck_assert_int_eq(tu_count(p.out, "\n"), 201);
    check_all_dumps_complete(p.dir);
    fprintf(stderr, "proc_fork_200 (%s): %ld ms\n", env[0], tu_now_ms() - start);
    tu_cleanup(&p);
}

/* 200 forks while two threads allocate and two take a mutex in a loop;
 * each child allocates, locks, prints and ends (exit or _exit).  Dumps
 * every 20 ms in the parent meanwhile; no exit dumps (each costs a child
 * its own symbolizer: see proc_fork_children_dump_at_exit). */
START_TEST(proc_fork_200_while_locking_and_allocating)
{
    const char *env[] = {"THREADPROF_INTERVAL=20ms", "THREADPROF_QUIET=1",
                         "THREADPROF_ON_EXIT=0", NULL};
    fork_case(env);
}
END_TEST

START_TEST(proc_fork_200_heap_rate_1)
{
    const char *env[] = {"THREADPROF_HEAP_RATE=1", "THREADPROF_INTERVAL=20ms",
                         "THREADPROF_QUIET=1", "THREADPROF_ON_EXIT=0", NULL};
    fork_case(env);
}
END_TEST

/* Forked children that exit() write their exit dump under their pid when
 * they lived a second or more (child 0 here), or always with
 * THREADPROF_ON_EXIT=all; the short-lived others skip it. */
START_TEST(proc_fork_children_dump_at_exit)
{
    static const struct {
        const char *on_exit;
        int dumps;      /* exit dumps: the parent's and the children's */
    } cases[] = {
        {"THREADPROF_ON_EXIT=1", 2},      /* the parent, child 0 */
        {"THREADPROF_ON_EXIT=all", 6},    /* 5 children exit(), the others _exit */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_proc_t p;
        const char *args[] = {"10", "1100", NULL};
        const char *env[] = {"THREADPROF_QUIET=1", "THREADPROF_HEAP_RATE=1",
                             cases[i].on_exit, NULL};
        int status = run_prog(&p, "proc_fork", 1, env, args, 60000);
        ck_assert_int_eq(status, 0);
        tu_assert_match(p.out, "^forked 10 ok 10$");
        ck_assert_msg(check_all_dumps_complete(p.dir) == cases[i].dumps,
                      "%s: %d dumps", cases[i].on_exit, check_all_dumps_complete(p.dir));
        tu_cleanup(&p);
    }
}
END_TEST

/* vfork+execv, fork+execvp, fork+execl, posix_spawn, posix_spawnp, system,
 * popen: the same output and statuses as without the agent. */
START_TEST(proc_exec_spawn_system_as_native)
{
    tu_proc_t native, agent;
    const char *env[] = {"THREADPROF_QUIET=1", "THREADPROF_INTERVAL=10ms", NULL};
    ck_assert_int_eq(run_prog(&native, "proc_exec", 0, env, NULL, WAIT_MS), 0);
    ck_assert_int_eq(run_prog(&agent, "proc_exec", 1, env, NULL, 30000), 0);
    tu_assert_match(native.out, "^vfork\\+execv status 11$");
    tu_assert_match(native.out, "^popen status 17$");
    ck_assert_str_eq(agent.out, native.out);
    ck_assert_str_eq(agent.err, "");
    check_all_dumps_complete(agent.dir);
    tu_cleanup(&native);
    tu_cleanup(&agent);
}
END_TEST

/* A program the user ran gets its exit dump however short its life; the
 * short-lived, single-threaded tools it runs (their parent runs the agent
 * too) get none, unless THREADPROF_ON_EXIT=all. */
START_TEST(proc_short_lived_tools_skip_exit_dump)
{
    static const struct { const char *on_exit; int tool_dumps; } cases[] = {
        {NULL, 0}, {"THREADPROF_ON_EXIT=all", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_proc_t p;
        char quick[PATH_MAX];
        snprintf(quick, sizeof quick, "%.3000s/tests/programs/quick", tu_build());
        const char *args[] = {quick, quick, NULL};
        const char *env[] = {"THREADPROF_QUIET=1", cases[i].on_exit, NULL};
        ck_assert_int_eq(run_prog(&p, "runner", 1, env, args, WAIT_MS), 0);
        free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));   /* the runner's exit dump */
        ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 1);
        int tools = 0;
        for (const char *at = p.out; (at = strstr(at, "ran ")) != NULL; at++) {
            pid_t tool = (pid_t)atoi(at + 4);
            ck_assert_int_gt(tool, 0);
            if (cases[i].tool_dumps)
                free(tu_wait_dump(&p, tool, 1, WAIT_MS));
            ck_assert_msg(tu_count_dumps(p.dir, tool) == cases[i].tool_dumps,
                          "%s: tool %d has %d dumps", cases[i].on_exit ? cases[i].on_exit : "default",
                          (int)tool, tu_count_dumps(p.dir, tool));
            tools++;
        }
        ck_assert_int_eq(tools, 2);
        tu_assert_match(p.out, "^ran [0-9]+ status 0\nran [0-9]+ status 0$");
        tu_cleanup(&p);
    }
}
END_TEST

/* THREADPROF_PROGRAMS: the programs it names are profiled (each gets its
 * exit dump, whoever started it); the rest run untouched: no file, no
 * stderr line even for a bad setting. */
START_TEST(proc_programs_limits_the_agent)
{
    char quick[PATH_MAX];
    snprintf(quick, sizeof quick, "%.3000s/tests/programs/quick", tu_build());
    const char *args[] = {quick, quick, NULL};
    static const struct { const char *programs; int runner, tools; } cases[] = {
        {"THREADPROF_PROGRAMS=quick", 0, 1},
        {"THREADPROF_PROGRAMS=runner", 1, 0},
        {"THREADPROF_PROGRAMS=nothing-here", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_proc_t p;
        const char *env[] = {"THREADPROF_QUIET=1", "THREADPROF_ON_EXIT=all",
                             "THREADPROF_INTERVAL=sometimes", cases[i].programs, NULL};
        ck_assert_int_eq(run_prog(&p, "runner", 1, env, args, WAIT_MS), 0);
        if (cases[i].runner)
            free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
        ck_assert_msg(tu_count_dumps(p.dir, p.pid) == cases[i].runner, "%s: runner %d dumps",
                      cases[i].programs, tu_count_dumps(p.dir, p.pid));
        int tools = 0;
        for (const char *at = p.out; (at = strstr(at, "ran ")) != NULL; at++) {
            pid_t tool = (pid_t)atoi(at + 4);
            if (cases[i].tools)
                free(tu_wait_dump(&p, tool, 1, WAIT_MS));
            ck_assert_msg(tu_count_dumps(p.dir, tool) == cases[i].tools, "%s: tool %d dumps",
                          cases[i].programs, tu_count_dumps(p.dir, tool));
            tools++;
        }
        ck_assert_int_eq(tools, 2);
        /* The bad interval is reported by the programs profiled only. */
        int profiled = cases[i].runner + 2 * cases[i].tools;
        ck_assert_msg(tu_count(p.err, "THREADPROF_INTERVAL=\"sometimes\"") == profiled,
                      "%s: stderr:\n%s", cases[i].programs, p.err);
        tu_cleanup(&p);
    }
}
END_TEST

/* A program THREADPROF_PROGRAMS leaves out gets no thread of the agent's
 * (with every default on: signal, trends). */
START_TEST(proc_unselected_program_has_no_agent_thread)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_PROGRAMS=nothing-here", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "cat /proc/%d/task/*/comm", (int)p.pid);
    char *names = tu_run_cmd(cmd);
    ck_assert_msg(tu_count(names, "\n") >= 2, "threads:\n%s", names);
    tu_assert_no_match(names, "^threadprof");
    free(names);
    tu_finish(&p, SIGKILL, WAIT_MS);
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 0);
    tu_cleanup(&p);
}
END_TEST

static void daemon_case(const char *how)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    char data[PATH_MAX + 16];
    snprintf(data, sizeof data, "%.3000s/data", p.dir);
    ck_assert_int_eq(mkdir(data, 0700), 0);
    const char *args[] = {data, how, NULL};
    tu_start_full(&p, "proc_daemon", 1, NULL, args);
    int status = tu_finish(&p, 0, 30000);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    char cap[32];
    ck_assert_msg(tu_match(p.out, "^grandchild ([0-9]+) dump 1 files ok$", cap, sizeof cap),
                  "%s: %s", how, p.out);
    tu_assert_match(p.out, "^intermediate status 0$");
    pid_t g = (pid_t)atoi(cap);
    /* Its signal dump and (at exit()) its exit dump; nothing went into
     * the files that took fds 0, 1 and 2 (the program checked them, and
     * no "wrote" line reached the test's stderr from it). */
    char *dump = tu_wait_dump(&p, g, 1, 1000);
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    free(dump);
    /* The exit dump may still be being written when the parent ends. */
    free(tu_wait_dump(&p, g, 2, WAIT_MS));
    ck_assert_int_eq(tu_count_dumps(p.dir, g), 2);
    char re[128];
    snprintf(re, sizeof re, "threadprof\\.%d\\.", (int)g);
    tu_assert_no_match(p.err, re);
    for (int i = 0; i < 6; i++) {
        char path[PATH_MAX + 32], want[128];
        snprintf(path, sizeof path, "%s/data%d", data, i);
        snprintf(want, sizeof want, "first line of data%d\nsecond line of data%d\n", i, i);
        char *text = tu_read_file(path);
        ck_assert_str_eq(text, want);
        free(text);
    }
    tu_cleanup(&p);
}

/* fork, setsid, fork; the grandchild closes every fd below 1024 and
 * opens its own files at 0, 1, 2, 3...; then asks for a dump. */
START_TEST(proc_daemon_closes_every_fd)
{
    daemon_case("close1024");
}
END_TEST

START_TEST(proc_daemon_close_range)
{
    daemon_case("close_range");
}
END_TEST

/* The program dup2()s its own file and pipe onto every descriptor from 3
 * to RLIMIT_NOFILE-1, over the pipe libunwind keeps (agent/privfd.c),
 * then asks for dumps with the table full and after freeing some.  Run
 * with the soft limit at 1024 (the usual default) and at 300. */
static void dup2_case(rlim_t limit)
{
    struct rlimit old, rl;
    getrlimit(RLIMIT_NOFILE, &old);
    rl = old;
    if (limit < rl.rlim_max)
        rl.rlim_cur = limit;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    tu_proc_t p;
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    int status = run_prog(&p, "proc_dup2", 1, env, NULL, 30000);
    setrlimit(RLIMIT_NOFILE, &old);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
    tu_assert_match(p.out, "^fds [0-9]+ first 1 dumps [01] 1$");
    ck_assert_msg(strstr(p.out, "host data ok\n") != NULL, "limit %d:\n%s\n%s", (int)limit,
                  p.out, p.err);
    ck_assert_int_eq(tu_count(p.out, "\n"), 2);
    check_all_dumps_complete(p.dir);
    tu_cleanup(&p);
}

START_TEST(proc_dup2_over_agent_fds_limit_1024)
{
    dup2_case(1024);
}
END_TEST

START_TEST(proc_dup2_over_agent_fds_limit_300)
{
    dup2_case(300);
}
END_TEST

/* Every way of ending, with text in stdout's buffer and dumps running
 * every 10 ms: same status and output as without the agent, in bounded
 * time. */
START_TEST(proc_exit_paths_as_native)
{
    const char *hows[] = {"exit", "return", "thread-exit", "_exit", "quick_exit", "abort", "segv"};
    const char *env[] = {"THREADPROF_INTERVAL=10ms", "THREADPROF_QUIET=1", NULL};
    for (size_t i = 0; i < sizeof hows / sizeof hows[0]; i++) {
        tu_proc_t native, agent;
        const char *args[] = {hows[i], NULL};
        int ns = run_prog(&native, "proc_exit", 0, env, args, WAIT_MS);
        long start = tu_now_ms();
        int as = run_prog(&agent, "proc_exit", 1, env, args, WAIT_MS);
        long took = tu_now_ms() - start;
        ck_assert_msg(WIFEXITED(ns) == WIFEXITED(as) && WIFSIGNALED(ns) == WIFSIGNALED(as),
                      "%s: status %#x native, %#x with the agent", hows[i], ns, as);
        if (WIFEXITED(ns))
            ck_assert_int_eq(WEXITSTATUS(as), WEXITSTATUS(ns));
        else
            ck_assert_int_eq(WTERMSIG(as), WTERMSIG(ns));
        ck_assert_msg(strcmp(agent.out, native.out) == 0, "%s: stdout native:\n%s\nagent:\n%s",
                      hows[i], native.out, agent.out);
        ck_assert_msg(took < 3000, "%s took %ld ms with the agent", hows[i], took);
        ck_assert_int_le(tu_count(agent.out, "buffered before"), 1);
        tu_cleanup(&native);
        tu_cleanup(&agent);
    }
}
END_TEST

/* --- threads at scale --------------------------------------------------- */

static long vmhwm(const char *out)
{
    char cap[32];
    ck_assert_msg(tu_match(out, "^threads 20000 VmHWM ([0-9]+)$", cap, sizeof cap), "%s", out);
    return atol(cap);
}

/* 20,000 short-lived threads, 100 at a time: peak RSS within 64 MB of
 * the native run, with and without dumps every 20 ms and every
 * allocation tracked. */
START_TEST(proc_scale_20000_short_lived_threads)
{
    tu_proc_t native, agent, busy;
    const char *args[] = {"churn", "20000", NULL};
    const char *env[] = {"THREADPROF_QUIET=1", NULL};
    const char *busy_env[] = {"THREADPROF_QUIET=1", "THREADPROF_INTERVAL=20ms",
                              "THREADPROF_HEAP_RATE=1", NULL};
    ck_assert_int_eq(run_prog(&native, "scale_threads", 0, env, args, 30000), 0);
    ck_assert_int_eq(run_prog(&agent, "scale_threads", 1, env, args, 30000), 0);
    ck_assert_int_eq(run_prog(&busy, "scale_threads", 1, busy_env, args, 60000), 0);
    long n = vmhwm(native.out), a = vmhwm(agent.out), b = vmhwm(busy.out);
    fprintf(stderr, "proc_scale_20000_short_lived_threads: VmHWM native %ld kB, agent %ld kB, "
            "agent with 20 ms dumps and heap rate 1 %ld kB (%d dumps)\n", n, a, b,
            tu_count_dumps(busy.dir, busy.pid));
    ck_assert_msg(a - n < 64 * 1024, "agent peak RSS %ld kB, native %ld kB", a, n);
    ck_assert_msg(b - n < 64 * 1024, "agent (busy) peak RSS %ld kB, native %ld kB", b, n);
    /* Threads exited while those dumps were written: all complete. */
    ck_assert_int_ge(check_all_dumps_complete(busy.dir), 5);
    tu_cleanup(&native);
    tu_cleanup(&agent);
    tu_cleanup(&busy);
}
END_TEST

/* 2,000 threads blocked on four mutexes held by four named holders: the
 * dump lists every one with the holder of its mutex. */
START_TEST(proc_scale_2000_contending_threads_dumped)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {"contend", "2000", NULL};
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    tu_start_full(&p, "scale_threads", 1, env, args);
    tu_wait_output(&p, "ready", 30000);
    usleep(300000);   /* main prints "ready" just before it pauses */
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, 30000);
    tu_assert_match(dump, "^threads: 2005 live \\(0 running, 2005 waiting\\), 0 exited but not joined$");
    tu_assert_match(dump, "^== 2005 threads in [0-9]+ groups");
    tu_assert_match(dump, "^2000 threads \\[mutex wait, ");
    ck_assert_int_eq(tu_count(dump, "\"scale_threads\" [mutex wait, "), 2000);
    for (int i = 0; i < 4; i++) {
        char name[16], needle[64];
        snprintf(name, sizeof name, "holder-%d", i);
        pid_t tid = tu_thread_tid(dump, name);
        ck_assert_int_gt(tid, 0);
        snprintf(needle, sizeof needle, " held by thread %d \"%s\"\n", (int)tid, name);
        ck_assert_int_eq(tu_count(dump, needle), 500);
    }
    tu_assert_match(dump, "end of dump\n$");
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

static Suite *processes_suite(void)
{
    Suite *s = suite_create("processes");
    TCase *tc = tcase_create("processes");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, proc_signal_burst_of_1000);
    tcase_add_test(tc, proc_signal_100_dumps_no_eintr);
    tcase_add_test(tc, proc_signal_host_blocks_trigger_everywhere);
    tcase_add_test(tc, proc_fork_200_while_locking_and_allocating);
    tcase_add_test(tc, proc_fork_200_heap_rate_1);
    tcase_add_test(tc, proc_fork_children_dump_at_exit);
    tcase_add_test(tc, proc_exec_spawn_system_as_native);
    tcase_add_test(tc, proc_short_lived_tools_skip_exit_dump);
    tcase_add_test(tc, proc_programs_limits_the_agent);
    tcase_add_test(tc, proc_unselected_program_has_no_agent_thread);
    tcase_add_test(tc, proc_daemon_closes_every_fd);
    tcase_add_test(tc, proc_daemon_close_range);
    tcase_add_test(tc, proc_dup2_over_agent_fds_limit_1024);
    tcase_add_test(tc, proc_dup2_over_agent_fds_limit_300);
    tcase_add_test(tc, proc_exit_paths_as_native);
    tcase_add_test(tc, proc_scale_20000_short_lived_threads);
    tcase_add_test(tc, proc_scale_2000_contending_threads_dumped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(processes_suite());
}
