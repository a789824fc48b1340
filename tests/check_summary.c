/*
 * Check suite for output/summary.c: synthetic tp_summary_t values, filled
 * by hand, are written to a memory sink and the text is checked: the
 * sections and their order, the deadlock lines (or "none"), the
 * lock-order inversions (each edge and its stack, or "none"), the top locks
 * ordered by total wait and cut at ten, the table fill and drop counts
 * and memory,
 * the thread counts and most common states, the files line, the wait
 * durations' units, and a failed write's error.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/snapshot.h"
#include "output/sink.h"
#include "output/summary.h"
#include "output/threaddump.h"
#include "output/units.h"
#include "tests/testbase.h"

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
    snap->reasons = TP_REASON_SIGNAL;
    snap->signo = SIGUSR2;
    snap->nthreads = nthreads;
    snap->threads = calloc(nthreads ? nthreads : 1, sizeof *snap->threads);
    ck_assert_ptr_nonnull(snap->threads);
    for (size_t i = 0; i < nthreads; i++) {
        snap->threads[i].tid = (pid_t)(100 + i);
        snprintf(snap->threads[i].name, sizeof snap->threads[i].name, "t%zu", i);
        snap->threads[i].state = TP_ST_RUNNING;
        snap->threads[i].syscall_nr = -1;
    }
    return snap;
}

/* Makes t wait in state, with the facts of a typical call: its group
 * text is "cond wait", "mutex wait", "sleep", "read (pipe)", "join",
 * "semaphore wait"... */
static void set_state(tp_snap_thread_t *t, tp_state_t state)
{
    t->state = state;
    switch (state) {
    case TP_ST_COND: t->wait.call = "pthread_cond_wait"; break;
    case TP_ST_SEM: t->wait.call = "sem_wait"; break;
    case TP_ST_SLEEP: t->wait.call = "nanosleep"; break;
    case TP_ST_FDIO:
        t->wait.call = "read";
        t->wait.arg = t->wait.fd.fd = 7;
        snprintf(t->wait.fd.kind, sizeof t->wait.fd.kind, "pipe");
        break;
    default: break;
    }
}

static void free_snapshot(tp_snapshot_t *snap)
{
    free(snap->threads);
    free(snap);
}

/* Code to name as call sites: the summary symbolizes return addresses,
 * and one just past a function's entry reads as that function (distinct
 * bodies, so the compiler cannot fold them into one). */
#define SITE_FN(fn, n) \
    static __attribute__((noinline, used)) int fn(void) { return n; }
SITE_FN(site_many, 1)
SITE_FN(site_slow, 2)
SITE_FN(site_slow_rel, 3)
SITE_FN(site_mid, 4)
SITE_FN(site_mid_rel, 5)
SITE_FN(site_waiter, 6)
SITE_FN(site_holder, 7)
SITE_FN(site_f, 8)
SITE_FN(site_g, 9)
SITE_FN(frame_0, 10)
SITE_FN(frame_1, 11)
#define PC(fn) ((uintptr_t)(fn) + 1)
/* "fn (/…/check_summary.c:N)" and "fn at /…/check_summary.c:N" */
#define SITE_RE(fn) fn " \\(/[^)]*check_summary\\.c:[0-9]+\\)"
#define AT_RE(fn) fn " at /[^ ]*check_summary\\.c:[0-9]+"

/* A return address inside code the compiler inlined: cache_response()
 * is inlined into serve_request(), and the address is the call inside
 * it.  Symbolized, it is two frames; a stack shows both. */
static volatile int inline_sink;
static __attribute__((noipa)) uintptr_t return_address(void)
{
    return (uintptr_t)__builtin_return_address(0);
}
static inline __attribute__((always_inline)) uintptr_t cache_response(void)
{
    uintptr_t ra = return_address();
    inline_sink++;
    return ra;
}
static __attribute__((noipa)) uintptr_t serve_request(void)
{
    uintptr_t ra = cache_response();
    inline_sink += 2;
    return ra;
}

static tp_lock_stats_t stats;
static tp_lock_order_t order;

static void init_summary(tp_summary_t *sum, const tp_snapshot_t *snap)
{
    memset(sum, 0, sizeof *sum);
    memset(&stats, 0, sizeof stats);
    memset(&order, 0, sizeof order);
    sum->snap = snap;
    stats.enabled = 1;
    stats.stack_cap = 4096;
    stats.lock_cap = 16384;
    order.edge_cap = 4096;
    sum->locks = &stats;
    sum->order = &order;
    sum->threads_file = "threadprof.4242.7.threads.txt";
    sum->mutex_file = "threadprof.4242.7.mutex.pb.gz";
    sum->block_file = "threadprof.4242.7.block.pb.gz";
}

/* Appends a lock to the statistics (in the order given). */
static tp_lock_stat_t *add_lock(uintptr_t addr, uint64_t n, uint64_t total, uint64_t max,
                                uintptr_t waiter, uintptr_t holder)
{
    ck_assert_uint_lt(stats.nlocks, TP_LOCK_STATS_MAX);
    tp_lock_stat_t *l = &stats.locks[stats.nlocks++];
    memset(l, 0, sizeof *l);
    l->addr = addr;
    l->kind = TP_LOCK_MUTEX;
    l->contentions = n;
    l->total_ns = total;
    l->max_ns = max;
    l->waiter_site = waiter;
    l->holder_site = holder;
    return l;
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
    add_lock(0x1000, 3, 5 * MS, 2 * MS, PC(site_waiter), PC(site_holder));
    stats.contended_locks = 1;
    char *text = render(&sum);
    const char *const sections[] = {
        "threadprof summary of dump 7 of pid 4242\n",
        "program: /usr/bin/demo\n",
        "time: 2023-11-14T22:13:20.123Z (process up 3m12s)\n",
        "reason: signal SIGUSR2\n\n",
        "deadlocks: none\n\n",
        "lock-order inversions: none (not checked; set THREADPROF_LOCK_ORDER=1)\n\n",
        "top contended locks (by total wait since start; contended acquisitions "
        "only, uncontended ones are not counted):\n",
        "tables: ",
        "\nlocks held across blocking calls (",
        "\nthreads: 2 live",
        "\nfiles: ",
        "go tool pprof -top -sample_index=delay threadprof.4242.7.mutex.pb.gz\n",
    };
    long last = -1;
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        long at = offset_of(text, sections[i]);
        ck_assert_msg(at > last, "\"%s\" out of order in:\n%s", sections[i], text);
        last = at;
    }
    ck_assert_int_eq(offset_of(text, sections[0]), 0);
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
    tu_assert_match(text, "^deadlocks: none$");
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
    set_state(a, TP_ST_MUTEX);
    set_state(b, TP_ST_MUTEX);
    a->wait_kind = b->wait_kind = TP_WAIT_MUTEX;
    a->wait_obj = (const void *)0xa0;
    b->wait_obj = (const void *)0xb0;
    snap->ncycles = 2;
    snap->cycles[0].n = 2;
    snap->cycles[0].members[0] = 1;
    snap->cycles[0].members[1] = 2;
    /* A join cycle of one thread with the main thread. */
    set_state(c, TP_ST_JOIN);
    c->wait_kind = TP_WAIT_THREAD;
    snap->cycles[1].n = 1;
    snap->cycles[1].members[0] = 3;
    tp_summary_t sum;
    init_summary(&sum, snap);
    char *text = render(&sum);
    tu_assert_match(text, "^deadlocks: 2$");
    tu_assert_match(text, "^  deadlock 1: 2 threads wait for each other\n"
                       "    thread 101 \"transfer-ab\" waits for mutex 0xa0 held by thread 102 \"transfer-ba\"\n"
                       "    thread 102 \"transfer-ba\" waits for mutex 0xb0 held by thread 101 \"transfer-ab\"\n");
    tu_assert_match(text, "^    thread 103 \"t3\" waits for thread 103 \"t3\" to exit$");
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
    /* Most contentions, least total wait; the order given is not the
     * order shown. */
    add_lock(0x100, 900, 2 * MS, 10000, PC(site_many), 0);
    add_lock(0x200, 10, 3 * SEC, 2 * SEC, PC(site_slow), PC(site_slow_rel));
    add_lock(0x300, 50, 40 * MS, 5 * MS, PC(site_mid), PC(site_mid_rel));
    stats.contended_locks = 3;
    char *text = render(&sum);
    tu_assert_match(text, "^  1\\. mutex 0x200: 10 contentions, total wait 3\\.00s, max wait 2\\.00s\n"
                       "       waited at " SITE_RE("site_slow") "\n"
                       "       held at " SITE_RE("site_slow_rel") "\n"
                       "  2\\. mutex 0x300: 50 contentions, total wait 40\\.00ms, max wait 5\\.00ms\n"
                       "       waited at " SITE_RE("site_mid") "\n"
                       "       held at " SITE_RE("site_mid_rel") "\n"
                       "  3\\. mutex 0x100: 900 contentions, total wait 2\\.00ms, max wait 10\\.0us\n"
                       "       waited at " SITE_RE("site_many") "\n"
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
    add_lock(0x1040, 3, 30 * MS, 12 * MS, PC(site_waiter), PC(site_holder))->destroyed = 1;
    add_lock(0x1040, 5, 50 * MS, 11 * MS, PC(site_waiter), PC(site_holder));
    stats.contended_locks = 2;
    char *text = render(&sum);
    tu_assert_match(text, "^  1\\. mutex 0x1040: 5 contentions, total wait 50\\.00ms, max wait 11\\.00ms\n"
                       "       waited at " SITE_RE("site_waiter") "\n"
                       "       held at " SITE_RE("site_holder") "\n"
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
    for (int i = 0; i < 25; i++)
        add_lock(0x1000 + 0x10 * (uintptr_t)i, 1 + (uint64_t)i, (uint64_t)(i + 1) * MS, MS,
                 PC(site_waiter), 0);
    stats.contended_locks = 40;   /* more in the table than were passed */
    char *text = render(&sum);
    tu_assert_match(text, "^  10\\. mutex 0x10f0: 16 contentions, total wait 16\\.00ms");
    tu_assert_match(text, "^  1\\. mutex 0x1180: 25 contentions, total wait 25\\.00ms");
    tu_assert_no_match(text, "^  11\\. ");
    ck_assert_ptr_null(strstr(text, "mutex 0x10e0:"));
    tu_assert_match(text, "^  \\(10 of 40 contended locks shown\\)$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_no_contention_and_stats_off)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    add_lock(0x100, 0, 0, 0, 0, 0);   /* an entry with no contention */
    char *text = render(&sum);
    tu_assert_match(text, "^  none \\(no contended mutex acquisition since start\\)$");
    free(text);

    stats.enabled = 0;
    sum.mutex_file = sum.block_file = NULL;
    text = render(&sum);
    tu_assert_match(text, "^  not collected \\(THREADPROF_MUTEX_FRACTION and "
                       "THREADPROF_BLOCK_RATE are both 0\\)$");
    ck_assert_ptr_null(strstr(text, "tables:"));
    ck_assert_ptr_null(strstr(text, "pprof"));
    tu_assert_match(text, "^files: threadprof\\.4242\\.7\\.threads\\.txt$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_shows_table_fill_and_drops)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    stats.stacks = 4096;
    stats.lock_entries = 123;
    stats.dropped_events = 98765;
    stats.tables_bytes = 3276800;
    stats.tables_resident = 2621440;
    char *text = render(&sum);
    tu_assert_match(text, "^tables: 4096/4096 stacks, 123/16384 locks, 98765 events dropped "
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
    stats.stacks = 11;
    stats.lock_entries = 3;
    order.enabled = 1;
    order.edges = 2;
    char *text = render(&sum);
    ck_assert_ptr_nonnull(strstr(text, "\nlock-order graph: 2/4096 edges, 0 dropped (not mapped)\n\n"));
    ck_assert_ptr_nonnull(strstr(text, "\ntables: 11/4096 stacks, 3/16384 locks, 0 events dropped "
                                       "(not mapped)\n\n"));
    free(text);
    stats.tables_bytes = 3355443;      /* 3.2 MiB */
    stats.tables_resident = 53248;     /* 13 pages */
    order.bytes = 2306867;             /* 2.2 MiB */
    order.resident = 512;
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
    const tp_state_t states[] = {
        TP_ST_COND, TP_ST_COND, TP_ST_MUTEX, TP_ST_COND, TP_ST_SLEEP,
        TP_ST_COND, TP_ST_MUTEX, TP_ST_COND, TP_ST_SLEEP, TP_ST_COND,
        TP_ST_MUTEX, TP_ST_COND, TP_ST_SLEEP, TP_ST_COND, TP_ST_MUTEX,
        TP_ST_FDIO, TP_ST_JOIN, TP_ST_SEM, TP_ST_RUNNING, TP_ST_RUNNING};
    for (int i = 0; i < 20; i++)
        set_state(&snap->threads[i], states[i]);
    tp_summary_t sum;
    init_summary(&sum, snap);
    char *text = render(&sum);
    tu_assert_match(text, "^threads: 20 live \\(2 running, 18 waiting\\), 3 exited but not joined$");
    tu_assert_match(text, "^  states: 8 cond wait, 4 mutex wait, 3 sleep, 2 running, "
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
    tu_assert_match(text, "^files: threadprof\\.4242\\.7\\.threads\\.txt, "
                       "threadprof\\.4242\\.7\\.block\\.pb\\.gz$");
    tu_assert_match(text, "go tool pprof -top -sample_index=delay threadprof\\.4242\\.7\\.block\\.pb\\.gz$");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* A failed write comes back as the sink's sticky error, a negative errno. */
START_TEST(summary_write_returns_sink_error)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_summary_write(s, &sum), -ENOSPC);
    ck_assert_int_eq(s->err, -ENOSPC);
    free(s);
    close(fd);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_duration_units)
{
    char buf[32];
    tp_format_wait(0, buf, sizeof buf);
    ck_assert_str_eq(buf, "0ns");
    tp_format_wait(999, buf, sizeof buf);
    ck_assert_str_eq(buf, "999ns");
    tp_format_wait(12345, buf, sizeof buf);
    ck_assert_str_eq(buf, "12.3us");
    tp_format_wait(4567890, buf, sizeof buf);
    ck_assert_str_eq(buf, "4.56ms");
    tp_format_wait(1234567890, buf, sizeof buf);
    ck_assert_str_eq(buf, "1.23s");
    tp_format_wait(192 * SEC, buf, sizeof buf);
    ck_assert_str_eq(buf, "3m12s");
}
END_TEST

/* ---- lock-order inversions ---- */

static void set_edge(tp_order_edge_t *e, uintptr_t a, uintptr_t b, uintptr_t site_a,
                     uintptr_t site_b, int tid, const char *name, int nframes)
{
    static const uintptr_t frames[] = {PC(frame_0), PC(frame_1)};
    memset(e, 0, sizeof *e);
    e->kind_a = e->kind_b = TP_LOCK_MUTEX;
    e->a = a;
    e->b = b;
    e->site_a = site_a;
    e->site_b = site_b;
    e->tid = tid;
    snprintf(e->name, sizeof e->name, "%s", name);
    e->npcs = (uint32_t)nframes;
    memcpy(e->pcs, frames, (size_t)nframes * sizeof frames[0]);
}

START_TEST(summary_inversions_each_edge_and_stack)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    tp_order_inversion_t *inv = &order.inversions[0];
    inv->nedges = 2;
    set_edge(&inv->edges[0], 0xa0, 0xb0, PC(site_f), PC(site_g), 11, "order-ab", 2);
    set_edge(&inv->edges[1], 0xb0, 0xa0, PC(site_g), PC(site_f), 12, "order-ba", 1);
    order.enabled = 1;
    order.ninversions = 1;
    order.found = 1;
    order.edges = 2;
    order.bytes = 2306867;
    order.resident = 8192;
    char *text = render(&sum);
    tu_assert_match(text,
        "^deadlocks: none\n\n"
        "lock-order inversions: 1 \\(locks taken in orders that can deadlock, "
        "though this run may not have\\)\n"
        "  inversion 1: 2 locks\n"
        "    mutex 0xa0 \\(taken in " AT_RE("site_f") "\\) then mutex 0xb0 \\(taken in "
        AT_RE("site_g") "\\) in thread 11 \"order-ab\"\n"
        "        " SITE_RE("frame_0") "\n"
        "        " SITE_RE("frame_1") "\n"
        "    mutex 0xb0 \\(taken in " AT_RE("site_g") "\\) then mutex 0xa0 \\(taken in "
        AT_RE("site_f") "\\) in thread 12 \"order-ba\"\n"
        "        " SITE_RE("frame_0") "\n"
        "lock-order graph: 2/4096 edges, 0 dropped \\(2\\.2 MiB reserved, 8\\.0 KiB resident\\)\n\n"
        "top contended locks");
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
    tp_order_inversion_t *inv = order.inversions;
    inv[0].nedges = 2;
    set_edge(&inv[0].edges[0], 0xa0, 0xb0, PC(site_f), PC(site_g), 1234, "main", 0);
    set_edge(&inv[0].edges[1], 0xb0, 0xa0, PC(site_g), PC(site_f), 1234, "main", 0);
    inv[1].nedges = 3;   /* two edges by one thread, the third by another */
    set_edge(&inv[1].edges[0], 0xc0, 0xd0, PC(site_f), PC(site_f), 1234, "main", 0);
    set_edge(&inv[1].edges[1], 0xd0, 0xe0, PC(site_f), PC(site_f), 1234, "main", 0);
    set_edge(&inv[1].edges[2], 0xe0, 0xc0, PC(site_f), PC(site_f), 1235, "w", 0);
    order.enabled = 1;
    order.ninversions = 2;
    order.found = 2;
    char *text = render(&sum);
    tu_assert_match(text,
        "^  inversion 1: 2 locks \\(all taken by thread 1234 \"main\": a deadlock needs a "
        "second thread running this code\\)\n"
        "    mutex 0xa0 \\(taken in " AT_RE("site_f") "\\) then mutex 0xb0 \\(taken in "
        AT_RE("site_g") "\\) in thread 1234 \"main\"\n");
    tu_assert_match(text, "^  inversion 2: 3 locks$");
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(summary_inversions_none_and_more_than_shown)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    order.enabled = 1;
    order.edges = 1;
    order.dropped = 3;
    order.bytes = 2306867;
    order.resident = 4096;
    char *text = render(&sum);
    ck_assert_ptr_nonnull(strstr(text, "\n\nlock-order inversions: none\n"
                                       "lock-order graph: 1/4096 edges, 3 dropped "
                                       "(2.2 MiB reserved, 4.0 KiB resident)\n\n"));
    free(text);
    /* Found beyond what is shown: said so. */
    tp_order_inversion_t *inv = &order.inversions[0];
    inv->nedges = 2;
    set_edge(&inv->edges[0], 0xa0, 0xb0, PC(site_f), PC(site_g), 11, "x", 0);
    set_edge(&inv->edges[1], 0xb0, 0xa0, 0, PC(site_g), 12, "", 0);
    order.ninversions = 1;
    order.found = 20;
    text = render(&sum);
    tu_assert_match(text, "^lock-order inversions: 20 ");
    tu_assert_match(text, "^    mutex 0xb0 \\(taken in \\?\\?\\) then mutex 0xa0 "
                       "\\(taken in " AT_RE("site_g") "\\) in thread 12 \"\"$");
    tu_assert_match(text, "^  \\(1 of 20 inversions shown\\)$");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* The summary's stacks (memory in use, inversions) name the function an
 * inlined call sits in, as the thread dump and pprof do. */
START_TEST(summary_stacks_keep_inlined_frames)
{
    tp_snapshot_t *snap = new_snapshot(1);
    tp_summary_t sum;
    init_summary(&sum, snap);
    uintptr_t ra = serve_request();
    tp_heap_view_t heap = {
        .rate = 1, .at_exit = 1, .inuse_bytes = 64, .inuse_objects = 1,
        .alloc_bytes = 64, .alloc_objects = 1, .nsites = 1,
        .sites = {{.inuse_bytes = 64, .inuse_objects = 1, .alloc_bytes = 64,
                   .alloc_objects = 1, .npcs = 2, .pcs = {ra, PC(frame_1)}}},
    };
    sum.heap = &heap;
    tp_order_inversion_t *inv = &order.inversions[0];
    inv->nedges = 2;
    set_edge(&inv->edges[0], 0xa0, 0xb0, PC(site_f), ra, 11, "order-ab", 0);
    set_edge(&inv->edges[1], 0xb0, 0xa0, PC(site_g), PC(site_f), 12, "order-ba", 0);
    inv->edges[0].pcs[0] = ra;
    inv->edges[0].npcs = 1;
    order.enabled = 1;
    order.ninversions = order.found = 1;
    char *text = render(&sum);
    tu_assert_match(text, "^still in use at exit, by allocation site .*\n"
                          "  1\\. 64 B in 1 object .*\n"
                          "       " SITE_RE("cache_response") "\n"
                          "       " SITE_RE("serve_request") "\n"
                          "       " SITE_RE("frame_1") "\n");
    tu_assert_match(text, "in thread 11 \"order-ab\"\n"
                          "        " SITE_RE("cache_response") "\n"
                          "        " SITE_RE("serve_request") "\n"
                          "    mutex 0xb0");
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
    tcase_add_test(tc, summary_write_returns_sink_error);
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
    tcase_add_test(tc, summary_stacks_keep_inlined_frames);
    tcase_add_test(tc, summary_inversion_of_one_thread_labelled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite_fork(summary_suite(), CK_FORK);
}
