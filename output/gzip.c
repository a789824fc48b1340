/*
 * gzip: see gzip.h.  zlib.h is included for its types and constants only;
 * every zlib function is reached through a pointer found with dlsym in a
 * privately loaded libz.so.1.
 */
#include "output/gzip.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define OUT_SIZE 16384

typedef int deflate_init2_fn_t(z_streamp strm, int level, int method,
                               int window_bits, int mem_level, int strategy,
                               const char *version, int stream_size);
typedef int deflate_fn_t(z_streamp strm, int flush);
typedef int deflate_end_fn_t(z_streamp strm);

static pthread_once_t zlib_once = PTHREAD_ONCE_INIT;
static deflate_init2_fn_t *p_deflate_init2;
static deflate_fn_t *p_deflate;
static deflate_end_fn_t *p_deflate_end;
static atomic_int force_raw;

static void load_zlib(void)
{
    /* Kept open for the life of the process (a second dlopen by the host
     * only raises the reference count). */
    void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return;
    deflate_init2_fn_t *init = (deflate_init2_fn_t *)dlsym(h, "deflateInit2_");
    deflate_fn_t *def = (deflate_fn_t *)dlsym(h, "deflate");
    deflate_end_fn_t *end = (deflate_end_fn_t *)dlsym(h, "deflateEnd");
    if (init == NULL || def == NULL || end == NULL) {
        dlclose(h);
        return;
    }
    p_deflate_init2 = init;
    p_deflate = def;
    p_deflate_end = end;
}

void tp__gzip_force_raw(int raw)
{
    atomic_store(&force_raw, raw != 0);
}

int tp_gzip_compressed(const tp_gzip_t *g)
{
    return g->zs != NULL;
}

int tp_gzip_begin(tp_gzip_t *g, tp_sink_t *sink)
{
    memset(g, 0, sizeof *g);
    g->sink = sink;
    if (sink->err)
        return sink->err;
    if (atomic_load(&force_raw))
        return 0;
    pthread_once(&zlib_once, load_zlib);
    if (p_deflate_init2 == NULL)
        return 0;                       /* no libz: raw profile.proto */
    z_stream *zs = calloc(1, sizeof *zs);
    unsigned char *out = malloc(OUT_SIZE);
    if (zs == NULL || out == NULL) {
        free(zs);
        free(out);
        return -ENOMEM;
    }
    /* zalloc/zfree NULL: zlib uses malloc and free.  15 + 16: a 32 KB
     * window with a gzip header and trailer instead of zlib's. */
    int rc = p_deflate_init2(zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                             Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof *zs);
    if (rc != Z_OK) {
        free(zs);
        free(out);
        return rc == Z_MEM_ERROR ? -ENOMEM : -EIO;
    }
    g->zs = zs;
    g->out = out;
    return 0;
}

/* Runs deflate with flush mode `flush` until it has consumed its input
 * (Z_NO_FLUSH) or written the whole stream (Z_FINISH). */
static void pump(tp_gzip_t *g, int flush)
{
    z_stream *zs = g->zs;
    for (;;) {
        zs->next_out = g->out;
        zs->avail_out = OUT_SIZE;
        int rc = p_deflate(zs, flush);
        if (rc == Z_STREAM_ERROR) {
            g->err = -EIO;
            return;
        }
        size_t n = OUT_SIZE - zs->avail_out;
        if (n > 0)
            tp_sink_write(g->sink, g->out, n);
        if (g->sink->err) {
            g->err = g->sink->err;
            return;
        }
        if (flush == Z_FINISH ? rc == Z_STREAM_END
                              : zs->avail_in == 0 && zs->avail_out != 0)
            return;
        if (rc == Z_BUF_ERROR && n == 0) {
            g->err = -EIO;              /* no progress possible */
            return;
        }
    }
}

void tp_gzip_write(tp_gzip_t *g, const void *data, size_t n)
{
    if (g->err || n == 0)
        return;
    if (g->zs == NULL) {
        tp_sink_write(g->sink, data, n);
        g->err = g->sink->err;
        return;
    }
    z_stream *zs = g->zs;
    const unsigned char *p = data;
    while (n > 0 && !g->err) {
        /* avail_in is a uInt: feed huge buffers in pieces. */
        uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;
        zs->next_in = (Bytef *)(uintptr_t)p;
        zs->avail_in = k;
        pump(g, Z_NO_FLUSH);
        p += k;
        n -= k;
    }
}

int tp_gzip_end(tp_gzip_t *g)
{
    if (g->zs != NULL) {
        z_stream *zs = g->zs;
        if (!g->err) {
            zs->next_in = NULL;
            zs->avail_in = 0;
            pump(g, Z_FINISH);
        }
        p_deflate_end(zs);
        free(zs);
        free(g->out);
        g->zs = NULL;
        g->out = NULL;
    }
    int rc = tp_sink_flush(g->sink);
    if (g->err == 0)
        g->err = rc;
    return g->err;
}
