/*
 * Benchmark: how long a process with N parked threads takes from the trigger
 * signal (SIGUSR2) to a finished thread dump file.
 *
 * The driver re-executes itself as the target with the agent preloaded
 * (LD_PRELOAD=$THREADPROF_LIB; the driver itself runs without it).  The
 * target starts N threads on 64 KiB stacks that block in pthread_cond_wait
 * and reports "ready" through a pipe.  The driver watches THREADPROF_DIR with
 * inotify, sends SIGUSR2, and times the arrival of the final name
 * threadprof.<pid>.<seq>.threads.txt (the agent writes a dot-file and renames
 * it, so IN_MOVED_TO marks a complete file).  After each dump it waits until
 * the directory has been quiet for a while, so the next round does not queue
 * behind the rest of the previous dump (profiles, summary).
 *
 * Usage: THREADPROF_LIB=/abs/libthreadprof.so dump_latency [-r ROUNDS] N
 * THREADPROF_DIR is used when set (and created if missing), else a fresh
 * temporary directory that is removed afterwards.  Prints one line:
 *   threads=N rounds=R median_ms=.. min_ms=.. max_ms=.. bytes=.. agent=1
 * (bytes: size of the last dump).  Exits non-zero on any failure: the agent
 * missing, a thread that cannot be created, a dump that does not arrive.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* pipe2 */
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE      (64 * 1024)
#define MAX_ROUNDS      100
#define READY_TIMEOUT_MS 120000     /* starting the target and its threads */
#define DUMP_TIMEOUT_MS  30000      /* one dump */
#define QUIET_MIN_MS     250        /* directory quiet time between rounds */
#define QUIET_MAX_MS     10000

static pid_t target = -1;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    fputs("dump_latency: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (target > 0) {
        kill(target, SIGKILL);
        waitpid(target, NULL, 0);
    }
    exit(1);
}

static double now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        die("clock_gettime: %s", strerror(errno));
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long parse_count(const char *s, const char *what, long max)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || n <= 0 || n > max)
        die("bad %s '%s'", what, s);
    return n;
}

/* ---- target mode ------------------------------------------------------ */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t all_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static long nready, nwanted;

static void *waiter(void *arg)
{
    int err;

    (void)arg;
    if ((err = pthread_mutex_lock(&lock)) != 0)
        die("target: pthread_mutex_lock: %s", strerror(err));
    if (++nready == nwanted && (err = pthread_cond_signal(&all_ready)) != 0)
        die("target: pthread_cond_signal: %s", strerror(err));
    for (;;)
        if ((err = pthread_cond_wait(&never, &lock)) != 0)
            die("target: pthread_cond_wait: %s", strerror(err));
    return NULL;
}

static int agent_loaded(void)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "r");

    if (f == NULL)
        die("target: /proc/self/maps: %s", strerror(errno));
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = strstr(line, "libthreadprof.so") != NULL;
    fclose(f);
    return found;
}

/* Reports on ready_fd; runs until ctl_fd reaches end of file. */
static int run_target(long n, int ready_fd, int ctl_fd)
{
    pthread_attr_t attr;
    pthread_t t;
    char c;
    int err;

    if (!agent_loaded()) {
        dprintf(ready_fd, "error: libthreadprof.so is not loaded in the target\n");
        return 1;
    }
    nwanted = n;
    if ((err = pthread_attr_init(&attr)) != 0 ||
        (err = pthread_attr_setstacksize(&attr, STACK_SIZE)) != 0 ||
        (err = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED)) != 0) {
        dprintf(ready_fd, "error: pthread_attr: %s\n", strerror(err));
        return 1;
    }
    for (long i = 0; i < n; i++) {
        if ((err = pthread_create(&t, &attr, waiter, NULL)) != 0) {
            dprintf(ready_fd, "error: pthread_create of thread %ld of %ld: %s\n",
                    i + 1, n, strerror(err));
            return 1;
        }
    }
    /* Each waiter bumps nready under the lock and releases the lock only
     * inside pthread_cond_wait: once nready == n, all of them are parked. */
    if ((err = pthread_mutex_lock(&lock)) != 0)
        die("target: pthread_mutex_lock: %s", strerror(err));
    while (nready < n)
        if ((err = pthread_cond_wait(&all_ready, &lock)) != 0)
            die("target: pthread_cond_wait: %s", strerror(err));
    if ((err = pthread_mutex_unlock(&lock)) != 0)
        die("target: pthread_mutex_unlock: %s", strerror(err));

    if (dprintf(ready_fd, "ready\n") < 0)
        return 1;
    for (;;) {
        ssize_t r = read(ctl_fd, &c, 1);
        if (r == 0 || (r < 0 && errno != EINTR))
            _exit(0);
    }
}

/* ---- driver mode ------------------------------------------------------ */

static char dir[PATH_MAX];
static int own_dir;

static void remove_own_dir(void)
{
    DIR *d;
    struct dirent *e;

    if (!own_dir || (d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    rmdir(dir);
}

/* Reads the target's report line, waiting at most timeout_ms. */
static void wait_ready(int fd, int timeout_ms)
{
    char buf[512];
    size_t len = 0;
    double deadline = now_ms() + timeout_ms;

    while (len == 0 || buf[len - 1] != '\n') {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int)(deadline - now_ms());
        if (left <= 0)
            die("the target did not get ready within %d s", timeout_ms / 1000);
        int r = poll(&p, 1, left);
        if (r < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        if (r <= 0)
            continue;
        ssize_t got = read(fd, buf + len, sizeof buf - 1 - len);
        if (got < 0 && errno != EINTR)
            die("read: %s", strerror(errno));
        if (got == 0) {
            int status;
            if (waitpid(target, &status, 0) == target)
                target = -1;
            die("the target exited before it was ready%s",
                len ? "" : " (is THREADPROF_LIB a working agent?)");
        }
        if (got > 0)
            len += (size_t)got;
        if (len >= sizeof buf - 1)
            break;
    }
    buf[len] = '\0';
    if (strcmp(buf, "ready\n") != 0) {
        buf[strcspn(buf, "\n")] = '\0';
        die("target: %s", buf);
    }
}

/* Tests whether name is threadprof.<pid>.<seq>.threads.txt; stores seq. */
static int dump_name(const char *name, long *seq)
{
    char prefix[64];
    size_t plen = (size_t)snprintf(prefix, sizeof prefix, "threadprof.%ld.", (long)target);
    const char *suffix = ".threads.txt";
    size_t len = strlen(name), slen = strlen(suffix);
    char *end;

    if (len <= plen + slen || strncmp(name, prefix, plen) != 0 ||
        strcmp(name + len - slen, suffix) != 0)
        return 0;
    *seq = strtol(name + plen, &end, 10);
    return end == name + len - slen;
}

/*
 * Reads inotify events for up to timeout_ms.  Returns 1 and stores the
 * sequence number when a dump final name shows up that has a sequence number
 * above *last_seq, 0 when any other event came (the caller only wants to know
 * the directory is busy), -1 on time-out.
 */
static int read_events(int ifd, int timeout_ms, long *last_seq)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct pollfd p = { .fd = ifd, .events = POLLIN };
    int r = poll(&p, 1, timeout_ms), found = 0;
    ssize_t len;

    if (r < 0 && errno != EINTR)
        die("poll: %s", strerror(errno));
    if (r <= 0)
        return -1;
    len = read(ifd, buf, sizeof buf);
    if (len < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return 0;
        die("read inotify: %s", strerror(errno));
    }
    for (char *q = buf; q < buf + len;) {
        struct inotify_event *ev = (struct inotify_event *)q;
        long seq;
        if (ev->mask & IN_Q_OVERFLOW)
            die("inotify queue overflow");
        if (ev->len > 0 && dump_name(ev->name, &seq) && seq > *last_seq) {
            *last_seq = seq;
            found = 1;
        }
        q += sizeof *ev + ev->len;
    }
    return found;
}

static void check_target_alive(void)
{
    int status;
    pid_t r = waitpid(target, &status, WNOHANG);

    if (r == target) {
        target = -1;
        if (WIFSIGNALED(status))
            die("the target died of signal %d (%s)", WTERMSIG(status),
                strsignal(WTERMSIG(status)));
        die("the target exited with status %d", WEXITSTATUS(status));
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void usage(void)
{
    fprintf(stderr, "usage: THREADPROF_LIB=/abs/path/libthreadprof.so "
            "dump_latency [-r ROUNDS] NTHREADS\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long n, rounds = 5, last_seq = 0;
    double lat[MAX_ROUNDS];
    int ready_pipe[2], ctl_pipe[2], ifd;
    const char *lib, *d;
    char path[PATH_MAX + 128];
    struct stat st;

    if (argc == 5 && strcmp(argv[1], "--target") == 0)
        return run_target(parse_count(argv[2], "thread count", 1000000),
                          (int)parse_count(argv[3], "fd", INT_MAX),
                          (int)parse_count(argv[4], "fd", INT_MAX));

    int opt;
    while ((opt = getopt(argc, argv, "r:")) != -1) {
        if (opt != 'r')
            usage();
        rounds = parse_count(optarg, "round count", MAX_ROUNDS);
    }
    if (optind != argc - 1)
        usage();
    n = parse_count(argv[optind], "thread count", 1000000);
    lib = getenv("THREADPROF_LIB");
    if (lib == NULL || lib[0] != '/')
        die("set THREADPROF_LIB to the absolute path of libthreadprof.so");
    if (access(lib, R_OK) != 0)
        die("%s: %s", lib, strerror(errno));

    d = getenv("THREADPROF_DIR");
    if (d != NULL && d[0] != '\0') {
        if ((size_t)snprintf(dir, sizeof dir, "%s", d) >= sizeof dir)
            die("THREADPROF_DIR too long");
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            die("mkdir %s: %s", dir, strerror(errno));
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/dump_latency.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL)
            die("mkdtemp %s: %s", dir, strerror(errno));
        own_dir = 1;
        atexit(remove_own_dir);
    }
    /* The target's configuration: dumps here, on SIGUSR2, none at exit. */
    if (setenv("THREADPROF_DIR", dir, 1) != 0 ||
        setenv("THREADPROF_SIGNAL", "SIGUSR2", 1) != 0 ||
        setenv("THREADPROF_ON_EXIT", "0", 1) != 0)
        die("setenv: %s", strerror(errno));
    unsetenv("THREADPROF_INTERVAL");

    ifd = inotify_init1(IN_CLOEXEC);
    if (ifd < 0)
        die("inotify_init1: %s", strerror(errno));
    if (inotify_add_watch(ifd, dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0)
        die("inotify_add_watch %s: %s", dir, strerror(errno));

    if (pipe2(ready_pipe, O_CLOEXEC) != 0 || pipe2(ctl_pipe, O_CLOEXEC) != 0)
        die("pipe2: %s", strerror(errno));
    target = fork();
    if (target < 0)
        die("fork: %s", strerror(errno));
    if (target == 0) {
        char nbuf[32], rbuf[16], cbuf[16];
        int rfd = dup(ready_pipe[1]), cfd = dup(ctl_pipe[0]);   /* no CLOEXEC */
        if (rfd < 0 || cfd < 0 || setenv("LD_PRELOAD", lib, 1) != 0)
            _exit(127);
        snprintf(nbuf, sizeof nbuf, "%ld", n);
        snprintf(rbuf, sizeof rbuf, "%d", rfd);
        snprintf(cbuf, sizeof cbuf, "%d", cfd);
        execl("/proc/self/exe", argv[0], "--target", nbuf, rbuf, cbuf, (char *)NULL);
        _exit(127);
    }
    close(ready_pipe[1]);
    close(ctl_pipe[0]);
    wait_ready(ready_pipe[0], READY_TIMEOUT_MS);

    for (long i = 0; i < rounds; i++) {
        double t0, waited;
        int r;

        /* Let the directory settle, then drop stale events. */
        while (read_events(ifd, 0, &last_seq) >= 0)
            ;
        t0 = now_ms();
        if (kill(target, SIGUSR2) != 0)
            die("kill: %s", strerror(errno));
        while ((r = read_events(ifd, 100, &last_seq)) != 1) {
            if (r < 0)
                check_target_alive();
            if (now_ms() - t0 > DUMP_TIMEOUT_MS)
                die("no thread dump (threadprof.%ld.*.threads.txt in %s) within %d s",
                    (long)target, dir, DUMP_TIMEOUT_MS / 1000);
        }
        lat[i] = now_ms() - t0;

        /* Wait out the rest of this dump (other files of the same seq). */
        if (i + 1 < rounds) {
            int quiet = lat[i] > QUIET_MIN_MS ? (int)lat[i] : QUIET_MIN_MS;
            waited = now_ms();
            while (read_events(ifd, quiet, &last_seq) >= 0)
                if (now_ms() - waited > QUIET_MAX_MS)
                    break;
        }
        check_target_alive();
    }

    snprintf(path, sizeof path, "%s/threadprof.%ld.%06ld.threads.txt", dir,
             (long)target, last_seq);
    if (stat(path, &st) != 0)
        die("stat %s: %s", path, strerror(errno));
    if (st.st_size == 0)
        die("%s is empty", path);

    close(ctl_pipe[1]);                 /* the target exits on end of file */
    kill(target, SIGKILL);
    if (waitpid(target, NULL, 0) != target)
        die("waitpid: %s", strerror(errno));
    target = -1;

    qsort(lat, (size_t)rounds, sizeof lat[0], cmp_double);
    if (printf("threads=%ld rounds=%ld median_ms=%.2f min_ms=%.2f max_ms=%.2f "
               "bytes=%lld agent=1\n", n, rounds, lat[rounds / 2], lat[0],
               lat[rounds - 1], (long long)st.st_size) < 0 || fflush(stdout) != 0)
        die("stdout: %s", strerror(errno));
    return 0;
}
