/*
 * Benchmark: an uncontended pthread_mutex_lock + unlock pair in one
 * thread, the fast path of the mutex hook (try first, record nothing).
 *
 * Besides the usual value (per pair, through the symbols the program
 * links to: the agent's hooks when it is preloaded), prints paired=: in
 * this one process, the median over BENCH_PAIRED_BLOCKS alternating
 * blocks of the difference between a block through those symbols and a block through
 * libc's own functions (looked up in libc itself, bypassing any
 * interposer).  Natively both are libc's and it is ~0; under the agent it
 * is the hooks' cost, free of the several-ns drift between processes on a
 * shared VM that the value comparison suffers.
 *
 * Usage: mutex_uncontended [ITERATIONS]   (default 20,000,000)
 */
#include "tests/bench/bench.h"

#define BLOCK_PAIRS 200000

typedef int (*mutex_fn)(pthread_mutex_t *);

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static void pair(long i)
{
    (void)i;
    int err = pthread_mutex_lock(&mutex);
    if (err != 0)
        bench_die("pthread_mutex_lock", err);
    err = pthread_mutex_unlock(&mutex);
    if (err != 0)
        bench_die("pthread_mutex_unlock", err);
}

/* ns per pair of BLOCK_PAIRS pairs, through the linked symbols or libc's
 * own (bench_paired_median).  The linked ones are called through volatile
 * pointers: the compiler must go through the PLT, as the program does. */
static double block(int linked)
{
    static mutex_fn own_lock, own_unlock;
    static mutex_fn volatile linked_lock = pthread_mutex_lock;
    static mutex_fn volatile linked_unlock = pthread_mutex_unlock;
    if (own_lock == NULL) {
        own_lock = (mutex_fn)bench_libc_symbol("pthread_mutex_lock");
        own_unlock = (mutex_fn)bench_libc_symbol("pthread_mutex_unlock");
    }
    mutex_fn lock = linked ? linked_lock : own_lock;
    mutex_fn unlock = linked ? linked_unlock : own_unlock;
    double t0 = bench_now_ns();
    for (long i = 0; i < BLOCK_PAIRS; i++) {
        lock(&mutex);
        unlock(&mutex);
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
