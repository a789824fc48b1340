/*
 * Check suite for output/summary.c: synthetic tp_summary_t values, filled
 * by hand, are written to a memory sink and the text is checked: the
 * sections and their order, the deadlock lines (or "none"), the
 * lock-order inversions (each edge and its stack, or "none"), the top locks
 * ordered by total wait and cut at ten, the table fill and drop counts
 * and memory,
 * the thread counts and most common states, the files line, and the wait
 * durations' units.
 */
#include <check.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/sink.h"
#include "output/summary.h"
#include "output/threaddump.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- helpers ---- */

static tp_snapshot_t *new_snapshot(size_t nthreads)
{
    tp_snapshot_t *snap = calloc(1, sizeof *snap);
    ck_assert_ptr_nonnull(snap);
    snprintf(snap->program, sizeof snap->program, "/usr/bin/demo");
    snprintf(snap->cmdline, sizeof snap->cmdline, "demo --serve");
    snap->pid = 4242;
    snap->seq = 7;
    snap->wall.tv_sec = 1700000000;   /* 2023-11-14T22:13:20Z */
    snap->wall.tv_nsec = 123000000;
    snap->uptime_ns = 192 * SEC;
    snprintf(snap->reason, sizeof snap->reason, "signal SIGUSR2");
    snap->nthreads = nthreads;
    snap->threads = calloc(nthreads ? nthreads : 1, sizeof *snap->threads);
    ck_assert_ptr_nonnull(snap->threads);
    for (size_t i = 0; i < nthreads; i++) {
        snap->threads[i].tid = (pid_t)(100 + i);
        snprintf(snap->threads[i].name, sizeof snap->threads[i].name, "t%zu", i);
        snprintf(snap->threads[i].state_text, sizeof snap->threads[i].state_text, "running");
        snprintf(snap->threads[i].group_text, sizeof snap->threads[i].group_text, "running");
    }
    return snap;
}

static void set_state(tp_snap_thread_t *t, int state, const char *text)
{
    t->state = state;
    snprintf(t->state_text, sizeof t->state_text, "%s", text);
    snprintf(t->group_text, sizeof t->group_text, "%s", text);
}

static void free_snapshot(tp_snapshot_t *snap)
{
    free(snap->threads);
    free(snap);
}

static void init_summary(tp_summary_t *sum, const tp_snapshot_t *snap)
{
    memset(sum, 0, sizeof *sum);
    sum->snap = snap;
    sum->lock_stats = 1;
    sum->stack_cap = 4096;
    sum->lock_cap = 16384;
    sum->threads_file = "threadprof.4242.7.threads.txt";
    sum->mutex_file = "threadprof.4242.7.mutex.pb.gz";
    sum->block_file = "threadprof.4242.7.block.pb.gz";
}

static void set_lock(tp_summary_lock_t *l, uintptr_t addr, uint64_t n,
                     uint64_t total, uint64_t max, const char *waiter,
                     const char *holder)
{
    memset(l, 0, sizeof *l);
    l->addr = addr;
    l->kind = "mutex";
    l->contentions = n;
    l->total_ns = total;
    l->max_ns = max;
    snprintf(l->waiter, sizeof l->waiter, "%s", waiter);
    snprintf(l->holder, sizeof l->holder, "%s", holder);
}

/* The summary's text (malloc'd). */
static char *render(const tp_summary_t *sum)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_summary_write(s, sum), 0);
    char *text = strdup(tp_sink_text(s));
    tp_sink_free(s);
    free(s);
    return text;
}

static int matches(const char *text, const char *regex)
{
    regex_t re;
    ck_assert_msg(regcomp(&re, regex, REG_EXTENDED | REG_NEWLINE) == 0, "bad regex %s", regex);
    int ok = regexec(&re, text, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

#define assert_match(text, regex)                                             \
    ck_assert_msg(matches((text), (regex)), "no match for /%s/ in:\n%.3000s", \
                  (regex), (text))

/* Offset of needle in text; fails when absent. */
static long offset_of(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    ck_assert_msg(p != NULL, "no \"%s\" in:\n%.3000s", needle, text);
    return p - text;
}

/* ---- tests ---- */

START_TEST(summary_sections_in_order)
{
    tp_snapshot_t *snap = new_snapshot(2);
    tp_summary_t sum;
    init_summary(&sum, snap);
    tp_summary_lock_t l;
    set_lock(&l, 0x1000, 3, 5 * MS, 2 * MS, "a (/x.c:1)", "b (/x.c:2)");
    sum.locks = &l;
    sum.nlocks = 1;
    sum.contended_locks = 1;
    char *text = render(&sum);
    const char *const order[] = {
        "threadprof summary of dump 7 of pid 4242\n",
        "program: /usr/bin/demo\n",
        "time: 2023-11-14T22:13:20.123Z (process up 3m12s)\n",
        "reason: signal SIGUSR2\n\n",
        "deadlocks: none\n\n",
        "lock-order inversions: none (not checked; set THREADPROF_LOCK_ORDER=1)\n\n",
        "top contended locks (by total wait since start; contended acquisitions "
        "only, uncontended ones are not counted):\n",
        "tables: ",
        "\nthreads: 2 live",
        "\nfiles: ",
        "go tool pprof -top -sample_index=delay threadprof.4242.7.mutex.pb.gz\n",
    };
    long last = -1;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        long at = offset_of(text, order[i]);
        ck_assert_msg(at > last, "\"%s\" out of order in:\n%s", order[i], text);
        last = at;
    }
    ck_assert_int_eq(offset_of(text, order[0]), 0);
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_no_deadlock_says_none)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    char *text = render(&sum);
    assert_match(text, "^deadlocks: none$");
    ck_assert_ptr_null(strstr(text, "waits for"));
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_deadlock_names_each_thread)
{
    tp_snapshot_t *snap = new_snapshot(4);
    tp_snap_thread_t *a = &snap->threads[1], *b = &snap->threads[2], *c = &snap->threads[3];
    snprintf(a->name, sizeof a->name, "transfer-ab");
    snprintf(b->name, sizeof b->name, "transfer-ba");
    set_state(a, 1, "mutex wait");
    set_state(b, 1, "mutex wait");
    a->wait_kind = b->wait_kind = "mutex";
    a->wait_obj = (const void *)0xa0;
    b->wait_obj = (const void *)0xb0;
    snap->ncycles = 2;
    snap->cycles[0].n = 2;
    snap->cycles[0].members[0] = 1;
    snap->cycles[0].members[1] = 2;
    /* A join cycle of one thread with the main thread. */
    set_state(c, 2, "join");
    c->wait_kind = "thread";
    snap->cycles[1].n = 1;
    snap->cycles[1].members[0] = 3;
    tp_summary_t sum;
    init_summary(&sum, snap);
    char *text = render(&sum);
    assert_match(text, "^deadlocks: 2$");
    assert_match(text, "^  deadlock 1: 2 threads wait for each other\n"
                       "    thread 101 \"transfer-ab\" waits for mutex 0xa0 held by thread 102 \"transfer-ba\"\n"
                       "    thread 102 \"transfer-ba\" waits for mutex 0xb0 held by thread 101 \"transfer-ab\"\n");
    assert_match(text, "^    thread 103 \"t3\" waits for thread 103 \"t3\" to exit$");
    ck_assert_ptr_null(strstr(text, "deadlocks: none"));
    /* The deadlock section comes before the locks. */
    ck_assert(offset_of(text, "transfer-ba") < offset_of(text, "top contended locks"));
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_locks_ordered_by_total_wait)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    tp_summary_lock_t l[3];
    /* Most contentions, least total wait; the order given is not the
     * order shown. */
    set_lock(&l[0], 0x100, 900, 2 * MS, 10000, "many (/x.c:1)", "");
    set_lock(&l[1], 0x200, 10, 3 * SEC, 2 * SEC, "slow (/x.c:2)", "slow_rel (/x.c:3)");
    set_lock(&l[2], 0x300, 50, 40 * MS, 5 * MS, "mid (/x.c:4)", "mid_rel (/x.c:5)");
    sum.locks = l;
    sum.nlocks = 3;
    sum.contended_locks = 3;
    char *text = render(&sum);
    assert_match(text, "^  1\\. mutex 0x200: 10 contentions, total wait 3\\.00s, max wait 2\\.00s\n"
                       "       waited at slow \\(/x\\.c:2\\)\n"
                       "       held at slow_rel \\(/x\\.c:3\\)\n"
                       "  2\\. mutex 0x300: 50 contentions, total wait 40\\.00ms, max wait 5\\.00ms\n"
                       "       waited at mid \\(/x\\.c:4\\)\n"
                       "       held at mid_rel \\(/x\\.c:5\\)\n"
                       "  3\\. mutex 0x100: 900 contentions, total wait 2\\.00ms, max wait 10\\.0us\n"
                       "       waited at many \\(/x\\.c:1\\)\n"
                       "tables: ");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* A lock destroyed or initialised again since is marked after its address. */
START_TEST(summary_destroyed_lock_marked)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    tp_summary_lock_t l[2];
    set_lock(&l[0], 0x1040, 3, 30 * MS, 12 * MS, "w (/x.c:1)", "h (/x.c:2)");
    set_lock(&l[1], 0x1040, 5, 50 * MS, 11 * MS, "w (/x.c:1)", "h (/x.c:2)");
    l[0].destroyed = 1;
    sum.locks = l;
    sum.nlocks = 2;
    sum.contended_locks = 2;
    char *text = render(&sum);
    assert_match(text, "^  1\\. mutex 0x1040: 5 contentions, total wait 50\\.00ms, max wait 11\\.00ms\n"
                       "       waited at w \\(/x\\.c:1\\)\n"
                       "       held at h \\(/x\\.c:2\\)\n"
                       "  2\\. mutex 0x1040 \\(destroyed\\): 3 contentions, total wait 30\\.00ms, "
                       "max wait 12\\.00ms\n");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_locks_limited_to_ten)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    tp_summary_lock_t l[25];
    for (int i = 0; i < 25; i++)
        set_lock(&l[i], 0x1000 + 0x10 * (uintptr_t)i, 1 + (uint64_t)i,
                 (uint64_t)(i + 1) * MS, MS, "w (/x.c:1)", "");
    sum.locks = l;
    sum.nlocks = 25;
    sum.contended_locks = 40;   /* more in the table than were passed */
    char *text = render(&sum);
    ck_assert_int_eq(matches(text, "^  10\\. mutex 0x10f0: 16 contentions, total wait 16\\.00ms"), 1);
    assert_match(text, "^  1\\. mutex 0x1180: 25 contentions, total wait 25\\.00ms");
    ck_assert_int_eq(matches(text, "^  11\\. "), 0);
    ck_assert_ptr_null(strstr(text, "mutex 0x10e0:"));
    assert_match(text, "^  \\(10 of 40 contended locks shown\\)$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_no_contention_and_stats_off)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    tp_summary_lock_t l;
    set_lock(&l, 0x100, 0, 0, 0, "", "");   /* an entry with no contention */
    sum.locks = &l;
    sum.nlocks = 1;
    char *text = render(&sum);
    assert_match(text, "^  none \\(no contended mutex acquisition since start\\)$");
    free(text);

    sum.lock_stats = 0;
    sum.mutex_file = sum.block_file = NULL;
    text = render(&sum);
    assert_match(text, "^  not collected \\(THREADPROF_MUTEX_FRACTION and "
                       "THREADPROF_BLOCK_RATE are both 0\\)$");
    ck_assert_ptr_null(strstr(text, "tables:"));
    ck_assert_ptr_null(strstr(text, "pprof"));
    assert_match(text, "^files: threadprof\\.4242\\.7\\.threads\\.txt$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_shows_table_fill_and_drops)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    sum.stacks = 4096;
    sum.lock_entries = 123;
    sum.dropped_events = 98765;
    sum.tables_bytes = 3276800;
    sum.tables_resident = 2621440;
    char *text = render(&sum);
    assert_match(text, "^tables: 4096/4096 stacks, 123/16384 locks, 98765 events dropped "
                       "\\(3\\.1 MiB reserved, 2\\.5 MiB resident\\)$");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* The tables' and the graph's memory in bytes, reserved and resident, or
 * "not mapped" before their first use. */
START_TEST(summary_tables_memory_in_bytes)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    sum.stacks = 11;
    sum.lock_entries = 3;
    sum.lock_order = 1;
    sum.order_edges = 2;
    sum.order_edge_cap = 4096;
    char *text = render(&sum);
    ck_assert_ptr_nonnull(strstr(text, "\nlock-order graph: 2/4096 edges, 0 dropped (not mapped)\n\n"));
    ck_assert_ptr_nonnull(strstr(text, "\ntables: 11/4096 stacks, 3/16384 locks, 0 events dropped "
                                       "(not mapped)\n\n"));
    free(text);
    sum.tables_bytes = 3355443;      /* 3.2 MiB */
    sum.tables_resident = 53248;     /* 13 pages */
    sum.order_bytes = 2306867;       /* 2.2 MiB */
    sum.order_resident = 512;
    text = render(&sum);
    ck_assert_ptr_nonnull(strstr(text, "\nlock-order graph: 2/4096 edges, 0 dropped "
                                       "(2.2 MiB reserved, 512 B resident)\n\n"));
    ck_assert_ptr_nonnull(strstr(text, "\ntables: 11/4096 stacks, 3/16384 locks, 0 events dropped "
                                       "(3.2 MiB reserved, 52.0 KiB resident)\n\n"));
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_thread_counts_and_top_states)
{
    tp_snapshot_t *snap = new_snapshot(20);
    snap->exited_unjoined = 3;
    /* 8 cond wait, 4 mutex wait, 3 sleep, 2 running, 1 each of three more. */
    const char *states[] = {"cond wait", "cond wait", "mutex wait", "cond wait",
                            "sleep", "cond wait", "mutex wait", "cond wait",
                            "sleep", "cond wait", "mutex wait", "cond wait",
                            "sleep", "cond wait", "mutex wait", "read (pipe)",
                            "join", "semaphore wait", NULL, NULL};
    for (int i = 0; i < 20; i++)
        if (states[i] != NULL)
            set_state(&snap->threads[i], 1, states[i]);
    tp_summary_t sum;
    init_summary(&sum, snap);
    char *text = render(&sum);
    assert_match(text, "^threads: 20 live \\(2 running, 18 waiting\\), 3 exited but not joined$");
    assert_match(text, "^  states: 8 cond wait, 4 mutex wait, 3 sleep, 2 running, "
                       "1 join, 2 other$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_files_line_names_written_files)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    sum.mutex_file = NULL;   /* mutex profile off: only the block file */
    char *text = render(&sum);
    assert_match(text, "^files: threadprof\\.4242\\.7\\.threads\\.txt, "
                       "threadprof\\.4242\\.7\\.block\\.pb\\.gz$");
    assert_match(text, "go tool pprof -top -sample_index=delay threadprof\\.4242\\.7\\.block\\.pb\\.gz$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_duration_units)
{
    char buf[32];
    tp_summary_duration(0, buf, sizeof buf);
    ck_assert_str_eq(buf, "0ns");
    tp_summary_duration(999, buf, sizeof buf);
    ck_assert_str_eq(buf, "999ns");
    tp_summary_duration(12345, buf, sizeof buf);
    ck_assert_str_eq(buf, "12.3us");
    tp_summary_duration(4567890, buf, sizeof buf);
    ck_assert_str_eq(buf, "4.56ms");
    tp_summary_duration(1234567890, buf, sizeof buf);
    ck_assert_str_eq(buf, "1.23s");
    tp_summary_duration(192 * SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "3m12s");
}
END_TEST

/* ---- lock-order inversions ---- */

static void set_edge(tp_summary_edge_t *e, uintptr_t a, uintptr_t b,
                     const char *site_a, const char *site_b, int tid,
                     const char *name, int nframes)
{
    memset(e, 0, sizeof *e);
    e->kind_a = e->kind_b = "mutex";
    e->a = a;
    e->b = b;
    snprintf(e->site_a, sizeof e->site_a, "%s", site_a);
    snprintf(e->site_b, sizeof e->site_b, "%s", site_b);
    e->tid = tid;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->nframes = nframes;
    for (int i = 0; i < nframes; i++)
        snprintf(e->frames[i], sizeof e->frames[i], "f%d (/x.c:%d)", i, 10 + i);
}

START_TEST(summary_inversions_each_edge_and_stack)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    static tp_summary_inversion_t inv;
    memset(&inv, 0, sizeof inv);
    inv.nedges = 2;
    set_edge(&inv.edges[0], 0xa0, 0xb0, "f at /x.c:19", "f at /x.c:20", 11, "order-ab", 2);
    set_edge(&inv.edges[1], 0xb0, 0xa0, "g at /x.c:27", "g at /x.c:28", 12, "order-ba", 1);
    sum.lock_order = 1;
    sum.inversions = &inv;
    sum.ninversions = 1;
    sum.inversions_found = 1;
    sum.order_edges = 2;
    sum.order_edge_cap = 4096;
    sum.order_bytes = 2306867;
    sum.order_resident = 8192;
    char *text = render(&sum);
    ck_assert_ptr_nonnull(strstr(text,
        "deadlocks: none\n\n"
        "lock-order inversions: 1 (locks taken in orders that can deadlock, "
        "though this run may not have)\n"
        "  inversion 1: 2 locks\n"
        "    mutex 0xa0 (taken in f at /x.c:19) then mutex 0xb0 (taken in f at /x.c:20) "
        "in thread 11 \"order-ab\"\n"
        "        f0 (/x.c:10)\n"
        "        f1 (/x.c:11)\n"
        "    mutex 0xb0 (taken in g at /x.c:27) then mutex 0xa0 (taken in g at /x.c:28) "
        "in thread 12 \"order-ba\"\n"
        "        f0 (/x.c:10)\n"
        "lock-order graph: 2/4096 edges, 0 dropped (2.2 MiB reserved, 8.0 KiB resident)\n\n"
        "top contended locks"));
    free(text);
    free_snapshot(snap);
}
END_TEST

/* Every edge recorded by one thread: reported, and labelled so. */
START_TEST(summary_inversion_of_one_thread_labelled)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    static tp_summary_inversion_t inv[2];
    memset(inv, 0, sizeof inv);
    inv[0].nedges = 2;
    set_edge(&inv[0].edges[0], 0xa0, 0xb0, "f at /x.c:19", "f at /x.c:20", 1234, "main", 0);
    set_edge(&inv[0].edges[1], 0xb0, 0xa0, "g at /x.c:27", "g at /x.c:28", 1234, "main", 0);
    inv[1].nedges = 3;   /* two edges by one thread, the third by another */
    set_edge(&inv[1].edges[0], 0xc0, 0xd0, "f at /x.c:1", "f at /x.c:2", 1234, "main", 0);
    set_edge(&inv[1].edges[1], 0xd0, 0xe0, "f at /x.c:3", "f at /x.c:4", 1234, "main", 0);
    set_edge(&inv[1].edges[2], 0xe0, 0xc0, "f at /x.c:5", "f at /x.c:6", 1235, "w", 0);
    sum.lock_order = 1;
    sum.inversions = inv;
    sum.ninversions = 2;
    sum.inversions_found = 2;
    char *text = render(&sum);
    ck_assert_ptr_nonnull(strstr(text,
        "  inversion 1: 2 locks (all taken by thread 1234 \"main\": a deadlock needs a "
        "second thread running this code)\n"
        "    mutex 0xa0 (taken in f at /x.c:19) then mutex 0xb0 (taken in f at /x.c:20) "
        "in thread 1234 \"main\"\n"));
    assert_match(text, "^  inversion 2: 3 locks$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_inversions_none_and_more_than_shown)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    sum.lock_order = 1;
    sum.order_edges = 1;
    sum.order_edge_cap = 4096;
    sum.order_dropped = 3;
    sum.order_bytes = 2306867;
    sum.order_resident = 4096;
    char *text = render(&sum);
    ck_assert_ptr_nonnull(strstr(text, "\n\nlock-order inversions: none\n"
                                       "lock-order graph: 1/4096 edges, 3 dropped "
                                       "(2.2 MiB reserved, 4.0 KiB resident)\n\n"));
    free(text);
    /* Found beyond what is shown: said so. */
    static tp_summary_inversion_t inv;
    memset(&inv, 0, sizeof inv);
    inv.nedges = 2;
    set_edge(&inv.edges[0], 0xa0, 0xb0, "f at /x.c:1", "f at /x.c:2", 11, "x", 0);
    set_edge(&inv.edges[1], 0xb0, 0xa0, "", "g at /x.c:3", 12, "", 0);
    sum.inversions = &inv;
    sum.ninversions = 1;
    sum.inversions_found = 20;
    text = render(&sum);
    assert_match(text, "^lock-order inversions: 20 ");
    assert_match(text, "^    mutex 0xb0 \\(taken in \\?\\?\\) then mutex 0xa0 "
                       "\\(taken in g at /x.c:3\\) in thread 12 \"\"$");
    assert_match(text, "^  \\(1 of 20 inversions shown\\)$");
    free(text);
    free_snapshot(snap);
}
END_TEST

static Suite *summary_suite(void)
{
    Suite *s = suite_create("summary");
    TCase *tc = tcase_create("sections");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, summary_sections_in_order);
    tcase_add_test(tc, summary_no_deadlock_says_none);
    tcase_add_test(tc, summary_deadlock_names_each_thread);
    tcase_add_test(tc, summary_thread_counts_and_top_states);
    tcase_add_test(tc, summary_files_line_names_written_files);
    tcase_add_test(tc, summary_duration_units);
    suite_add_tcase(s, tc);

    tc = tcase_create("locks");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, summary_locks_ordered_by_total_wait);
    tcase_add_test(tc, summary_locks_limited_to_ten);
    tcase_add_test(tc, summary_destroyed_lock_marked);
    tcase_add_test(tc, summary_no_contention_and_stats_off);
    tcase_add_test(tc, summary_shows_table_fill_and_drops);
    tcase_add_test(tc, summary_tables_memory_in_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("inversions");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, summary_inversions_each_edge_and_stack);
    tcase_add_test(tc, summary_inversions_none_and_more_than_shown);
    tcase_add_test(tc, summary_inversion_of_one_thread_labelled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(summary_suite());
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
