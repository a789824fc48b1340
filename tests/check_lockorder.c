/*
 * check_lockorder: integration tests of THREADPROF_LOCK_ORDER.  A program
 * takes two mutexes in both orders from two threads that never overlap
 * (it never hangs); the summary of its exit dump must name the inversion
 * with both call sites of both acquisitions, and say none when checking
 * is off, when the order is consistent, or when the mutex was destroyed
 * and initialised again, or only initialised again, in between (a new
 * lock).  Rwlocks read in both orders are no inversion; with a writer
 * they are, even when the same pair was read before.  One thread taking
 * both orders is an inversion labelled as one thread's.  A real deadlock
 * (abba) is an inversion too.  A spinlock taken out of order only with a
 * trylock (spin_trylock_order) is none: a trylock makes no edge.
 */
#include "tests/testutil.h"

#define WAIT_MS 10000
#define SRC "tests/programs/lockorder.c"
/* The graph's memory, after its fill: mapped whole, touched where used. */
#define MEMORY " \\([0-9.]+ MiB reserved, [0-9.]+ (B|KiB|MiB) resident\\)"

/* Runs prog (with mode as its argument, if any) with the extra env;
 * returns the summary of its exit dump (malloc'd). */
static char *run_prog(tu_proc_t *p, const char *prog, const char *mode, const char *order)
{
    memset(p, 0, sizeof *p);
    const char *env[] = {order, NULL};
    const char *args[] = {mode, NULL};
    tu_start_full(p, prog, 1, env, args);
    int status = tu_finish(p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "status %#x; stderr:\n%.2000s", status, p->err);
    ck_assert_str_eq(p->out, "done\n");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.000001.summary.txt", p->dir, (int)p->pid);
    char *sum = tu_read_file(path);
    ck_assert_msg(sum != NULL, "no %s; stderr:\n%.2000s", path, p->err);
    return sum;
}

/* Runs lockorder in mode. */
static char *run(tu_proc_t *p, const char *mode, const char *order)
{
    return run_prog(p, "lockorder", mode, order);
}

START_TEST(lockorder_abba_named_in_summary)
{
    tu_proc_t p;
    char *sum = run(&p, "abba", "THREADPROF_LOCK_ORDER=1");
    /* The trends section (no sample yet) comes between. */
    tu_assert_match(sum, "^deadlocks: none\n\ntrends: no sample yet [^\n]*\n\n"
                         "lock-order inversions: 1 ");
    char re[2048];
    /* One edge per thread, each with its two sites, then its stack. */
    snprintf(re, sizeof re,
             "\n  inversion 1: 2 locks\n"
             "    mutex (0x[0-9a-f]+) \\(taken in lock_a_then_b at /.*lockorder\\.c:%d\\) "
             "then mutex (0x[0-9a-f]+) \\(taken in lock_a_then_b at /.*lockorder\\.c:%d\\) "
             "in thread [0-9]+ \"order-ab\"\n"
             "        lock_a_then_b \\(/.*lockorder\\.c:%d\\)\n"
             "        order_ab \\(/.*lockorder\\.c:[0-9]+\\)\n"
             "(        .*\n)*"
             "    mutex 0x[0-9a-f]+ \\(taken in lock_b_then_a at /.*lockorder\\.c:%d\\) "
             "then mutex 0x[0-9a-f]+ \\(taken in lock_b_then_a at /.*lockorder\\.c:%d\\) "
             "in thread [0-9]+ \"order-ba\"\n"
             "        lock_b_then_a \\(/.*lockorder\\.c:%d\\)\n"
             "        order_ba \\(/.*lockorder\\.c:[0-9]+\\)\n",
             tu_source_line(SRC, "LINE:ab_first"), tu_source_line(SRC, "LINE:ab_second"),
             tu_source_line(SRC, "LINE:ab_second"), tu_source_line(SRC, "LINE:ba_first"),
             tu_source_line(SRC, "LINE:ba_second"), tu_source_line(SRC, "LINE:ba_second"));
    tu_assert_match(sum, re);
    /* The second edge goes from the first's second lock back to its first. */
    char a[32], b[32];
    ck_assert(tu_match(sum, "    mutex (0x[0-9a-f]+) \\(taken in lock_a_then_b", a, sizeof a));
    ck_assert(tu_match(sum, "    mutex (0x[0-9a-f]+) \\(taken in lock_b_then_a", b, sizeof b));
    ck_assert_str_ne(a, b);
    snprintf(re, sizeof re, "then mutex %s \\(taken in lock_a_then_b", b);
    tu_assert_match(sum, re);
    snprintf(re, sizeof re, "then mutex %s \\(taken in lock_b_then_a", a);
    tu_assert_match(sum, re);
    tu_assert_match(sum, "^lock-order graph: 2/[0-9]+ edges, 0 dropped" MEMORY "$");
    /* Two threads: no one-thread label. */
    tu_assert_no_match(sum, "all taken by");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(lockorder_off_says_none)
{
    tu_proc_t p;
    char *sum = run(&p, "abba", "THREADPROF_LOCK_ORDER=0");
    tu_assert_match(sum, "^lock-order inversions: none \\(not checked; set THREADPROF_LOCK_ORDER=1\\)$");
    tu_assert_no_match(sum, "inversion 1");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(lockorder_consistent_order_none)
{
    tu_proc_t p;
    char *sum = run(&p, "consistent", "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: none$");
    /* Both threads took a then b: one edge. */
    tu_assert_match(sum, "^lock-order graph: 1/[0-9]+ edges, 0 dropped" MEMORY "$");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(lockorder_reinitialised_mutex_is_new_lock)
{
    tu_proc_t p;
    char *sum = run(&p, "reinit", "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: none$");
    /* a -> b died with a; b -> (new) a is the only live edge. */
    tu_assert_match(sum, "^lock-order graph: 1/[0-9]+ edges, 0 dropped" MEMORY "$");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* Readers share: rwlocks read in both orders by two threads cannot
 * deadlock, and are no inversion (the two edges are still recorded). */
START_TEST(lockorder_read_read_cycle_is_no_inversion)
{
    tu_proc_t p;
    char *sum = run(&p, "rwread", "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: none$");
    tu_assert_match(sum, "^lock-order graph: 2/[0-9]+ edges, 0 dropped" MEMORY "$");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* A writer on one side makes the same cycle a deadlock: reported, with
 * the way each lock was taken. */
START_TEST(lockorder_rwlock_cycle_with_writer_is_inversion)
{
    tu_proc_t p;
    char *sum = run(&p, "rwmixed", "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: 1 ");
    char re[1024];
    int wr = tu_source_line(SRC, "LINE:rw_write"), rd = tu_source_line(SRC, "LINE:rw_read");
    snprintf(re, sizeof re,
             "^  inversion 1: 2 locks\n"
             "    rwlock \\(write\\) 0x[0-9a-f]+ \\(taken in take at /.*lockorder\\.c:%d\\) "
             "then rwlock \\(write\\) 0x[0-9a-f]+ \\(taken in take at /.*lockorder\\.c:%d\\) "
             "in thread [0-9]+ \"order-ab\"\n"
             "(        .*\n)*"
             "    rwlock \\(read\\) 0x[0-9a-f]+ \\(taken in take at /.*lockorder\\.c:%d\\) "
             "then rwlock \\(read\\) 0x[0-9a-f]+ \\(taken in take at /.*lockorder\\.c:%d\\) "
             "in thread [0-9]+ \"order-ba\"$", wr, wr, rd, rd);
    tu_assert_match(sum, re);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* The same pair read first, written later, by one thread: two edges, and
 * the writing one still closes the cycle with the other thread's reads. */
START_TEST(lockorder_rwlock_pair_read_then_written_is_inversion)
{
    tu_proc_t p;
    char *sum = run(&p, "rwupgrade", "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: 1 ");
    tu_assert_match(sum, "^    rwlock \\(write\\) 0x[0-9a-f]+ \\(taken in take at .*\\) "
                         "then rwlock \\(write\\) 0x[0-9a-f]+ .* \"order-ab\"$");
    tu_assert_match(sum, "^lock-order graph: 3/[0-9]+ edges, 0 dropped" MEMORY "$");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* One thread took both orders: still reported (two threads running that
 * code deadlock), labelled as one thread's. */
START_TEST(lockorder_one_thread_inversion_labelled)
{
    tu_proc_t p;
    char *sum = run(&p, "self", "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: 1 ");
    char tid[32], re[512];
    ck_assert_msg(tu_match(sum, "^  inversion 1: 2 locks \\(all taken by thread ([0-9]+) "
                           "\"order-self\": a deadlock needs a second thread running "
                           "this code\\)$", tid, sizeof tid), "no label in:\n%.3000s", sum);
    snprintf(re, sizeof re, "then mutex 0x[0-9a-f]+ \\(taken in lock_a_then_b at .*\\) "
             "in thread %s \"order-self\"$", tid);
    tu_assert_match(sum, re);
    snprintf(re, sizeof re, "then mutex 0x[0-9a-f]+ \\(taken in lock_b_then_a at .*\\) "
             "in thread %s \"order-self\"$", tid);
    tu_assert_match(sum, re);
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* An init alone, with no destroy before it, also makes a new lock. */
START_TEST(lockorder_initialised_mutex_is_new_lock)
{
    tu_proc_t p;
    char *sum = run(&p, "init", "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: none$");
    tu_assert_match(sum, "^lock-order graph: 1/[0-9]+ edges, 0 dropped" MEMORY "$");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* A wait that never ends still leaves its edge: the edges are recorded
 * before a contended lock blocks, so a real deadlock is an inversion too. */
START_TEST(lockorder_real_deadlock_is_inversion)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_LOCK_ORDER=1", "THREADPROF_DEADLOCK_CHECK=0", NULL};
    tu_start(&p, "abba", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    /* The summary is the dump's last file: wait for it before the kill. */
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.000001.summary.txt", p.dir, (int)p.pid);
    long end = tu_now_ms() + WAIT_MS;
    while (access(path, F_OK) != 0 && tu_now_ms() < end)
        usleep(10000);
    tu_finish(&p, SIGKILL, WAIT_MS);
    char *sum = tu_read_file(path);
    ck_assert_msg(sum != NULL, "no %s; stderr:\n%.2000s", path, p.err);
    char re[1024];
    int take = tu_source_line("tests/programs/abba.c", "LINE:take");
    snprintf(re, sizeof re,
             "^    mutex 0x[0-9a-f]+ \\(taken in transfer_ab at /.*abba\\.c:%d\\) "
             "then mutex 0x[0-9a-f]+ \\(taken in take at /.*abba\\.c:%d\\) in thread "
             "[0-9]+ \"transfer-ab\"$",
             tu_source_line("tests/programs/abba.c", "LINE:ab_first"), take);
    tu_assert_match(sum, re);
    snprintf(re, sizeof re,
             "^    mutex 0x[0-9a-f]+ \\(taken in transfer_ba at /.*abba\\.c:%d\\) "
             "then mutex 0x[0-9a-f]+ \\(taken in take at /.*abba\\.c:%d\\) in thread "
             "[0-9]+ \"transfer-ba\"$",
             tu_source_line("tests/programs/abba.c", "LINE:ba_first"), take);
    tu_assert_match(sum, re);
    tu_assert_match(sum, "^lock-order inversions: 1 ");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* Thread 1 takes spinlock a then b; thread 2 takes b, then only tries a
 * and backs off when it is busy, which cannot deadlock.  The trylock is
 * no edge (as with mutex and rwlock trylocks), so a -> b is the graph's
 * one edge and there is no inversion. */
START_TEST(lockorder_spin_trylock_is_no_inversion)
{
    tu_proc_t p;
    char *sum = run_prog(&p, "spin_trylock_order", NULL, "THREADPROF_LOCK_ORDER=1");
    tu_assert_match(sum, "^lock-order inversions: none$");
    /* The spinlocks are checked at all: a -> b is there. */
    tu_assert_match(sum, "^lock-order graph: 1/[0-9]+ edges, 0 dropped" MEMORY "$");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* THREADPROF_EXITCODE: a lock-order inversion found in the run is a
 * finding too; a run whose locks keep one order exits as it would. */
START_TEST(lockorder_exitcode_on_inversion)
{
    static const struct { const char *mode; int status; } cases[] = {
        {"abba", 9}, {"consistent", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu_proc_t p;
        memset(&p, 0, sizeof p);
        const char *env[] = {"THREADPROF_LOCK_ORDER=1", "THREADPROF_EXITCODE=9",
                             "THREADPROF_QUIET=1", NULL};
        const char *args[] = {cases[i].mode, NULL};
        tu_start_full(&p, "lockorder", 1, env, args);
        int status = tu_finish(&p, 0, WAIT_MS);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == cases[i].status,
                      "%s: status %#x; stderr:\n%.2000s", cases[i].mode, status, p.err);
        ck_assert_str_eq(p.out, "done\n");
        if (cases[i].status != 0)
            tu_assert_match(p.err, "^threadprof: exit status 9 instead of 0 "
                                   "\\(THREADPROF_EXITCODE\\): 1 lock-order inversion found$");
        else
            ck_assert_str_eq(p.err, "");
        tu_cleanup(&p);
    }
}
END_TEST

static Suite *lockorder_suite(void)
{
    Suite *s = suite_create("lockorder");
    TCase *tc = tcase_create("lockorder");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, lockorder_abba_named_in_summary);
    tcase_add_test(tc, lockorder_off_says_none);
    tcase_add_test(tc, lockorder_consistent_order_none);
    tcase_add_test(tc, lockorder_reinitialised_mutex_is_new_lock);
    tcase_add_test(tc, lockorder_initialised_mutex_is_new_lock);
    tcase_add_test(tc, lockorder_read_read_cycle_is_no_inversion);
    tcase_add_test(tc, lockorder_rwlock_cycle_with_writer_is_inversion);
    tcase_add_test(tc, lockorder_rwlock_pair_read_then_written_is_inversion);
    tcase_add_test(tc, lockorder_one_thread_inversion_labelled);
    tcase_add_test(tc, lockorder_real_deadlock_is_inversion);
    tcase_add_test(tc, lockorder_spin_trylock_is_no_inversion);
    tcase_add_test(tc, lockorder_exitcode_on_inversion);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(lockorder_suite());
}
