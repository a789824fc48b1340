/*
 * Benchmark: an uncontended pthread_mutex_lock + unlock pair in one
 * thread, the fast path of the mutex hook (try first, record nothing).
 *
 * Usage: mutex_uncontended [ITERATIONS]   (default 20,000,000)
 */
#include "tests/bench/bench.h"

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

int main(int argc, char **argv)
{
    long iters = argc > 1 ? bench_parse_count(argv[1]) : 20000000;
    bench_start_parked_thread();
    bench_run(pair, iters, 1, "ns");
    return 0;
}
