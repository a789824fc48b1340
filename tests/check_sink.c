/*
 * Check suite for output/sink.c, the buffered writer every output file
 * goes through: buffering (file and memory sinks, text read back between
 * writes, a printf line longer than its stack buffer), and the sticky
 * error: the first failed write(2) ends the output, later calls do
 * nothing, and tp_sink_flush and err say why as a negative errno (a full
 * disk, a pipe that was full, a closed descriptor, a number the host
 * took over).
 *
 * Each test that needs files gets its own mkdtemp() directory, removed by
 * the checked fixture.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/sink.h"
#include "tests/testbase.h"

static char tmpdir[64];

static void setup(void)
{
    tu_temp_dir(tmpdir, sizeof tmpdir, "sink-");
}

static void teardown(void)
{
    tu_remove_temp_dir(tmpdir);
}

/* tmpdir/rel into a static rotating buffer (four live at a time). */
static const char *at(const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, PATH_MAX, "%s/%s", tmpdir, rel);
    return b;
}

static void assert_file_is(const char *path, const char *want)
{
    char *got = tu_read_file(path);
    ck_assert_msg(got != NULL, "cannot read %s", path);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(sink_sticky_error_dev_full)
{
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    size_t n = sizeof s->buf + 5000;
    char *data = malloc(n);
    ck_assert_ptr_nonnull(data);
    memset(data, 'x', n);

    tp_sink_write(s, data, n);
    ck_assert_int_eq(s->err, -ENOSPC);
    ck_assert_int_eq(tp_sink_flush(s), -ENOSPC);
    size_t total = s->total;
    ck_assert_uint_le(total, n);

    tp_sink_write(s, data, n);
    tp_sink_puts(s, "more\n");
    tp_sink_printf(s, "%s %d\n", "and more", 42);
    ck_assert_uint_eq(s->total, total);
    ck_assert_int_eq(tp_sink_flush(s), -ENOSPC);
    ck_assert_int_eq(tp_sink_flush(s), -ENOSPC);
    ck_assert_uint_eq(s->total, total);
    free(data);
    free(s);
    close(fd);
}
END_TEST

/* Once a write failed, nothing more reaches the descriptor, even when it
 * could take data again (a non-blocking pipe that was full). */
START_TEST(sink_error_stays_after_fd_recovers)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
    int cap = fcntl(p[1], F_SETPIPE_SZ, 4096);
    ck_assert_int_gt(cap, 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_gt(sizeof s->buf, (size_t)cap);
    tp_sink_init_fd(s, p[1]);
    size_t n = sizeof s->buf + 100;
    char *data = malloc(n);
    ck_assert_ptr_nonnull(data);
    memset(data, 'p', n);

    tp_sink_write(s, data, n);
    ck_assert_int_eq(s->err, -EAGAIN);
    size_t total = s->total;
    /* Empty the pipe: what went in is a prefix of the data. */
    char *got = malloc((size_t)cap + 1);
    ck_assert_ptr_nonnull(got);
    ssize_t r = read(p[0], got, (size_t)cap + 1);
    ck_assert_int_eq(r, cap);
    ck_assert(memcmp(got, data, (size_t)cap) == 0);

    ck_assert_int_eq(tp_sink_flush(s), -EAGAIN);
    tp_sink_puts(s, "more\n");
    ck_assert_int_eq(tp_sink_flush(s), -EAGAIN);
    ck_assert_uint_eq(s->total, total);
    r = read(p[0], got, (size_t)cap + 1);
    ck_assert_msg(r == -1 && errno == EAGAIN, "%zd more bytes written after "
                  "the error", r);
    free(got);
    free(data);
    free(s);
    close(p[0]);
    close(p[1]);
}
END_TEST

/* Small output only meets the disk at flush, which reports it. */
START_TEST(sink_error_reported_at_flush)
{
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    tp_sink_puts(s, "short\n");
    ck_assert_int_eq(s->err, 0);
    ck_assert_uint_eq(s->total, 6);
    ck_assert_int_eq(tp_sink_flush(s), -ENOSPC);
    tp_sink_puts(s, "after\n");
    ck_assert_uint_eq(s->total, 6);
    free(s);
    close(fd);

    /* A closed descriptor is an error like any other. */
    s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    tp_sink_puts(s, "x");
    ck_assert_int_eq(tp_sink_flush(s), -EBADF);
    free(s);
}
END_TEST

START_TEST(sink_flush_twice_writes_once)
{
    int fd = open(at("f"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    tp_sink_puts(s, "abc");
    ck_assert_int_eq(tp_sink_flush(s), 0);
    ck_assert_int_eq(tp_sink_flush(s), 0);
    tp_sink_printf(s, "%d\n", 123);
    ck_assert_int_eq(tp_sink_flush(s), 0);
    ck_assert_uint_eq(s->total, 7);
    close(fd);
    free(s);
    assert_file_is(at("f"), "abc123\n");
}
END_TEST

START_TEST(sink_mem_empty_text)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    const char *t = tp_sink_text(s);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t, "");
    ck_assert_int_eq(tp_sink_flush(s), 0);
    tp_sink_free(s);
    tp_sink_free(s);   /* idempotent */
    free(s);
}
END_TEST

START_TEST(sink_mem_large_roundtrip)
{
    size_t cap = 256 * 1024, n = 0;
    char *want = malloc(cap);
    ck_assert_ptr_nonnull(want);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);

    char chunk[700];
    for (int i = 0; n < 120 * 1024; i++) {
        switch (i % 3) {
        case 0: {
            int k = snprintf(want + n, cap - n, "line %d: %s %x\n", i, "printf",
                             (unsigned)i * 2654435761u);
            tp_sink_printf(s, "line %d: %s %x\n", i, "printf",
                           (unsigned)i * 2654435761u);
            n += (size_t)k;
            break;
        }
        case 1:
            tp_sink_puts(s, "puts puts puts\n");
            memcpy(want + n, "puts puts puts\n", 15);
            n += 15;
            break;
        default: {
            size_t k = (size_t)(i * 37) % sizeof chunk;
            for (size_t j = 0; j < k; j++)
                chunk[j] = (char)('A' + (i + j) % 26);
            tp_sink_write(s, chunk, k);
            memcpy(want + n, chunk, k);
            n += k;
        }
        }
    }
    want[n] = '\0';
    ck_assert_uint_gt(n, 100 * 1024);
    const char *got = tp_sink_text(s);
    ck_assert_uint_eq(s->total, n);
    ck_assert_uint_eq(strlen(got), n);
    ck_assert(memcmp(got, want, n) == 0);
    ck_assert_int_eq(s->err, 0);
    tp_sink_free(s);
    free(s);
    free(want);
}
END_TEST

/* Reading the text in the middle does not lose or repeat anything. */
START_TEST(sink_mem_text_between_writes)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    tp_sink_puts(s, "one\n");
    ck_assert_str_eq(tp_sink_text(s), "one\n");
    ck_assert_str_eq(tp_sink_text(s), "one\n");
    tp_sink_puts(s, "two\n");
    ck_assert_str_eq(tp_sink_text(s), "one\ntwo\n");
    /* Across the buffer boundary and the first reallocation. */
    size_t big = 3 * sizeof s->buf;
    char *data = malloc(big);
    ck_assert_ptr_nonnull(data);
    memset(data, 'z', big);
    tp_sink_write(s, data, big);
    tp_sink_puts(s, "end\n");
    const char *t = tp_sink_text(s);
    ck_assert_uint_eq(strlen(t), 8 + big + 4);
    ck_assert(strncmp(t, "one\ntwo\n", 8) == 0);
    ck_assert(memcmp(t + 8, data, big) == 0);
    ck_assert_str_eq(t + 8 + big, "end\n");
    free(data);
    tp_sink_free(s);
    free(s);
}
END_TEST

/* A formatted line longer than printf's stack buffer (a long demangled
 * C++ name) arrives whole, newline included. */
START_TEST(sink_printf_long_line_whole)
{
    size_t n = 10000;
    char *name = malloc(n + 1);
    ck_assert_ptr_nonnull(name);
    for (size_t i = 0; i < n; i++)
        name[i] = (char)('a' + i % 26);
    name[n] = '\0';
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    tp_sink_printf(s, "%s(...)\n", name);
    tp_sink_puts(s, "next\n");
    const char *t = tp_sink_text(s);
    ck_assert_uint_eq(strlen(t), n + 6 + 5);
    ck_assert(memcmp(t, name, n) == 0);
    ck_assert_str_eq(t + n, "(...)\nnext\n");
    ck_assert_uint_eq(s->total, n + 11);
    tp_sink_free(s);
    free(s);
    free(name);
}
END_TEST

/* A host that dup2's its own file onto the number while the agent still
 * writes: what the sink had written stays in the agent's file, nothing
 * reaches the host's file, and the flush reports -EBADF. */
START_TEST(sink_stops_when_its_number_is_reused)
{
    int fd = open(at("ours"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_file(s, fd, st.st_dev, st.st_ino);
    tp_sink_puts(s, "before\n");
    ck_assert_int_eq(tp_sink_flush(s), 0);

    tu_write_file(at("host"), "", 0600);
    int host = open(at("host"), O_WRONLY | O_APPEND);
    ck_assert_int_ge(host, 0);
    ck_assert_int_eq(dup2(host, fd), fd);           /* the host's now */
    tp_sink_puts(s, "after\n");
    ck_assert_int_eq(tp_sink_flush(s), -EBADF);
    tp_sink_puts(s, "later\n");                   /* a no-op from now on */
    ck_assert_int_eq(tp_sink_flush(s), -EBADF);
    assert_file_is(at("host"), "");
    assert_file_is(at("ours"), "before\n");
    free(s);
    close(fd);
    close(host);
}
END_TEST

static Suite *sink_suite(void)
{
    Suite *s = suite_create("sink");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sink_sticky_error_dev_full);
    tcase_add_test(tc, sink_error_stays_after_fd_recovers);
    tcase_add_test(tc, sink_error_reported_at_flush);
    tcase_add_test(tc, sink_stops_when_its_number_is_reused);
    suite_add_tcase(s, tc);

    tc = tcase_create("buffering");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sink_flush_twice_writes_once);
    tcase_add_test(tc, sink_mem_empty_text);
    tcase_add_test(tc, sink_mem_large_roundtrip);
    tcase_add_test(tc, sink_mem_text_between_writes);
    tcase_add_test(tc, sink_printf_long_line_whole);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(sink_suite());
}
