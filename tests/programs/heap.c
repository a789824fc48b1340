/*
 * heap: allocation patterns of known size for the heap profile
 * (tests/check_heap.c).  Every allocating function below is noinline, so
 * it is the innermost frame of its samples.  Usage: heap MODE, then exits
 * 0 (the exit dump is what the tests read):
 *
 *   exact    leak_small: 100 blocks of 1000 B kept; churn_small: 1000
 *            blocks of 64 B freed; never_freed_calloc: 10 x 100 B calloc
 *            kept.
 *   stat     big_live: 192 MiB kept in blocks of 512 KiB..2 MiB (sizes from
 *            a fixed generator); churn_big: 256 MiB allocated and freed
 *            in blocks of 1..64 KiB.  Prints the exact live total.  (At
 *            the default rate the estimate's standard error is ~2.3% for
 *            this shape; for 64 MiB of small blocks it would be ~9%, as
 *            in Go: sqrt(rate / live bytes).)
 *   funcs    every allocation function and edge case; prints one line per
 *            result (value and errno) to stdout, to be compared with a
 *            native run; keeps one block from each function at its own
 *            site (keep_<function>).
 *   realloc  chain_start: malloc(16); chain_grow: realloc'd 16 times up
 *            to 1 MiB and kept; memalign_freed: 100 memalign'd blocks
 *            freed with free.
 *   threads  8 threads: each allocates 1000 blocks of 128 B in
 *            cross_alloc and hands them to the next thread, which frees
 *            them; each also keeps 10 x 256 B in thread_keep.
 *   fork     parent_keep: 10 x 1000 B; fork; the child frees 5 of them,
 *            keeps child_keep: 3 x 2000 B and exits; the parent waits.
 *   doublefree  frees a block twice: glibc's own check aborts the program.
 *   badfree  frees a pointer malloc never returned: glibc aborts too.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static void *volatile sink[4096];

static void keep(int i, void *p)
{
    sink[i % 4096] = p;
}

/* --- exact ------------------------------------------------------------- */

static NOINLINE void *leak_small(void)
{
    return malloc(1000);
}

static NOINLINE void *churn_small(void)
{
    return malloc(64);
}

static NOINLINE void *never_freed_calloc(void)
{
    return calloc(10, 10);
}

static void mode_exact(void)
{
    for (int i = 0; i < 100; i++)
        keep(i, leak_small());
    for (int i = 0; i < 1000; i++)
        free(churn_small());
    for (int i = 0; i < 10; i++)
        keep(200 + i, never_freed_calloc());
}

/* --- stat -------------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;

/* A size in [lo, hi], from a fixed xorshift sequence. */
static size_t next_size(size_t lo, size_t hi)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return lo + (size_t)(rng % (hi - lo + 1));
}

static NOINLINE void *big_live(size_t n)
{
    return malloc(n);
}

static NOINLINE void *churn_big(size_t n)
{
    return malloc(n);
}

static void mode_stat(void)
{
    size_t live = 0;
    static void *blocks[8192];
    int nb = 0;
    while (live < 192u << 20 && nb < 8192) {
        size_t n = next_size(512u << 10, 2u << 20);
        blocks[nb] = big_live(n);
        memset(blocks[nb], 1, 16);
        nb++;
        live += n;
    }
    size_t churned = 0;
    while (churned < 256u << 20) {
        size_t n = next_size(1024, 64u << 10);
        void *p = churn_big(n);
        memset(p, 2, 16);
        free(p);
        churned += n;
    }
    printf("live %zu bytes in %d blocks\n", live, nb);
}

/* --- funcs ------------------------------------------------------------- */

static void report(const char *what, const void *p, int err)
{
    printf("%s: %s errno=%d\n", what, p ? "non-null" : "null", p ? 0 : err);
}

static NOINLINE void *keep_malloc(void) { return malloc(111); }
static NOINLINE void *keep_calloc(void) { return calloc(3, 37); }
static NOINLINE void *keep_realloc(void) { return realloc(NULL, 113); }
static NOINLINE void *keep_reallocarray(void) { return reallocarray(NULL, 7, 17); }
static NOINLINE void *keep_posix_memalign(void)
{
    void *p = NULL;
    return posix_memalign(&p, 64, 127) == 0 ? p : NULL;
}
static NOINLINE void *keep_aligned_alloc(void) { return aligned_alloc(64, 128); }
static NOINLINE void *keep_memalign(void) { return memalign(128, 131); }
static NOINLINE void *keep_valloc(void) { return valloc(137); }
static NOINLINE void *keep_pvalloc(void) { return pvalloc(139); }

/* Sizes the compiler must not see through (it rejects the overflows). */
static volatile size_t half_max = SIZE_MAX / 2, huge = SIZE_MAX - 4096;

static void mode_funcs(void)
{
    keep(0, keep_malloc());
    keep(1, keep_calloc());
    keep(2, keep_realloc());
    keep(3, keep_reallocarray());
    keep(4, keep_posix_memalign());
    keep(5, keep_aligned_alloc());
    keep(6, keep_memalign());
    keep(7, keep_valloc());
    keep(8, keep_pvalloc());

    void *p = malloc(0);
    report("malloc(0)", p, errno);
    free(p);
    free(NULL);
    printf("free(NULL): returned\n");
    p = malloc(10);
    errno = 0;
    void *q = realloc(p, 0);
    report("realloc(p, 0)", q, errno);
    errno = 0;
    p = calloc(half_max, 4);
    report("calloc overflow", p, errno);
    errno = 0;
    p = reallocarray(NULL, half_max, 4);
    report("reallocarray overflow", p, errno);
    errno = 0;
    p = malloc(huge);
    report("malloc huge", p, errno);
    void *out = (void *)1;
    int r = posix_memalign(&out, 3, 8);
    printf("posix_memalign(align 3): %d out unchanged=%d\n", r, out == (void *)1);
    r = posix_memalign(&out, 64, huge);
    printf("posix_memalign(huge): %d\n", r);
    errno = 0;
    p = aligned_alloc(3, 8);
    report("aligned_alloc(align 3)", p, errno);
    free(p);
    errno = 0;
    p = memalign(3, 8);     /* glibc rounds the alignment up */
    report("memalign(align 3)", p, errno);
    free(p);
    p = malloc(100);
    printf("malloc_usable_size >= 100: %d\n", malloc_usable_size(p) >= 100);
    printf("malloc_usable_size(NULL): %zu\n", malloc_usable_size(NULL));
    p = realloc(p, 100000);
    report("realloc grow", p, errno);
    free(p);
}

/* --- realloc ----------------------------------------------------------- */

static NOINLINE void *chain_start(void)
{
    return malloc(16);
}

static NOINLINE void *chain_grow(void *p, size_t n)
{
    return realloc(p, n);
}

static NOINLINE void *memalign_freed(void)
{
    return memalign(256, 300);
}

static void mode_realloc(void)
{
    void *p = chain_start();
    for (size_t n = 32; n <= 1u << 20; n *= 2)
        p = chain_grow(p, n);
    keep(0, p);
    for (int i = 0; i < 100; i++)
        free(memalign_freed());
}

/* --- threads ----------------------------------------------------------- */

#define NTHREADS 8
#define PER_THREAD 1000

static void *handoff[NTHREADS][PER_THREAD];
static pthread_barrier_t made;

static NOINLINE void *cross_alloc(void)
{
    return malloc(128);
}

static NOINLINE void *thread_keep(void)
{
    return malloc(256);
}

static void *thread_main(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++)
        handoff[me][i] = cross_alloc();
    for (int i = 0; i < 10; i++)
        keep(100 + me * 10 + i, thread_keep());
    pthread_barrier_wait(&made);
    int other = (me + 1) % NTHREADS;
    for (int i = 0; i < PER_THREAD; i++)
        free(handoff[other][i]);
    return NULL;
}

static void mode_threads(void)
{
    pthread_t t[NTHREADS];
    pthread_barrier_init(&made, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, thread_main, (void *)(intptr_t)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
}

/* --- fork -------------------------------------------------------------- */

static NOINLINE void *parent_keep(void)
{
    return malloc(1000);
}

static NOINLINE void *child_keep(void)
{
    return malloc(2000);
}

static void mode_fork(void)
{
    void *mine[10];
    for (int i = 0; i < 10; i++)
        mine[i] = parent_keep();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 5; i++)
            free(mine[i]);
        for (int i = 0; i < 3; i++)
            keep(i, child_keep());
        exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child %d exited %d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    for (int i = 0; i < 10; i++)
        keep(i, mine[i]);
}

/* --- misuse: the real allocator's diagnostics must still fire ---------- */

static void mode_doublefree(void)
{
    void *p = malloc(100);
    void *volatile q = p;
    free(p);
    free(q);
}

static void mode_badfree(void)
{
    static char not_heap[64];
    void *volatile p = not_heap + 16;
    free(p);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "exact") == 0)
        mode_exact();
    else if (strcmp(mode, "stat") == 0)
        mode_stat();
    else if (strcmp(mode, "funcs") == 0)
        mode_funcs();
    else if (strcmp(mode, "realloc") == 0)
        mode_realloc();
    else if (strcmp(mode, "threads") == 0)
        mode_threads();
    else if (strcmp(mode, "fork") == 0)
        mode_fork();
    else if (strcmp(mode, "doublefree") == 0)
        mode_doublefree();
    else if (strcmp(mode, "badfree") == 0)
        mode_badfree();
    else {
        fprintf(stderr, "usage: heap exact|stat|funcs|realloc|threads|fork|doublefree|badfree\n");
        return 2;
    }
    printf("done\n");
    return 0;
}
