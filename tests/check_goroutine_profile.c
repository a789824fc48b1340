/*
 * Check suite for what the goroutine and threadcreate endpoints serve:
 * output/goroutine.c (Go's goroutine and threadcreate profiles from a
 * snapshot), the profile kinds output/profile.c writes for them and for
 * allocs, and the grouped thread dump (goroutine?debug=1,
 * tp_threaddump_write_grouped in output/threaddump.c).
 *
 * Snapshots are filled by hand with tests/threaddump_util.h; their stacks
 * are addresses in its td_* functions.  Profiles are written to a memory
 * sink uncompressed and decoded (tests/pprof_decode.h), and read by `go
 * tool pprof -raw` when go is installed (skipped otherwise).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/profile.h"
#include "model/snapshot.h"
#include "output/goroutine.h"
#include "output/gzip.h"
#include "output/profile.h"
#include "output/sink.h"
#include "output/threaddump.h"
#include "tests/pprof_decode.h"
#include "tests/profile_util.h"
#include "tests/testbase.h"
#include "tests/threaddump_util.h"

/* profile.proto field numbers (FORMATS.md). */
enum {
    SAMPLE_TYPE = 1, SAMPLE = 2, LOCATION = 4, TIME_NANOS = 9, DURATION_NANOS = 10,
    PERIOD_TYPE = 11, PERIOD = 12, DEFAULT_SAMPLE_TYPE = 14,
};

static const uintptr_t stack_a[] = {PC_IN(td_leaf), PC_IN(td_middle), PC_IN(td_creator)};
static const uintptr_t stack_b[] = {PC_IN(td_leaf), PC_IN(td_other)};

static char tmpdir[PATH_MAX];

static void setup(void)
{
    tu_temp_dir(tmpdir, sizeof tmpdir, "goroutine-");
    char cache[PATH_MAX + 16];
    snprintf(cache, sizeof cache, "%s/gocache", tmpdir);
    setenv("HOME", tmpdir, 1);
    setenv("GOCACHE", cache, 1);
    unsetenv("GOFLAGS");
    tp__gzip_force_raw(1);          /* the decoder reads the raw proto */
}

static void teardown(void)
{
    tp__gzip_force_raw(0);
    tu_remove_temp_dir(tmpdir);
}

static void set_stack(tp_snap_thread_t *t, const uintptr_t *pcs, int n)
{
    t->npcs = n;
    memcpy(t->pcs, pcs, (size_t)n * sizeof *pcs);
}

/*
 * Seven threads:
 *   0 main, running in td_other (one frame), no creator
 *   1, 2, 4  stack_a, created by td_creator
 *   3  stack_b, created by td_creator2
 *   5  stack_a but stopped at an exact pc: a stack of its own
 *   6  no stack at all, created by td_creator2
 */
static tp_snapshot_t *seven_threads(void)
{
    tp_snapshot_t *snap = new_snapshot(7);
    snap->wall.tv_sec = 1700000000;
    snap->wall.tv_nsec = 123456789;
    make_running_main(&snap->threads[0], 100);
    const int a[] = {1, 2, 4, 5};
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        make_waiter(&snap->threads[a[i]], 200 + a[i], "worker", 2 * SEC);
        set_stack(&snap->threads[a[i]], stack_a, 3);
    }
    snap->threads[5].first_pc_exact = 1;
    make_waiter(&snap->threads[3], 203, "other", SEC);
    set_stack(&snap->threads[3], stack_b, 2);
    snap->threads[3].create_pcs[0] = PC_IN(td_creator2);
    make_waiter(&snap->threads[6], 206, "lost", SEC);
    snap->threads[6].npcs = 0;
    snap->threads[6].no_stack = TP_NO_STACK_UNWIND;
    snap->threads[6].create_pcs[0] = PC_IN(td_creator2);
    return snap;
}

/* The sample types joined with spaces, and the period type. */
static void types_of(const pd_bytes_t *b, const pd_strtab_t *t, char *types, size_t tlen,
                     char *period, size_t plen)
{
    pd_field_t f[8];
    size_t n = pd_fields(b->data, b->len, SAMPLE_TYPE, f, 8);
    types[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char vt[128];
        value_type(&f[i], t, vt, sizeof vt);
        size_t used = strlen(types);
        snprintf(types + used, tlen - used, "%s%s", i ? " " : "", vt);
    }
    ck_assert_uint_eq(pd_fields(b->data, b->len, PERIOD_TYPE, f, 1), 1);
    value_type(&f[0], t, period, plen);
}

static size_t nsamples(const pd_bytes_t *b)
{
    pd_field_t s[64];
    return pd_fields(b->data, b->len, SAMPLE, s, 64);
}

/* Sample i's location addresses (through its location ids) and its
 * first value; returns the stack's depth. */
static size_t sample_of(const pd_bytes_t *b, size_t i, uint64_t *addrs, size_t max,
                        int64_t *value)
{
    pd_field_t s[64], locs[64];
    size_t ns = pd_fields(b->data, b->len, SAMPLE, s, 64);
    ck_assert_uint_lt(i, ns);
    size_t nl = pd_fields(b->data, b->len, LOCATION, locs, 64);
    uint64_t ids[64], v[8];
    size_t n = pd_numbers(s[i].data, s[i].len, 1, ids, 64);
    ck_assert_uint_le(n, max);
    for (size_t k = 0; k < n; k++) {
        ck_assert_uint_ge(ids[k], 1);
        ck_assert_uint_le(ids[k], nl);
        const pd_field_t *l = &locs[ids[k] - 1];
        addrs[k] = pd_number(l->data, l->len, 3, 0);
    }
    ck_assert_uint_eq(pd_numbers(s[i].data, s[i].len, 2, v, 8), 1);
    *value = (int64_t)v[0];
    return n;
}

/* Whether `go` runs here (for go tool pprof). */
static int have_go(void)
{
    return system("command -v go >/dev/null 2>&1") == 0;
}

/* `go tool pprof <args> tmpdir/name`; fails the test when pprof fails. */
static char *pprof_cmd(const char *args, const char *name)
{
    char cmd[2 * PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "go tool pprof %s '%s/%s' 2>&1", args, tmpdir, name);
    int status;
    char *out = tu_cmd_output(cmd, &status);
    ck_assert_msg(status == 0, "%s failed:\n%.3000s", cmd, out);
    return out;
}

/* `go tool pprof -raw` of p written (gzipped, as served) to tmpdir/name. */
static char *pprof_raw(const tp_profile_t *p, const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    tp__gzip_force_raw(0);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_profile_write(s, p), 0);
    free(s);
    ck_assert_int_eq(close(fd), 0);
    tp__gzip_force_raw(1);
    return pprof_cmd("-raw", name);
}

/* ---- the goroutine profile ---- */

START_TEST(goroutine_profile_counts_threads_by_stack)
{
    tp_snapshot_t *snap = seven_threads();
    tp_profile_t p;
    ck_assert_int_eq(tp_goroutine_profile(snap, &p), 0);
    ck_assert_int_eq(p.kind, TP_PROFILE_GOROUTINE);
    ck_assert_int_eq(p.time_ns, INT64_C(1700000000123456789));
    ck_assert_int_eq(p.duration_ns, 0);
    ck_assert_int_eq(p.period, 0);
    ck_assert_str_eq(p.comment, "");
    ck_assert_uint_eq(p.nsamples, 5);

    /* Most threads first; equal counts in the order of their first thread. */
    const tp_profile_sample_t *s = p.samples;
    ck_assert_int_eq(s[0].v[0], 3);                 /* threads 1, 2, 4 */
    ck_assert_uint_eq(s[0].npcs, 3);
    ck_assert_int_eq(s[0].first_exact, 0);
    ck_assert_ptr_eq(s[0].pcs, snap->threads[1].pcs);   /* not copied */
    ck_assert_int_eq(s[1].v[0], 1);                 /* thread 0, main */
    ck_assert_uint_eq(s[1].npcs, 1);
    ck_assert_ptr_eq(s[1].pcs, snap->threads[0].pcs);
    ck_assert_int_eq(s[2].v[0], 1);                 /* thread 3 */
    ck_assert_uint_eq(s[2].npcs, 2);
    ck_assert_ptr_eq(s[2].pcs, snap->threads[3].pcs);
    ck_assert_int_eq(s[3].v[0], 1);                 /* thread 5: exact pc */
    ck_assert_uint_eq(s[3].npcs, 3);
    ck_assert_int_eq(s[3].first_exact, 1);
    ck_assert_ptr_eq(s[3].pcs, snap->threads[5].pcs);
    ck_assert_int_eq(s[4].v[0], 1);                 /* thread 6: no stack */
    ck_assert_uint_eq(s[4].npcs, 0);
    ck_assert_ptr_null(s[4].pcs);

    /* Every thread is counted once. */
    int64_t total = 0;
    for (size_t i = 0; i < p.nsamples; i++) {
        total += p.samples[i].v[0];
        for (int k = 1; k < TP_PROFILE_VALUES; k++)
            ck_assert_int_eq(p.samples[i].v[k], 0);
    }
    ck_assert_int_eq(total, 7);
    free((void *)p.samples);
    free_snapshot(snap);
}
END_TEST

/* Threads without a stack all land in one sample of their own. */
START_TEST(goroutine_profile_stackless_threads_share_one_sample)
{
    tp_snapshot_t *snap = new_snapshot(4);
    for (int i = 0; i < 4; i++) {
        make_waiter(&snap->threads[i], 300 + i, "x", SEC);
        snap->threads[i].npcs = 0;
    }
    set_stack(&snap->threads[2], stack_b, 2);
    snap->threads[3].npcs = -1;          /* nonsense depth: no stack */
    tp_profile_t p;
    ck_assert_int_eq(tp_goroutine_profile(snap, &p), 0);
    ck_assert_uint_eq(p.nsamples, 2);
    ck_assert_int_eq(p.samples[0].v[0], 3);
    ck_assert_uint_eq(p.samples[0].npcs, 0);
    ck_assert_int_eq(p.samples[1].v[0], 1);
    ck_assert_uint_eq(p.samples[1].npcs, 2);
    free((void *)p.samples);
    free_snapshot(snap);

    /* No threads: no samples, nothing allocated. */
    snap = new_snapshot(0);
    ck_assert_int_eq(tp_goroutine_profile(snap, &p), 0);
    ck_assert_uint_eq(p.nsamples, 0);
    ck_assert_ptr_null(p.samples);
    ck_assert_int_eq(tp_threadcreate_profile(snap, &p), 0);
    ck_assert_uint_eq(p.nsamples, 0);
    ck_assert_ptr_null(p.samples);
    free_snapshot(snap);
}
END_TEST

/* As Go writes it: goroutine/count for samples and period, period 1, no
 * default sample type; an exact pc is a location at the pc itself, a
 * return address one at the call (pc - 1). */
START_TEST(goroutine_profile_written_as_gos)
{
    tp_snapshot_t *snap = seven_threads();
    tp_profile_t p;
    ck_assert_int_eq(tp_goroutine_profile(snap, &p), 0);
    pd_bytes_t b = render(&p);
    pd_strtab_t t = pd_string_table(&b);
    char types[256], period[128];
    types_of(&b, &t, types, sizeof types, period, sizeof period);
    ck_assert_str_eq(types, "goroutine/count");
    ck_assert_str_eq(period, "goroutine/count");
    ck_assert_uint_eq(pd_number(b.data, b.len, PERIOD, 0), 1);
    ck_assert_uint_eq(pd_number(b.data, b.len, DEFAULT_SAMPLE_TYPE, 0), 0);
    ck_assert_uint_eq(pd_number(b.data, b.len, TIME_NANOS, 0), (uint64_t)p.time_ns);
    ck_assert_uint_eq(pd_number(b.data, b.len, DURATION_NANOS, 0), 0);

    ck_assert_uint_eq(nsamples(&b), 5);
    uint64_t addrs[8];
    int64_t v;
    ck_assert_uint_eq(sample_of(&b, 0, addrs, 8, &v), 3);
    ck_assert_int_eq(v, 3);
    ck_assert_uint_eq(addrs[0], (uintptr_t)td_leaf);
    ck_assert_uint_eq(addrs[1], (uintptr_t)td_middle);
    ck_assert_uint_eq(addrs[2], (uintptr_t)td_creator);
    ck_assert_uint_eq(sample_of(&b, 3, addrs, 8, &v), 3);
    ck_assert_int_eq(v, 1);
    ck_assert_uint_eq(addrs[0], PC_IN(td_leaf));       /* exact: the pc itself */
    ck_assert_uint_eq(addrs[1], (uintptr_t)td_middle);
    ck_assert_uint_eq(sample_of(&b, 4, addrs, 8, &v), 0);
    ck_assert_int_eq(v, 1);
    pd_strtab_free(&t);
    free(b.data);
    free((void *)p.samples);
    free_snapshot(snap);
}
END_TEST

START_TEST(goroutine_profile_reads_in_go_pprof)
{
    if (!have_go())
        tu_skip("go is not installed (make setup installs golang-go)");
    tp_snapshot_t *snap = seven_threads();
    tp_profile_t p;
    ck_assert_int_eq(tp_goroutine_profile(snap, &p), 0);
    char *raw = pprof_raw(&p, "goroutine.pb.gz");
    tu_assert_match(raw, "^PeriodType: goroutine count$");
    tu_assert_match(raw, "^Period: 1$");
    tu_assert_match(raw, "^goroutine/count$");
    /* Location ids in order of first use: td_leaf, td_middle, td_creator,
     * td_other (main), the exact td_leaf. */
    tu_assert_match(raw, "^ +3: 1 2 3 $");
    tu_assert_match(raw, "^ +1: 4 $");
    tu_assert_match(raw, "^ +1: 1 4 $");
    tu_assert_match(raw, "^ +1: 5 2 3 $");
    tu_assert_match(raw, "^ +1: 0x[0-9a-f]+ M=[0-9]+ td_leaf .*threaddump_util\\.h:[0-9]+ ");
    tu_assert_match(raw, "^ +4: 0x[0-9a-f]+ M=[0-9]+ td_other ");
    free(raw);
    /* -raw leaves the stackless thread out; the total counts it. */
    char *top = pprof_cmd("-top", "goroutine.pb.gz");
    tu_assert_match(top, "^Type: goroutine$");
    tu_assert_match(top, "^Showing nodes accounting for 6, 85.71% of 7 total$");
    tu_assert_match(top, "^ +5 71.43% 71.43% +5 71.43% +td_leaf$");     /* 3 + 1 + 1 exact */
    tu_assert_match(top, "^ +0 +0% 85.71% +4 57.14% +td_creator$");
    free(top);
    free((void *)p.samples);
    free_snapshot(snap);
}
END_TEST

/* ---- the threadcreate profile ---- */

START_TEST(threadcreate_profile_counts_threads_by_creator)
{
    tp_snapshot_t *snap = seven_threads();
    /* Thread 4 was created outside the agent's view: its create_pcs mean
     * nothing.  Thread 2's creator left no stack. */
    snap->threads[4].has_creator = 0;
    snap->threads[2].ncreate = 0;
    tp_profile_t p;
    ck_assert_int_eq(tp_threadcreate_profile(snap, &p), 0);
    ck_assert_int_eq(p.kind, TP_PROFILE_THREADCREATE);
    ck_assert_int_eq(p.time_ns, INT64_C(1700000000123456789));
    ck_assert_uint_eq(p.nsamples, 3);
    /* Main (0), thread 4 and thread 2: the empty stack, 3; then td_creator
     * (1, 5) and td_creator2 (3, 6), 2 each, in the order of their first
     * threads. */
    const tp_profile_sample_t *s = p.samples;
    ck_assert_int_eq(s[0].v[0], 3);
    ck_assert_uint_eq(s[0].npcs, 0);
    ck_assert_ptr_null(s[0].pcs);
    ck_assert_int_eq(s[1].v[0], 2);
    ck_assert_uint_eq(s[1].npcs, 1);
    ck_assert_ptr_eq(s[1].pcs, snap->threads[1].create_pcs);
    ck_assert_uint_eq(s[1].pcs[0], PC_IN(td_creator));
    ck_assert_int_eq(s[2].v[0], 2);
    ck_assert_ptr_eq(s[2].pcs, snap->threads[3].create_pcs);
    ck_assert_uint_eq(s[2].pcs[0], PC_IN(td_creator2));
    for (size_t i = 0; i < p.nsamples; i++)
        ck_assert_int_eq(s[i].first_exact, 0);

    pd_bytes_t b = render(&p);
    pd_strtab_t t = pd_string_table(&b);
    char types[256], period[128];
    types_of(&b, &t, types, sizeof types, period, sizeof period);
    ck_assert_str_eq(types, "threadcreate/count");
    ck_assert_str_eq(period, "threadcreate/count");
    ck_assert_uint_eq(pd_number(b.data, b.len, PERIOD, 0), 1);
    ck_assert_uint_eq(pd_number(b.data, b.len, DEFAULT_SAMPLE_TYPE, 0), 0);
    ck_assert_uint_eq(nsamples(&b), 3);
    uint64_t addrs[8];
    int64_t v;
    ck_assert_uint_eq(sample_of(&b, 1, addrs, 8, &v), 1);
    ck_assert_int_eq(v, 2);
    ck_assert_uint_eq(addrs[0], (uintptr_t)td_creator);
    pd_strtab_free(&t);
    free(b.data);
    free((void *)p.samples);
    free_snapshot(snap);
}
END_TEST

START_TEST(threadcreate_profile_reads_in_go_pprof)
{
    if (!have_go())
        tu_skip("go is not installed (make setup installs golang-go)");
    tp_snapshot_t *snap = seven_threads();
    tp_profile_t p;
    ck_assert_int_eq(tp_threadcreate_profile(snap, &p), 0);
    char *raw = pprof_raw(&p, "threadcreate.pb.gz");
    tu_assert_match(raw, "^PeriodType: threadcreate count$");
    tu_assert_match(raw, "^threadcreate/count$");
    tu_assert_match(raw, "^ +4: 1 $");            /* 1, 2, 4, 5: td_creator */
    tu_assert_match(raw, "^ +2: 2 $");            /* 3, 6: td_creator2 */
    tu_assert_match(raw, "^ +1: 0x[0-9a-f]+ M=[0-9]+ td_creator .*threaddump_util\\.h:");
    tu_assert_match(raw, "^ +2: 0x[0-9a-f]+ M=[0-9]+ td_creator2 ");
    free(raw);
    char *top = pprof_cmd("-top", "threadcreate.pb.gz");     /* main: in the total */
    tu_assert_match(top, "^Showing nodes accounting for 6, 85.71% of 7 total$");
    free(top);
    free((void *)p.samples);
    free_snapshot(snap);
}
END_TEST

/* ---- allocs, and the kinds' values ---- */

/* Go's /debug/pprof/allocs: the heap profile shown by alloc_space. */
START_TEST(allocs_profile_defaults_to_alloc_space)
{
    tp_profile_sample_t s[] = {{.pcs = stack_a, .npcs = 3, .v = {10, 1048576, 2, 209715}}};
    tp_profile_t p = {.kind = TP_PROFILE_ALLOCS, .period = 524288, .nsamples = 1,
                      .samples = s, .time_ns = 5, .duration_ns = 7};
    pd_bytes_t b = render(&p);
    pd_strtab_t t = pd_string_table(&b);
    char types[256], period[128];
    types_of(&b, &t, types, sizeof types, period, sizeof period);
    ck_assert_str_eq(types, "alloc_objects/count alloc_space/bytes "
                            "inuse_objects/count inuse_space/bytes");
    ck_assert_str_eq(period, "space/bytes");
    ck_assert_uint_eq(pd_number(b.data, b.len, PERIOD, 0), 524288);
    ck_assert_str_eq(pd_str(&t, pd_number(b.data, b.len, DEFAULT_SAMPLE_TYPE, 0)),
                     "alloc_space");
    ck_assert_uint_eq(pd_number(b.data, b.len, DURATION_NANOS, 0), 7);
    pd_field_t f[4];
    ck_assert_uint_eq(pd_fields(b.data, b.len, SAMPLE, f, 4), 1);
    uint64_t v[8];
    ck_assert_uint_eq(pd_numbers(f[0].data, f[0].len, 2, v, 8), 4);
    ck_assert_uint_eq(v[1], 1048576);
    ck_assert_uint_eq(v[3], 209715);
    pd_strtab_free(&t);
    free(b.data);

    /* The heap profile itself is unchanged: inuse_space first. */
    p.kind = TP_PROFILE_HEAP;
    b = render(&p);
    t = pd_string_table(&b);
    ck_assert_str_eq(pd_str(&t, pd_number(b.data, b.len, DEFAULT_SAMPLE_TYPE, 0)),
                     "inuse_space");
    pd_strtab_free(&t);
    free(b.data);
}
END_TEST

START_TEST(profile_kinds_number_of_values)
{
    ck_assert_int_eq(tp_profile_nvalues(TP_PROFILE_MUTEX), 2);
    ck_assert_int_eq(tp_profile_nvalues(TP_PROFILE_BLOCK), 2);
    ck_assert_int_eq(tp_profile_nvalues(TP_PROFILE_HEAP), 4);
    ck_assert_int_eq(tp_profile_nvalues(TP_PROFILE_ALLOCS), 4);
    ck_assert_int_eq(tp_profile_nvalues(TP_PROFILE_GOROUTINE), 1);
    ck_assert_int_eq(tp_profile_nvalues(TP_PROFILE_THREADCREATE), 1);
    ck_assert_int_eq(tp_profile_nvalues((tp_profile_kind_t)42), -EINVAL);
}
END_TEST

/* ---- the grouped thread dump (goroutine?debug=1) ---- */

static char *grouped(const tp_snapshot_t *snap)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_threaddump_write_grouped(s, snap), 0);
    char *text = strdup(tp_sink_text(s));
    ck_assert_ptr_nonnull(text);
    tp_sink_free(s);
    free(s);
    return text;
}

START_TEST(grouped_dump_groups_biggest_first_without_entries)
{
    tp_snapshot_t *snap = seven_threads();
    snap->threads[5].first_pc_exact = 0;   /* the same group as 1, 2, 4 */
    char *text = grouped(snap);
    char *lines[MAX_LINES];
    size_t n = split_lines(text, lines, MAX_LINES);
    ck_assert_str_eq(lines[0], "threadprof thread dump 7 of pid 4242");
    ck_assert_int_ge(find_line(lines, n, 0, "threads: 7 live (1 running, 6 waiting), "
                               "0 exited but not joined"), 0);
    long title = find_line(lines, n, 0, "== 7 threads in 4 groups (same state, stack and "
                                        "creator; most numerous first) ==");
    ck_assert_msg(title > 0, "no title in:\n%s", text);
    ck_assert_str_eq(lines[title + 1], "");
    /* Biggest first, its four names, its stack and its creator. */
    ck_assert_str_eq(lines[title + 2], "4 threads [cond wait, 2.0s]: 201 \"worker\", "
                                       "202 \"worker\", 204 \"worker\", 205 \"worker\"");
    ck_assert_str_eq(lines[title + 3], "td_leaf(...)");
    ck_assert_str_eq(lines[title + 5], "td_middle(...)");
    ck_assert_str_eq(lines[title + 7], "td_creator(...)");
    ck_assert_str_eq(lines[title + 9], "created by td_creator in thread 100");
    ck_assert_str_eq(lines[title + 11], "");
    /* Then the single threads, in their group order. */
    long main_group = find_line(lines, n, 0, "1 thread [running]: 100 \"demo\"");
    long other = find_line(lines, n, 0, "1 thread [cond wait, 1.0s]: 203 \"other\"");
    long lost = find_line(lines, n, 0, "1 thread [cond wait, 1.0s]: 206 \"lost\"");
    ck_assert(main_group > title && other > title && lost > title);
    ck_assert_str_eq(lines[lost + 1], "    (no stack: libunwind could not walk this stack)");
    /* No per-thread entry, and the dump's last line. */
    ck_assert_int_lt(find_line(lines, n, 0, "== threads =="), 0);
    ck_assert_int_lt(find_prefix(lines, n, 0, "thread 201 "), 0);
    ck_assert_uint_eq(count_prefix(lines, n, "created by "), 3);   /* not main's */
    ck_assert_str_eq(lines[n - 1], "end of dump");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* Grouped even when no two threads share a stack, and for one thread;
 * the full dump then has no grouped view. */
START_TEST(grouped_dump_groups_distinct_stacks_too)
{
    tp_snapshot_t *snap = new_snapshot(2);
    make_waiter(&snap->threads[0], 201, "a", SEC);
    make_waiter(&snap->threads[1], 202, "b", SEC);
    set_stack(&snap->threads[1], stack_b, 2);
    char *text = grouped(snap);
    tu_assert_match(text, "^== 2 threads in 2 groups \\(same state, stack and creator; "
                          "most numerous first\\) ==$");
    tu_assert_match(text, "^1 thread \\[cond wait, 1.0s\\]: 201 \"a\"\ntd_leaf\\(...\\)$");
    tu_assert_match(text, "^1 thread \\[cond wait, 1.0s\\]: 202 \"b\"\ntd_leaf\\(...\\)$");
    tu_assert_no_match(text, "^thread 20[12] ");
    free(text);
    text = dump(snap);
    tu_assert_no_match(text, "threads in .* groups");
    tu_assert_match(text, "^thread 201 \"a\" \\[cond wait, 1.0s\\]:$");
    free(text);

    snap->nthreads = 1;
    text = grouped(snap);
    tu_assert_match(text, "^== 1 thread in 1 group \\(same state");
    tu_assert_match(text, "^1 thread \\[cond wait, 1.0s\\]: 201 \"a\"$");
    free(text);
    free_snapshot(snap);
}
END_TEST

/* The header announces the deadlocks: the grouped view lists them too. */
START_TEST(grouped_dump_keeps_deadlocks)
{
    tp_snapshot_t *snap = new_snapshot(2);
    make_waiter(&snap->threads[0], 201, "a", SEC);
    make_waiter(&snap->threads[1], 202, "b", SEC);
    for (int i = 0; i < 2; i++) {
        snap->threads[i].state = TP_ST_MUTEX;
        snap->threads[i].wait_kind = TP_WAIT_MUTEX;
    }
    snap->threads[0].wait_obj = (const void *)0x1000;
    snap->threads[1].wait_obj = (const void *)0x2000;
    snap->ncycles = 1;
    snap->cycles[0].n = 2;
    snap->cycles[0].members[0] = 0;
    snap->cycles[0].members[1] = 1;
    char *text = grouped(snap);
    tu_assert_match(text, "^deadlocks: 1 \\(listed first\\)$");
    tu_assert_match(text, "^== deadlock: 2 threads wait for each other ==\n"
                          "thread 201 \"a\" waits for mutex 0x1000, held by thread 202 \"b\"$");
    tu_assert_match(text, "^2 threads \\[mutex wait, 1.0s\\]: 201 \"a\", 202 \"b\"$");
    const char *cycle = strstr(text, "== deadlock:"), *groups = strstr(text, "== 2 threads in");
    ck_assert(cycle != NULL && groups != NULL && cycle < groups);
    free(text);
    free_snapshot(snap);
}
END_TEST

START_TEST(grouped_dump_keeps_sink_error)
{
    tp_snapshot_t *snap = seven_threads();
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_threaddump_write_grouped(s, snap), -ENOSPC);
    close(fd);
    free(s);
    free_snapshot(snap);
}
END_TEST

static Suite *goroutine_suite(void)
{
    Suite *s = suite_create("goroutine_profile");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, goroutine_profile_counts_threads_by_stack);
    tcase_add_test(tc, goroutine_profile_stackless_threads_share_one_sample);
    tcase_add_test(tc, goroutine_profile_written_as_gos);
    tcase_add_test(tc, goroutine_profile_reads_in_go_pprof);
    tcase_add_test(tc, threadcreate_profile_counts_threads_by_creator);
    tcase_add_test(tc, threadcreate_profile_reads_in_go_pprof);
    tcase_add_test(tc, allocs_profile_defaults_to_alloc_space);
    tcase_add_test(tc, profile_kinds_number_of_values);
    tcase_add_test(tc, grouped_dump_groups_biggest_first_without_entries);
    tcase_add_test(tc, grouped_dump_groups_distinct_stacks_too);
    tcase_add_test(tc, grouped_dump_keeps_deadlocks);
    tcase_add_test(tc, grouped_dump_keeps_sink_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(goroutine_suite());
}
