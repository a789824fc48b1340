/*
 * sink: see sink.h.  write(2) is retried on EINTR and short writes; any
 * other failure is remembered and ends the output.  A file sink checks
 * the descriptor's identity once per buffer (32 KiB), not per write(2)
 * of a partial buffer: a window of microseconds, against one fstat a
 * buffer.
 */
#include "output/sink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tp_sink_init_fd(tp_sink_t *s, int fd)
{
    tp_sink_init_file(s, fd, 0, 0);
}

void tp_sink_init_file(tp_sink_t *s, int fd, dev_t dev, ino_t ino)
{
    s->fd = fd;
    s->dev = dev;
    s->ino = ino;
    s->err = 0;
    s->len = 0;
    s->total = 0;
    s->mem = NULL;
    s->mem_cap = 0;
}

void tp_sink_init_mem(tp_sink_t *s)
{
    tp_sink_init_fd(s, -1);
}

static void drain(tp_sink_t *s)
{
    if (s->err || s->len == 0)
        return;
    if (s->fd < 0) {
        if (s->total + 1 > s->mem_cap) {
            size_t cap = s->mem_cap ? s->mem_cap : 65536;
            while (cap < s->total + 1)
                cap *= 2;
            char *p = realloc(s->mem, cap);
            if (p == NULL) {
                s->err = -ENOMEM;
                return;
            }
            s->mem = p;
            s->mem_cap = cap;
        }
        memcpy(s->mem + s->total - s->len, s->buf, s->len);
        s->mem[s->total] = '\0';
        s->len = 0;
        return;
    }
    struct stat st;
    if (s->ino != 0 &&
        (fstat(s->fd, &st) != 0 || st.st_dev != s->dev || st.st_ino != s->ino)) {
        s->err = -EBADF;  /* the number is the host's now */
        return;
    }
    const char *p = s->buf;
    size_t left = s->len;
    while (left > 0) {
        ssize_t w = write(s->fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            s->err = w < 0 ? -errno : -EIO;
            return;
        }
        p += w;
        left -= (size_t)w;
    }
    s->len = 0;
}

void tp_sink_write(tp_sink_t *s, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0 && !s->err) {
        size_t room = sizeof s->buf - s->len;
        size_t k = n < room ? n : room;
        memcpy(s->buf + s->len, p, k);
        s->len += k;
        s->total += k;
        p += k;
        n -= k;
        if (s->len == sizeof s->buf)
            drain(s);
    }
}

void tp_sink_puts(tp_sink_t *s, const char *str)
{
    tp_sink_write(s, str, strlen(str));
}

void tp_sink_printf(tp_sink_t *s, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof tmp && !s->err) {
        /* Longer than the stack buffer (a demangled C++ name can be): format
         * again on the heap rather than cut the line and its newline. */
        char *big = malloc((size_t)n + 1);
        if (big != NULL) {
            va_start(ap, fmt);
            vsnprintf(big, (size_t)n + 1, fmt, ap);
            va_end(ap);
            tp_sink_write(s, big, (size_t)n);
            free(big);
            return;
        }
    }
    tp_sink_write(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

int tp_sink_flush(tp_sink_t *s)
{
    drain(s);
    return s->err;
}

const char *tp_sink_text(tp_sink_t *s)
{
    drain(s);
    return s->mem ? s->mem : "";
}

void tp_sink_free(tp_sink_t *s)
{
    free(s->mem);
    s->mem = NULL;
    s->mem_cap = 0;
}
