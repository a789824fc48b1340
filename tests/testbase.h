/*
 * testbase.h: helpers for every Check suite, unit or integration: a skip
 * that is not a pass, running a suite, temporary directories, reading and
 * writing files, counting directory entries, running shell commands and
 * matching text with POSIX extended regular expressions.  Nothing here
 * starts a program under the agent; that is tests/testutil.h, which
 * includes this header.
 *
 * Header-only (static functions), so each suite stays one file.
 *
 * A test that cannot apply (not root, no vDSO, a kernel without the
 * premise) ends with tu_skip("reason"): it prints
 *
 *     SKIP: <suite>:<test>: <reason>
 *
 * on stderr and returns from the test, which Check then counts as passed;
 * scripts/run-tests finds the line, takes the test off the passes, counts
 * it as skipped and lists it with its reason.  The line is written by the
 * process that runs the test, so it reaches the same stderr in Check's
 * fork mode (a child per test) and with CK_FORK=no.
 */
#ifndef TP_TESTBASE_H
#define TP_TESTBASE_H

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- skipping and running ---- */

/* Writes "SKIP: <suite>:<test>: <reason>\n" to stderr in one write(2)
 * (newlines in the reason become spaces).  fn is the __func__ of a
 * START_TEST body ("<test>_fn"). */
static inline void tu__skip_note(const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void tu__skip_note(const char *fn, const char *fmt, ...)
{
    char reason[512], line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    for (char *c = reason; *c != '\0'; c++)
        if (*c == '\n')
            *c = ' ';
    size_t n = strlen(fn);
    if (n > 3 && strcmp(fn + n - 3, "_fn") == 0)
        n -= 3;
    int len = snprintf(line, sizeof line, "SKIP: %s:%.*s: %s\n",
                       program_invocation_short_name, (int)n, fn, reason);
    if (len > (int)sizeof line - 1) {
        len = (int)sizeof line - 1;
        line[len - 1] = '\n';
    }
    if (write(STDERR_FILENO, line, (size_t)len) != len) {
        /* stderr is gone: there is nowhere to say so */
    }
}

/* Ends the current test as skipped, with a printf-style reason.  Use it in
 * the body of a START_TEST only: it returns from the test (it names the
 * test's loop index _i, so it does not compile elsewhere). */
#define tu_skip(...)                                                          \
    do {                                                                      \
        (void)_i;                                                             \
        tu__skip_note(__func__, __VA_ARGS__);                                 \
        return;                                                               \
    } while (0)

/* The main() of a suite: runs it, returns the exit status for make.
 * mode is CK_FORK_GETENV (fork mode unless CK_FORK=no, for valgrind) or
 * CK_FORK for suites whose tests each need a fresh process. */
static inline int tu_run_suite_fork(Suite *s, enum fork_status mode)
{
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, mode);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static inline int tu_run_suite(Suite *s)
{
    return tu_run_suite_fork(s, CK_FORK_GETENV);
}

/* ---- time, build ---- */

static inline long tu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The build directory: TP_BUILD (set by scripts/run-tests), else "build". */
static inline const char *tu_build(void)
{
    const char *b = getenv("TP_BUILD");
    return b && *b ? b : "build";
}

/* ---- strings ---- */

static inline int tu_starts_with(const char *s, const char *prefix)
{
    return s != NULL && strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline int tu_ends_with(const char *s, const char *suffix)
{
    if (s == NULL)
        return 0;
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* How many times needle occurs in text (overlapping ones too). */
static inline int tu_count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* 1 when regex (extended, ^/$ match at line boundaries) matches text;
 * with cap != NULL the first group is copied there. */
static inline int tu_match(const char *text, const char *regex, char *cap,
                           size_t cap_len)
{
    regex_t re;
    int rc = regcomp(&re, regex, REG_EXTENDED | REG_NEWLINE);
    ck_assert_msg(rc == 0, "bad regex %s", regex);
    regmatch_t m[2];
    int ok = regexec(&re, text, 2, m, 0) == 0;
    if (ok && cap != NULL && m[1].rm_so >= 0) {
        size_t n = (size_t)(m[1].rm_eo - m[1].rm_so);
        if (n >= cap_len)
            n = cap_len - 1;
        memcpy(cap, text + m[1].rm_so, n);
        cap[n] = '\0';
    }
    regfree(&re);
    return ok;
}

/* Check carries failure messages through a pipe of limited size: the text
 * quoted in a message is cut to its first 3,000 characters. */
#define tu_assert_match(text, regex)                                          \
    ck_assert_msg(tu_match((text), (regex), NULL, 0),                         \
                  "no match for /%s/ in:\n%.3000s", (regex), (text))
#define tu_assert_no_match(text, regex)                                       \
    ck_assert_msg(!tu_match((text), (regex), NULL, 0),                        \
                  "unexpected match for /%s/ in:\n%.3000s", (regex), (text))

/* ---- files ---- */

/* Everything f gives until its end, NUL-terminated (malloc'd); its length
 * in *len when len != NULL.  Does not close f. */
static inline char *tu_read_stream(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0, r;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            buf = realloc(buf, cap *= 2);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* The whole file, NUL-terminated (malloc'd), NULL when it cannot be
 * opened; its length in *len when len != NULL (the text may hold NULs). */
static inline char *tu_read_file_len(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (f == NULL)
        return NULL;
    char *buf = tu_read_stream(f, len);
    fclose(f);
    return buf;
}

static inline char *tu_read_file(const char *path)
{
    return tu_read_file_len(path, NULL);
}

/* Creates or truncates path with exactly mode (whatever the umask) and
 * text in it; fails the test when it cannot. */
static inline void tu_write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    size_t n = strlen(text);
    ck_assert_msg(write(fd, text, n) == (ssize_t)n, "write %s: %s", path,
                  strerror(errno));
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

/* Line number of the first line of file containing marker. */
static inline int tu_source_line(const char *file, const char *marker)
{
    char *text = tu_read_file(file);
    ck_assert_msg(text != NULL, "cannot read %s", file);
    char *hit = strstr(text, marker);
    ck_assert_msg(hit != NULL, "marker %s not in %s", marker, file);
    int line = 1;
    for (char *p = text; p < hit; p++)
        line += *p == '\n';
    free(text);
    return line;
}

/* Number of entries in dir (without . and ..); those starting with prefix
 * when prefix != NULL. */
static inline int tu_count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n += prefix == NULL || tu_starts_with(e->d_name, prefix);
    }
    closedir(d);
    return n;
}

/* ---- temporary directories ---- */

#define TU_TMP_PREFIX "/tmp/tp-test-"

/* Makes a fresh private directory /tmp/tp-test-<tag>XXXXXX and puts its
 * path in buf; fails the test when it cannot. */
static inline void tu_temp_dir(char *buf, size_t len, const char *tag)
{
    int n = snprintf(buf, len, TU_TMP_PREFIX "%sXXXXXX", tag);
    ck_assert_msg(n > 0 && (size_t)n < len, "temporary directory name too long");
    ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s: %s", buf, strerror(errno));
}

/* Goes on past an entry it cannot remove, as rm -rf does. */
static inline int tu__remove_entry(const char *path, const struct stat *st,
                                   int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* Removes path and everything under it, never following symlinks (as
 * rm -rf).  Returns 0, or -1 when path is still there. */
static inline int tu_remove_tree(const char *path)
{
    struct stat st;
    nftw(path, tu__remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return lstat(path, &st) == 0 ? -1 : 0;
}

/* Removes a directory made by tu_temp_dir (nothing else: a path outside
 * /tmp/tp-test- is left alone); says so on stderr when it cannot. */
static inline void tu_remove_temp_dir(const char *dir)
{
    if (tu_starts_with(dir, TU_TMP_PREFIX) && tu_remove_tree(dir) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

/* ---- shell commands ---- */

/* The stdout of a shell command line (malloc'd); its wait status in
 * *status. */
static inline char *tu_cmd_output(const char *cmd, int *status)
{
    FILE *f = popen(cmd, "r");
    ck_assert_msg(f != NULL, "popen %s", cmd);
    char *out = tu_read_stream(f, NULL);
    *status = pclose(f);
    return out;
}

/* The output of a shell command (malloc'd); fails the test unless it
 * exits with 0. */
static inline char *tu_run_cmd(const char *cmd)
{
    int st;
    char *out = tu_cmd_output(cmd, &st);
    ck_assert_msg(st == 0, "%s failed (status %#x):\n%.3000s", cmd, st, out);
    return out;
}

/* Runs a shell command line made from fmt; fails the test unless it exits
 * with 0. */
static inline void tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tu_sh(const char *fmt, ...)
{
    char cmd[4 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(n >= 0 && (size_t)n < sizeof cmd, "command too long");
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "%s: status %#x", cmd, rc);
}

#endif
