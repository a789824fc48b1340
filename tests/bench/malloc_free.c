/*
 * Benchmark: a malloc(64) + free pair in one thread, the fast path of the
 * allocator hooks (with heap profiling: the per-thread sampling countdown
 * only, as almost no allocation is sampled at the default rate).
 *
 * Like mutex_uncontended, besides the usual value (per pair, through the
 * symbols the program links to: the agent's hooks when it is preloaded)
 * it prints paired=: in this one process, the median over BENCH_PAIRED_BLOCKS
 * alternating blocks of the difference between a block through those
 * symbols and a block through libc's own malloc and free (looked up in
 * libc itself, bypassing any interposer).  Natively both are libc's and it
 * is ~0; under the agent it is the hooks' cost, free of the drift between
 * processes on a shared VM.  Each block frees what it allocated with the
 * same family, so the agent never sees a block it did not hand out.
 *
 * Usage: malloc_free [ITERATIONS]   (default 20,000,000)
 */
#include "tests/bench/bench.h"

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

/* ns per pair of BLOCK_PAIRS pairs, through the linked symbols or libc's
 * own (bench_paired_median; volatile pointers keep the PLT calls). */
static double block(int linked)
{
    static malloc_fn own_malloc;
    static free_fn own_free;
    static malloc_fn volatile linked_malloc = malloc;
    static free_fn volatile linked_free = free;
    if (own_malloc == NULL) {
        own_malloc = (malloc_fn)bench_libc_symbol("malloc");
        own_free = (free_fn)bench_libc_symbol("free");
    }
    malloc_fn m = linked ? linked_malloc : own_malloc;
    free_fn f = linked ? linked_free : own_free;
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

int main(int argc, char **argv)
{
    long iters = argc > 1 ? bench_parse_count(argv[1]) : 20000000;
    bench_start_parked_thread();
    bench_run_paired(pair, iters, block);
    return 0;
}
