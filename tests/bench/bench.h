/*
 * bench.h: what the microbenchmarks share: failing loudly, a monotonic
 * clock in ns, whether the agent is mapped into this process (a preload
 * that silently failed must not pass for a free agent), a parked thread
 * that makes the native run multi-threaded like the agent's, and argument
 * parsing.  Header-only: each benchmark is one program.
 */
#ifndef TP_BENCH_H
#define TP_BENCH_H

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char *program_invocation_short_name;

static inline void bench_die(const char *what, int err)
{
    fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
            strerror(err));
    exit(1);
}

static inline double bench_now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        bench_die("clock_gettime", errno);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Returns 1 when libthreadprof.so is mapped into this process. */
static inline int bench_agent_loaded(void)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        bench_die("/proc/self/maps", errno);
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, "libthreadprof.so") != NULL;
    fclose(f);
    return found;
}

static inline void *bench_parked_main(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

/* A parked thread makes the native run multi-threaded too, as the agent's
 * dump thread does, so glibc takes the same paths in both runs and the
 * difference is the agent's own. */
static inline void bench_start_parked_thread(void)
{
    pthread_t t;
    int r = pthread_create(&t, NULL, bench_parked_main, NULL);
    if (r != 0)
        bench_die("pthread_create", r);
}

static inline long bench_parse_count(const char *s)
{
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n <= 0) {
        fprintf(stderr, "%s: bad iteration count '%s'\n",
                program_invocation_short_name, s);
        exit(2);
    }
    return n;
}



/* Runs op iters/20 times to warm up, then iters times timed; prints the
 * line scripts/bench reads: "value=<per op> unit=<unit> agent=<0|1>",
 * followed by extra (more key=value fields) when not NULL. */
static inline void bench_run_extra(void (*op)(long), long iters, double unit_ns,
                                   const char *unit, const char *extra)
{
    for (long i = 0; i < iters / 20; i++)
        op(i);
    double t0 = bench_now_ns();
    for (long i = 0; i < iters; i++)
        op(i);
    double t1 = bench_now_ns();
    if (printf("value=%.2f unit=%s agent=%d%s%s\n",
               (t1 - t0) / (double)iters / unit_ns, unit,
               bench_agent_loaded(), extra ? " " : "", extra ? extra : "") < 0 ||
        fflush(stdout) != 0)
        bench_die("stdout", errno);
}

static inline void bench_run(void (*op)(long), long iters, double unit_ns,
                             const char *unit)
{
    bench_run_extra(op, iters, unit_ns, unit, NULL);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* libc's own definition of name, looked up in libc.so.6 itself, so that
 * no interposer (the agent) stands in between. */
static inline void *bench_libc_symbol(const char *name)
{
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    void *sym = libc != NULL ? dlsym(libc, name) : NULL;
    if (sym == NULL) {
        fprintf(stderr, "%s: no %s in libc.so.6\n", program_invocation_short_name, name);
        exit(1);
    }
    return sym;
}

/* The paired measurement: block(linked) times one block of operations
 * through the symbols the program links to (linked = 1: the PLT, hence
 * the agent's hooks when it is preloaded) or through libc's own functions
 * (linked = 0), in ns per operation.  Returns the median over
 * BENCH_PAIRED_BLOCKS alternating blocks of the difference: ~0 natively,
 * the hooks' cost under the agent, free of the drift between processes
 * on a shared VM. */
#define BENCH_PAIRED_BLOCKS 41
static inline double bench_paired_median(double (*block)(int linked))
{
    double diff[BENCH_PAIRED_BLOCKS];
    for (int b = 0; b < BENCH_PAIRED_BLOCKS; b++) {
        double own = block(0);
        diff[b] = block(1) - own;
    }
    qsort(diff, BENCH_PAIRED_BLOCKS, sizeof diff[0], bench_cmp_double);
    return diff[BENCH_PAIRED_BLOCKS / 2];
}

/* Prints the usual line with the paired median as paired=. */
static inline void bench_run_paired(void (*op)(long), long iters,
                                    double (*block)(int linked))
{
    char extra[64];
    snprintf(extra, sizeof extra, "paired=%.2f", bench_paired_median(block));
    bench_run_extra(op, iters, 1, "ns", extra);
}
#endif
