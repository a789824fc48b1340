/*
 * Check suite for output/gzip.c, the gzip stream into a sink under the
 * pprof writer: what it writes is gzip at best speed that gunzip turns
 * back into the input, written in any pieces; without zlib (the test
 * switch) it is the input itself; and the errors of the sink, or of a
 * sink that failed before, come back as negative errnos.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/gzip.h"
#include "output/sink.h"
#include "tests/pprof_decode.h"
#include "tests/testbase.h"

static char tmpdir[64];

static void setup(void)
{
    tu_temp_dir(tmpdir, sizeof tmpdir, "gzip-");
    tp__gzip_force_raw(0);
}

static void teardown(void)
{
    tp__gzip_force_raw(0);
    tu_remove_temp_dir(tmpdir);
}

/* n bytes that compress somewhat: text with a counter in it. */
static unsigned char *test_data(size_t n)
{
    unsigned char *d = malloc(n);
    ck_assert_ptr_nonnull(d);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        d[i] = i % 64 < 48 ? (unsigned char)("pprof "[i % 6]) : (unsigned char)(x >> 24);
    }
    return d;
}

/* Streams data into a memory sink in pieces of `piece` bytes; returns the
 * sink's bytes (malloc'd). */
static pd_bytes_t gzip_mem(const unsigned char *data, size_t n, size_t piece,
                           int *compressed)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    tp_gzip_t g;
    ck_assert_int_eq(tp_gzip_begin(&g, s), 0);
    *compressed = tp_gzip_compressed(&g);
    for (size_t off = 0; off < n; off += piece)
        tp_gzip_write(&g, data + off, n - off < piece ? n - off : piece);
    tp_gzip_write(&g, data, 0);
    ck_assert_int_eq(tp_gzip_end(&g), 0);
    pd_bytes_t b = {malloc(s->total + 1), s->total};
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, tp_sink_text(s), s->total);
    tp_sink_free(s);
    free(s);
    return b;
}

/* gunzip -c of bytes b. */
static pd_bytes_t gunzip(const pd_bytes_t *b)
{
    char in[PATH_MAX], out[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(in, sizeof in, "%s/in.gz", tmpdir);
    snprintf(out, sizeof out, "%s/out", tmpdir);
    FILE *f = fopen(in, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(b->data, 1, b->len, f), b->len);
    ck_assert_int_eq(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "gunzip -c '%s' > '%s'", in, out);
    ck_assert_int_eq(system(cmd), 0);
    return pd_read_file(out);
}

START_TEST(gzip_stream_gunzips_to_the_input)
{
    /* More than the 16 KB output buffer, in pieces and whole. */
    size_t n = 1 << 20;
    unsigned char *data = test_data(n);
    static const size_t pieces[] = {1 << 20, 65536, 1000, 1};
    for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
        size_t len = pieces[k] == 1 ? 5000 : n;   /* byte by byte: shorter */
        int compressed;
        pd_bytes_t gz = gzip_mem(data, len, pieces[k], &compressed);
        ck_assert(compressed);
        ck_assert_uint_ge(gz.len, 18);
        ck_assert_uint_eq(gz.data[0], 0x1f);
        ck_assert_uint_eq(gz.data[1], 0x8b);
        ck_assert_uint_eq(gz.data[2], 8);        /* deflate */
        ck_assert_uint_eq(gz.data[8], 4);        /* XFL 4: fastest */
        if (len == n)
            ck_assert_uint_lt(gz.len, n);
        /* The trailer holds the input's length. */
        uint32_t isize = (uint32_t)gz.data[gz.len - 4] |
                         (uint32_t)gz.data[gz.len - 3] << 8 |
                         (uint32_t)gz.data[gz.len - 2] << 16 |
                         (uint32_t)gz.data[gz.len - 1] << 24;
        ck_assert_uint_eq(isize, (uint32_t)len);
        pd_bytes_t un = gunzip(&gz);
        ck_assert_uint_eq(un.len, len);
        ck_assert(memcmp(un.data, data, len) == 0);
        free(un.data);
        free(gz.data);
    }
    free(data);
}
END_TEST

START_TEST(gzip_empty_stream_is_valid)
{
    int compressed;
    pd_bytes_t gz = gzip_mem(NULL, 0, 1, &compressed);
    ck_assert(compressed);
    ck_assert_uint_ge(gz.len, 18);
    pd_bytes_t un = gunzip(&gz);
    ck_assert_uint_eq(un.len, 0);
    free(un.data);
    free(gz.data);
}
END_TEST

START_TEST(gzip_raw_without_zlib)
{
    size_t n = 100000;
    unsigned char *data = test_data(n);
    tp__gzip_force_raw(1);
    int compressed;
    pd_bytes_t b = gzip_mem(data, n, 4096, &compressed);
    ck_assert(!compressed);
    ck_assert_uint_eq(b.len, n);
    ck_assert(memcmp(b.data, data, n) == 0);
    free(b.data);
    /* Streams begun later compress again. */
    tp__gzip_force_raw(0);
    b = gzip_mem(data, n, 4096, &compressed);
    ck_assert(compressed);
    ck_assert_uint_eq(b.data[0], 0x1f);
    free(b.data);
    free(data);
}
END_TEST

/* A full disk: the stream stops and tp_gzip_end says why, compressed or
 * raw; the sink keeps the same error. */
START_TEST(gzip_sink_error_returned_negative)
{
    size_t n = 1 << 20;
    unsigned char *data = test_data(n);
    for (int raw = 0; raw <= 1; raw++) {
        tp__gzip_force_raw(raw);
        int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        tp_sink_t *s = malloc(sizeof *s);
        ck_assert_ptr_nonnull(s);
        tp_sink_init_fd(s, fd);
        tp_gzip_t g;
        ck_assert_int_eq(tp_gzip_begin(&g, s), 0);
        tp_gzip_write(&g, data, n);
        ck_assert_int_eq(g.err, -ENOSPC);
        tp_gzip_write(&g, data, n);          /* a no-op now */
        ck_assert_int_eq(tp_gzip_end(&g), -ENOSPC);
        ck_assert_int_eq(s->err, -ENOSPC);
        /* Small output fails only at the end, when the sink flushes. */
        tp_sink_init_fd(s, fd);
        ck_assert_int_eq(tp_gzip_begin(&g, s), 0);
        tp_gzip_write(&g, "x", 1);
        ck_assert_int_eq(g.err, 0);
        ck_assert_int_eq(tp_gzip_end(&g), -ENOSPC);
        free(s);
        close(fd);
    }
    free(data);
}
END_TEST

/* A sink that failed before: begin returns its error, nothing is written. */
START_TEST(gzip_begin_on_failed_sink)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    s->err = -EIO;
    tp_gzip_t g;
    ck_assert_int_eq(tp_gzip_begin(&g, s), -EIO);
    ck_assert_uint_eq(s->total, 0);
    tp_sink_free(s);
    free(s);
}
END_TEST

static Suite *gzip_suite(void)
{
    Suite *s = suite_create("gzip");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, gzip_stream_gunzips_to_the_input);
    tcase_add_test(tc, gzip_empty_stream_is_valid);
    tcase_add_test(tc, gzip_raw_without_zlib);
    tcase_add_test(tc, gzip_sink_error_returned_negative);
    tcase_add_test(tc, gzip_begin_on_failed_sink);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(gzip_suite());
}
