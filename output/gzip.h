/*
 * gzip: a gzip stream writer into a sink, for the pprof writer
 * (output/pprof_encode.c).  Internal to output/; pprof.h is the public
 * face.
 *
 * zlib is not linked (the agent links only -ldl and -lpthread, and a
 * preloaded agent must not pull libraries into the host it does not
 * need): libz.so.1 is loaded with dlopen(RTLD_NOW | RTLD_LOCAL) on the
 * first stream and kept for the life of the process; deflateInit2_,
 * deflate and deflateEnd are reached through dlsym.  The stream is gzip
 * (windowBits 15 + 16) at level 1, best speed, as Go's runtime/pprof does.
 *
 * When libz.so.1 cannot be loaded the stream is written uncompressed:
 * pprof readers take a raw profile.proto as well (they check for the gzip
 * magic first).  tp_gzip_compressed() says which one a stream is.
 *
 * Global state: the libz handle and its three functions (set once under a
 * pthread_once), and the test switch below.  Memory per open stream: zlib's
 * deflate state (zlib's documented (1 << (windowBits + 2)) +
 * (1 << (memLevel + 9)) = 256 KB, plus about 6 KB) and a 16 KB output
 * buffer, all freed by tp_gzip_end.
 */
#ifndef TP_GZIP_H
#define TP_GZIP_H

#include <stddef.h>

#include "output/sink.h"

typedef struct tp_gzip {
    tp_sink_t *sink;
    void *zs;                  /* z_stream, NULL when writing raw */
    unsigned char *out;        /* deflate's output buffer */
    int err;                   /* 0 or the first error, a negative errno */
} tp_gzip_t;

/* Starts a stream into sink.  Returns 0, or a negative errno (-ENOMEM,
 * -EIO when zlib refuses to start, or the sink's sticky error); on
 * failure nothing needs to be ended. */
int tp_gzip_begin(tp_gzip_t *g, tp_sink_t *sink);

/* Compresses n bytes into the sink.  Errors are sticky (returned by
 * tp_gzip_end); after one, further writes do nothing. */
void tp_gzip_write(tp_gzip_t *g, const void *data, size_t n);

/* Finishes the stream (the gzip trailer), flushes the sink and releases
 * the stream.  Returns 0 or the first error of the stream or the sink, a
 * negative errno.  Always releases, also after an error. */
int tp_gzip_end(tp_gzip_t *g);

/* 1 when the stream compresses, 0 when it writes raw bytes. */
int tp_gzip_compressed(const tp_gzip_t *g);

/* Test hook: raw != 0 makes later streams skip zlib as if libz.so.1 were
 * missing (the uncompressed path).  Not for use by the agent. */
void tp__gzip_force_raw(int raw);

#endif
