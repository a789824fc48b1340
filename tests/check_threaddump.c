/*
 * Check suite for output/threaddump.c: synthetic snapshots, filled by
 * hand, are written to a memory sink and the text is compared line by
 * line: tp_format_duration() and its unit boundaries, the header, the
 * waiting and running entry formats, frames symbolized from real
 * functions of this test binary, "created by" lines, the grouped view
 * (grouping key, duration ranges, the four-name cap) and the last line.
 *
 * Frames use the address of a noipa function of this file plus one, which
 * looks like a return address at the start of that function: the
 * symbolizer then reports the function's own line and "+0x1".
 */
#include <check.h>
#include <fcntl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/sink.h"
#include "output/threaddump.h"
#include "symbolizer/symbolizer.h"

#define MS 1000000ull
#define SEC 1000000000ull

static volatile int sink_var;

/* ---- code whose addresses appear in the stacks (one line each) ---- */

enum { LEAF_LINE = __LINE__ + 1 };
static __attribute__((noipa)) int td_leaf(int x) { return x * 3 + sink_var; }
enum { MIDDLE_LINE = __LINE__ + 1 };
static __attribute__((noipa)) int td_middle(int x) { return td_leaf(x) - 7; }
enum { OTHER_LINE = __LINE__ + 1 };
static __attribute__((noipa)) int td_other(int x) { return td_leaf(x) + 11; }
enum { CREATOR_LINE = __LINE__ + 1 };
static __attribute__((noipa)) int td_creator(int x) { return td_middle(x) * 5; }
static __attribute__((noipa)) int td_creator2(int x) { return td_other(x) * 9; }

/* A return-address-like pc just inside fn. */
#define PC_IN(fn) ((uintptr_t)(fn) + 1)

/* ---- helpers ---- */

static tp_snapshot_t *new_snapshot(size_t nthreads)
{
    tp_snapshot_t *snap = calloc(1, sizeof *snap);
    ck_assert_ptr_nonnull(snap);
    snprintf(snap->program, sizeof snap->program, "/usr/bin/demo");
    snprintf(snap->cmdline, sizeof snap->cmdline, "demo --serve");
    snap->pid = 4242;
    snap->seq = 7;
    snprintf(snap->reason, sizeof snap->reason, "signal SIGUSR2");
    snap->nthreads = nthreads;
    if (nthreads > 0) {
        snap->threads = calloc(nthreads, sizeof *snap->threads);
        ck_assert_ptr_nonnull(snap->threads);
    }
    return snap;
}

static void free_snapshot(tp_snapshot_t *snap)
{
    free(snap->threads);
    free(snap);
}

/* A thread waiting on a condition variable in td_leaf <- td_middle,
 * created by td_creator in thread 100. */
static void make_waiter(tp_snap_thread_t *t, pid_t tid, const char *name,
                        uint64_t wait_ns)
{
    memset(t, 0, sizeof *t);
    t->tid = tid;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->state = 5;
    snprintf(t->state_text, sizeof t->state_text, "cond wait");
    snprintf(t->group_text, sizeof t->group_text, "cond wait");
    t->wait_ns = wait_ns;
    t->npcs = 2;
    t->pcs[0] = PC_IN(td_leaf);
    t->pcs[1] = PC_IN(td_middle);
    t->has_creator = 1;
    t->parent_tid = 100;
    t->ncreate = 1;
    t->create_pcs[0] = PC_IN(td_creator);
}

static void make_running_main(tp_snap_thread_t *t, pid_t tid)
{
    memset(t, 0, sizeof *t);
    t->tid = tid;
    snprintf(t->name, sizeof t->name, "demo");
    t->state = 0;
    snprintf(t->state_text, sizeof t->state_text, "running");
    snprintf(t->group_text, sizeof t->group_text, "running");
    t->npcs = 1;
    t->pcs[0] = PC_IN(td_other);
    t->is_main = 1;
}

/* Writes snap to a memory sink; returns a malloc'd copy of the text. */
static char *dump(const tp_snapshot_t *snap)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_threaddump_write(s, snap), 0);
    char *text = strdup(tp_sink_text(s));
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(strlen(text), s->total);
    tp_sink_free(s);
    free(s);
    return text;
}

/* Splits text into lines in place; returns the count. */
static size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    char *p = text;
    while (*p != '\0' && n < max) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/* Index of the first line equal to want at or after from, or -1. */
static long find_line(char **lines, size_t n, size_t from, const char *want)
{
    for (size_t i = from; i < n; i++)
        if (strcmp(lines[i], want) == 0)
            return (long)i;
    return -1;
}

/* Index of the first line starting with prefix at or after from, or -1. */
static long find_prefix(char **lines, size_t n, size_t from, const char *prefix)
{
    for (size_t i = from; i < n; i++)
        if (strncmp(lines[i], prefix, strlen(prefix)) == 0)
            return (long)i;
    return -1;
}

static size_t count_prefix(char **lines, size_t n, const char *prefix)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strncmp(lines[i], prefix, strlen(prefix)) == 0;
    return k;
}

/* Asserts a location line for a pc one byte into the function defined on
 * line `line` of this file: "\t<path>check_threaddump.c:<line> +0x1". */
static void assert_location(const char *l, int line)
{
    char want[64];
    ck_assert_msg(l[0] == '\t', "location line \"%s\" has no tab", l);
    snprintf(want, sizeof want, "check_threaddump.c:%d +0x1", line);
    size_t n = strlen(l), m = strlen(want);
    ck_assert_msg(n > m && strcmp(l + n - m, want) == 0,
                  "location line \"%s\" does not end with \"%s\"", l, want);
    ck_assert_ptr_nonnull(strstr(l, "check_threaddump.c:"));
    ck_assert_ptr_nonnull(strstr(l, " +0x"));
}

#define MAX_LINES 512

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
    t->ndetails = 2;
    snprintf(t->details[0], sizeof t->details[0], "cond 0x55d0c0a0 with mutex "
             "0x55d0c078");
    snprintf(t->details[1], sizeof t->details[1], "mutex held by thread 4240");

    char *text = dump(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    long h = find_line(lines, n, 0, "thread 4243 \"consumer-1\" [cond wait, 3m12s]:");
    ck_assert_msg(h >= 0, "no waiting header in:\n%s", text);
    size_t i = (size_t)h + 1;
    ck_assert_uint_ge(n, i + 9);
    ck_assert_str_eq(lines[i++], "    cond 0x55d0c0a0 with mutex 0x55d0c078");
    ck_assert_str_eq(lines[i++], "    mutex held by thread 4240");
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

/* A thread with no stack says why, indented like a detail. */
START_TEST(threaddump_no_stack_reason)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_snap_thread_t *t = &snap->threads[0];
    make_running_main(t, 4242);
    t->npcs = 0;
    t->no_stack = "libunwind could not walk this stack";
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
    ck_assert_int_eq(find_prefix(lines, n, (size_t)a, "created outside "
                                 "threadprof's view"), a + 5);
    ck_assert_int_eq(find_line(lines, n, (size_t)b,
                               "created by ?? in thread 300"), b + 5);
    ck_assert_int_eq(find_line(lines, n, (size_t)c,
                               "created by td_creator2 in thread 301"), c + 5);
    ck_assert_ptr_nonnull(strstr(lines[c + 6], "check_threaddump.c:"));
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
    ck_assert_str_eq(lines[e1 + 5], "created by td_creator in thread 100, 3m12s ago");
    ck_assert_str_eq(lines[e2 + 5], "created by td_creator in thread 100, 5.0s ago");
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
        snprintf(t->state_text, sizeof t->state_text, "read fd %d (pipe)", 7 + i);
        snprintf(t->group_text, sizeof t->group_text, "read (pipe)");
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
    snap->threads[3].state = 6;
    snprintf(snap->threads[3].group_text, sizeof snap->threads[3].group_text,
             "mutex wait");
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
    ck_assert_int_eq(tp_threaddump_write(s, snap), ENOSPC);
    free(s);
    close(fd);
    free_snapshot(snap);
}
END_TEST

/* tp_threaddump_frames alone: a precise first pc and return addresses. */
START_TEST(threaddump_frames_direct)
{
    uintptr_t pcs[3] = {(uintptr_t)td_leaf, PC_IN(td_middle), PC_IN(td_creator)};
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    tp_threaddump_frames(s, pcs, 3, 1);
    char *text = strdup(tp_sink_text(s));
    char *lines[16];
    size_t n = split_lines(text, lines, 16);
    ck_assert_uint_eq(n, 6);
    ck_assert_str_eq(lines[0], "td_leaf(...)");
    ck_assert_msg(strstr(lines[1], "check_threaddump.c:") != NULL &&
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
    tcase_add_test(tc, threaddump_creator_variants);
    tcase_add_test(tc, threaddump_unknown_pc);
    tcase_add_test(tc, threaddump_frames_direct);
    suite_add_tcase(s, tc);

    tc = tcase_create("groups");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, threaddump_groups_identical_threads);
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
    SRunner *sr = srunner_create(threaddump_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    /* With CK_FORK=no the symbolizer's libdw session lives here; ending it
     * keeps valgrind --leak-check=full quiet about libdw's own trees. */
    tp_sym_reset();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
