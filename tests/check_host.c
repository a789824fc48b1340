/*
 * check_host: the host program sees nothing of the agent: its backtrace()
 * and exception unwinding stay its own, a handler it installed before the
 * agent started keeps running, and the scripts/threadprof helper works on
 * a live process.
 */
#include "tests/testutil.h"

#define WAIT_MS 10000

START_TEST(host_backtrace_and_unwinder_untouched)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    tu_start(&p, "host_symbols", env);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    tu_assert_match(p.out, "^backtrace from .*/libc\\.so\\.6$");
    tu_assert_match(p.out, "^_Unwind_RaiseException from .*/libgcc_s\\.so\\.1$");
    tu_assert_match(p.out, "^backtrace frames 1$");
    tu_assert_match(p.out, "^caught deep$");
    tu_cleanup(&p);
}
END_TEST

START_TEST(host_handler_installed_before_agent_runs)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    char lib[PATH_MAX], early[PATH_MAX], rel[PATH_MAX + 64], env_preload[2 * PATH_MAX + 32];
    snprintf(rel, sizeof rel, "%.3000s/libthreadprof.so", tu_build());
    ck_assert(realpath(rel, lib) != NULL);
    snprintf(rel, sizeof rel, "%.3000s/tests/programs/preload/early_handler.so", tu_build());
    ck_assert(realpath(rel, early) != NULL);
    /* Later in LD_PRELOAD: its constructor runs before the agent's. */
    snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s %s", lib, early);
    const char *env[] = {env_preload, NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    long end = tu_now_ms() + WAIT_MS;
    while (strstr(p.err, "early handler ran") == NULL && tu_now_ms() < end) {
        usleep(10000);
        tu_drain(&p);
    }
    ck_assert_int_eq(tu_count(p.err, "early handler ran"), 1);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* A daemon closes every descriptor and fd 2 becomes its data file: the
 * agent must not write its "wrote" line into it. */
START_TEST(host_closed_stderr_not_written)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    char data[PATH_MAX + 16];
    snprintf(data, sizeof data, "%.3000s/data", p.dir);
    const char *args[] = {data, NULL};
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    tu_start_full(&p, "closer", 1, env, args);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_str_eq(p.out, "dump written\ndata bytes 0\n");
    tu_cleanup(&p);
}
END_TEST

/* The agent keeps no descriptor at the numbers a program uses: before and
 * after a dump, the program sees the table it would see alone. */
START_TEST(host_descriptor_numbers_unchanged)
{
    tu_proc_t native, agent;
    memset(&native, 0, sizeof native);
    memset(&agent, 0, sizeof agent);
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    tu_start_full(&native, "fds", 0, env, NULL);
    ck_assert_int_eq(WEXITSTATUS(tu_finish(&native, 0, WAIT_MS)), 0);
    tu_start(&agent, "fds", env);
    ck_assert_int_eq(WEXITSTATUS(tu_finish(&agent, 0, WAIT_MS)), 0);
    tu_assert_match(native.out, "^pipe [0-9]+ [0-9]+$");
    ck_assert_str_eq(agent.out, native.out);
    char *dump = tu_wait_dump(&agent, agent.pid, 1, 1000);
    free(dump);
    tu_cleanup(&native);
    tu_cleanup(&agent);
}
END_TEST

/* libdw is loaded by the first dump, not before. */
START_TEST(host_symbolizer_loaded_only_when_dumping)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "states", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)p.pid);
    char *maps = tu_read_file(path);
    ck_assert(maps != NULL);
    tu_assert_match(maps, "libthreadprof\\.so");
    tu_assert_no_match(maps, "libdw");
    free(maps);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    maps = tu_read_file(path);
    tu_assert_match(maps, "libdw");
    free(maps);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

START_TEST(host_cli_run_dump_latest)
{
    char dir[64], cmd[PATH_MAX * 2], pidfile[80];
    tu_temp_dir(dir, sizeof dir, "");
    snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
    /* run: the program runs under the agent, backgrounded by the shell. */
    snprintf(cmd, sizeof cmd,
             "scripts/threadprof run --dir %s -- %s/tests/programs/states "
             ">%s/out 2>%s/err & echo $! >%s; sleep 1", dir, tu_build(), dir, dir, pidfile);
    ck_assert_int_eq(system(cmd), 0);
    char *pid_text = tu_read_file(pidfile);
    int pid = atoi(pid_text);
    free(pid_text);
    ck_assert_int_gt(pid, 0);

    int status;
    snprintf(cmd, sizeof cmd, "scripts/threadprof dump %d", pid);
    char *out = tu_cmd_output(cmd, &status);
    ck_assert_int_eq(status, 0);
    char re[256];
    snprintf(re, sizeof re, "^threadprof thread dump 1 of pid %d$", pid);
    tu_assert_match(out, re);
    tu_assert_match(out, "\"mutex-waiter\" \\[mutex wait, ");
    free(out);

    snprintf(cmd, sizeof cmd, "scripts/threadprof latest %d", pid);
    out = tu_cmd_output(cmd, &status);
    ck_assert_int_eq(status, 0);
    snprintf(re, sizeof re, "^%s/threadprof\\.%d\\.000001\\.threads\\.txt$", dir, pid);
    tu_assert_match(out, re);
    free(out);

    /* A process without the agent is refused clearly. */
    out = tu_cmd_output("sleep 30 & p=$!; scripts/threadprof dump $p 2>&1; r=$?; "
                        "kill $p; echo \"pid $p\"; exit $r", &status);
    ck_assert_int_ne(status, 0);
    tu_assert_match(out, "^threadprof: process [0-9]+ does not have the agent loaded \\(start it with: threadprof run -- CMD\\)$");
    free(out);

    kill(pid, SIGKILL);
    ck_assert_int_eq(tu_remove_tree(dir), 0);
}
END_TEST

static Suite *host_suite(void)
{
    Suite *s = suite_create("host");
    TCase *tc = tcase_create("host");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, host_backtrace_and_unwinder_untouched);
    tcase_add_test(tc, host_handler_installed_before_agent_runs);
    tcase_add_test(tc, host_cli_run_dump_latest);
    tcase_add_test(tc, host_closed_stderr_not_written);
    tcase_add_test(tc, host_descriptor_numbers_unchanged);
    tcase_add_test(tc, host_symbolizer_loaded_only_when_dumping);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(host_suite());
}
