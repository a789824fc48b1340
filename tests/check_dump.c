/*
 * check_dump: integration tests of the thread dump.  Each test runs a
 * program from tests/programs under the agent and asserts on the file the
 * agent wrote.
 */
#include <sys/syscall.h>

#include "tests/testutil.h"

#define STATES_SRC "tests/programs/states.c"
#define WAIT_MS 10000

/* Runs states, triggers one dump, returns its text; p keeps the process. */
static char *states_dump(tu_proc_t *p)
{
    memset(p, 0, sizeof *p);
    tu_start(p, "states", NULL);
    tu_wait_output(p, "ready", WAIT_MS);
    usleep(200000);   /* main prints "ready" just before it joins */
    kill(p->pid, SIGUSR2);
    return tu_wait_dump(p, p->pid, 1, WAIT_MS);
}

START_TEST(dump_header_and_file)
{
    tu_proc_t p;
    char *dump = states_dump(&p);
    char path[PATH_MAX], re[256];
    tu_dump_path(&p, p.pid, 1, path, sizeof path);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    snprintf(re, sizeof re, "^threadprof thread dump 1 of pid %d$", (int)p.pid);
    tu_assert_match(dump, re);
    tu_assert_match(dump, "^program: .*/tests/programs/states$");
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    tu_assert_match(dump, "^time: 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z \\(process up [0-9.]+(ms|s)\\)$");
    tu_assert_match(dump, "^threads: 11 live \\(1 running, 10 waiting\\), 0 exited but not joined$");
    tu_assert_match(dump, "end of dump\n$");
    /* The agent's own thread and frames never show. */
    tu_assert_no_match(dump, "\"threadprof\"");
    tu_assert_no_match(dump, "tp_wait|tp__|/(hooks|agent)/[a-z_]+\\.[ch]:");
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_lock_states_and_holder)
{
    tu_proc_t p;
    char *dump = states_dump(&p);
    char re[512];
    pid_t holder = tu_thread_tid(dump, "holder");
    ck_assert_int_gt(holder, 0);

    char *e = tu_thread_entry(dump, "mutex-waiter");
    tu_assert_match(e, "^thread [0-9]+ \"mutex-waiter\" \\[mutex wait, [0-9.]+(ms|s)\\]:$");
    snprintf(re, sizeof re, "^    mutex 0x[0-9a-f]+ held by thread %d \"holder\"$", (int)holder);
    tu_assert_match(e, re);
    snprintf(re, sizeof re, "^wait_for_mutex\\(\\.\\.\\.\\)\n\t/.*states\\.c:%d \\+0x[0-9a-f]+$",
             tu_source_line(STATES_SRC, "LINE:mutex_wait"));
    tu_assert_match(e, re);
    tu_assert_match(e, "^mutex_waiter_main\\(\\.\\.\\.\\)$");
    free(e);

    e = tu_thread_entry(dump, "cond-waiter");
    tu_assert_match(e, "\\[cond wait, [0-9.]+(ms|s)\\]:$");
    tu_assert_match(e, "^    cond 0x[0-9a-f]+ with mutex 0x[0-9a-f]+$");
    snprintf(re, sizeof re, "^wait_for_job\\(\\.\\.\\.\\)\n\t/.*states\\.c:%d \\+0x",
             tu_source_line(STATES_SRC, "LINE:cond_wait"));
    tu_assert_match(e, re);
    free(e);

    e = tu_thread_entry(dump, "rw-writer");
    tu_assert_match(e, "\\[rwlock write wait, [0-9.]+(ms|s)\\]:$");
    tu_assert_match(e, "rwlock 0x[0-9a-f]+ read-locked by 1 reader$");
    free(e);

    e = tu_thread_entry(dump, "sem-waiter");
    tu_assert_match(e, "\\[semaphore wait, [0-9.]+(ms|s)\\]:$");
    tu_assert_match(e, "^    sem 0x[0-9a-f]+ \\(value 0\\)$");
    free(e);

    /* The main thread joins the sleeper: named by tid and name. */
    pid_t sleeper = tu_thread_tid(dump, "sleeper");
    snprintf(re, sizeof re, "^thread %d \"states\" \\[join thread %d, [0-9.]+(ms|s)\\]:\n"
             "    waiting for thread %d \"sleeper\" to exit$", (int)p.pid, (int)sleeper,
             (int)sleeper);
    tu_assert_match(dump, re);
    snprintf(re, sizeof re, "^main\\(\\.\\.\\.\\)\n\t/.*states\\.c:%d \\+0x",
             tu_source_line(STATES_SRC, "LINE:join"));
    tu_assert_match(dump, re);

    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_fd_states)
{
    tu_proc_t p;
    char *dump = states_dump(&p);
    char re[256];
    char *e = tu_thread_entry(dump, "pipe-reader");
    tu_assert_match(e, "\\[read fd [0-9]+ \\(pipe\\), [0-9.]+(ms|s)\\]:$");
    tu_assert_match(e, "^    fd [0-9]+: pipe:\\[[0-9]+\\]$");
    snprintf(re, sizeof re, "states\\.c:%d \\+0x", tu_source_line(STATES_SRC, "LINE:read"));
    tu_assert_match(e, re);
    free(e);

    e = tu_thread_entry(dump, "sock-reader");
    tu_assert_match(e, "\\[recv fd [0-9]+ \\(socket\\), [0-9.]+(ms|s)\\]:$");
    tu_assert_match(e, "^    fd [0-9]+: tcp socket 127\\.0\\.0\\.1:[0-9]+ -> 127\\.0\\.0\\.1:[0-9]+$");
    free(e);

    e = tu_thread_entry(dump, "epoller");
    tu_assert_match(e, "\\[epoll_wait fd [0-9]+, [0-9.]+(ms|s)\\]:$");
    tu_assert_match(e, "^    epoll fd [0-9]+ watches 1 fd: [0-9]+ \\(pipe\\)$");
    free(e);

    e = tu_thread_entry(dump, "holder");
    tu_assert_match(e, "\\[sleep, [0-9.]+(ms|s)\\]:$");
    tu_assert_match(e, "^    sleep for 16m40s$");
    free(e);

    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_running_and_created_by)
{
    tu_proc_t p;
    char *dump = states_dump(&p);
    char re[256];
    char *e = tu_thread_entry(dump, "spinner");
    tu_assert_match(e, "^thread [0-9]+ \"spinner\" \\[running\\]:$");
    tu_assert_match(e, "no stack: the thread is running outside any intercepted call");
    free(e);

    /* Every created thread names its creator and the creating line. */
    e = tu_thread_entry(dump, "cond-waiter");
    snprintf(re, sizeof re, "^created by start in thread %d, [0-9.]+(ms|s) ago\n\t/.*states\\.c:%d \\+0x",
             (int)p.pid, tu_source_line(STATES_SRC, "LINE:create"));
    tu_assert_match(e, re);
    free(e);
    /* The main thread has no creator line. */
    e = tu_thread_entry(dump, "states");
    tu_assert_no_match(e, "created by");
    free(e);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_durations_grow)
{
    tu_proc_t p;
    char *dump = states_dump(&p);
    free(dump);
    sleep(2);
    kill(p.pid, SIGUSR2);
    dump = tu_wait_dump(&p, p.pid, 2, WAIT_MS);
    char *e = tu_thread_entry(dump, "holder");
    /* At least 2 s later: shown with one decimal in seconds. */
    tu_assert_match(e, "\\[sleep, [2-9]\\.[0-9]s\\]:$");
    free(e);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* A thread detached before it has run (the creator detaches at once) is
 * not counted as exited but not joined once it is gone. */
START_TEST(dump_detach_before_the_thread_runs_is_kept)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "detacher", NULL);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tu_assert_match(p.out, "^done 64 of 64$");
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: exit$");
    tu_assert_match(dump, "^threads: 1 live \\(1 running, 0 waiting\\), 0 exited but not joined$");
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_at_exit_keeps_host_behaviour)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "exiter", NULL);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    ck_assert_str_eq(p.out, "hello from exiter\n");
    char *dump = tu_wait_dump(&p, p.pid, 1, 1000);
    tu_assert_match(dump, "^reason: exit$");
    tu_assert_match(dump, "^threads: 2 live \\(1 running, 1 waiting\\), 1 exited but not joined$");
    tu_assert_match(dump, "^thread [0-9]+ \"parked\" \\[cond wait, [0-9.]+(ms|s)\\]:$");
    tu_assert_match(dump, "^    in exit\\(\\): this thread writes the exit dump$");
    /* Only the agent's informational line on stderr. */
    tu_assert_match(p.err, "^threadprof: wrote .*threadprof\\.[0-9]+\\.000001\\.threads\\.txt");
    ck_assert_int_eq(tu_count(p.err, "\n"), 1);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_quiet_and_no_exit_dump)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_ON_EXIT=0", "THREADPROF_QUIET=1", NULL};
    tu_start(&p, "exiter", env);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 3);
    ck_assert_str_eq(p.err, "");
    char path[PATH_MAX];
    tu_dump_path(&p, p.pid, 1, path, sizeof path);
    ck_assert_int_ne(access(path, F_OK), 0);
    tu_cleanup(&p);
}
END_TEST

/* Waits until thread tid of pid is inside system call nr (as
 * /proc/<pid>/task/<tid>/syscall says): a program that prints "ready"
 * and then waits is counted as waiting only once it has got there. */
static void wait_in_syscall(pid_t pid, pid_t tid, long nr)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
    for (int i = 0; i < 3000; i++) {
        char *text = tu_read_file(path);
        int there = text != NULL && atol(text) == nr && strncmp(text, "running", 7) != 0;
        free(text);
        if (there)
            return;
        usleep(1000);
    }
    ck_abort_msg("thread %d never entered system call %ld", (int)tid, nr);
}

START_TEST(dump_500_threads_grouped)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {"500", NULL};
    tu_start_full(&p, "many_threads", 1, NULL, args);
    tu_wait_output(&p, "ready", 30000);
    wait_in_syscall(p.pid, p.pid, SYS_pause);   /* its main thread, after "ready" */
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, 30000);
    tu_assert_match(dump, "^threads: 501 live \\(0 running, 501 waiting\\)");
    tu_assert_match(dump, "^== 501 threads in 2 groups \\(same state, stack and creator; most numerous first\\) ==$");
    /* The big group comes first, names four threads and counts the rest. */
    tu_assert_match(dump, "==\n\n500 threads \\[cond wait, [0-9.]+(ms|s)(\\.\\.[0-9.]+(ms|s))?\\]:( [0-9]+ \"many_threads\",){3} [0-9]+ \"many_threads\" and 496 more\n"
                          "park_here\\(\\.\\.\\.\\)\n\t/.*many_threads\\.c:[0-9]+ \\+0x");
    ck_assert_int_eq(tu_count(dump, "\"many_threads\" [cond wait"), 500);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_cpp_demangled)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "cpp_workers", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    char *e = tu_thread_entry(dump, "cpp-worker");
    tu_assert_match(e, "\\[cond wait, [0-9.]+(ms|s)\\]:$");
    /* libstdc++'s wait(lock, pred) template is inlined into take(). */
    tu_assert_match(e, "^(void )?std::condition_variable::wait(<.*>)?\\(std::unique_lock<std::mutex>&");
    tu_assert_match(e, "^shop::Queue::take\\(\\)");
    tu_assert_match(e, "^shop::Worker::run\\(\\)");
    tu_assert_match(e, "cpp_workers\\.cpp:[0-9]+");
    /* std::thread's constructor and libstdc++'s start-up are skipped: the
     * creator is the program's own function. */
    char re[256];
    snprintf(re, sizeof re, "^created by main in thread %d, [0-9.]+(ms|s) ago\n\t/.*cpp_workers\\.cpp:%d \\+0x",
             (int)p.pid, tu_source_line("tests/programs/cpp_workers.cpp", "LINE:cpp_create"));
    tu_assert_match(e, re);
    free(e);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_interval)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_INTERVAL=200ms", "THREADPROF_QUIET=1", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    char *dump = tu_wait_dump(&p, p.pid, 3, WAIT_MS);
    tu_assert_match(dump, "^reason: interval \\(every 200ms\\)$");
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(dump_fork_child_own_pid)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "forker", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    tu_wait_output(&p, "child ", WAIT_MS);
    char cap[32];
    ck_assert(tu_match(p.out, "^child ([0-9]+)$", cap, sizeof cap));
    pid_t child = (pid_t)atoi(cap);
    kill(child, SIGUSR2);
    char *dump = tu_wait_dump(&p, child, 1, WAIT_MS);
    char re[128];
    snprintf(re, sizeof re, "^threadprof thread dump 1 of pid %d$", (int)child);
    tu_assert_match(dump, re);
    tu_assert_match(dump, "^threads: 2 live");
    tu_assert_match(dump, "\"child-reader\" \\[read fd [0-9]+ \\(pipe\\)");
    /* The parent still dumps under its own pid. */
    kill(p.pid, SIGUSR2);
    char *parent = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(parent, "\\[waitpid pid [0-9]+, ");
    kill(child, SIGKILL);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    free(parent);
    tu_cleanup(&p);
}
END_TEST

/* A single-threaded child (a pre-fork worker) answers the signal too: its
 * dump thread starts when it first waits. */
START_TEST(dump_fork_single_threaded_child)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *args[] = {"single", NULL};
    tu_start_full(&p, "forker", 1, NULL, args);
    tu_wait_output(&p, "child ", WAIT_MS);
    char cap[32];
    ck_assert(tu_match(p.out, "^child ([0-9]+)$", cap, sizeof cap));
    pid_t child = (pid_t)atoi(cap);
    usleep(100000);
    kill(child, SIGUSR2);
    char *dump = tu_wait_dump(&p, child, 1, WAIT_MS);
    tu_assert_match(dump, "^threads: 1 live \\(0 running, 1 waiting\\)");
    char re[128];
    snprintf(re, sizeof re, "^thread %d \"forker\" \\[read fd [0-9]+ \\(pipe\\), ", (int)child);
    tu_assert_match(dump, re);
    tu_assert_match(dump, "^reader\\(\\.\\.\\.\\)\n\t/.*forker\\.c:[0-9]+ \\+0x");
    kill(child, SIGKILL);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* exec keeps the pid: the new image numbers its dumps after the old
 * image's instead of overwriting them. */
START_TEST(dump_exec_keeps_earlier_dumps)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "reexec", NULL);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_str_eq(p.out, "second image\n");
    char *first = tu_wait_dump(&p, p.pid, 1, 1000);
    tu_assert_match(first, "^reason: signal SIGUSR2$");
    tu_assert_match(first, "^command: .*/reexec$");
    char *second = tu_wait_dump(&p, p.pid, 2, 1000);
    tu_assert_match(second, "^reason: exit$");
    tu_assert_match(second, "^command: .*/reexec second$");
    free(first);
    free(second);
    tu_cleanup(&p);
}
END_TEST

/* An earlier image's periodic dumps thinned out (THREADPROF_KEEP) leave
 * holes in the numbers: the new image continues after the highest, never
 * in a hole. */
START_TEST(dump_exec_numbers_after_thinned_dumps)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_INTERVAL=20ms", "THREADPROF_KEEP=2", "THREADPROF_QUIET=1",
                         NULL};
    const char *args[] = {"linger", NULL};
    tu_start_full(&p, "reexec", 1, env, args);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_str_eq(p.out, "second image\n");
    /* The highest number is the second image's exit dump; every dump
     * below it is the first image's. */
    unsigned high = tu_highest_dump(p.dir, p.pid);
    ck_assert_uint_gt(high, (unsigned)tu_count_dumps(p.dir, p.pid));   /* holes */
    char *last = tu_wait_dump(&p, p.pid, high, 1000);
    tu_assert_match(last, "^reason: exit$");
    tu_assert_match(last, "^command: .*/reexec second$");
    free(last);
    for (unsigned seq = 1; seq < high; seq++) {
        char path[PATH_MAX + 64];
        tu_dump_path(&p, p.pid, seq, path, sizeof path);
        char *text = tu_read_file(path);
        if (text != NULL)
            tu_assert_no_match(text, "^command: .*/reexec second$");
        free(text);
    }
    tu_cleanup(&p);
}
END_TEST

static Suite *dump_suite(void)
{
    Suite *s = suite_create("dump");
    TCase *tc = tcase_create("dump");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, dump_header_and_file);
    tcase_add_test(tc, dump_lock_states_and_holder);
    tcase_add_test(tc, dump_fd_states);
    tcase_add_test(tc, dump_running_and_created_by);
    tcase_add_test(tc, dump_durations_grow);
    tcase_add_test(tc, dump_at_exit_keeps_host_behaviour);
    tcase_add_test(tc, dump_detach_before_the_thread_runs_is_kept);
    tcase_add_test(tc, dump_quiet_and_no_exit_dump);
    tcase_add_test(tc, dump_500_threads_grouped);
    tcase_add_test(tc, dump_cpp_demangled);
    tcase_add_test(tc, dump_interval);
    tcase_add_test(tc, dump_fork_child_own_pid);
    tcase_add_test(tc, dump_fork_single_threaded_child);
    tcase_add_test(tc, dump_exec_keeps_earlier_dumps);
    tcase_add_test(tc, dump_exec_numbers_after_thinned_dumps);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(dump_suite());
}
