/*
 * Benchmark: the cost of read(fd, buf, 1) on a descriptor that is always
 * ready (/dev/zero), the hot path of the agent's syscall hooks.  Run it
 * natively and under LD_PRELOAD; scripts/bench prints the difference.
 *
 * Usage: read_ready [ITERATIONS]   (default 2,000,000)
 * Prints one line, "value=<ns per call> unit=ns agent=<0|1>", where agent
 * says whether libthreadprof.so is mapped into this process.  Exits non-zero
 * on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, int err)
{
    fprintf(stderr, "read_ready: %s: %s\n", what, strerror(err));
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
 * dump thread does, so glibc takes the same (multi-threaded) paths in both
 * runs and the difference is the agent's own.
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
        fprintf(stderr, "read_ready: bad iteration count '%s'\n", s);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? parse_count(argv[1]) : 2000000;
    pthread_t t;
    char c;
    double t0, t1;
    int fd, err;

    fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("open /dev/zero", errno);
    err = pthread_create(&t, NULL, parked, NULL);
    if (err != 0)
        die("pthread_create", err);

    for (long i = 0; i < iters / 20; i++)       /* warm-up */
        if (read(fd, &c, 1) != 1)
            die("read", errno);
    t0 = now_ns();
    for (long i = 0; i < iters; i++)
        if (read(fd, &c, 1) != 1)
            die("read", errno);
    t1 = now_ns();

    if (printf("value=%.2f unit=ns agent=%d\n", (t1 - t0) / (double)iters,
               agent_loaded()) < 0 || fflush(stdout) != 0)
        die("stdout", errno);
    return 0;
}
