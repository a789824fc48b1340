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

/* Signal dumps until one catches "flusher" in its blocking call (it
 * spends all but microseconds of each 20 ms there); its text. */
static char *dump_with_flusher_blocked(tu_proc_t *p)
{
    for (unsigned seq = 1; seq <= 5; seq++) {
        kill(p->pid, SIGUSR2);
        char *dump = tu_wait_dump(p, p->pid, seq, WAIT_MS);
        char *flusher = tu_thread_entry(dump, "flusher");
        int blocked = tu_match(flusher, "\\[(sleep|write [^]]*), ", NULL, 0);
        free(flusher);
        if (blocked)
            return dump;
        free(dump);
    }
    ck_abort_msg("5 dumps, none with flusher in its sleep or write");
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
    /* One lock held across a call in the whole dump: not the brief
     * tick_lock, not the sleeper's cond wait on its own mutex. */
    ck_assert_int_eq(tu_count(dump, ", while in "), 1);
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

static Suite *misuse_suite(void)
{
    Suite *s = suite_create("misuse");
    TCase *tc = tcase_create("misuse");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, misuse_dump_names_lock_held_across_call);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(misuse_suite());
}
