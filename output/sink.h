/*
 * sink: a buffered byte writer with a sticky error (redis rio's model).
 *
 * Writers format into the sink without checking each call; the first
 * failed write(2) (a full disk, a revoked directory) sets err and every
 * later call becomes a no-op, so a writer stops instead of failing the
 * host.  A sink with fd -1 collects into memory (unit tests, and text that
 * is assembled before being written).
 *
 * Errors are negative errnos, as everywhere in output/ (libuv's UV__ERR
 * convention): after a full disk err holds -ENOSPC and tp_sink_flush
 * returns it.
 */
#ifndef TP_SINK_H
#define TP_SINK_H

#include <stddef.h>
#include <sys/types.h>

typedef struct tp_sink {
    int fd;            /* -1: memory sink */
    dev_t dev;         /* the file fd must still be (ino 0: not checked) */
    ino_t ino;
    int err;           /* 0, or the first error as a negative errno */
    size_t len;        /* bytes buffered */
    size_t total;      /* bytes accepted so far */
    char *mem;         /* memory sink storage */
    size_t mem_cap;
    char buf[32768];
} tp_sink_t;

void tp_sink_init_fd(tp_sink_t *s, int fd);
/* A sink on the agent's own file (dev, ino): before each write it checks
 * that fd is still that file.  A host may close the number or dup2 its
 * own file onto it while a dump is written; the rest of the output then
 * fails with EBADF instead of landing in the host's file. */
void tp_sink_init_file(tp_sink_t *s, int fd, dev_t dev, ino_t ino);
void tp_sink_init_mem(tp_sink_t *s);
void tp_sink_write(tp_sink_t *s, const void *data, size_t n);
void tp_sink_puts(tp_sink_t *s, const char *str);
void tp_sink_printf(tp_sink_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes out the buffer; returns 0 or the sticky error (a negative
 * errno: -ENOSPC, -EBADF, -ENOMEM for a memory sink, ...). */
int tp_sink_flush(tp_sink_t *s);
/* Memory sink: NUL-terminated contents (valid until the next write). */
const char *tp_sink_text(tp_sink_t *s);
void tp_sink_free(tp_sink_t *s);

#endif
