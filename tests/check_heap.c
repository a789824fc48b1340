/*
 * check_heap: integration tests of the heap profile (agent/heapprof.c,
 * hooks/malloc.c).  tests/programs/heap allocates in known patterns and
 * exits; the exit dump's heap.pb.gz is read back with Debian's `go tool
 * pprof` and each allocating function's figures are compared with what
 * it did: exactly with THREADPROF_HEAP_RATE=1, within the sampling error
 * at the default rate.  The summary's memory still in use at exit is checked too.
 */
#include <stdint.h>

#include "tests/testutil.h"

#define WAIT_MS 60000

/* Runs `heap MODE` under the agent (extra env) to its exit. */
static void run_heap(tu_proc_t *p, const char *mode, const char *const *env)
{
    memset(p, 0, sizeof *p);
    const char *args[] = {mode, NULL};
    tu_start_full(p, "heap", 1, env, args);
    int st = tu_finish(p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                  "heap %s: status %#x; stderr:\n%.2000s", mode, st, p->err);
}

static void heap_path(const tu_proc_t *p, pid_t pid, char *buf, size_t len)
{
    snprintf(buf, len, "%.3000s/threadprof.%d.000001.heap.pb.gz", p->dir, (int)pid);
}

/* One sample type of the profile, flat per innermost function. */
static char *top(const tu_proc_t *p, const char *path, const char *index)
{
    char args[256];
    snprintf(args, sizeof args, "-top -flat -nodecount=500 -nodefraction=0 -edgefraction=0 "
             "-sample_index=%s -unit=B",
             index);
    return tu_pprof(p, args, path);
}

/* The flat value of fn in `pprof -top` output (bytes or a count; 0 when
 * fn is not listed). */
static uint64_t flat(const char *text, const char *fn)
{
    char re[256], cap[32];
    snprintf(re, sizeof re, "^ *([0-9]+)B? .* %s$", fn);
    return tu_match(text, re, cap, sizeof cap) ? strtoull(cap, NULL, 10) : 0;
}

typedef struct figures {
    uint64_t alloc_objects, alloc_space, inuse_objects, inuse_space;
} figures_t;

static figures_t figures_of(const tu_proc_t *p, pid_t pid, const char *fn)
{
    char path[PATH_MAX];
    heap_path(p, pid, path, sizeof path);
    ck_assert_msg(access(path, F_OK) == 0, "no %s; stderr:\n%.2000s", path, p->err);
    static const char *const index[] = {"alloc_objects", "alloc_space",
                                        "inuse_objects", "inuse_space"};
    uint64_t v[4];
    for (int i = 0; i < 4; i++) {
        char *t = top(p, path, index[i]);
        v[i] = flat(t, fn);
        free(t);
    }
    return (figures_t){v[0], v[1], v[2], v[3]};
}

#define assert_figures(f, ao, as, io, is)                                        \
    ck_assert_msg((f).alloc_objects == (ao) && (f).alloc_space == (as) &&        \
                  (f).inuse_objects == (io) && (f).inuse_space == (is),          \
                  "%s: alloc %llu objects %llu B, inuse %llu objects %llu B; "    \
                  "want %llu %llu %llu %llu", #f,                                \
                  (unsigned long long)(f).alloc_objects,                         \
                  (unsigned long long)(f).alloc_space,                           \
                  (unsigned long long)(f).inuse_objects,                         \
                  (unsigned long long)(f).inuse_space, (unsigned long long)(ao), \
                  (unsigned long long)(as), (unsigned long long)(io),            \
                  (unsigned long long)(is))

static char *summary_of(const tu_proc_t *p, pid_t pid)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.000001.summary.txt", p->dir, (int)pid);
    char *text = tu_read_file(path);
    ck_assert_msg(text != NULL, "no %s", path);
    return text;
}

static const char *const full[] = {"THREADPROF_HEAP_RATE=1", NULL};

START_TEST(heap_exact_with_full_tracking)
{
    tu_proc_t p;
    run_heap(&p, "exact", full);
    figures_t leak = figures_of(&p, p.pid, "leak_small");
    figures_t churn = figures_of(&p, p.pid, "churn_small");
    figures_t cal = figures_of(&p, p.pid, "never_freed_calloc");
    assert_figures(leak, 100, 100000, 100, 100000);
    assert_figures(churn, 1000, 64000, 0, 0);
    assert_figures(cal, 10, 1000, 10, 1000);

    char path[PATH_MAX];
    heap_path(&p, p.pid, path, sizeof path);
    char *raw = tu_pprof(&p, "-raw", path);
    tu_assert_match(raw, "^PeriodType: space bytes$");
    tu_assert_match(raw, "^Period: 1$");
    tu_assert_match(raw, "^alloc_objects/count alloc_space/bytes inuse_objects/count "
                         "inuse_space/bytes\\[dflt\\]$");
    tu_assert_match(raw, "^ +[0-9]+: 0x[0-9a-f]+ M=[0-9]+ leak_small /.*heap\\.c:[0-9]+ s=0$");
    free(raw);

    /* The exit dump's summary names the leak, exactly. */
    char *sum = summary_of(&p, p.pid);
    tu_assert_match(sum, "^still in use at exit, by allocation site ");
    tu_assert_match(sum, "^  covers: malloc, calloc, realloc, free and the aligned allocators ");
    tu_assert_no_match(sum, "leak suspects");
    tu_assert_match(sum, "^  1\\. 97\\.7 KiB in 100 objects \\(of 97\\.7 KiB in 100 "
                         "allocated here since start\\)\n +leak_small \\(/.*heap\\.c:[0-9]+\\)$");
    tu_assert_match(sum, "^ +never_freed_calloc \\(");
    tu_assert_no_match(sum, "churn_small");
    tu_assert_match(sum, "every allocation tracked \\(THREADPROF_HEAP_RATE=1\\): exact");
    tu_assert_match(sum, "go tool pprof -top .*heap\\.pb\\.gz");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* Default rate (512 KiB): 192 MiB live in 512 KiB..2 MiB blocks, whose
 * estimate has a standard error of ~2.3% (10% is over 4 of them); the
 * churned blocks are all freed, so none of them is in use. */
START_TEST(heap_estimate_at_default_rate)
{
    tu_proc_t p;
    run_heap(&p, "stat", NULL);
    char cap[32];
    ck_assert_msg(tu_match(p.out, "^live ([0-9]+) bytes", cap, sizeof cap), "%s", p.out);
    double live = strtod(cap, NULL);
    figures_t big = figures_of(&p, p.pid, "big_live");
    figures_t churn = figures_of(&p, p.pid, "churn_big");
    double err = ((double)big.inuse_space - live) / live;
    ck_assert_msg(err > -0.10 && err < 0.10, "in use %llu B estimated for %.0f B (%+.1f%%)",
                  (unsigned long long)big.inuse_space, live, err * 100);
    ck_assert_msg(churn.inuse_space == 0, "churn_big in use %llu B",
                  (unsigned long long)churn.inuse_space);
    /* 256 MiB of small blocks: standard error ~4.4%, so a wide bound. */
    double cerr = ((double)churn.alloc_space - (double)(256u << 20)) / (256u << 20);
    ck_assert_msg(cerr > -0.25 && cerr < 0.25, "churn_big allocated %llu B (%+.1f%%)",
                  (unsigned long long)churn.alloc_space, cerr * 100);
    char *sum = summary_of(&p, p.pid);
    tu_assert_match(sum, "^  1\\. ~[0-9.]+ MiB in ~[0-9]+ objects .*\n +big_live \\(");
    tu_assert_match(sum, "sampled: one allocation per 512\\.0 KiB on average");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

/* Every allocation function: results and errno as without the agent,
 * and each kept block at its own site with its requested size. */
START_TEST(heap_every_function_as_native)
{
    tu_proc_t native, p;
    memset(&native, 0, sizeof native);
    const char *args[] = {"funcs", NULL};
    tu_start_full(&native, "heap", 0, NULL, args);
    ck_assert_int_eq(tu_finish(&native, 0, WAIT_MS), 0);
    run_heap(&p, "funcs", full);
    ck_assert_msg(strcmp(native.out, p.out) == 0, "native:\n%s\nagent:\n%s",
                  native.out, p.out);
    tu_assert_match(p.out, "^calloc overflow: null errno=12$");
    static const struct {
        const char *fn;
        uint64_t size;
    } kept[] = {
        {"keep_malloc", 111}, {"keep_calloc", 111}, {"keep_realloc", 113},
        {"keep_reallocarray", 119}, {"keep_posix_memalign", 127},
        {"keep_aligned_alloc", 128}, {"keep_memalign", 131}, {"keep_valloc", 137},
        {"keep_pvalloc", 139},
    };
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        figures_t f = figures_of(&p, p.pid, kept[i].fn);
        ck_assert_msg(f.inuse_objects == 1 && f.inuse_space == kept[i].size &&
                      f.alloc_objects == 1,
                      "%s: in use %llu objects %llu B, allocated %llu", kept[i].fn,
                      (unsigned long long)f.inuse_objects,
                      (unsigned long long)f.inuse_space,
                      (unsigned long long)f.alloc_objects);
    }
    tu_cleanup(&native);
    tu_cleanup(&p);
}
END_TEST

START_TEST(heap_realloc_chain_and_memalign_free)
{
    tu_proc_t p;
    run_heap(&p, "realloc", full);
    figures_t start = figures_of(&p, p.pid, "chain_start");
    figures_t grow = figures_of(&p, p.pid, "chain_grow");
    figures_t al = figures_of(&p, p.pid, "memalign_freed");
    /* Each realloc is a free of the old block and a new allocation. */
    assert_figures(start, 1, 16, 0, 0);
    ck_assert_msg(grow.alloc_objects == 16 && grow.inuse_objects == 1 &&
                  grow.inuse_space == 1u << 20,
                  "chain_grow: alloc %llu, in use %llu objects %llu B",
                  (unsigned long long)grow.alloc_objects,
                  (unsigned long long)grow.inuse_objects,
                  (unsigned long long)grow.inuse_space);
    assert_figures(al, 100, 30000, 0, 0);
    tu_cleanup(&p);
}
END_TEST

START_TEST(heap_threads_free_each_others_blocks)
{
    tu_proc_t p;
    run_heap(&p, "threads", full);
    figures_t cross = figures_of(&p, p.pid, "cross_alloc");
    figures_t kept = figures_of(&p, p.pid, "thread_keep");
    assert_figures(cross, 8000, 8000 * 128, 0, 0);
    assert_figures(kept, 80, 80 * 256, 80, 80 * 256);
    tu_cleanup(&p);
}
END_TEST

/* The child inherits the parent's samples: its frees of them count, and
 * it writes its own profile at its exit. */
START_TEST(heap_fork_child_inherits_samples)
{
    tu_proc_t p;
    /* The child lives for milliseconds: only "all" gives it an exit dump. */
    const char *env[] = {"THREADPROF_HEAP_RATE=1", "THREADPROF_ON_EXIT=all", NULL};
    run_heap(&p, "fork", env);
    char cap[32];
    ck_assert_msg(tu_match(p.out, "^child ([0-9]+) exited 0$", cap, sizeof cap), "%s", p.out);
    pid_t child = (pid_t)atoi(cap);
    figures_t parent = figures_of(&p, p.pid, "parent_keep");
    assert_figures(parent, 10, 10000, 10, 10000);
    figures_t inherited = figures_of(&p, child, "parent_keep");
    figures_t own = figures_of(&p, child, "child_keep");
    assert_figures(inherited, 10, 10000, 5, 5000);
    assert_figures(own, 3, 6000, 3, 6000);
    figures_t none = figures_of(&p, p.pid, "child_keep");
    assert_figures(none, 0, 0, 0, 0);
    tu_cleanup(&p);
}
END_TEST

START_TEST(heap_rate_zero_writes_no_heap_file)
{
    tu_proc_t p;
    const char *env[] = {"THREADPROF_HEAP_RATE=0", NULL};
    run_heap(&p, "exact", env);
    char path[PATH_MAX];
    heap_path(&p, p.pid, path, sizeof path);
    ck_assert_msg(access(path, F_OK) != 0, "%s written with rate 0", path);
    char *sum = summary_of(&p, p.pid);
    tu_assert_match(sum, "^heap: not profiled \\(THREADPROF_HEAP_RATE=0\\)$");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

START_TEST(heap_bad_rate_warns_and_uses_default)
{
    tu_proc_t p;
    const char *env[] = {"THREADPROF_HEAP_RATE=lots", NULL};
    run_heap(&p, "exact", env);
    ck_assert_int_eq(tu_count(p.err, "THREADPROF_HEAP_RATE"), 1);
    tu_assert_match(p.err, "^threadprof: THREADPROF_HEAP_RATE=\"lots\" is not bytes .*; "
                           "using 524288 \\(512 KiB\\)$");
    char path[PATH_MAX];
    heap_path(&p, p.pid, path, sizeof path);
    char *raw = tu_pprof(&p, "-raw", path);
    tu_assert_match(raw, "^Period: 524288$");
    free(raw);
    tu_cleanup(&p);
}
END_TEST

/* Misuse goes to the real allocator untouched: glibc's own check still
 * aborts, with its own message, as without the agent.  With full tracking
 * the block freed twice is a sampled one. */
START_TEST(heap_misuse_reaches_real_allocator)
{
    static const char *const modes[] = {"doublefree", "badfree"};
    for (size_t i = 0; i < 2; i++) {
        tu_proc_t native, p;
        memset(&native, 0, sizeof native);
        memset(&p, 0, sizeof p);
        const char *args[] = {modes[i], NULL};
        tu_start_full(&native, "heap", 0, NULL, args);
        int ns = tu_finish(&native, 0, WAIT_MS);
        tu_start_full(&p, "heap", 1, full, args);
        int as = tu_finish(&p, 0, WAIT_MS);
        ck_assert_msg(WIFSIGNALED(ns) && WTERMSIG(ns) == SIGABRT, "%s native: %#x",
                      modes[i], ns);
        ck_assert_msg(WIFSIGNALED(as) && WTERMSIG(as) == SIGABRT, "%s agent: %#x\n%s",
                      modes[i], as, p.err);
        tu_assert_match(native.err, "^(free\\(\\)|munmap_chunk\\(\\)): ");
        /* glibc's line, the same as natively (first line of stderr). */
        char *nl = strchr(native.err, '\n');
        ck_assert(nl != NULL);
        *nl = '\0';
        ck_assert_msg(strstr(p.err, native.err) != NULL, "%s: native said \"%s\", agent:\n%s",
                      modes[i], native.err, p.err);
        tu_cleanup(&native);
        tu_cleanup(&p);
    }
}
END_TEST

/* An allocator ahead of the agent's hooks takes every call: the agent
 * says so once instead of writing a silently empty heap profile; and one
 * that only exports jemalloc's API is named too.  The program runs as
 * usual either way. */
START_TEST(heap_foreign_allocator_reported)
{
    static const struct {
        const char *lib;
        const char *said, *summary, *comment;
    } cases[] = {
        {"own_malloc", "^threadprof: malloc is defined by /.*/own_malloc\\.so, ahead of "
                       "the C library and threadprof: its allocations are not in the heap "
                       "profile$",
         "^  malloc is defined by /.*/own_malloc\\.so, ahead of the C library: its "
         "allocations are not counted",
         "malloc is defined by /.*/own_malloc\\.so: its allocations are not seen"},
        {"mallocx_only", "^threadprof: mallocx \\(in /.*/mallocx_only\\.so\\) looks like "
                         "an allocator other than the C library's",
         "^  mallocx \\(in /.*/mallocx_only\\.so\\) looks like another allocator: memory "
         "it hands out without calling malloc is not counted$",
         "mallocx \\(/.*/mallocx_only\\.so\\) hands out memory not seen"},
    };
    for (size_t i = 0; i < 2; i++) {
        char rel[PATH_MAX], own[PATH_MAX], lib[PATH_MAX], preload[3 * PATH_MAX];
        snprintf(rel, sizeof rel, "%.3000s/tests/programs/preload/%s.so", tu_build(),
                 cases[i].lib);
        ck_assert_msg(realpath(rel, own) != NULL, "no %s", rel);
        snprintf(rel, sizeof rel, "%.3000s/libthreadprof.so", tu_build());
        ck_assert(realpath(rel, lib) != NULL);
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s:%s", own, lib);
        const char *env[] = {preload, NULL};
        tu_proc_t p;
        run_heap(&p, "exact", env);
        tu_assert_match(p.out, "^done$");
        tu_assert_match(p.err, cases[i].said);
        ck_assert_int_eq(tu_count(p.err, "heap profile"), 1);
        /* Said where the figures are read too: the summary and the
         * profile's comment. */
        char *sum = summary_of(&p, p.pid);
        tu_assert_match(sum, cases[i].summary);
        free(sum);
        char path[PATH_MAX];
        heap_path(&p, p.pid, path, sizeof path);
        char *raw = tu_pprof(&p, "-raw", path);
        tu_assert_match(raw, cases[i].comment);
        free(raw);
        tu_cleanup(&p);
    }
}
END_TEST

/* The agent's own allocations are never in the profile: pthread_create's
 * record of the new thread (32 bytes, malloc'd inside the hook) once
 * showed up as the program's, at main's call of pthread_create, because
 * the compiler dropped the guard around the agent's malloc call. */
START_TEST(heap_agent_allocations_not_sampled)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_HEAP_RATE=1", "THREADPROF_QUIET=1", NULL};
    tu_start_full(&p, "exiter", 1, env, NULL);
    int status = tu_finish(&p, 0, WAIT_MS);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    char *sum = summary_of(&p, p.pid);
    /* The threads' own memory is there, with the C library's frames. */
    tu_assert_match(sum, "^       allocate_dtv \\(");
    /* Nothing allocated straight from main's pthread_create lines. */
    tu_assert_no_match(sum, "^  [0-9]+\\. [^\n]*\n +main \\([^)]*exiter\\.c:3[35]\\)");
    tu_assert_no_match(sum, "^  [0-9]+\\. 64 B in 2 objects");
    free(sum);
    tu_cleanup(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("heap");
    TCase *tc = tcase_create("heap");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, heap_exact_with_full_tracking);
    tcase_add_test(tc, heap_estimate_at_default_rate);
    tcase_add_test(tc, heap_every_function_as_native);
    tcase_add_test(tc, heap_realloc_chain_and_memalign_free);
    tcase_add_test(tc, heap_threads_free_each_others_blocks);
    tcase_add_test(tc, heap_fork_child_inherits_samples);
    tcase_add_test(tc, heap_rate_zero_writes_no_heap_file);
    tcase_add_test(tc, heap_bad_rate_warns_and_uses_default);
    tcase_add_test(tc, heap_misuse_reaches_real_allocator);
    tcase_add_test(tc, heap_foreign_allocator_reported);
    tcase_add_test(tc, heap_agent_allocations_not_sampled);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(suite());
}
