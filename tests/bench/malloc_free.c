/*
 * Benchmark: a malloc(64) + free pair in one thread, the fast path of the
 * allocator hooks (with heap profiling: the per-thread sampling countdown
 * only, as almost no allocation is sampled at the default rate).
 *
 * Like mutex_uncontended, besides the usual value (per pair, through the
 * symbols the program links to: the agent's hooks when it is preloaded)
 * it prints paired=: in this one process, the median over BLOCKS
 * alternating blocks of the difference between a block through those
 * symbols and a block through libc's own malloc and free (looked up in
 * libc itself, bypassing any interposer).  Natively both are libc's and it
 * is ~0; under the agent it is the hooks' cost, free of the drift between
 * processes on a shared VM.  Each block frees what it allocated with the
 * same family, so the agent never sees a block it did not hand out.
 *
 * Usage: malloc_free [ITERATIONS]   (default 20,000,000)
 */
#include <dlfcn.h>

#include "tests/bench/bench.h"

#define BLOCKS 41
#define BLOCK_PAIRS 200000
#define SIZE 64

typedef void *(*malloc_fn)(size_t);
typedef void (*free_fn)(void *);

static void pair(long i)
{
    (void)i;
    void *p = malloc(SIZE);
    if (p == NULL)
        bench_die("malloc", ENOMEM);
    /* The pointer escapes: the compiler may not drop the pair. */
    __asm__ volatile("" : : "r"(p) : "memory");
    free(p);
}

/* ns per pair of BLOCK_PAIRS pairs through m/f. */
static double block(malloc_fn m, free_fn f)
{
    double t0 = bench_now_ns();
    for (long i = 0; i < BLOCK_PAIRS; i++) {
        void *p = m(SIZE);
        if (p == NULL)
            bench_die("malloc", ENOMEM);
        __asm__ volatile("" : : "r"(p) : "memory");
        f(p);
    }
    return (bench_now_ns() - t0) / BLOCK_PAIRS;
}

static double paired_difference(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (libc == NULL)
        bench_die("dlopen libc.so.6", ENOENT);
    malloc_fn libc_malloc = (malloc_fn)dlsym(libc, "malloc");
    free_fn libc_free = (free_fn)dlsym(libc, "free");
    if (libc_malloc == NULL || libc_free == NULL)
        bench_die("dlsym malloc/free", ENOENT);
    /* Through volatile pointers: the compiler must call the linked
     * symbols (the PLT, hence any interposer), as the program does. */
    malloc_fn volatile linked_malloc = malloc;
    free_fn volatile linked_free = free;
    double diff[BLOCKS];
    for (int b = 0; b < BLOCKS; b++) {
        double own = block(libc_malloc, libc_free);
        diff[b] = block(linked_malloc, linked_free) - own;
    }
    qsort(diff, BLOCKS, sizeof diff[0], bench_cmp_double);
    return diff[BLOCKS / 2];
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? bench_parse_count(argv[1]) : 20000000;
    char extra[64];
    bench_start_parked_thread();
    snprintf(extra, sizeof extra, "paired=%.2f", paired_difference());
    bench_run_extra(pair, iters, 1, "ns", extra);
    return 0;
}
