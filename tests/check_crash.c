/*
 * check_crash: integration tests of crash dumps (issue 13).  Each test
 * program of tests/programs/crash_* dies of a fatal signal (or, for
 * crash_recover and crash_fork, survives one): it is run natively and
 * under the agent, each in a fresh directory of its own as working
 * directory with RLIMIT_CORE raised, and the agent's run must end exactly
 * as the native one (signal, core dump, exit status, stdout).  Under the
 * agent the crash dump, threadprof.<pid>.<seq>.threads.txt with
 * "reason: crash ...", names the signal and the thread it struck, gives
 * the registers, and lists the crashed thread first with the faulting
 * function as its first frame.
 */
#include "tests/crash_util.h"

#define MUTEX_SRC "tests/programs/crash_mutex.c"
#define FPE_SRC "tests/programs/crash_fpe.c"

/* ---- the tests ---- */

/* A SIGSEGV in a thread that holds a mutex two others wait for: the dump
 * names the fault, puts the crashed thread first with the function that
 * faulted and the mutex it holds, and each waiter names it as the
 * holder. */
START_TEST(crash_segv_with_lock_held)
{
    tu_proc_t native, agent;
    run_pair(&native, &agent, "crash_mutex", NULL, NULL, SIGSEGV);
    pid_t parser = printed_id(&agent, "parser tid");
    char lock[32], held[32], re[512];
    ck_assert(tu_match(agent.err, "^table_lock (0x[0-9a-f]+)$", lock, sizeof lock));
    char *crashed;
    char *dump = check_crash_dump(&agent, agent.pid, "SIGSEGV \\(SEGV_MAPERR at 0x10\\)",
                                  parser, "parser", "SIGSEGV", &crashed, NULL);
    expect_first_frame(crashed, "parse_record");
    snprintf(re, sizeof re, "^parse_record\\(\\.\\.\\.\\)\n\t/.*crash_mutex\\.c:%d \\+0x[0-9a-f]+$",
             tu_source_line(MUTEX_SRC, "LINE:fault"));
    tu_assert_match(crashed, re);
    ck_assert_msg(tu_match(crashed, "^    holds mutex (0x[0-9a-f]+) ", held, sizeof held),
                  "the crashed thread holds no mutex:\n%s", crashed);
    ck_assert_str_eq(held, lock);
    char *waiters[4];
    int n = thread_entries(dump, "waiter", waiters, 4);
    ck_assert_msg(n == 2, "%d waiter entries in:\n%.3000s", n, dump);
    for (int i = 0; i < n; i++) {
        tu_assert_match(waiters[i], "^thread [0-9]+ \"waiter\" \\[mutex wait, [^]]+\\]:$");
        snprintf(re, sizeof re, "^    mutex %s held by thread %d \"parser\"$", lock,
                 (int)parser);
        tu_assert_match(waiters[i], re);
        free(waiters[i]);
    }
    free(crashed);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* A program that aborts: SIGABRT raised by the program, glibc's or the
 * C++ runtime's message (message, when not NULL) natively and under the
 * agent alike, and fn on the stack under abort().  role: the line with
 * the aborting thread's tid ("aborter tid"), NULL for the main thread
 * (the program's own name). */
static void abort_case(const char *prog, const char *arg, const char *message,
                       const char *role, const char *fn)
{
    tu_proc_t native, agent;
    const char *args[] = {arg, NULL};
    run_pair(&native, &agent, prog, NULL, arg ? args : NULL, SIGABRT);
    if (message != NULL) {
        tu_assert_match(native.err, message);
        tu_assert_match(agent.err, message);
    }
    char name[64];
    pid_t tid = agent.pid;
    if (role != NULL) {
        tid = printed_id(&agent, role);
        snprintf(name, sizeof name, "%.*s", (int)(strchr(role, ' ') - role), role);
    } else {
        ck_assert_int_eq(printed_id(&agent, "main tid"), agent.pid);
        snprintf(name, sizeof name, "%s", prog);
    }
    char *crashed;
    char *dump = check_crash_dump(&agent, agent.pid, "SIGABRT \\(raised by the program\\)",
                                  tid, name, "SIGABRT", &crashed, NULL);
    expect_abort_from(crashed, fn);
    free(crashed);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}

START_TEST(crash_abort_in_thread)
{
    abort_case("crash_abort", NULL, NULL, "aborter tid", "give_up");
}
END_TEST

START_TEST(crash_failed_assert)
{
    abort_case("crash_assert", NULL, "check_invariant: Assertion `.*' failed\\.$", NULL,
               "check_invariant");
}
END_TEST

/* An exception nobody catches: std::terminate aborts, with the throwing
 * function still on the stack. */
START_TEST(crash_uncaught_exception)
{
    abort_case("crash_throw", NULL,
               "^terminate called after throwing an instance of 'std::runtime_error'$",
               "thrower tid", "load_config");
}
END_TEST

/* A thread that exhausts its stack: the handler must run elsewhere (an
 * alternate stack) and still unwind the thread's own. */
START_TEST(crash_stack_overflow)
{
    tu_proc_t native, agent;
    run_pair(&native, &agent, "crash_overflow", NULL, NULL, SIGSEGV);
    pid_t tid = printed_id(&agent, "recurser tid");
    char *crashed;
    /* The guard page of a thread's stack is mapped PROT_NONE: ACCERR
     * (MAPERR past an unmapped end). */
    char *dump = check_crash_dump(&agent, agent.pid,
                                  "SIGSEGV \\(SEGV_(ACCERR|MAPERR) at 0x[0-9a-f]+\\)", tid,
                                  "recurser", "SIGSEGV", &crashed, NULL);
    expect_first_frame(crashed, "descend");
    ck_assert_msg(tu_count(crashed, "\ndescend(...)\n") >= 2,
                  "the overflowed stack was not unwound:\n%.3000s", crashed);
    free(crashed);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* SIGFPE: the address is the faulting instruction, which is RIP. */
START_TEST(crash_integer_divide_by_zero)
{
    tu_proc_t native, agent;
    run_pair(&native, &agent, "crash_fpe", NULL, NULL, SIGFPE);
    pid_t tid = printed_id(&agent, "divider tid");
    char *crashed, re[512], pc[32];
    unsigned long long rip;
    char *dump = check_crash_dump(&agent, agent.pid, "SIGFPE \\(FPE_INTDIV at 0x[0-9a-f]+\\)",
                                  tid, "divider", "SIGFPE", &crashed, &rip);
    ck_assert(tu_match(dump, "^reason: crash SIGFPE \\(FPE_INTDIV at 0x([0-9a-f]+)\\)", pc,
                       sizeof pc));
    ck_assert_msg(strtoull(pc, NULL, 16) == rip, "fault at 0x%s, RIP=0x%llx", pc, rip);
    expect_first_frame(crashed, "divide");
    snprintf(re, sizeof re, "^divide\\(\\.\\.\\.\\)\n\t/.*crash_fpe\\.c:%d \\+0x[0-9a-f]+$",
             tu_source_line(FPE_SRC, "LINE:div"));
    tu_assert_match(crashed, re);
    free(crashed);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* glibc finds its heap corrupted and aborts inside free() or malloc()
 * with the arena's lock held: the dump is written all the same (the
 * handler must not allocate from that heap), and the death is native. */
START_TEST(crash_heap_double_free)
{
    abort_case("crash_heap", NULL, "^double free or corruption \\([a-z!]+\\)$", NULL,
               "release_twice");
}
END_TEST

START_TEST(crash_heap_corrupted_top)
{
    abort_case("crash_heap", "top", "^malloc\\(\\): corrupted top size$", NULL, "smash_top");
}
END_TEST

/* A program that handles SIGSEGV itself and recovers: it sees its own
 * handler (and SIG_DFL before and after) as natively, gets every fault,
 * exits 0, and no crash dump is written.  It sees no alternate stack in
 * its threads (the agent's stays hidden), and its own replaces it. */
START_TEST(crash_host_handler_recovers)
{
    tu_proc_t native, agent;
    run_pair(&native, &agent, "crash_recover", NULL, NULL, 0);
    ck_assert_str_eq(native.out, "main altstack: none\n"
                                 "thread altstack: none\n"
                                 "own altstack: the old one was none\n"
                                 "main altstack: 65536 bytes\n"
                                 "main altstack: none\n"
                                 "before: SIG_DFL\n"
                                 "installed: own handler, flags SA_SIGINFO SA_NODEFER\n"
                                 "recovered 3\n"
                                 "restored: SIG_DFL\n");
    ck_assert_int_eq(count_crash_dumps(agent.dir, 0), 0);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* Two threads fault at once: one dump, naming one of them. */
START_TEST(crash_two_threads_one_dump)
{
    tu_proc_t native, agent;
    run_pair(&native, &agent, "crash_two", NULL, NULL, SIGSEGV);
    char cap[32];
    ck_assert(tu_match(agent.err, "^crasher tid ([0-9]+)$", cap, sizeof cap));
    pid_t a = (pid_t)atoi(cap);
    const char *second = strstr(agent.err, "crasher tid ");
    ck_assert(second != NULL && tu_match(second + 1, "^crasher tid ([0-9]+)$", cap, sizeof cap));
    pid_t b = (pid_t)atoi(cap);
    char path[PATH_MAX + 64];
    char *dump = crash_dump(&agent, agent.pid, path, sizeof path);
    ck_assert(tu_match(dump, "^reason: crash SIGSEGV \\(SEGV_MAPERR at 0x0\\) in thread "
                             "([0-9]+) \"crasher\"$", cap, sizeof cap));
    pid_t tid = (pid_t)atoi(cap);
    ck_assert_msg(tid == a || tid == b, "crash of thread %d, not %d or %d", (int)tid, (int)a,
                  (int)b);
    free(dump);
    char *crashed;
    dump = check_crash_dump(&agent, agent.pid, "SIGSEGV \\(SEGV_MAPERR at 0x0\\)", tid,
                            "crasher", "SIGSEGV", &crashed, NULL);
    expect_first_frame(crashed, "crash_now");
    /* The second fault writes no second dump, even a little later. */
    usleep(300000);
    ck_assert_int_eq(count_crash_dumps(agent.dir, 0), 1);
    free(crashed);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* A forked child's crash: dumped under the child's pid; the parent, which
 * sees it die as natively, has no crash dump. */
START_TEST(crash_forked_child_dumped_under_its_pid)
{
    tu_proc_t native, agent;
    run_pair(&native, &agent, "crash_fork", NULL, NULL, 0);
    /* Where cores are not possible here the child may still have dumped
     * one (to a pipe): its flag is only compared with the agent's run. */
    char want[64];
    snprintf(want, sizeof want, "^child signaled 1 signal %d core %s$", SIGSEGV,
             cores_possible() ? "1" : "[01]");
    tu_assert_match(native.out, want);
    pid_t kid = printed_id(&agent, "child");
    char *crashed;
    char *dump = check_crash_dump(&agent, kid, "SIGSEGV \\(SEGV_MAPERR at 0x0\\)", kid,
                                  "crash_fork", "SIGSEGV", &crashed, NULL);
    expect_first_frame(crashed, "child_work");
    ck_assert_int_eq(count_crash_dumps(agent.dir, agent.pid), 0);
    ck_assert_int_eq(count_crash_dumps(agent.dir, 0), 1);
    free(crashed);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* SIGSEGV sent from outside (SI_USER): no fault, but as fatal; the dump
 * says who sent it. */
START_TEST(crash_sigsegv_sent_from_outside)
{
    tu_proc_t runs[2];
    memset(runs, 0, sizeof runs);
    for (int preload = 0; preload < 2; preload++) {
        crash_start(&runs[preload], "crash_user", preload, NULL, NULL);
        tu_wait_output(&runs[preload], "ready", RUN_MS);
        kill(runs[preload].pid, SIGSEGV);
        tu_finish(&runs[preload], 0, RUN_MS);
    }
    expect_same_death(&runs[0], &runs[1], SIGSEGV);
    char path[PATH_MAX + 64], re[256], cap[32];
    char *dump = crash_dump(&runs[1], runs[1].pid, path, sizeof path);
    snprintf(re, sizeof re, "^reason: crash SIGSEGV \\(sent by pid %d\\) in thread ([0-9]+) \"",
             (int)getpid());
    ck_assert_msg(tu_match(dump, re, cap, sizeof cap), "no match for /%s/ in:\n%.3000s", re,
                  dump);
    pid_t tid = (pid_t)atoi(cap);
    char name[64];
    snprintf(re, sizeof re, "^reason: crash .* in thread [0-9]+ \"([^\"]*)\"$");
    ck_assert(tu_match(dump, re, name, sizeof name));
    free(dump);
    char *crashed;
    snprintf(re, sizeof re, "SIGSEGV \\(sent by pid %d\\)", (int)getpid());
    dump = check_crash_dump(&runs[1], runs[1].pid, re, tid, name, "SIGSEGV", &crashed, NULL);
    free(crashed);
    free(dump);
    crash_cleanup(&runs[0]);
    crash_cleanup(&runs[1]);
}
END_TEST

START_TEST(crash_on_crash_off_writes_nothing)
{
    tu_proc_t native, agent;
    const char *env[] = {"THREADPROF_ON_CRASH=0", NULL};
    run_pair(&native, &agent, "crash_mutex", env, NULL, SIGSEGV);
    usleep(300000);
    ck_assert_int_eq(count_crash_dumps(agent.dir, 0), 0);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

/* A bad THREADPROF_ON_CRASH: one warning, and the default (dump) holds. */
START_TEST(crash_on_crash_bad_value_warns)
{
    tu_proc_t native, agent;
    const char *env[] = {"THREADPROF_ON_CRASH=maybe", NULL};
    run_pair(&native, &agent, "crash_mutex", env, NULL, SIGSEGV);
    ck_assert_msg(count_lines(agent.err, "^threadprof:.*THREADPROF_ON_CRASH") == 1,
                  "not one warning on stderr:\n%.2000s", agent.err);
    tu_assert_match(agent.err, "^threadprof: THREADPROF_ON_CRASH=\"maybe\" is not .*; "
                               "using 1( .*)?$");
    pid_t parser = printed_id(&agent, "parser tid");
    char *crashed;
    char *dump = check_crash_dump(&agent, agent.pid, "SIGSEGV \\(SEGV_MAPERR at 0x10\\)",
                                  parser, "parser", "SIGSEGV", &crashed, NULL);
    free(crashed);
    free(dump);
    crash_cleanup(&native);
    crash_cleanup(&agent);
}
END_TEST

static Suite *crash_suite(void)
{
    Suite *s = suite_create("crash");
    TCase *tc = tcase_create("crash");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, crash_segv_with_lock_held);
    tcase_add_test(tc, crash_abort_in_thread);
    tcase_add_test(tc, crash_failed_assert);
    tcase_add_test(tc, crash_uncaught_exception);
    tcase_add_test(tc, crash_stack_overflow);
    tcase_add_test(tc, crash_integer_divide_by_zero);
    tcase_add_test(tc, crash_heap_double_free);
    tcase_add_test(tc, crash_heap_corrupted_top);
    tcase_add_test(tc, crash_host_handler_recovers);
    tcase_add_test(tc, crash_two_threads_one_dump);
    tcase_add_test(tc, crash_forked_child_dumped_under_its_pid);
    tcase_add_test(tc, crash_sigsegv_sent_from_outside);
    tcase_add_test(tc, crash_on_crash_off_writes_nothing);
    tcase_add_test(tc, crash_on_crash_bad_value_warns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(crash_suite());
}
