/*
 * Check suite for the pprof writer (output/pprof.h: pprof.c and its
 * pprof_*.c parts), what it says about samples: sample types and their
 * values (packed varints, negative ones too), labels, the period, time,
 * comment and default sample type of a heap profile, the gzip stream
 * holding the same bytes as the uncompressed writer's, the errors it
 * returns and the arguments it refuses, and a profile of many samples
 * streamed through.  Locations, mappings and symbols are check_pprof's.
 * Profiles are built from addresses of functions of this test binary,
 * written to files and read back by Debian's `go tool pprof` (run through
 * popen with HOME and GOCACHE in a private directory) and by the tiny
 * protobuf decoder of tests/pprof_decode.h.
 *
 * Stacks use the address of a noipa function plus one, which looks like a
 * return address at the start of that function.
 */

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/gzip.h"
#include "output/pprof.h"
#include "output/sink.h"
#include "tests/pprof_decode.h"
#include "tests/pprof_util.h"
#include "tests/testbase.h"

/* ---- tests ---- */

START_TEST(pprof_labels_shown_by_pprof)
{
    tp_pprof_t *p = mutex_profile();
    tp_pprof_label_t labels[] = {
        {.key = "thread", .str = "worker-1"},
        {.key = "tid", .num = 4242},
        {.key = "bytes", .num = 64, .num_unit = "bytes"},
    };
    uintptr_t s[] = {PC_IN(pp_middle), PC_IN(pp_root)};
    int64_t v[] = {7, 700};
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 2, 0, v, 2, labels, 3), 0);
    /* The same stack without labels is another sample. */
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 2, 0, v, 2, NULL, 0), 0);
    ck_assert_uint_eq(tp_pprof_nsamples(p), 4);
    char path[PATH_MAX];
    write_profile(p, "labels.pb.gz", path, sizeof path);
    tp_pprof_free(p);

    char *raw = pprof("-raw", path);
    tu_assert_match(raw, "^ +7 +700: 2 3 \n +thread:\\[worker-1\\]\n"
                         " +bytes:\\[64 bytes\\] tid:\\[4242\\]$");
    free(raw);
    char *traces = pprof("-traces -sample_index=contentions", path);
    tu_assert_match(traces, "^ +thread: +worker-1$");
    tu_assert_match(traces, "^ +tid: +4242$");
    free(traces);
    char *tags = pprof("-tags -sample_index=contentions", path);
    tu_assert_match(tags, "^ thread: Total 7\\.0\n +7\\.0 \\(  100%\\): worker-1$");
    free(tags);
    char *focus = pprof("-top -sample_index=contentions -tagfocus=thread=worker-1", path);
    tu_assert_match(focus, "^Showing nodes accounting for 7, 31\\.82% of 22 total$");
    tu_assert_match(focus, "^ +7 31\\.82% 31\\.82% +7 31\\.82% +pp_middle$");
    free(focus);
}
END_TEST

START_TEST(pprof_heap_profile_reads_back)
{
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tp_pprof_sample_type(p, "alloc_objects", "count"), 0);
    ck_assert_int_eq(tp_pprof_sample_type(p, "alloc_space", "bytes"), 0);
    ck_assert_int_eq(tp_pprof_sample_type(p, "inuse_objects", "count"), 0);
    ck_assert_int_eq(tp_pprof_sample_type(p, "inuse_space", "bytes"), 0);
    tp_pprof_period(p, "space", "bytes", 524288);
    tp_pprof_time(p, INT64_C(1700000000) * 1000000000, 0);
    ck_assert_int_eq(tp_pprof_comment(p, "threadprof heap profile"), 0);
    ck_assert_int_eq(tp_pprof_default_sample_type(p, "alloc_space"), 0);
    uintptr_t s1[] = {PC_IN(pp_leaf), PC_IN(pp_middle)};
    uintptr_t s2[] = {PC_IN(pp_other)};
    int64_t v1[] = {10, 1048576, 2, 209715}, v2[] = {1, 4096, 1, 4096};
    tp_pprof_label_t size = {.key = "bytes", .num = 4096, .num_unit = "bytes"};
    ck_assert_int_eq(tp_pprof_add_sample(p, s1, 2, 0, v1, 4, NULL, 0), 0);
    ck_assert_int_eq(tp_pprof_add_sample(p, s2, 1, 0, v2, 4, &size, 1), 0);
    char path[PATH_MAX];
    write_profile(p, "heap.pb.gz", path, sizeof path);
    tp_pprof_free(p);

    char *raw = pprof("-raw", path);
    tu_assert_match(raw, "^PeriodType: space bytes$");
    tu_assert_match(raw, "^Period: 524288$");
    tu_assert_match(raw, "^Comment: threadprof heap profile$");
    tu_assert_match(raw, "^Time: 2023-11-14 22:13:20 \\+0000 UTC$");
    tu_assert_match(raw, "^alloc_objects/count alloc_space/bytes\\[dflt\\] "
                         "inuse_objects/count inuse_space/bytes$");
    tu_assert_match(raw, "^ +10 +1048576 +2 +209715: 1 2 $");
    tu_assert_match(raw, "^ +1 +4096 +1 +4096: 3 \n +bytes:\\[4096 bytes\\]$");
    free(raw);
    /* The default sample type is the one shown without -sample_index. */
    char *top = pprof("-top -nodefraction=0", path);
    tu_assert_match(top, "^Type: alloc_space$");
    tu_assert_match(top, "^Showing nodes accounting for 1028kB, 100% of 1028kB total$");
    tu_assert_match(top, " pp_leaf$");
    tu_assert_match(top, " pp_other$");
    free(top);
    char *inuse = pprof("-top -sample_index=inuse_space", path);
    tu_assert_match(inuse, "^Type: inuse_space$");
    tu_assert_match(inuse, "^ +204.80kB +98\\.08% +98\\.08% +204.80kB +98\\.08% +pp_leaf$");
    free(inuse);
}
END_TEST

START_TEST(pprof_gzip_stream_holds_the_proto)
{
    tp_pprof_t *p = mutex_profile();
    char path[PATH_MAX], raw_path[PATH_MAX];
    write_profile(p, "gz.pb.gz", path, sizeof path);
    pd_bytes_t raw = encode_raw(p);
    tp_pprof_free(p);

    pd_bytes_t gz = pd_read_file(path);
    ck_assert_uint_ge(gz.len, 18);
    ck_assert_uint_eq(gz.data[0], 0x1f);
    ck_assert_uint_eq(gz.data[1], 0x8b);
    ck_assert_uint_eq(gz.data[2], 8);          /* deflate */
    tmp_path(raw_path, sizeof raw_path, "gunzipped.pb");
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "gunzip -c '%s' > '%s'", path, raw_path);
    ck_assert_int_eq(system(cmd), 0);
    pd_bytes_t un = pd_read_file(raw_path);
    /* The same bytes as the uncompressed writer's. */
    ck_assert_uint_eq(un.len, raw.len);
    ck_assert(memcmp(un.data, raw.data, raw.len) == 0);
    /* And a well-formed profile: every field parses, string 0 is "". */
    pd_strtab_t t = pd_string_table(&un);
    ck_assert_uint_gt(t.n, 5);
    ck_assert_str_eq(t.strs[0], "");
    pd_strtab_free(&t);
    /* Compression at work: a trailer with the input's length. */
    uint32_t isize = (uint32_t)gz.data[gz.len - 4] | (uint32_t)gz.data[gz.len - 3] << 8 |
                     (uint32_t)gz.data[gz.len - 2] << 16 | (uint32_t)gz.data[gz.len - 1] << 24;
    ck_assert_uint_eq(isize, (uint32_t)un.len);
    free(gz.data);
    free(un.data);
    free(raw.data);
}
END_TEST

/* Sample values are packed varints, negative ones ten bytes long (the
 * encoder's own cases are in check_protobuf.c), and pprof reads them. */
START_TEST(pprof_sample_values_packed_varints)
{
    const pd_varint_case_t *cases = pd_varint_cases;
    enum { NCASES = PD_VARINT_CASES };
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    char names[NCASES][16];
    int64_t values[NCASES];
    for (size_t i = 0; i < NCASES; i++) {
        snprintf(names[i], sizeof names[i], "v%zu", i);
        ck_assert_int_eq(tp_pprof_sample_type(p, names[i], "count"), 0);
        values[i] = cases[i].v;
    }
    uintptr_t s[] = {PC_IN(pp_leaf)};
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 1, 0, values, NCASES, NULL, 0), 0);
    pd_bytes_t b = encode_raw(p);
    pd_field_t sample;
    ck_assert_uint_eq(pd_fields(b.data, b.len, 2, &sample, 1), 1);
    pd_field_t packed;
    ck_assert_uint_eq(pd_fields(sample.data, sample.len, 2, &packed, 1), 1);
    ck_assert_int_eq(packed.wire, 2);
    size_t total = 0;
    for (size_t i = 0; i < NCASES; i++) {
        ck_assert(memcmp(packed.data + total, cases[i].bytes, cases[i].len) == 0);
        total += cases[i].len;
    }
    ck_assert_uint_eq(packed.len, total);
    uint64_t back[NCASES];
    ck_assert_uint_eq(pd_numbers(sample.data, sample.len, 2, back, NCASES), NCASES);
    for (size_t i = 0; i < NCASES; i++)
        ck_assert_int_eq((int64_t)back[i], cases[i].v);
    free(b.data);

    /* pprof reads the ten-byte -1 and the largest int64. */
    char path[PATH_MAX];
    write_profile(p, "varint.pb.gz", path, sizeof path);
    tp_pprof_free(p);
    char *raw = pprof("-raw", path);
    tu_assert_match(raw, "^ +0 +1 +127 +128 +300 +9223372036854775807 +-1: 1 $");
    free(raw);
}
END_TEST

START_TEST(pprof_write_error_is_returned)
{
    tp_pprof_t *p = mutex_profile();
    int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_pprof_write(p, s), -ENOSPC);
    ck_assert_int_eq(s->err, -ENOSPC);
    close(fd);

    /* Uncompressed too. */
    tp__gzip_force_raw(1);
    fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_pprof_write(p, s), -ENOSPC);
    close(fd);
    tp__gzip_force_raw(0);

    /* A descriptor that is not open; a sink that already failed. */
    int pipefd[2];
    ck_assert_int_eq(pipe(pipefd), 0);
    close(pipefd[0]);
    close(pipefd[1]);
    tp_sink_init_fd(s, pipefd[1]);
    ck_assert_int_eq(tp_pprof_write(p, s), -EBADF);
    tp_sink_init_fd(s, -1);
    s->err = -EIO;
    ck_assert_int_eq(tp_pprof_write(p, s), -EIO);
    ck_assert_uint_eq(s->total, 0);

    /* The profile is still whole: it writes fine afterwards. */
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_pprof_write(p, s), 0);
    ck_assert_uint_gt(s->total, 20);
    tp_sink_free(s);
    free(s);
    tp_pprof_free(p);
}
END_TEST

START_TEST(pprof_bad_arguments_rejected)
{
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    uintptr_t s[] = {PC_IN(pp_leaf)};
    int64_t v[] = {1, 2, 3};
    /* No sample types yet. */
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 1, 0, v, 1, NULL, 0), -EINVAL);
    ck_assert_int_eq(tp_pprof_sample_type(p, NULL, "count"), -EINVAL);
    ck_assert_int_eq(tp_pprof_sample_type(p, "contentions", "count"), 0);
    ck_assert_int_eq(tp_pprof_sample_type(p, "delay", "nanoseconds"), 0);
    ck_assert_int_eq(tp_pprof_default_sample_type(p, "nope"), -EINVAL);
    ck_assert_int_eq(tp_pprof_default_sample_type(p, "count"), -EINVAL);
    ck_assert_int_eq(tp_pprof_comment(p, NULL), -EINVAL);
    /* Value counts must match. */
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 1, 0, v, 1, NULL, 0), -EINVAL);
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 1, 0, v, 3, NULL, 0), -EINVAL);
    ck_assert_int_eq(tp_pprof_add_sample(p, s, -1, 0, v, 2, NULL, 0), -EINVAL);
    ck_assert_int_eq(tp_pprof_add_sample(p, NULL, 1, 0, v, 2, NULL, 0), -EINVAL);
    tp_pprof_label_t nokey = {.str = "x"};
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 1, 0, v, 2, &nokey, 1), -EINVAL);
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 1, 0, v, 2, NULL, 1), -EINVAL);
    ck_assert_uint_eq(tp_pprof_nsamples(p), 0);
    /* An empty stack is a sample. */
    ck_assert_int_eq(tp_pprof_add_sample(p, NULL, 0, 0, v, 2, NULL, 0), 0);
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 1, 0, v, 2, NULL, 0), 0);
    /* Sample types are fixed once samples exist. */
    ck_assert_int_eq(tp_pprof_sample_type(p, "more", "count"), -EINVAL);
    ck_assert_uint_eq(tp_pprof_nsamples(p), 2);
    tp_pprof_free(p);
    tp_pprof_free(NULL);
}
END_TEST

START_TEST(pprof_many_samples_stream_through)
{
    /* More than the encoder's 64 KB flush size, with distinct stacks. */
    enum { N = 20000, DEPTH = 6 };
    const uintptr_t fns[] = {PC_IN(pp_leaf), PC_IN(pp_middle), PC_IN(pp_root),
                             PC_IN(pp_other), PC_IN(pp_return_address),
                             PC_IN(pp_inline_caller)};
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tp_pprof_sample_type(p, "contentions", "count"), 0);
    ck_assert_int_eq(tp_pprof_sample_type(p, "delay", "nanoseconds"), 0);
    int64_t total_delay = 0;
    for (int i = 0; i < N; i++) {
        uintptr_t s[DEPTH];
        int x = i;
        for (int d = 0; d < DEPTH; d++, x /= 6)
            s[d] = fns[x % 6];
        char tid[16];
        snprintf(tid, sizeof tid, "t%d", i % 7);
        tp_pprof_label_t l = {.key = "thread", .str = tid};
        int64_t v[] = {1, i};
        total_delay += i;
        ck_assert_int_eq(tp_pprof_add_sample(p, s, DEPTH, 0, v, 2, &l, 1), 0);
    }
    ck_assert_uint_eq(tp_pprof_nsamples(p), N);
    ck_assert_uint_eq(tp_pprof_nlocations(p), 6);
    char path[PATH_MAX];
    write_profile(p, "many.pb.gz", path, sizeof path);
    pd_bytes_t b = encode_raw(p);
    tp_pprof_free(p);
    ck_assert_uint_gt(b.len, 200000);
    pd_field_t *samples = malloc(N * sizeof *samples);
    ck_assert_ptr_nonnull(samples);
    ck_assert_uint_eq(pd_fields(b.data, b.len, 2, samples, N), N);
    int64_t sum = 0;
    for (int i = 0; i < N; i++) {
        uint64_t v[2];
        ck_assert_uint_eq(pd_numbers(samples[i].data, samples[i].len, 2, v, 2), 2);
        sum += (int64_t)v[1];
    }
    ck_assert_int_eq(sum, total_delay);
    free(samples);
    free(b.data);

    char *top = pprof("-top -sample_index=contentions", path);
    tu_assert_match(top, "^Showing nodes accounting for 20000, 100% of 20000 total$");
    free(top);
}
END_TEST

static Suite *pprof_samples_suite(void)
{
    Suite *s = suite_create("pprof_samples");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pprof_labels_shown_by_pprof);
    tcase_add_test(tc, pprof_heap_profile_reads_back);
    tcase_add_test(tc, pprof_gzip_stream_holds_the_proto);
    tcase_add_test(tc, pprof_sample_values_packed_varints);
    tcase_add_test(tc, pprof_write_error_is_returned);
    tcase_add_test(tc, pprof_bad_arguments_rejected);
    tcase_add_test(tc, pprof_many_samples_stream_through);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(pprof_samples_suite());
}
