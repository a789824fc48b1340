/*
 * Benchmark: the cost of pthread_create + pthread_join of a thread that
 * returns at once (default attributes, so glibc reuses cached stacks).  The
 * agent registers every thread it sees start and end, so this is its
 * per-thread overhead.  Run it natively and under LD_PRELOAD; scripts/bench
 * prints the difference.
 *
 * Usage: thread_create [ITERATIONS]   (default 20,000)
 * Prints one line, "value=<us per pair> unit=us agent=<0|1>", where agent
 * says whether libthreadprof.so is mapped into this process.  Exits non-zero
 * on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void die(const char *what, int err)
{
    fprintf(stderr, "thread_create: %s: %s\n", what, strerror(err));
    exit(1);
}

static double now_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        die("clock_gettime", errno);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Returns 1 when libthreadprof.so is mapped into this process. */
static int agent_loaded(void)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "r");

    if (f == NULL)
        die("/proc/self/maps", errno);
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, "libthreadprof.so") != NULL;
    fclose(f);
    return found;
}

static long parse_count(const char *s)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n <= 0) {
        fprintf(stderr, "thread_create: bad iteration count '%s'\n", s);
        exit(2);
    }
    return n;
}

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
        die("pthread_create", err);
    err = pthread_join(t, &ret);
    if (err != 0)
        die("pthread_join", err);
    if (ret != (void *)i) {
        fprintf(stderr, "thread_create: thread %ld returned %p\n", i, ret);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? parse_count(argv[1]) : 20000;
    double t0, t1;

    for (long i = 0; i < iters / 20; i++)       /* warm-up */
        create_join(i);
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        create_join(i);
    t1 = now_ns();

    if (printf("value=%.2f unit=us agent=%d\n",
               (t1 - t0) / (double)iters / 1e3, agent_loaded()) < 0 ||
        fflush(stdout) != 0)
        die("stdout", errno);
    return 0;
}
