/*
 * check_locks: integration tests of what the dump says about locks: the
 * locks each thread holds and where it took them, the readers a writer
 * waits for, deadlocks named first (and dumped by themselves when they
 * persist, also when a reader or a join closes the cycle), and error codes of every mutex type, of semaphore try and
 * post and of locks initialised again unchanged by the agent.
 */
#include "tests/testutil.h"

#define WAIT_MS 10000
#define ABBA_SRC "tests/programs/abba.c"
#define STATES_SRC "tests/programs/states.c"

START_TEST(locks_deadlock_dumped_by_itself)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "abba", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    /* Nobody signals: the periodic check writes the dump. */
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: deadlock$");
    tu_assert_match(dump, "^deadlocks: 1 \\(listed first\\)$");
    pid_t ab = tu_thread_tid(dump, "transfer-ab"), ba = tu_thread_tid(dump, "transfer-ba");
    ck_assert(ab > 0 && ba > 0);
    char re[1024];
    int take = tu_source_line(ABBA_SRC, "LINE:take");
    snprintf(re, sizeof re,
             "\n\n== deadlock: 2 threads wait for each other ==\n"
             "thread %d \"transfer-ab\" waits for mutex 0x[0-9a-f]+, held by thread %d \"transfer-ba\"\n"
             "    waiting in take \\(/.*abba\\.c:%d\\)\n"
             "    holds mutex 0x[0-9a-f]+ since [0-9<]+s, taken in transfer_ab \\(/.*abba\\.c:%d\\)\n"
             "thread %d \"transfer-ba\" waits for mutex 0x[0-9a-f]+, held by thread %d \"transfer-ab\"\n"
             "    waiting in take \\(/.*abba\\.c:%d\\)\n"
             "    holds mutex 0x[0-9a-f]+ since [0-9<]+s, taken in transfer_ba \\(/.*abba\\.c:%d\\)\n\n",
             (int)ab, (int)ba, take, tu_source_line(ABBA_SRC, "LINE:ab_first"),
             (int)ba, (int)ab, take, tu_source_line(ABBA_SRC, "LINE:ba_first"));
    tu_assert_match(dump, re);
    /* The held mutex of one is the one the other waits for. */
    char waited[32], held[32];
    snprintf(re, sizeof re, "waits for mutex (0x[0-9a-f]+), held by thread %d", (int)ba);
    ck_assert(tu_match(dump, re, waited, sizeof waited));
    snprintf(re, sizeof re, "\"transfer-ba\" \\[mutex wait, [0-9.]+s\\]:\n    mutex 0x[0-9a-f]+ held by thread %d \"transfer-ab\"\n"
             "    holds mutex (0x[0-9a-f]+) since", (int)ab);
    ck_assert(tu_match(dump, re, held, sizeof held));
    ck_assert_str_eq(waited, held);
    /* Once per deadlock: no second deadlock dump for the same cycle. */
    sleep(5);
    char path[PATH_MAX];
    tu_dump_path(&p, p.pid, 2, path, sizeof path);
    ck_assert_int_ne(access(path, F_OK), 0);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* The periodic check (a light snapshot of the threads waiting for a lock
 * or a join) finds deadlocks whose holder comes from a reader's held list
 * or a join, among idle threads, and dumps them by itself. */
START_TEST(locks_reader_and_join_deadlocks_dumped_by_themselves)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "deadlocks", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: deadlock$");
    tu_assert_match(dump, "^deadlocks: 2 \\(listed first\\)$");
    pid_t r = tu_thread_tid(dump, "reader"), w = tu_thread_tid(dump, "writer");
    pid_t j = tu_thread_tid(dump, "joiner"), m2 = tu_thread_tid(dump, "m2-waiter");
    ck_assert(r > 0 && w > 0 && j > 0 && m2 > 0);
    char re[512];
    snprintf(re, sizeof re, "^thread %d \"reader\" waits for mutex 0x[0-9a-f]+, held by "
             "thread %d \"writer\"$", (int)r, (int)w);
    tu_assert_match(dump, re);
    snprintf(re, sizeof re, "^thread %d \"writer\" waits for rwlock 0x[0-9a-f]+, held by "
             "thread %d \"reader\"$", (int)w, (int)r);
    tu_assert_match(dump, re);
    snprintf(re, sizeof re, "^thread %d \"joiner\" waits for thread %d \"m2-waiter\" to exit$",
             (int)j, (int)m2);
    tu_assert_match(dump, re);
    snprintf(re, sizeof re, "^thread %d \"m2-waiter\" waits for mutex 0x[0-9a-f]+, held by "
             "thread %d \"joiner\"$", (int)m2, (int)j);
    tu_assert_match(dump, re);
    tu_assert_match(dump, "^20 threads \\[cond wait, ");
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(locks_signal_dump_lists_deadlock_and_readers)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_DEADLOCK_CHECK=0", NULL};
    tu_start(&p, "abba", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "^reason: signal SIGUSR2$");
    tu_assert_match(dump, "^== deadlock: 2 threads wait for each other ==$");
    /* The writer names the reader it waits for; the reader says it reads. */
    pid_t reader = tu_thread_tid(dump, "reader");
    char re[512];
    snprintf(re, sizeof re, "\"writer\" \\[rwlock write wait, [0-9.]+(ms|s)\\]:\n"
             "    rwlock 0x[0-9a-f]+ read-locked by 1 reader\n"
             "    read by thread %d \"reader\"\n", (int)reader);
    tu_assert_match(dump, re);
    snprintf(re, sizeof re, "\"reader\" \\[sleep, [0-9.]+(ms|s)\\]:\n    sleep for 1m40s\n"
             "    holds rwlock \\(read\\) 0x[0-9a-f]+ since [0-9<]+s, taken in reader \\(/.*abba\\.c:%d\\)\n",
             tu_source_line(ABBA_SRC, "LINE:rdlock"));
    tu_assert_match(dump, re);
    /* Deadlock checks off: no dump by itself. */
    sleep(5);
    char path[PATH_MAX];
    tu_dump_path(&p, p.pid, 2, path, sizeof path);
    ck_assert_int_ne(access(path, F_OK), 0);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(locks_holder_lists_its_locks)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "states", NULL);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    char *e = tu_thread_entry(dump, "holder");
    /* It sleeps with both: the mutex is held across the sleep (the
     * misuse), a read lock is not flagged. */
    tu_assert_match(e, "^    holds mutex 0x[0-9a-f]+ since [0-9<]+s, taken in holder_main \\(/.*states\\.c:[0-9]+\\), while in sleep$");
    tu_assert_match(e, "^    holds rwlock \\(read\\) 0x[0-9a-f]+ since [0-9<]+s, taken in holder_main \\(/.*states\\.c:[0-9]+\\)$");
    free(e);
    /* The cond waiter released its mutex while it waits: it holds nothing. */
    e = tu_thread_entry(dump, "cond-waiter");
    tu_assert_no_match(e, "holds ");
    free(e);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

START_TEST(locks_error_codes_unchanged)
{
    tu_proc_t native, agent;
    memset(&native, 0, sizeof native);
    memset(&agent, 0, sizeof agent);
    tu_start_full(&native, "mutex_types", 0, NULL, NULL);
    ck_assert_int_eq(WEXITSTATUS(tu_finish(&native, 0, WAIT_MS)), 0);
    tu_start(&agent, "mutex_types", NULL);
    tu_wait_output(&agent, "ready", WAIT_MS);
    kill(agent.pid, SIGUSR2);
    char *dump = tu_wait_dump(&agent, agent.pid, 1, WAIT_MS);
    ck_assert_int_eq(WEXITSTATUS(tu_finish(&agent, 0, WAIT_MS)), 0);
    ck_assert_str_eq(agent.out, native.out);
    tu_assert_match(native.out, "^errorcheck relock: EDEADLK$");
    tu_assert_match(native.out, "^errorcheck unlock by other thread: EPERM$");
    tu_assert_match(native.out, "^timedlock held by other thread: ETIMEDOUT$");
    tu_assert_match(native.out, "^robust lock after owner died: EOWNERDEAD$");
    tu_assert_match(native.out, "^recursive unlock unlocked: EPERM$");
    /* Semaphore try and post pass through: EAGAIN, EOVERFLOW and an
     * untouched errno on success, as without the agent. */
    tu_assert_match(native.out, "^sem_trywait at zero: -1 EAGAIN\nsem_post: 0\n"
                                "sem_trywait after post: 0\n"
                                "sem_trywait at zero again: -1 EAGAIN$");
    tu_assert_match(native.out, "^sem_post at max: -1 EOVERFLOW$");
    /* A mutex or rwlock initialised again after a destroy works. */
    tu_assert_match(native.out, "^destroy while locked: EBUSY$");
    tu_assert_match(native.out, "^init after destroy: 0\nlock after init: 0\n"
                                "unlock after init: 0$");
    tu_assert_match(native.out, "^rwlock init after destroy: 0\n"
                                "rwlock rdlock after init: 0$");
    /* ...and the calls above went through the agent's hooks. */
    tu_assert_match(native.err, "^interposed:$");
    tu_assert_match(agent.err, "^interposed: pthread_mutex_init pthread_rwlock_init "
                               "sem_trywait sem_post$");
    /* After all that, the main thread (in a cond wait) holds nothing. */
    char *e = tu_thread_entry(dump, "mutex_types");
    tu_assert_match(e, "\\[cond wait, ");
    tu_assert_no_match(e, "holds ");
    free(e);
    free(dump);
    tu_cleanup(&native);
    tu_cleanup(&agent);
}
END_TEST

START_TEST(locks_spinlock_waiter_names_holder)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    tu_start(&p, "spin", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    pid_t holder = tu_thread_tid(dump, "spin-holder");
    char re[512];
    snprintf(re, sizeof re, "\"spin-waiter\" \\[spin wait, [0-9.]+(ms|s)\\]:\n"
             "    spinlock 0x[0-9a-f]+\n    held by thread %d \"spin-holder\"\n"
             "spinner\\(\\.\\.\\.\\)\n\t/.*spin\\.c:%d \\+0x", (int)holder,
             tu_source_line("tests/programs/spin.c", "LINE:spin_wait"));
    tu_assert_match(dump, re);
    snprintf(re, sizeof re, "^    holds spinlock 0x[0-9a-f]+ since [0-9<]+s, taken in holder \\(/.*spin\\.c:%d\\)$",
             tu_source_line("tests/programs/spin.c", "LINE:spin_hold"));
    tu_assert_match(dump, re);
    tu_finish(&p, SIGKILL, WAIT_MS);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* THREADPROF_EXITCODE: a run that ends in a deadlock exits with that
 * status (from exit() or a return from main) after one line saying why; a
 * clean run keeps its own, and so does a run without the setting. */
START_TEST(locks_exitcode_on_deadlock)
{
    static const struct { const char *how, *env; int status; } cases[] = {
        {"exit", "THREADPROF_EXITCODE=66", 66},
        {"return", "THREADPROF_EXITCODE=66", 66},
        {"clean", "THREADPROF_EXITCODE=66", 0},
        {"exit", "THREADPROF_QUIET=1", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_proc_t p;
        memset(&p, 0, sizeof p);
        const char *env[] = {"THREADPROF_QUIET=1", "THREADPROF_ON_EXIT=0", cases[i].env, NULL};
        const char *args[] = {cases[i].how, NULL};
        tu_start_full(&p, "deadexit", 1, env, args);
        int status = tu_finish(&p, 0, 20000);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == cases[i].status,
                      "%s %s: status %#x, stderr: %s", cases[i].how, cases[i].env, status,
                      p.err);
        tu_assert_match(p.out, "^ready$");
        if (cases[i].status == 66)
            tu_assert_match(p.err, "^threadprof: exit status 66 instead of 0 "
                                   "\\(THREADPROF_EXITCODE\\): 1 deadlock found$");
        else
            ck_assert_str_eq(p.err, "");
        tu_cleanup(&p);
    }
}
END_TEST

static Suite *locks_suite(void)
{
    Suite *s = suite_create("locks");
    TCase *tc = tcase_create("locks");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, locks_deadlock_dumped_by_itself);
    tcase_add_test(tc, locks_reader_and_join_deadlocks_dumped_by_themselves);
    tcase_add_test(tc, locks_signal_dump_lists_deadlock_and_readers);
    tcase_add_test(tc, locks_holder_lists_its_locks);
    tcase_add_test(tc, locks_error_codes_unchanged);
    tcase_add_test(tc, locks_spinlock_waiter_names_holder);
    tcase_add_test(tc, locks_exitcode_on_deadlock);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(locks_suite());
}
