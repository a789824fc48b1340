/*
 * Check suite for output/dump.c: a whole dump, built by hand as the agent
 * captures one (model/dump.h: a snapshot, lock statistics, inversions, a
 * heap view, three profiles), rendered part by part into memory sinks
 * (what the dump writer sends to files, and what an endpoint would send
 * over a socket).  Each part is checked for what only it shows: the
 * thread dump's header and entries, each profile's sample types (the
 * gzipped bytes are unpacked with gunzip), the summary's sections with
 * the lock sites and the stacks symbolized, inlined frames included.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/dump.h"
#include "model/snapshot.h"
#include "output/dump.h"
#include "output/sink.h"
#include "tests/testbase.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* Code for the stacks: one return address just past each function's
 * entry reads as that function (distinct bodies: nothing folds them). */
#define CODE_FN(fn, n) \
    static __attribute__((noinline, used)) int fn(void) { return n; }
CODE_FN(render_waiter, 1)
CODE_FN(render_holder, 2)
CODE_FN(render_alloc, 3)
CODE_FN(render_caller, 4)
#define PC(fn) ((uintptr_t)(fn) + 1)
#define SITE_RE(fn) fn " \\(/[^)]*check_render\\.c:[0-9]+\\)"

typedef struct fixture {
    tp_snapshot_t snap;
    tp_snap_thread_t threads[2];
    tp_lock_stats_t locks;
    tp_lock_order_t order;
    tp_heap_view_t heap;
    tp_profile_t mutex, block, heap_profile;
    tp_profile_sample_t samples[2];
    uintptr_t stack[2];
    tp_dump_t dump;
} fixture_t;

static fixture_t *new_fixture(void)
{
    fixture_t *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    tp_snapshot_t *snap = &f->snap;
    snprintf(snap->program, sizeof snap->program, "/usr/bin/demo");
    snprintf(snap->cmdline, sizeof snap->cmdline, "demo --serve");
    snap->pid = 4242;
    snap->seq = 3;
    snap->wall.tv_sec = 1700000000;
    snap->uptime_ns = 75 * SEC;
    snap->reasons = TP_REASON_SIGNAL;
    snap->signo = 12;   /* SIGUSR2 */
    snap->threads = f->threads;
    snap->nthreads = 2;
    tp_snap_thread_t *main_thread = &f->threads[0], *worker = &f->threads[1];
    main_thread->tid = 4242;
    main_thread->is_main = 1;
    snprintf(main_thread->name, sizeof main_thread->name, "demo");
    main_thread->syscall_nr = -1;
    main_thread->no_stack = TP_NO_STACK_RUNNING;
    worker->tid = 4243;
    snprintf(worker->name, sizeof worker->name, "worker");
    worker->state = TP_ST_MUTEX;
    worker->wait_ns = 2 * SEC;
    worker->wait.call = "pthread_mutex_lock";
    worker->wait.obj = (const void *)0x5000;
    worker->wait.holder = 4242;
    snprintf(worker->wait.holder_name, sizeof worker->wait.holder_name, "demo");
    worker->wait_obj = worker->wait.obj;
    worker->wait_kind = TP_WAIT_MUTEX;
    worker->syscall_nr = -1;
    worker->npcs = 2;
    worker->pcs[0] = PC(render_waiter);
    worker->pcs[1] = PC(render_caller);

    f->locks.enabled = 1;
    f->locks.stack_cap = 4096;
    f->locks.lock_cap = 16384;
    f->locks.nlocks = 1;
    f->locks.contended_locks = 1;
    f->locks.locks[0] = (tp_lock_stat_t){
        .addr = 0x5000, .kind = TP_LOCK_MUTEX, .contentions = 7,
        .total_ns = 70 * MS, .max_ns = 20 * MS,
        .waiter_site = PC(render_waiter), .holder_site = PC(render_holder),
    };
    f->order.enabled = 1;
    f->order.edge_cap = 4096;
    f->heap.rate = 1;
    f->heap.inuse_bytes = f->heap.alloc_bytes = 4096;
    f->heap.inuse_objects = f->heap.alloc_objects = 2;
    f->heap.nsites = 1;
    f->heap.sites[0] = (tp_heap_site_t){
        .inuse_bytes = 4096, .inuse_objects = 2, .alloc_bytes = 4096, .alloc_objects = 2,
        .npcs = 2, .pcs = {PC(render_alloc), PC(render_caller)},
    };

    f->stack[0] = PC(render_holder);
    f->stack[1] = PC(render_caller);
    f->samples[0] = (tp_profile_sample_t){.pcs = f->stack, .npcs = 2, .v = {7, 70 * (int64_t)MS}};
    f->samples[1] = (tp_profile_sample_t){.pcs = f->stack, .npcs = 2, .v = {2, 4096, 2, 4096}};
    tp_profile_t *p[] = {&f->mutex, &f->block, &f->heap_profile};
    tp_profile_kind_t kinds[] = {TP_PROFILE_MUTEX, TP_PROFILE_BLOCK, TP_PROFILE_HEAP};
    for (int i = 0; i < 3; i++) {
        p[i]->kind = kinds[i];
        p[i]->period = 1;
        p[i]->time_ns = (int64_t)1700000000 * (int64_t)SEC;
        p[i]->duration_ns = 75 * (int64_t)SEC;
        p[i]->nsamples = 1;
        p[i]->samples = &f->samples[i == 2];
    }
    f->dump = (tp_dump_t){
        .snap = snap, .locks = &f->locks, .order = &f->order, .heap = &f->heap,
        .mutex = &f->mutex, .block = &f->block, .heap_profile = &f->heap_profile,
    };
    return f;
}

/* The part's bytes, rendered into a memory sink (malloc'd; *len set). */
static char *render(const tp_dump_t *d, tp_dump_part_t part, size_t *len)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_dump_render(s, d, part), 0);
    *len = s->total;
    char *out = malloc(*len + 1);
    ck_assert_ptr_nonnull(out);
    memcpy(out, tp_sink_text(s), *len + 1);
    tp_sink_free(s);
    free(s);
    return out;
}

/* The profile's bytes unpacked with gunzip (malloc'd). */
static char *gunzip(const char *gz, size_t len, size_t *out_len)
{
    ck_assert_uint_gt(len, 2);
    ck_assert_int_eq((unsigned char)gz[0], 0x1f);   /* gzip magic */
    ck_assert_int_eq((unsigned char)gz[1], 0x8b);
    char dir[PATH_MAX], path[PATH_MAX + 16], cmd[2 * PATH_MAX + 64];
    tu_temp_dir(dir, sizeof dir, "render");
    snprintf(path, sizeof path, "%s/p.pb.gz", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(gz, 1, len, f), len);
    fclose(f);
    snprintf(cmd, sizeof cmd, "gunzip -c '%s'", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char *raw = tu_read_stream(p, out_len);
    ck_assert_int_eq(pclose(p), 0);
    tu_remove_temp_dir(dir);
    return raw;
}

/* Whether the unpacked profile holds string s (its string table does). */
static int has_string(const char *raw, size_t len, const char *s)
{
    return memmem(raw, len, s, strlen(s)) != NULL;
}

START_TEST(render_thread_dump_into_memory)
{
    fixture_t *f = new_fixture();
    size_t len;
    char *text = render(&f->dump, TP_PART_THREADS, &len);
    ck_assert_uint_eq(strlen(text), len);
    tu_assert_match(text, "^reason: signal SIGUSR2$");
    tu_assert_match(text, "^thread 4243 \"worker\" \\[mutex wait, 2\\.0s\\]:\n"
                          "    mutex 0x5000 held by thread 4242 \"demo\"\n");
    tu_assert_match(text, "^render_waiter\\(\\.\\.\\.\\)$");
    tu_assert_match(text, "^thread 4242 \"demo\" \\[running\\]:$");
    free(text);
    free(f);
}
END_TEST

START_TEST(render_profiles_into_memory)
{
    fixture_t *f = new_fixture();
    const struct { tp_dump_part_t part; const char *types[4]; } want[] = {
        {TP_PART_MUTEX, {"contentions", "delay", "nanoseconds", "count"}},
        {TP_PART_BLOCK, {"contentions", "delay", "nanoseconds", "count"}},
        {TP_PART_HEAP, {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"}},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t len, raw_len;
        char *gz = render(&f->dump, want[i].part, &len);
        char *raw = gunzip(gz, len, &raw_len);
        for (int k = 0; k < 4; k++)
            ck_assert_msg(has_string(raw, raw_len, want[i].types[k]), "part %d lacks %s",
                          (int)want[i].part, want[i].types[k]);
        ck_assert(has_string(raw, raw_len, "render_holder"));
        ck_assert_int_eq(has_string(raw, raw_len, "inuse_space"), want[i].part == TP_PART_HEAP);
        free(raw);
        free(gz);
    }
    free(f);
}
END_TEST

START_TEST(render_summary_into_memory)
{
    fixture_t *f = new_fixture();
    f->dump.files[TP_PART_THREADS] = "threadprof.4242.3.threads.txt";
    f->dump.files[TP_PART_HEAP] = "threadprof.4242.3.heap.pb.gz";
    size_t len;
    char *text = render(&f->dump, TP_PART_SUMMARY, &len);
    tu_assert_match(text, "^threadprof summary of dump 3 of pid 4242$");
    tu_assert_match(text, "^  1\\. mutex 0x5000: 7 contentions, total wait 70\\.00ms, "
                          "max wait 20\\.00ms\n"
                          "       waited at " SITE_RE("render_waiter") "\n"
                          "       held at " SITE_RE("render_holder") "\n");
    tu_assert_match(text, "^  1\\. 4\\.0 KiB in 2 objects .*\n"
                          "       " SITE_RE("render_alloc") "\n"
                          "       " SITE_RE("render_caller") "\n");
    tu_assert_match(text, "^files: threadprof\\.4242\\.3\\.threads\\.txt, "
                          "threadprof\\.4242\\.3\\.heap\\.pb\\.gz$");
    free(text);
    free(f);
}
END_TEST

/* A part the dump lacks (its profile is off) is refused, and says so. */
START_TEST(render_missing_part_is_einval)
{
    fixture_t *f = new_fixture();
    f->dump.mutex = NULL;
    ck_assert_int_eq(tp_dump_has(&f->dump, TP_PART_MUTEX), 0);
    ck_assert_int_eq(tp_dump_has(&f->dump, TP_PART_BLOCK), 1);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_dump_render(s, &f->dump, TP_PART_MUTEX), -EINVAL);
    ck_assert_uint_eq(s->total, 0);
    tp_sink_free(s);
    free(s);
    ck_assert_str_eq(tp_dump_part_suffix(TP_PART_SUMMARY), "summary.txt");
    free(f);
}
END_TEST

static Suite *render_suite(void)
{
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("parts");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, render_thread_dump_into_memory);
    tcase_add_test(tc, render_profiles_into_memory);
    tcase_add_test(tc, render_summary_into_memory);
    tcase_add_test(tc, render_missing_part_is_einval);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(render_suite());
}
