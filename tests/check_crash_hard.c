/*
 * check_crash_hard: the crash dump's harder cases (issue 13), each with a
 * real program under the agent: the summary's account of the crash; a
 * crash while periodic dumps are being written (the dump thread may hold
 * the registry, the symbolizer and its own locks at that instant); a dump
 * too slow for THREADPROF_CRASH_TIMEOUT, cut short to what the handler
 * itself can write; a fault handler the host installed before or after
 * the agent started, which keeps the program's behaviour exactly.
 */
#include "tests/crash_util.h"

#define MUTEX_SRC "tests/programs/crash_mutex.c"

/* The summary of a crash: the signal, the crashed thread's innermost
 * frames from the fault on, the mutex it held with the threads waiting
 * for it. */
START_TEST(crash_summary_names_the_crash)
{
    tu_proc_t native, agent;
    run_pair(&native, &agent, "crash_mutex", NULL, NULL, SIGSEGV);
    pid_t parser = printed_id(&agent, "parser tid");
    char lock[32], path[PATH_MAX], re[512];
    ck_assert(tu_match(agent.err, "^table_lock (0x[0-9a-f]+)$", lock, sizeof lock));
    free(crash_dump(&agent, agent.pid, path, sizeof path));
    ck_assert(tu_ends_with(path, ".threads.txt"));
    strcpy(path + strlen(path) - strlen("threads.txt"), "summary.txt");
    char *sum = tu_read_file(path);
    ck_assert_msg(sum != NULL, "no summary %s", path);
    snprintf(re, sizeof re, "^crash: SIGSEGV \\(SEGV_MAPERR at 0x10\\) in thread %d \"parser\"\n"
                            "  where \\(innermost first\\):\n"
                            "    parse_record \\(/.*crash_mutex\\.c:%d\\)\n"
                            "    parser_main \\(/.*crash_mutex\\.c:[0-9]+\\)\n",
             (int)parser, tu_source_line(MUTEX_SRC, "LINE:fault"));
    tu_assert_match(sum, re);
    snprintf(re, sizeof re, "^  it held mutex %s, taken in parser_main \\(/.*crash_mutex\\.c:"
                            "[0-9]+\\); 2 threads wait for it: [0-9]+ \"waiter\", [0-9]+ "
                            "\"waiter\"$", lock);
    tu_assert_match(sum, re);
    /* It comes first, before the deadlocks. */
    ck_assert_ptr_nonnull(strstr(sum, "deadlocks:"));
    ck_assert(strstr(sum, "crash:") < strstr(sum, "deadlocks:"));
    free(sum);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* Periodic dumps every 10 ms while the program runs: the crash strikes
 * while one is being written, most times (the dump thread then holds the
 * registry and symbolizer locks the dump child needs).  The death is the
 * native one and the crash dump is whole. */
START_TEST(crash_while_dumping)
{
    tu_proc_t native, agent;
    const char *env[] = {"THREADPROF_INTERVAL=10ms", "THREADPROF_QUIET=1", NULL};
    run_pair(&native, &agent, "crash_mutex", env, NULL, SIGSEGV);
    pid_t parser = printed_id(&agent, "parser tid");
    char path[PATH_MAX];
    char *dump = crash_dump(&agent, agent.pid, path, sizeof path);
    char re[256];
    snprintf(re, sizeof re, "^reason: crash SIGSEGV \\(SEGV_MAPERR at 0x10\\) in thread %d "
                            "\"parser\"$", (int)parser);
    tu_assert_match(dump, re);
    ck_assert_int_eq(count_lines(dump, "^thread [0-9]+ \"waiter\" \\[mutex wait"), 2);
    tu_assert_match(dump, "^end of dump$");
    /* Periodic dumps came before it: the crash met a busy dump thread. */
    ck_assert_int_ge(tu_highest_dump(agent.dir, agent.pid), 2);
    ck_assert_int_eq(count_crash_dumps(agent.dir, agent.pid), 1);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* glibc aborts in free() with the arena lock held, after periodic dumps
 * filled the symbolizer's state with blocks of that heap: the dump child
 * must let go of that state without a call into the program's heap (the
 * lock's holder is not in its copy), and the dump is whole. */
START_TEST(crash_in_free_after_dumps)
{
    tu_proc_t native, agent;
    const char *env[] = {"THREADPROF_INTERVAL=10ms", "THREADPROF_QUIET=1", NULL};
    const char *args[] = {"late", NULL};
    run_pair(&native, &agent, "crash_heap", env, args, SIGABRT);
    char path[PATH_MAX], re[256];
    char *dump = crash_dump(&agent, agent.pid, path, sizeof path);
    snprintf(re, sizeof re, "^reason: crash SIGABRT \\(raised by the program\\) in thread %d ",
             (int)agent.pid);
    tu_assert_match(dump, re);
    ck_assert_ptr_null(strstr(dump, "(short: "));
    tu_assert_match(dump, "^release_twice\\(\\.\\.\\.\\)$");
    ck_assert_int_ge(tu_highest_dump(agent.dir, agent.pid), 2);
    ck_assert_int_eq(count_lines(agent.err, "^threadprof:"), 0);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* 2,000 threads take longer to dump than the shortest timeout: at 100 ms
 * the dump child is killed, the handler writes the short dump (reason,
 * registers, the faulting pc) and says so in one line, and the process
 * still dies of the signal it got. */
START_TEST(crash_short_dump_on_timeout)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_CRASH_TIMEOUT=100ms", NULL};
    const char *args[] = {"contend", "2000", NULL};
    crash_start(&p, "scale_threads", 1, env, args);
    tu_wait_output(&p, "ready", 60000);
    int st = tu_finish(&p, SIGSEGV, RUN_MS);
    ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "status %#x", st);
    char path[PATH_MAX], re[256];
    char *dump = crash_dump(&p, p.pid, path, sizeof path);
    snprintf(re, sizeof re, "^threadprof thread dump [0-9]+ of pid %d \\(short: "
                            "THREADPROF_CRASH_TIMEOUT expired\\)$", (int)p.pid);
    tu_assert_match(dump, re);
    snprintf(re, sizeof re, "^reason: crash SIGSEGV \\(sent by pid %d\\) in thread [0-9]+$",
             (int)getpid());
    tu_assert_match(dump, re);
    tu_assert_match(dump, "^RIP=0x[0-9a-f]{16}, EFLAGS=0x[0-9a-f]{16}, ");
    tu_assert_match(dump, "^    pc 0x[0-9a-f]+ \\(no stack: the full dump could not be written\\)$");
    ck_assert_int_eq(count_lines(p.err, "^threadprof:"), 1);
    tu_assert_match(p.err, "^threadprof: crash dump cut short \\(THREADPROF_CRASH_TIMEOUT "
                           "expired\\): /.*threads\\.txt has the signal and the registers "
                           "only$");
    struct stat s;
    ck_assert_int_eq(stat(path, &s), 0);
    ck_assert_int_eq(s.st_mode & 0777, 0600);
    /* No temporary file of the killed child is left behind. */
    ck_assert_int_eq(count_files(p.dir, ".threadprof."), 0);
    free(dump);
    crash_cleanup(&p);
}
END_TEST

/* A SIGSEGV handler installed by another preloaded library, whose
 * constructor runs before the agent's (listed after it) or after it
 * (listed before): the program ends as natively, through that handler,
 * and the agent writes no crash dump. */
static void host_handler_case(int agent_first)
{
    char rel[PATH_MAX], early[PATH_MAX], lib[PATH_MAX];
    char native_preload[PATH_MAX + 16], both[2 * PATH_MAX + 16];
    snprintf(rel, sizeof rel, "%.3000s/tests/programs/preload/early_segv.so", tu_build());
    ck_assert_msg(realpath(rel, early) != NULL, "no %s", rel);
    snprintf(rel, sizeof rel, "%.3000s/libthreadprof.so", tu_build());
    ck_assert_msg(realpath(rel, lib) != NULL, "no %s", rel);
    snprintf(native_preload, sizeof native_preload, "LD_PRELOAD=%s", early);
    snprintf(both, sizeof both, "LD_PRELOAD=%s:%s", agent_first ? lib : early,
             agent_first ? early : lib);
    tu_proc_t native, agent;
    memset(&native, 0, sizeof native);
    memset(&agent, 0, sizeof agent);
    const char *native_env[] = {native_preload, NULL}, *agent_env[] = {both, NULL};
    crash_start(&native, "crash_mutex", 0, native_env, NULL);
    tu_finish(&native, 0, RUN_MS);
    crash_start(&agent, "crash_mutex", 1, agent_env, NULL);
    tu_finish(&agent, 0, RUN_MS);
    ck_assert_msg(WIFEXITED(native.status) && WEXITSTATUS(native.status) == 42,
                  "native: status %#x", native.status);
    ck_assert_int_eq(agent.status, native.status);
    ck_assert_str_eq(native.out, "early handler caught SIGSEGV\n");
    ck_assert_str_eq(agent.out, native.out);
    ck_assert_int_eq(count_crash_dumps(agent.dir, 0), 0);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}

START_TEST(crash_host_handler_before_agent)
{
    host_handler_case(1);
}
END_TEST

START_TEST(crash_host_handler_after_agent)
{
    host_handler_case(0);
}
END_TEST

static Suite *crash_hard_suite(void)
{
    Suite *s = suite_create("crash_hard");
    TCase *tc = tcase_create("crash_hard");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, crash_summary_names_the_crash);
    tcase_add_test(tc, crash_while_dumping);
    tcase_add_test(tc, crash_in_free_after_dumps);
    tcase_add_test(tc, crash_short_dump_on_timeout);
    tcase_add_test(tc, crash_host_handler_before_agent);
    tcase_add_test(tc, crash_host_handler_after_agent);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(crash_hard_suite());
}
