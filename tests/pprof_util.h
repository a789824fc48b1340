/*
 * pprof_util.h: files and commands shared by the suites of the pprof
 * writer (check_pprof, check_pprof_samples): a private directory per test
 * (the checked fixture setup/teardown, with HOME and GOCACHE in it for
 * `go tool pprof`), running pprof and other commands, writing a profile to
 * a file, or uncompressed to memory; and the code whose addresses the
 * profiles' stacks hold.
 *
 * Header-only (static functions), so each suite stays one file.
 */
#ifndef TP_PPROF_UTIL_H
#define TP_PPROF_UTIL_H

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/gzip.h"
#include "output/pprof.h"
#include "output/sink.h"
#include "tests/pprof_decode.h"

/* ---- files, commands ---- */

static char tmpdir[64];

static inline void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/tp-pprof-XXXXXX");
    ck_assert(mkdtemp(tmpdir) != NULL);
    char cache[128];
    snprintf(cache, sizeof cache, "%s/gocache", tmpdir);
    setenv("HOME", tmpdir, 1);
    setenv("GOCACHE", cache, 1);
    unsetenv("GOFLAGS");
    tp__gzip_force_raw(0);
}

static inline void teardown(void)
{
    tp__gzip_force_raw(0);
    if (strncmp(tmpdir, "/tmp/tp-pprof-", 14) == 0) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

static inline void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* The output of a shell command (malloc'd); its exit status in *status. */
static inline char *run(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "popen %s", cmd);
    size_t cap = 65536, len = 0, n;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[len] = '\0';
    int st = pclose(f);
    if (status != NULL)
        *status = st;
    return buf;
}

/* `go tool pprof <args> file`; fails the test when pprof fails. */
static inline char *pprof(const char *args, const char *file)
{
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "go tool pprof %s '%s' 2>&1", args, file);
    int status;
    char *out = run(cmd, &status);
    ck_assert_msg(status == 0, "%s failed (status %#x; is golang-go installed? "
                  "make setup):\n%.3000s", cmd, status, out);
    return out;
}

/* Writes p to tmpdir/name; returns its path in path. */
static inline void write_profile(tp_pprof_t *p, const char *name, char *path, size_t len)
{
    tmp_path(path, len, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert(fd >= 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    int rc = tp_pprof_write(p, s);
    ck_assert_msg(rc == 0, "tp_pprof_write: %s", strerror(-rc));
    free(s);
    ck_assert(close(fd) == 0);
}

/* The profile.proto bytes of p, uncompressed (memory sink, raw mode). */
static inline pd_bytes_t encode_raw(tp_pprof_t *p)
{
    tp__gzip_force_raw(1);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_pprof_write(p, s), 0);
    tp__gzip_force_raw(0);
    pd_bytes_t b;
    b.len = s->total;
    b.data = malloc(b.len + 1);
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, tp_sink_text(s), b.len);
    tp_sink_free(s);
    free(s);
    return b;
}

#if defined(__clang__)
#define NOIPA __attribute__((noinline, optnone))
#else
#define NOIPA __attribute__((noipa))
#endif

static volatile int sink_var;

/* ---- code whose addresses appear in the stacks (one line each) ----
 * Their locations name this header (tests/pprof_util.h). */

enum { LEAF_LINE = __LINE__ + 1 };
static NOIPA __attribute__((unused)) int pp_leaf(int x) { return x * 3 + sink_var; }
enum { MIDDLE_LINE = __LINE__ + 1 };
static NOIPA __attribute__((unused)) int pp_middle(int x) { return pp_leaf(x) - 7; }
enum { ROOT_LINE = __LINE__ + 1 };
static NOIPA __attribute__((unused)) int pp_root(int x) { return pp_middle(x) * 5; }
enum { OTHER_LINE = __LINE__ + 1 };
static NOIPA __attribute__((unused)) int pp_other(int x) { return pp_leaf(x) + 11; }

#define PC_IN(fn) ((uintptr_t)(fn) + 1)

/* Lines of the calls below, set when they run. */
static int leaf_call_line __attribute__((unused)), caller_call_line __attribute__((unused));

static NOIPA __attribute__((unused)) uintptr_t pp_return_address(void)
{
    return (uintptr_t)__builtin_return_address(0);
}

static inline __attribute__((always_inline, unused)) uintptr_t pp_inlined(int x)
{
    uintptr_t ra = pp_return_address(); leaf_call_line = __LINE__;
    sink_var += x;
    return ra;
}

/* A return address inside the inlined copy of pp_inlined(). */
static NOIPA __attribute__((unused)) uintptr_t pp_inline_caller(int x)
{
    uintptr_t ra = pp_inlined(x); caller_call_line = __LINE__;
    sink_var += 2;
    return ra;
}

/* ---- a profile used by several tests: two stacks of the code above ---- */

static __attribute__((unused)) tp_pprof_t *mutex_profile(void)
{
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tp_pprof_sample_type(p, "contentions", "count"), 0);
    ck_assert_int_eq(tp_pprof_sample_type(p, "delay", "nanoseconds"), 0);
    tp_pprof_period(p, "contentions", "count", 1);
    uintptr_t s1[] = {PC_IN(pp_leaf), PC_IN(pp_middle), PC_IN(pp_root)};
    uintptr_t s2[] = {PC_IN(pp_leaf), PC_IN(pp_other)};
    int64_t v1[] = {3, 3000}, v2[] = {5, 125000};
    ck_assert_int_eq(tp_pprof_add_sample(p, s1, 3, 0, v1, 2, NULL, 0), 0);
    ck_assert_int_eq(tp_pprof_add_sample(p, s2, 2, 0, v2, 2, NULL, 0), 0);
    return p;
}

#endif
