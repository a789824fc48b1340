/*
 * Benchmark: an uncontended pthread_mutex_lock + unlock pair in one
 * thread, the fast path of the mutex hook (try first, record nothing).
 *
 * Besides the usual value (per pair, through the symbols the program
 * links to: the agent's hooks when it is preloaded), prints paired=: in
 * this one process, the median over BLOCKS alternating blocks of the
 * difference between a block through those symbols and a block through
 * libc's own functions (looked up in libc itself, bypassing any
 * interposer).  Natively both are libc's and it is ~0; under the agent it
 * is the hooks' cost, free of the several-ns drift between processes on a
 * shared VM that the value comparison suffers.
 *
 * Usage: mutex_uncontended [ITERATIONS]   (default 20,000,000)
 */
#include <dlfcn.h>

#include "tests/bench/bench.h"

#define BLOCKS 41
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

/* ns per pair of BLOCK_PAIRS pairs through lock/unlock. */
static double block(mutex_fn lock, mutex_fn unlock)
{
    double t0 = bench_now_ns();
    for (long i = 0; i < BLOCK_PAIRS; i++) {
        lock(&mutex);
        unlock(&mutex);
    }
    return (bench_now_ns() - t0) / BLOCK_PAIRS;
}

static double paired_difference(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (libc == NULL)
        bench_die("dlopen libc.so.6", ENOENT);
    mutex_fn libc_lock = (mutex_fn)dlsym(libc, "pthread_mutex_lock");
    mutex_fn libc_unlock = (mutex_fn)dlsym(libc, "pthread_mutex_unlock");
    if (libc_lock == NULL || libc_unlock == NULL)
        bench_die("dlsym pthread_mutex_*", ENOENT);
    /* Through volatile pointers: the compiler must call the linked
     * symbols (the PLT, hence any interposer), as the program does. */
    mutex_fn volatile linked_lock = pthread_mutex_lock;
    mutex_fn volatile linked_unlock = pthread_mutex_unlock;
    double diff[BLOCKS];
    for (int b = 0; b < BLOCKS; b++) {
        double own = block(libc_lock, libc_unlock);
        diff[b] = block(linked_lock, linked_unlock) - own;
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
