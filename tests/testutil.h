/*
 * testutil.h: helpers for the integration suites.  They start a test
 * program with the agent preloaded (LD_PRELOAD, THREADPROF_DIR set to a
 * fresh private directory), wait for it to say "ready", find the dumps it
 * wrote and read them with `go tool pprof` or match their text.  The
 * helpers every suite shares (tu_skip, files, temporary directories,
 * regular expressions, tu_run_suite) are in tests/testbase.h, included
 * here; unit suites include that one alone.
 *
 * Header-only (static functions), so each suite stays one file.
 * TP_BUILD (set by scripts/run-tests) names the build directory.
 */
#ifndef TP_TESTUTIL_H
#define TP_TESTUTIL_H

#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "tests/testbase.h"

typedef struct tu_proc {
    pid_t pid;
    int out_fd;
    int err_fd;
    char dir[PATH_MAX];
    char out[65536];
    size_t out_len;
    char err[65536];
    size_t err_len;
    int status;
} tu_proc_t;

/* A fresh private directory for p (TU_TMP_PREFIX, removed by
 * tu_cleanup). */
static inline void tu_make_dir(tu_proc_t *p)
{
    tu_temp_dir(p->dir, sizeof p->dir, "");
}

/* In a started child: execs path with args (NULL-terminated extras after
 * argv[0]); exits 127 when it cannot. */
static inline __attribute__((noreturn)) void tu__exec(const char *path,
                                                       const char *const *args)
{
    const char *argv[32] = {path};
    int argc = 1;
    for (const char *const *a = args; a && *a && argc < 31; a++)
        argv[argc++] = *a;
    argv[argc] = NULL;
    execv(path, (char *const *)argv);
    _exit(127);
}

/* In the parent: p reads the child's stdout and stderr, without blocking,
 * from the read ends of out and err. */
static inline void tu__take_pipes(tu_proc_t *p, int out[2], int err[2])
{
    close(out[1]);
    close(err[1]);
    p->out_fd = out[0];
    p->err_fd = err[0];
    fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
}

/* How a program starts besides its environment (tu_start_opts): with
 * p->dir as its working directory and RLIMIT_CORE raised to core_limit
 * (or the hard limit), so that a crash leaves its core there as it would
 * for a user (the crash suites). */
typedef struct tu_start_opts {
    int in_dir;
    unsigned long core_limit;   /* 0: left as it is */
} tu_start_opts_t;

/* Starts build/tests/programs/<prog> with the agent preloaded unless
 * preload is 0 (then without LD_PRELOAD).  env: NULL-terminated
 * "NAME=value" extras (may override THREADPROF_DIR and LD_PRELOAD).
 * args: NULL-terminated extra argv.  o: NULL, or how it starts. */
static inline void tu_start_opts(tu_proc_t *p, const char *prog, int preload,
                                 const char *const *env, const char *const *args,
                                 const tu_start_opts_t *o)
{
    int out[2], err[2];
    char path[PATH_MAX], lib[PATH_MAX], rel[PATH_MAX];
    if (p->dir[0] == '\0')
        tu_make_dir(p);
    snprintf(path, sizeof path, "%.3000s/tests/programs/%.200s", tu_build(), prog);
    /* Absolute when the program starts in its own directory. */
    if (o != NULL && o->in_dir) {
        ck_assert_msg(realpath(path, rel) != NULL, "no %s", path);
        memcpy(path, rel, sizeof path);
    }
    snprintf(rel, sizeof rel, "%.3000s/libthreadprof.so", tu_build());
    ck_assert_msg(realpath(rel, lib) != NULL, "no %s", rel);
    ck_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
    p->out_len = p->err_len = 0;
    p->out[0] = p->err[0] = '\0';
    p->pid = fork();
    ck_assert(p->pid >= 0);
    if (p->pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        struct rlimit rl;
        if (o != NULL && o->core_limit != 0 && getrlimit(RLIMIT_CORE, &rl) == 0) {
            rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > o->core_limit
                              ? o->core_limit : rl.rlim_max;
            setrlimit(RLIMIT_CORE, &rl);
        }
        if (o != NULL && o->in_dir && chdir(p->dir) != 0)
            _exit(126);
        if (preload)
            setenv("LD_PRELOAD", lib, 1);
        else
            unsetenv("LD_PRELOAD");
        setenv("THREADPROF_DIR", p->dir, 1);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        tu__exec(path, args);
    }
    tu__take_pipes(p, out, err);
}

static inline void tu_start_full(tu_proc_t *p, const char *prog, int preload,
                                 const char *const *env, const char *const *args)
{
    tu_start_opts(p, prog, preload, env, args, NULL);
}

static inline void tu_start(tu_proc_t *p, const char *prog, const char *const *env)
{
    tu_start_full(p, prog, 1, env, NULL);
}

static inline void tu_drain(tu_proc_t *p)
{
    ssize_t n;
    while (p->out_fd >= 0 && p->out_len < sizeof p->out - 1 &&
           (n = read(p->out_fd, p->out + p->out_len, sizeof p->out - 1 - p->out_len)) > 0)
        p->out_len += (size_t)n;
    p->out[p->out_len] = '\0';
    while (p->err_fd >= 0 && p->err_len < sizeof p->err - 1 &&
           (n = read(p->err_fd, p->err + p->err_len, sizeof p->err - 1 - p->err_len)) > 0)
        p->err_len += (size_t)n;
    p->err[p->err_len] = '\0';
}

/* Waits until stdout contains line; fails the test after timeout_ms. */
static inline void tu_wait_output(tu_proc_t *p, const char *text, int timeout_ms)
{
    long end = tu_now_ms() + timeout_ms;
    for (;;) {
        tu_drain(p);
        if (strstr(p->out, text) != NULL)
            return;
        ck_assert_msg(tu_now_ms() < end, "program did not print \"%s\" within "
                      "%d ms; stdout:\n%.1500s\nstderr:\n%.1500s", text, timeout_ms,
                      p->out, p->err);
        struct pollfd pf = {.fd = p->out_fd, .events = POLLIN};
        poll(&pf, 1, 50);
    }
}

static inline void tu_dump_path(const tu_proc_t *p, pid_t pid, unsigned seq,
                                char *buf, size_t len)
{
    snprintf(buf, len, "%.3000s/threadprof.%d.%06u.threads.txt", p->dir, (int)pid, seq);
}

/* Waits for dump number seq of pid and returns its text (malloc'd). */
static inline char *tu_wait_dump(tu_proc_t *p, pid_t pid, unsigned seq,
                                 int timeout_ms)
{
    char path[PATH_MAX];
    tu_dump_path(p, pid, seq, path, sizeof path);
    long end = tu_now_ms() + timeout_ms;
    while (access(path, F_OK) != 0) {
        tu_drain(p);
        ck_assert_msg(tu_now_ms() < end, "no %s within %d ms; stderr:\n%.2000s",
                      path, timeout_ms, p->err);
        usleep(10000);
    }
    return tu_read_file(path);
}

/* How many thread dumps of pid are in dir. */
static inline int tu_count_dumps(const char *dir, pid_t pid)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "threadprof.%d.", (int)pid);
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
             strstr(e->d_name, ".threads.txt") != NULL;
    closedir(d);
    return n;
}

/* The highest number of a thread dump of pid in dir, 0 for none (numbers
 * may have holes: THREADPROF_KEEP thins periodic dumps out). */
static inline unsigned tu_highest_dump(const char *dir, pid_t pid)
{
    char prefix[64];
    size_t n = (size_t)snprintf(prefix, sizeof prefix, "threadprof.%d.", (int)pid);
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    unsigned high = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, prefix, n) != 0)
            continue;
        unsigned long seq = strtoul(e->d_name + n, &end, 10);
        if (strcmp(end, ".threads.txt") == 0 && seq > high)
            high = (unsigned)seq;
    }
    closedir(d);
    return high;
}

/* Sends sig (0: none, just wait), waits for exit, collects the output. */
static inline int tu_finish(tu_proc_t *p, int sig, int timeout_ms)
{
    if (sig != 0)
        kill(p->pid, sig);
    long end = tu_now_ms() + timeout_ms;
    int status = 0;
    for (;;) {
        tu_drain(p);
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid)
            break;
        if (tu_now_ms() > end) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
            ck_abort_msg("program did not exit within %d ms; stderr:\n%.2000s",
                         timeout_ms, p->err);
        }
        usleep(5000);
    }
    tu_drain(p);
    close(p->out_fd);
    close(p->err_fd);
    p->out_fd = p->err_fd = -1;
    p->status = status;
    return status;
}

/* Removes p's directory (when tu_make_dir made it). */
static inline void tu_cleanup(tu_proc_t *p)
{
    tu_remove_temp_dir(p->dir);
}

/* The tid in the header of the thread named name ("" when absent). */
static inline pid_t tu_thread_tid(const char *dump, const char *name)
{
    char re[256], cap[32];
    snprintf(re, sizeof re, "^thread ([0-9]+) \"%s\" \\[", name);
    return tu_match(dump, re, cap, sizeof cap) ? (pid_t)atoi(cap) : 0;
}

/* The entry (header up to the blank line) of the thread named name. */
static inline char *tu_thread_entry(const char *dump, const char *name)
{
    char needle[128];
    snprintf(needle, sizeof needle, "\"%s\" [", name);
    const char *p = dump;
    /* Skip the grouped view: entries are after "== threads ==" if present. */
    const char *detail = strstr(dump, "== threads ==");
    if (detail != NULL)
        p = detail;
    const char *hit = strstr(p, needle);
    ck_assert_msg(hit != NULL, "no thread \"%s\" in dump:\n%.3000s", name, dump);
    while (hit > dump && hit[-1] != '\n')
        hit--;
    const char *end = strstr(hit, "\n\n");
    size_t n = end ? (size_t)(end - hit) + 1 : strlen(hit);
    char *entry = malloc(n + 1);
    memcpy(entry, hit, n);
    entry[n] = '\0';
    return entry;
}

/* `go tool pprof <args> <file>` with HOME and GOCACHE in the test's
 * directory (malloc'd output). */
static inline char *tu_pprof(const tu_proc_t *p, const char *args, const char *file)
{
    char cmd[4 * PATH_MAX + 512];
    snprintf(cmd, sizeof cmd, "HOME='%s' GOCACHE='%s/.gocache' GOFLAGS= "
             "go tool pprof %s '%s' 2>&1", p->dir, p->dir, args, file);
    int st;
    char *out = tu_cmd_output(cmd, &st);
    ck_assert_msg(st == 0, "%s failed (status %#x; is golang-go installed? "
                  "make setup):\n%.3000s", cmd, st, out);
    return out;
}

/* `go tool pprof -top` of a profile's delay, flat, in ns (malloc'd). */
static inline char *tu_top_delay(const tu_proc_t *p, const char *path)
{
    return tu_pprof(p, "-top -flat -nodecount=100 -sample_index=delay -unit=ns", path);
}

/* The flat delay (ns) of function fn in tu_pprof_top_delay's output, 0
 * when it is not listed. */
static inline uint64_t tu_flat_ns(const char *top, const char *fn)
{
    char re[256], cap[32];
    snprintf(re, sizeof re, "^ *([0-9]+)ns .* %s$", fn);
    return tu_match(top, re, cap, sizeof cap) ? strtoull(cap, NULL, 10) : 0;
}

#endif
