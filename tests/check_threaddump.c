/*
 * Check suite for output/threaddump.c: synthetic snapshots, filled by
 * hand, are written to a memory sink and the text is compared line by
 * line: tp_format_duration() and its unit boundaries, the header, the
 * waiting and running entry formats, frames symbolized from real
 * functions of this test binary (tp_stack_write_go() alone too), "created
 * by" lines and the frames of a group of identical threads.  The rest of
 * the grouped view (grouping key, duration ranges, the four-name cap) and
 * the last line are in check_threaddump_groups.
 *
 * Frames use the address of a noipa function of this file plus one, which
 * looks like a return address at the start of that function: the
 * symbolizer then reports the function's own line and "+0x1", and the
 * location lines name this file.
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
#include "output/stack.h"
#include "output/threaddump.h"
#include "output/units.h"
#include "symbolizer/symbolizer.h"
#include "tests/testbase.h"
#include "tests/threaddump_util.h"

/* Asserts a location line for a pc one byte into the function defined on
 * line `line` of tests/threaddump_util.h: "\t<path>threaddump_util.h:<line> +0x1". */
static void assert_location(const char *l, int line)
{
    char want[64];
    ck_assert_msg(l[0] == '\t', "location line \"%s\" has no tab", l);
    snprintf(want, sizeof want, "threaddump_util.h:%d +0x1", line);
    size_t n = strlen(l), m = strlen(want);
    ck_assert_msg(n > m && strcmp(l + n - m, want) == 0,
                  "location line \"%s\" does not end with \"%s\"", l, want);
    ck_assert_ptr_nonnull(strstr(l, "threaddump_util.h:"));
    ck_assert_ptr_nonnull(strstr(l, " +0x"));
}

/* ---- tp_format_duration ---- */

static void assert_duration(uint64_t ns, const char *want)
{
    char buf[32];
    memset(buf, 'Z', sizeof buf);
    tp_format_duration(ns, buf, sizeof buf);
    ck_assert_msg(strcmp(buf, want) == 0, "%llu ns gave \"%s\", expected \"%s\"",
                  (unsigned long long)ns, buf, want);
}

START_TEST(threaddump_format_duration_examples)
{
    assert_duration(0, "0ms");
    assert_duration(850 * MS, "850ms");
    assert_duration(1500 * MS, "1.5s");
    assert_duration(12 * SEC, "12s");
    assert_duration(192 * SEC, "3m12s");
    assert_duration((2 * 3600 + 5 * 60) * SEC, "2h5m");
    assert_duration((3 * 86400 + 4 * 3600) * SEC, "3d4h");
}
END_TEST

/* Each unit starts exactly at its boundary; lower units are cut, never
 * rounded up into the next one. */
START_TEST(threaddump_format_duration_boundaries)
{
    assert_duration(MS - 1, "0ms");
    assert_duration(MS, "1ms");
    assert_duration(999 * MS + MS - 1, "999ms");
    assert_duration(SEC, "1.0s");
    assert_duration(1999 * MS, "1.9s");
    assert_duration(10 * SEC - 1, "9.9s");
    assert_duration(10 * SEC, "10s");
    assert_duration(60 * SEC - 1, "59s");
    assert_duration(60 * SEC, "1m0s");
    assert_duration(3600 * SEC - 1, "59m59s");
    assert_duration(3600 * SEC, "1h0m");
    assert_duration(86400 * SEC - 1, "23h59m");
    assert_duration(86400 * SEC, "1d0h");
    assert_duration(UINT64_MAX, "213503d23h");
}
END_TEST

START_TEST(threaddump_format_duration_short_buffer)
{
    char buf[4];
    memset(buf, 'Z', sizeof buf);
    tp_format_duration(192 * SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "3m1");
}
END_TEST

/* ---- header ---- */

START_TEST(threaddump_header_lines)
{
    tp_snapshot_t *snap = new_snapshot(3);
    make_running_main(&snap->threads[0], 100);
    make_waiter(&snap->threads[1], 101, "worker-1", 2 * SEC);
    make_waiter(&snap->threads[2], 102, "worker-2", 2 * SEC);
    snap->threads[2].pcs[0] = PC_IN(td_other);  /* keep them apart */
    snap->exited_unjoined = 2;
    snap->wall.tv_sec = 86400 + 3600 + 61;
    snap->wall.tv_nsec = 123456789;
    snap->uptime_ns = 192 * SEC;

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_uint_ge(n, 7);
    ck_assert_str_eq(lines[0], "threadprof thread dump 7 of pid 4242");
    ck_assert_str_eq(lines[1], "program: /usr/bin/demo");
    ck_assert_str_eq(lines[2], "command: demo --serve");
    ck_assert_str_eq(lines[3], "time: 1970-01-02T01:01:01.123Z (process up 3m12s)");
    ck_assert_str_eq(lines[4], "reason: signal SIGUSR2");
    ck_assert_str_eq(lines[5], "threads: 3 live (1 running, 2 waiting), "
                               "2 exited but not joined");
    ck_assert_str_eq(lines[6], "");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_header_unknown_threads)
{
    tp_snapshot_t *snap = new_snapshot(1);
    make_running_main(&snap->threads[0], 100);
    snap->unknown_threads = 3;
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_int_ge(find_line(lines, n, 0,
                               "threads: 1 live (1 running, 0 waiting), 0 exited "
                               "but not joined, 3 not yet seen by the agent"), 0);
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_empty_snapshot)
{
    tp_snapshot_t *snap = new_snapshot(0);
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_str_eq(lines[0], "threadprof thread dump 7 of pid 4242");
    ck_assert_int_ge(find_line(lines, n, 0, "threads: 0 live (0 running, 0 "
                                            "waiting), 0 exited but not joined"), 0);
    ck_assert_str_eq(lines[n - 1], "end of dump");
    ck_assert_uint_eq(count_prefix(lines, n, "thread "), 0);
    free(text);
    free_snapshot(snap);
}
END_TEST

/* ---- entries ---- */

START_TEST(threaddump_waiting_thread_entry)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_snap_thread_t *t = &snap->threads[0];
    make_waiter(t, 4243, "consumer-1", 192 * SEC);

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long h = find_line(lines, n, 0, "thread 4243 \"consumer-1\" [cond wait, 3m12s]:");
    ck_assert_msg(h >= 0, "no waiting header in:\n%s", text);
    size_t i = (size_t)h + 1;
    ck_assert_uint_ge(n, i + 8);
    ck_assert_str_eq(lines[i++], "    cond 0x55d0c0a0 with mutex 0x55d0c078");
    ck_assert_str_eq(lines[i++], "td_leaf(...)");
    assert_location(lines[i++], LEAF_LINE);
    ck_assert_str_eq(lines[i++], "td_middle(...)");
    assert_location(lines[i++], MIDDLE_LINE);
    ck_assert_str_eq(lines[i++], "created by td_creator in thread 100");
    assert_location(lines[i++], CREATOR_LINE);
    ck_assert_str_eq(lines[i++], "");
    ck_assert_str_eq(lines[i++], "end of dump");
    ck_assert_uint_eq(i, n);
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_running_thread_entry)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_snap_thread_t *t = &snap->threads[0];
    make_running_main(t, 4242);

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long h = find_line(lines, n, 0, "thread 4242 \"demo\" [running]:");
    ck_assert_msg(h >= 0, "no running header in:\n%s", text);
    ck_assert_str_eq(lines[h + 1], "td_other(...)");
    assert_location(lines[h + 2], OTHER_LINE);
    ck_assert_str_eq(lines[h + 3], "");
    /* The main thread was created by nobody we know of, and says nothing. */
    ck_assert_uint_eq(count_prefix(lines, n, "created"), 0);
    free(text);
    free_snapshot(snap);
}
END_TEST

/* A crash dump: the registers after the header, in the JVM's hs_err
 * layout, and the crashed thread's entry with its precise first frame. */
START_TEST(threaddump_crash_registers_and_entry)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_snap_thread_t *t = &snap->threads[0];
    make_running_main(t, 4243);
    t->crash_signo = SIGSEGV;
    t->pcs[0] = (uintptr_t)td_other;   /* the faulting pc itself */
    t->first_pc_exact = 1;
    snap->reasons = TP_REASON_CRASH;
    snap->crash.signo = SIGSEGV;
    snap->crash.code = SEGV_MAPERR;
    snap->crash.addr = 0x10;
    snap->crash.tid = 4243;
    snprintf(snap->crash.name, sizeof snap->crash.name, "demo");
    snap->crash.have_regs = 1;
    for (int r = 0; r < TP_CRASH_NREGS; r++)
        snap->crash.regs[r] = 0x1000u + (uint64_t)r;
    snap->crash.regs[TP_CRASH_RIP] = 0x55e347b9f1a8u;

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_str_eq(lines[4], "reason: crash SIGSEGV (SEGV_MAPERR at 0x10) in thread 4243 \"demo\"");
    long r = find_line(lines, n, 0, "registers:");
    ck_assert_msg(r > 0, "no registers in:\n%s", text);
    ck_assert_str_eq(lines[r + 1], "RAX=0x000000000000100d, RBX=0x000000000000100b, "
                                   "RCX=0x000000000000100e, RDX=0x000000000000100c");
    ck_assert_str_eq(lines[r + 2], "RSP=0x000000000000100f, RBP=0x000000000000100a, "
                                   "RSI=0x0000000000001009, RDI=0x0000000000001008");
    ck_assert_str_eq(lines[r + 3], "R8 =0x0000000000001000, R9 =0x0000000000001001, "
                                   "R10=0x0000000000001002, R11=0x0000000000001003");
    ck_assert_str_eq(lines[r + 4], "R12=0x0000000000001004, R13=0x0000000000001005, "
                                   "R14=0x0000000000001006, R15=0x0000000000001007");
    ck_assert_str_eq(lines[r + 5], "RIP=0x000055e347b9f1a8, EFLAGS=0x0000000000001011, "
                                   "CSGSFS=0x0000000000001012, ERR=0x0000000000001013");
    ck_assert_str_eq(lines[r + 6], "  TRAPNO=0x0000000000001014");
    long h = find_line(lines, n, 0, "thread 4243 \"demo\" [crashed: SIGSEGV]:");
    ck_assert_msg(h > r, "no crashed entry after the registers in:\n%s", text);
    ck_assert_str_eq(lines[h + 1], "td_other(...)");
    /* The exact pc is the function's first byte: its own line, +0x0. */
    ck_assert_ptr_nonnull(strstr(lines[h + 2], "threaddump_util.h:"));
    ck_assert_ptr_nonnull(strstr(lines[h + 2], " +0x0"));
    free(text);

    /* A dump for any other reason has no registers. */
    snap->reasons = TP_REASON_SIGNAL;
    text = dump(snap);
    ck_assert_ptr_null(strstr(text, "registers:"));
    free(text);
    free_snapshot(snap);
}
END_TEST

/* A thread with no stack says why, indented like a detail. */
START_TEST(threaddump_no_stack_reason)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_snap_thread_t *t = &snap->threads[0];
    make_running_main(t, 4242);
    t->npcs = 0;
    t->no_stack = TP_NO_STACK_UNWIND;
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long h = find_line(lines, n, 0, "thread 4242 \"demo\" [running]:");
    ck_assert_int_ge(h, 0);
    ck_assert_str_eq(lines[h + 1],
                     "    (no stack: libunwind could not walk this stack)");
    ck_assert_str_eq(lines[h + 2], "");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(threaddump_creator_variants)
{
    tp_snapshot_t *snap = new_snapshot(3);
    /* Created outside the agent's view. */
    make_waiter(&snap->threads[0], 301, "adopted", SEC);
    snap->threads[0].has_creator = 0;
    snap->threads[0].ncreate = 0;
    /* Known parent, no creation stack. */
    make_waiter(&snap->threads[1], 302, "nostack", SEC);
    snap->threads[1].pcs[0] = PC_IN(td_other);
    snap->threads[1].ncreate = 0;
    snap->threads[1].parent_tid = 300;
    /* Another creation site. */
    make_waiter(&snap->threads[2], 303, "second", SEC);
    snap->threads[2].pcs[1] = PC_IN(td_creator);
    snap->threads[2].create_pcs[0] = PC_IN(td_creator2);
    snap->threads[2].parent_tid = 301;

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long a = find_line(lines, n, 0, "thread 301 \"adopted\" [cond wait, 1.0s]:");
    long b = find_line(lines, n, 0, "thread 302 \"nostack\" [cond wait, 1.0s]:");
    long c = find_line(lines, n, 0, "thread 303 \"second\" [cond wait, 1.0s]:");
    ck_assert(a >= 0 && b > a && c > b);
    ck_assert_str_eq(lines[a + 1], COND_DETAIL);
    ck_assert_int_eq(find_prefix(lines, n, (size_t)a, "created outside "
                                 "threadprof's view"), a + 6);
    ck_assert_int_eq(find_line(lines, n, (size_t)b,
                               "created by ?? in thread 300"), b + 6);
    ck_assert_int_eq(find_line(lines, n, (size_t)c,
                               "created by td_creator2 in thread 301"), c + 6);
    ck_assert_ptr_nonnull(strstr(lines[c + 7], "threaddump_util.h:"));
    ck_assert_uint_eq(count_prefix(lines, n, "created"), 3);
    free(text);
    free_snapshot(snap);
}
END_TEST

/* An address in no object still gives a function line and a location
 * line, so the two-line frame shape holds. */
START_TEST(threaddump_unknown_pc)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_snap_thread_t *t = &snap->threads[0];
    make_running_main(t, 4242);
    t->pcs[0] = 0x10;
    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long h = find_line(lines, n, 0, "thread 4242 \"demo\" [running]:");
    ck_assert_int_ge(h, 0);
    ck_assert_str_eq(lines[h + 1], "?\?(...)");  /* "?\?" dodges the trigraph */
    ck_assert_str_eq(lines[h + 2], "\t?");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* tp_stack_write_go alone: a precise first pc and return addresses. */
START_TEST(threaddump_frames_direct)
{
    uintptr_t pcs[3] = {(uintptr_t)td_leaf, PC_IN(td_middle), PC_IN(td_creator)};
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    tp_stack_write_go(s, pcs, 3, 1);
    char *text = strdup(tp_sink_text(s));
    char *lines[16];
    size_t n = split_lines(text, lines, 16);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(lines[0], "td_leaf(...)");
    ck_assert_msg(strstr(lines[1], "threaddump_util.h:") != NULL &&
                  strstr(lines[1], " +0x0") != NULL, "\"%s\"", lines[1]);
    ck_assert_str_eq(lines[2], "td_middle(...)");
    assert_location(lines[3], MIDDLE_LINE);
    ck_assert_str_eq(lines[4], "td_creator(...)");
    assert_location(lines[5], CREATOR_LINE);
    free(text);
    tp_sink_free(s);
    free(s);
}
END_TEST

/* ---- grouping ---- */

START_TEST(threaddump_groups_identical_threads)
{
    tp_snapshot_t *snap = new_snapshot(4);
    make_running_main(&snap->threads[0], 200);
    make_waiter(&snap->threads[1], 203, "w3", 3 * SEC);
    make_waiter(&snap->threads[2], 201, "w1", 1 * SEC);
    make_waiter(&snap->threads[3], 202, "w2", 2 * SEC);

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long g = find_prefix(lines, n, 0, "== 4 threads in 2 groups");
    ck_assert_msg(g >= 0, "no grouped section in:\n%s", text);
    /* Most numerous first, members in tid order, the wait range given. */
    ck_assert_str_eq(lines[g + 1], "");
    long g3 = find_prefix(lines, n, 0, "3 threads [cond wait, ");
    ck_assert_int_eq(g3, g + 2);
    ck_assert_str_eq(lines[g3], "3 threads [cond wait, 1.0s..3.0s]: 201 \"w1\", "
                                "202 \"w2\", 203 \"w3\"");
    ck_assert_str_eq(lines[g3 + 1], "td_leaf(...)");
    assert_location(lines[g3 + 2], LEAF_LINE);
    ck_assert_str_eq(lines[g3 + 3], "td_middle(...)");
    assert_location(lines[g3 + 4], MIDDLE_LINE);
    ck_assert_str_eq(lines[g3 + 5], "created by td_creator in thread 100");
    long g1 = find_line(lines, n, 0, "1 thread [running]: 200 \"demo\"");
    ck_assert_int_gt(g1, g3);
    ck_assert_str_eq(lines[g1 + 1], "td_other(...)");

    /* Then every thread on its own, in snapshot order. */
    long all = find_line(lines, n, 0, "== threads ==");
    ck_assert_int_gt(all, g1);
    long e0 = find_line(lines, n, 0, "thread 200 \"demo\" [running]:");
    long e1 = find_line(lines, n, 0, "thread 203 \"w3\" [cond wait, 3.0s]:");
    long e2 = find_line(lines, n, 0, "thread 201 \"w1\" [cond wait, 1.0s]:");
    long e3 = find_line(lines, n, 0, "thread 202 \"w2\" [cond wait, 2.0s]:");
    ck_assert(e0 > all && e1 > e0 && e2 > e1 && e3 > e2);
    ck_assert_str_eq(lines[all + 1], "");
    ck_assert_int_eq(e0, all + 2);
    ck_assert_uint_eq(count_prefix(lines, n, "thread "), 4);
    ck_assert_uint_eq(count_prefix(lines, n, "== "), 2);
    free(text);
    free_snapshot(snap);
}
END_TEST

static Suite *threaddump_suite(void)
{
    Suite *s = suite_create("threaddump");

    TCase *tc = tcase_create("duration");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, threaddump_format_duration_examples);
    tcase_add_test(tc, threaddump_format_duration_boundaries);
    tcase_add_test(tc, threaddump_format_duration_short_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("entries");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, threaddump_header_lines);
    tcase_add_test(tc, threaddump_header_unknown_threads);
    tcase_add_test(tc, threaddump_empty_snapshot);
    tcase_add_test(tc, threaddump_waiting_thread_entry);
    tcase_add_test(tc, threaddump_running_thread_entry);
    tcase_add_test(tc, threaddump_no_stack_reason);
    tcase_add_test(tc, threaddump_crash_registers_and_entry);
    tcase_add_test(tc, threaddump_creator_variants);
    tcase_add_test(tc, threaddump_unknown_pc);
    tcase_add_test(tc, threaddump_frames_direct);
    suite_add_tcase(s, tc);

    tc = tcase_create("groups");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, threaddump_groups_identical_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int rc = tu_run_suite(threaddump_suite());
    /* With CK_FORK=no the symbolizer's libdw session lives here; ending it
     * keeps valgrind --leak-check=full quiet about libdw's own trees. */
    tp_sym_reset();
    return rc;
}
