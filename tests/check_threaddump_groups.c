/*
 * Check suite for output/threaddump.c, the grouped view: synthetic
 * snapshots, filled by hand, are written to a memory sink and the text is
 * compared line by line: the grouping key (state, stack, creation site),
 * duration ranges, the group's text without instance details, thread ages
 * on entries only, the four-name cap; then the last line and a sink's
 * error.  The header, the entries with their frame locations and the
 * frames of a group are in check_threaddump.
 *
 * Frames use the address of a noipa function of this file plus one, which
 * looks like a return address at the start of that function.
 */

#include <check.h>
#include <fcntl.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/snapshot.h"
#include "output/sink.h"
#include "output/threaddump.h"
#include "symbolizer/symbolizer.h"
#include "tests/testbase.h"
#include "tests/threaddump_util.h"

/* ---- grouping ---- */

/* A thread's age is on its own created-by line, never on a group's. */
START_TEST(threaddump_thread_age_on_entries_only)
{
    tp_snapshot_t *snap = new_snapshot(2);
    make_waiter(&snap->threads[0], 201, "w1", 1 * SEC);
    make_waiter(&snap->threads[1], 202, "w2", 1 * SEC);
    snap->threads[0].age_ns = 192 * SEC;
    snap->threads[1].age_ns = 5 * SEC;

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long g = find_prefix(lines, n, 0, "2 threads [cond wait, 1.0s]");
    ck_assert_msg(g >= 0, "no group in:\n%s", text);
    ck_assert_str_eq(lines[g + 5], "created by td_creator in thread 100");
    long e1 = find_line(lines, n, 0, "thread 201 \"w1\" [cond wait, 1.0s]:");
    long e2 = find_line(lines, n, 0, "thread 202 \"w2\" [cond wait, 1.0s]:");
    ck_assert(e1 > g && e2 > e1);
    ck_assert_str_eq(lines[e1 + 1], COND_DETAIL);
    ck_assert_str_eq(lines[e1 + 6], "created by td_creator in thread 100, 3m12s ago");
    ck_assert_str_eq(lines[e2 + 6], "created by td_creator in thread 100, 5.0s ago");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_group_equal_waits_single_duration)
{
    tp_snapshot_t *snap = new_snapshot(2);
    make_waiter(&snap->threads[0], 201, "a", 2 * SEC + 10 * MS);
    make_waiter(&snap->threads[1], 202, "b", 2 * SEC + 90 * MS);
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_int_ge(find_prefix(lines, n, 0, "== 2 threads in 1 groups"), 0);
    ck_assert_int_ge(find_line(lines, n, 0, "2 threads [cond wait, 2.0s]: "
                               "201 \"a\", 202 \"b\""), 0);
    free(text);
    free_snapshot(snap);
}
END_TEST

/* The group line shows the state without its instance detail. */
START_TEST(threaddump_group_uses_group_text)
{
    tp_snapshot_t *snap = new_snapshot(2);
    for (int i = 0; i < 2; i++) {
        tp_snap_thread_t *t = &snap->threads[i];
        make_waiter(t, 201 + i, i ? "r2" : "r1", SEC);
        t->state = TP_ST_FDIO;
        t->wait.call = "read";
        t->wait.arg = 7 + i;
        t->wait.fd.fd = 7 + i;
        snprintf(t->wait.fd.kind, sizeof t->wait.fd.kind, "pipe");
        snprintf(t->wait.fd_detail, sizeof t->wait.fd_detail, "fd %d: pipe:[99]", 7 + i);
    }
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_int_ge(find_line(lines, n, 0, "2 threads [read (pipe), 1.0s]: "
                               "201 \"r1\", 202 \"r2\""), 0);
    ck_assert_int_ge(find_line(lines, n, 0,
                               "thread 201 \"r1\" [read fd 7 (pipe), 1.0s]:"), 0);
    ck_assert_int_ge(find_line(lines, n, 0,
                               "thread 202 \"r2\" [read fd 8 (pipe), 1.0s]:"), 0);
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_distinct_threads_not_grouped)
{
    tp_snapshot_t *snap = new_snapshot(4);
    make_running_main(&snap->threads[0], 200);
    make_waiter(&snap->threads[1], 201, "w1", SEC);
    make_waiter(&snap->threads[2], 202, "w2", SEC);
    make_waiter(&snap->threads[3], 203, "w3", SEC);
    /* Different stack, different creator, different state. */
    snap->threads[2].pcs[1] = PC_IN(td_other);
    snap->threads[3].state = TP_ST_MUTEX;
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_uint_eq(count_prefix(lines, n, "=="), 0);
    ck_assert_ptr_null(strstr(text, "threads in"));
    ck_assert_uint_eq(count_prefix(lines, n, "thread "), 4);
    /* The header is followed directly by the first entry. */
    long h = find_prefix(lines, n, 0, "threads: ");
    ck_assert_str_eq(lines[h + 2], "thread 200 \"demo\" [running]:");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* Same state and stack but another creation site is another group. */
START_TEST(threaddump_group_key_includes_creator)
{
    tp_snapshot_t *snap = new_snapshot(2);
    make_waiter(&snap->threads[0], 201, "a", SEC);
    make_waiter(&snap->threads[1], 202, "b", SEC);
    snap->threads[1].create_pcs[0] = PC_IN(td_creator2);
    char *text = dump(snap);
    ck_assert_ptr_null(strstr(text, "threads in"));
    ck_assert_ptr_null(strstr(text, "== threads =="));
    free(text);

    /* And a thread of unknown origin does not join a known one. */
    snap->threads[1].create_pcs[0] = snap->threads[0].create_pcs[0];
    snap->threads[1].has_creator = 0;
    snap->threads[1].ncreate = 0;
    snap->threads[0].ncreate = 0;
    text = dump(snap);
    ck_assert_ptr_null(strstr(text, "threads in"));
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_large_group_names_four)
{
    tp_snapshot_t *snap = new_snapshot(7);
    static const char *const names[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++)
        make_waiter(&snap->threads[i], 306 - i, names[5 - i], (uint64_t)(i + 1) * SEC);
    make_running_main(&snap->threads[6], 300);
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_int_ge(find_prefix(lines, n, 0, "== 7 threads in 2 groups"), 0);
    long g = find_prefix(lines, n, 0, "6 threads [");
    ck_assert_int_ge(g, 0);
    ck_assert_str_eq(lines[g], "6 threads [cond wait, 1.0s..6.0s]: 301 \"a\", "
                               "302 \"b\", 303 \"c\", 304 \"d\" and 2 more");
    ck_assert_uint_eq(count_prefix(lines, n, "thread "), 7);
    free(text);
    free_snapshot(snap);
}
END_TEST

/* ---- end of dump and errors ---- */

START_TEST(threaddump_end_of_dump_last)
{
    tp_snapshot_t *snap = new_snapshot(3);
    make_running_main(&snap->threads[0], 200);
    make_waiter(&snap->threads[1], 201, "w1", SEC);
    make_waiter(&snap->threads[2], 202, "w2", SEC);
    char *text = dump(snap);
    size_t len = strlen(text);
    const char *tail = "\nend of dump\n";
    ck_assert_uint_gt(len, strlen(tail));
    ck_assert_str_eq(text + len - strlen(tail), tail);
    ck_assert_ptr_eq(strstr(text, "end of dump"), text + len - strlen(tail) + 1);
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_write_returns_sink_error)
{
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tp_snapshot_t *snap = new_snapshot(2);
    make_waiter(&snap->threads[0], 201, "w1", SEC);
    make_waiter(&snap->threads[1], 202, "w2", SEC);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_threaddump_write(s, snap), -ENOSPC);
    free(s);
    close(fd);
    free_snapshot(snap);
}
END_TEST

static Suite *threaddump_groups_suite(void)
{
    Suite *s = suite_create("threaddump_groups");
    TCase *tc = tcase_create("groups");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, threaddump_group_equal_waits_single_duration);
    tcase_add_test(tc, threaddump_thread_age_on_entries_only);
    tcase_add_test(tc, threaddump_group_uses_group_text);
    tcase_add_test(tc, threaddump_distinct_threads_not_grouped);
    tcase_add_test(tc, threaddump_group_key_includes_creator);
    tcase_add_test(tc, threaddump_large_group_names_four);
    tcase_add_test(tc, threaddump_end_of_dump_last);
    tcase_add_test(tc, threaddump_write_returns_sink_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = tu_run_suite(threaddump_groups_suite());
    /* With CK_FORK=no the symbolizer's libdw session lives here; ending it
     * keeps valgrind --leak-check=full quiet about libdw's own trees. */
    tp_sym_reset();
    return rc;
}
