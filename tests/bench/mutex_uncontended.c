/*
 * Benchmark: the cost of an uncontended pthread_mutex_lock +
 * pthread_mutex_unlock pair on a normal mutex, the agent's hottest hook.
 * Run it natively and under LD_PRELOAD; scripts/bench prints the difference.
 *
 * Usage: mutex_uncontended [ITERATIONS]   (default 20,000,000)
 * Prints one line, "value=<ns per pair> unit=ns agent=<0|1>", where agent
 * says whether libthreadprof.so is mapped into this process.  Exits non-zero
 * on any failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what, int err)
{
    fprintf(stderr, "mutex_uncontended: %s: %s\n", what, strerror(err));
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

/*
 * A parked thread makes the native run multi-threaded too, as the agent's
 * dump thread does, so glibc takes the same paths in both runs and the
 * difference is the agent's own.
 */
static void *parked(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static long parse_count(const char *s)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n <= 0) {
        fprintf(stderr, "mutex_uncontended: bad iteration count '%s'\n", s);
        exit(2);
    }
    return n;
}

/* One lock/unlock pair (calls into libc, so the loop cannot be folded). */
static void pair(void)
{
    int err = pthread_mutex_lock(&mutex);

    if (err != 0)
        die("pthread_mutex_lock", err);
    err = pthread_mutex_unlock(&mutex);
    if (err != 0)
        die("pthread_mutex_unlock", err);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? parse_count(argv[1]) : 20000000;
    pthread_t t;
    double t0, t1;
    int err;

    err = pthread_create(&t, NULL, parked, NULL);
    if (err != 0)
        die("pthread_create", err);

    for (long i = 0; i < iters / 20; i++)       /* warm-up */
        pair();
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        pair();
    t1 = now_ns();

    if (printf("value=%.2f unit=ns agent=%d\n", (t1 - t0) / (double)iters,
               agent_loaded()) < 0 || fflush(stdout) != 0)
        die("stdout", errno);
    return 0;
}
