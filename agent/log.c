/*
 * log: the agent's only voice, one "threadprof: " line at a time on
 * stderr.  Lines are formatted on the stack and written with one write(2);
 * nothing is written once fd 2 is no longer the descriptor the program
 * started with (daemons close it and the number gets reused for a socket
 * or a data file).  Warnings are capped so a broken setting cannot flood
 * the host's log.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/internal.h"

#define MAX_WARNINGS 64

static dev_t stderr_dev;
static ino_t stderr_ino;
static int stderr_known;
static _Atomic int warnings;

void tp_log_init(void)
{
    struct stat st;
    if (fstat(2, &st) == 0) {
        stderr_dev = st.st_dev;
        stderr_ino = st.st_ino;
        stderr_known = 1;
    }
}

static int stderr_unchanged(void)
{
    struct stat st;
    return stderr_known && fstat(2, &st) == 0 && st.st_dev == stderr_dev &&
           st.st_ino == stderr_ino;
}

static void emit(const char *fmt, va_list ap)
{
    char line[1024];
    int saved = errno;
    tp_in_agent++;
    int n = snprintf(line, sizeof line, "threadprof: ");
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + ((size_t)m < sizeof line - (size_t)n - 1
                                  ? (size_t)m : sizeof line - (size_t)n - 2);
    line[len++] = '\n';
    if (stderr_unchanged()) {
        ssize_t w = write(2, line, len);
        (void)w;
    }
    tp_in_agent--;
    errno = saved;
}

void tp_warn(const char *fmt, ...)
{
    if (atomic_fetch_add(&warnings, 1) >= MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

void tp_info(const char *fmt, ...)
{
    if (tp_config.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}
