/*
 * Benchmark: pthread_create + pthread_join of a trivial thread, which
 * under the agent also records the creation stack and registers the
 * thread.
 *
 * Usage: thread_create [ITERATIONS]   (default 20,000)
 */
#include "tests/bench/bench.h"

static void *trivial(void *arg)
{
    return arg;
}

static void create_join(long i)
{
    pthread_t t;
    void *ret;
    int err = pthread_create(&t, NULL, trivial, (void *)i);
    if (err != 0)
        bench_die("pthread_create", err);
    err = pthread_join(t, &ret);
    if (err != 0)
        bench_die("pthread_join", err);
    if (ret != (void *)i) {
        fprintf(stderr, "thread_create: thread %ld returned %p\n", i, ret);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? bench_parse_count(argv[1]) : 20000;
    bench_run(create_join, iters, 1e3, "us");
    return 0;
}
