/*
 * Check suite for output/pprof.c (with output/protobuf.c and
 * output/gzip.c): profiles are built from addresses of functions of this
 * test binary, written to files and read back two ways:
 *
 *   - by the real consumer, Debian's `go tool pprof` (-raw, -top, -traces),
 *     run through popen with HOME and GOCACHE in a private directory;
 *   - by a tiny protobuf decoder below, for what pprof's output hides: the
 *     exact varint bytes, the string table, packed fields, addresses.
 *
 * Stacks use "return addresses" made two ways: the address of a noipa
 * function plus one (the symbolizer then reports the function's own line,
 * its body being one line long), and real return addresses taken with
 * __builtin_return_address, which also give an inlined frame.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/gzip.h"
#include "output/pprof.h"
#include "output/protobuf.h"
#include "output/sink.h"
#include "tests/testutil.h"

#if defined(__clang__)
#define NOIPA __attribute__((noinline, optnone))
#else
#define NOIPA __attribute__((noipa))
#endif

static volatile int sink_var;

/* ---- code whose addresses appear in the stacks (one line each) ---- */

enum { LEAF_LINE = __LINE__ + 1 };
static NOIPA int pp_leaf(int x) { return x * 3 + sink_var; }
enum { MIDDLE_LINE = __LINE__ + 1 };
static NOIPA int pp_middle(int x) { return pp_leaf(x) - 7; }
enum { ROOT_LINE = __LINE__ + 1 };
static NOIPA int pp_root(int x) { return pp_middle(x) * 5; }
enum { OTHER_LINE = __LINE__ + 1 };
static NOIPA int pp_other(int x) { return pp_leaf(x) + 11; }

#define PC_IN(fn) ((uintptr_t)(fn) + 1)

/* Lines of the calls below, set when they run. */
static int leaf_call_line, caller_call_line;

static NOIPA uintptr_t pp_return_address(void)
{
    return (uintptr_t)__builtin_return_address(0);
}

static inline __attribute__((always_inline)) uintptr_t pp_inlined(int x)
{
    uintptr_t ra = pp_return_address(); leaf_call_line = __LINE__;
    sink_var += x;
    return ra;
}

/* A return address inside the inlined copy of pp_inlined(). */
static NOIPA uintptr_t pp_inline_caller(int x)
{
    uintptr_t ra = pp_inlined(x); caller_call_line = __LINE__;
    sink_var += 2;
    return ra;
}

/* A return address inside libc: qsort's call of the comparator. */
static uintptr_t libc_ra;

static NOIPA int pp_compare(const void *a, const void *b)
{
    libc_ra = (uintptr_t)__builtin_return_address(0);
    return *(const int *)a - *(const int *)b;
}

static uintptr_t libc_return_address(void)
{
    int v[2] = {2, 1};
    qsort(v, 2, sizeof v[0], pp_compare);
    ck_assert_int_eq(v[0], 1);
    return libc_ra;
}

/* ---- files, commands ---- */

static char tmpdir[64];

static void setup(void)
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

static void teardown(void)
{
    tp__gzip_force_raw(0);
    if (strncmp(tmpdir, "/tmp/tp-pprof-", 14) == 0) {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", tmpdir);
    }
}

static void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* The output of a shell command (malloc'd); its exit status in *status. */
static char *run(const char *cmd, int *status)
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
static char *pprof(const char *args, const char *file)
{
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "go tool pprof %s '%s' 2>&1", args, file);
    int status;
    char *out = run(cmd, &status);
    ck_assert_msg(status == 0, "%s failed (status %#x; is golang-go installed? "
                  "make setup):\n%.3000s", cmd, status, out);
    return out;
}

typedef struct bytes {
    unsigned char *data;
    size_t len;
} bytes_t;

static bytes_t read_bytes(const char *path)
{
    bytes_t b = {NULL, 0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    struct stat st;
    ck_assert(fstat(fd, &st) == 0);
    b.data = malloc((size_t)st.st_size + 1);
    ck_assert_ptr_nonnull(b.data);
    while (b.len < (size_t)st.st_size) {
        ssize_t r = read(fd, b.data + b.len, (size_t)st.st_size - b.len);
        ck_assert(r > 0);
        b.len += (size_t)r;
    }
    close(fd);
    return b;
}

/* Writes p to tmpdir/name; returns its path in path. */
static void write_profile(tp_pprof_t *p, const char *name, char *path, size_t len)
{
    tmp_path(path, len, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert(fd >= 0);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, fd);
    int rc = tp_pprof_write(p, s);
    ck_assert_msg(rc == 0, "tp_pprof_write: %s", strerror(rc));
    free(s);
    ck_assert(close(fd) == 0);
}

/* The profile.proto bytes of p, uncompressed (memory sink, raw mode). */
static bytes_t encode_raw(tp_pprof_t *p)
{
    tp__gzip_force_raw(1);
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_pprof_write(p, s), 0);
    tp__gzip_force_raw(0);
    bytes_t b;
    b.len = s->total;
    b.data = malloc(b.len + 1);
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, tp_sink_text(s), b.len);
    tp_sink_free(s);
    free(s);
    return b;
}

/* ---- a tiny protobuf decoder ---- */

typedef struct field {
    int tag, wire;
    uint64_t v;                 /* wire type 0 */
    const unsigned char *data;  /* wire type 2 */
    size_t len;
} field_t;

static int dec_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*p >= end)
            return -1;
        unsigned char c = *(*p)++;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Next field of a message; 1, or 0 at its end.  Fails on bad input. */
static int next_field(const unsigned char **p, const unsigned char *end, field_t *f)
{
    if (*p >= end)
        return 0;
    uint64_t key;
    ck_assert_msg(dec_varint(p, end, &key) == 0, "bad key");
    f->tag = (int)(key >> 3);
    f->wire = (int)(key & 7);
    if (f->wire == 0) {
        ck_assert_msg(dec_varint(p, end, &f->v) == 0, "bad varint");
    } else {
        ck_assert_msg(f->wire == 2, "unexpected wire type %d", f->wire);
        uint64_t n;
        ck_assert_msg(dec_varint(p, end, &n) == 0 && n <= (uint64_t)(end - *p),
                      "bad length");
        f->data = *p;
        f->len = (size_t)n;
        *p += n;
    }
    return 1;
}

/* The fields with tag of a message, up to max. */
static size_t fields(const unsigned char *b, size_t n, int tag, field_t *out, size_t max)
{
    const unsigned char *p = b, *end = b + n;
    field_t f;
    size_t k = 0;
    while (next_field(&p, end, &f))
        if (f.tag == tag && k < max)
            out[k++] = f;
    return k;
}

/* The repeated numbers with tag in a message, packed or not. */
static size_t numbers(const unsigned char *b, size_t n, int tag, uint64_t *out, size_t max)
{
    const unsigned char *p = b, *end = b + n;
    field_t f;
    size_t k = 0;
    while (next_field(&p, end, &f)) {
        if (f.tag != tag)
            continue;
        if (f.wire == 0) {
            if (k < max)
                out[k++] = f.v;
            continue;
        }
        const unsigned char *q = f.data, *qe = f.data + f.len;
        uint64_t v;
        while (q < qe) {
            ck_assert(dec_varint(&q, qe, &v) == 0);
            if (k < max)
                out[k++] = v;
        }
    }
    return k;
}

#define MAXF 4096

/* The string table: strs[i] point into a malloc'd block, NUL-terminated. */
typedef struct strtab {
    char **strs;
    size_t n;
} strtab_t;

static strtab_t string_table(const bytes_t *b)
{
    field_t *fs = malloc(MAXF * sizeof *fs);
    ck_assert_ptr_nonnull(fs);
    strtab_t t;
    t.n = fields(b->data, b->len, 6, fs, MAXF);
    t.strs = calloc(t.n + 1, sizeof *t.strs);
    ck_assert_ptr_nonnull(t.strs);
    for (size_t i = 0; i < t.n; i++) {
        ck_assert_int_eq(fs[i].wire, 2);
        t.strs[i] = strndup((const char *)fs[i].data, fs[i].len);
    }
    free(fs);
    return t;
}

static void strtab_free(strtab_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->strs[i]);
    free(t->strs);
}

/* ---- profiles used by several tests ---- */

static tp_pprof_t *mutex_profile(void)
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

/* text with the ERE metacharacters escaped. */
static void regex_quote(const char *text, char *out, size_t len)
{
    size_t k = 0;
    for (const char *c = text; *c && k + 3 < len; c++) {
        if (strchr(".[]()*+?{}|^$\\", *c))
            out[k++] = '\\';
        out[k++] = *c;
    }
    out[k] = '\0';
}

static void assert_raw_location(const char *raw, const char *fn, int line)
{
    char re[256];
    snprintf(re, sizeof re,
             "^ +[0-9]+: 0x[0-9a-f]+ M=[0-9]+ %s [^ ]*tests/check_pprof\\.c:%d s=0$",
             fn, line);
    tu_assert_match(raw, re);
}

/* ---- tests ---- */

START_TEST(pprof_mutex_profile_reads_in_go_pprof)
{
    tp_pprof_t *p = mutex_profile();
    ck_assert_uint_eq(tp_pprof_nsamples(p), 2);
    ck_assert_uint_eq(tp_pprof_nlocations(p), 4);   /* pp_leaf shared */
    char path[PATH_MAX];
    write_profile(p, "mutex.pb.gz", path, sizeof path);
    tp_pprof_free(p);

    char *raw = pprof("-raw", path);
    tu_assert_match(raw, "^PeriodType: contentions count$");
    tu_assert_match(raw, "^Period: 1$");
    tu_assert_match(raw, "^contentions/count delay/nanoseconds$");
    tu_assert_match(raw, "^ +3 +3000: 1 2 3 $");
    tu_assert_match(raw, "^ +5 +125000: 1 4 $");
    assert_raw_location(raw, "pp_leaf", LEAF_LINE);
    assert_raw_location(raw, "pp_middle", MIDDLE_LINE);
    assert_raw_location(raw, "pp_root", ROOT_LINE);
    assert_raw_location(raw, "pp_other", OTHER_LINE);
    free(raw);

    char *top = pprof("-top -sample_index=delay", path);
    tu_assert_match(top, "^Type: delay$");
    tu_assert_match(top, "^Showing nodes accounting for 128us, 100% of 128us total$");
    tu_assert_match(top, "^ +128us +100% +100% +128us +100% +pp_leaf$");
    tu_assert_match(top, " pp_middle$");
    tu_assert_match(top, " pp_root$");
    tu_assert_match(top, " pp_other$");
    free(top);

    char *traces = pprof("-traces -sample_index=contentions", path);
    tu_assert_match(traces, "^ +5 +pp_leaf\n +pp_other$");
    tu_assert_match(traces, "^ +3 +pp_leaf\n +pp_middle\n +pp_root$");
    free(traces);
}
END_TEST

START_TEST(pprof_locations_use_call_addresses)
{
    tp_pprof_t *p = mutex_profile();
    /* A third stack whose leaf is an exact pc (a signal context): it is a
     * location of its own, at the pc itself. */
    uintptr_t s3[] = {(uintptr_t)pp_leaf + 4, PC_IN(pp_root)};
    int64_t v[] = {1, 1};
    ck_assert_int_eq(tp_pprof_add_sample(p, s3, 2, 1, v, 2, NULL, 0), 0);
    /* Return address pp_leaf + 1 and exact pc pp_leaf are one call
     * address, so one location. */
    uintptr_t s4[] = {(uintptr_t)pp_leaf, PC_IN(pp_middle)};
    ck_assert_int_eq(tp_pprof_add_sample(p, s4, 2, 1, v, 2, NULL, 0), 0);
    ck_assert_uint_eq(tp_pprof_nlocations(p), 5);
    bytes_t b = encode_raw(p);
    tp_pprof_free(p);

    field_t locs[16];
    size_t n = fields(b.data, b.len, 4, locs, 16);
    ck_assert_uint_eq(n, 5);
    uint64_t want[] = {(uintptr_t)pp_leaf, (uintptr_t)pp_middle, (uintptr_t)pp_root,
                       (uintptr_t)pp_other, (uintptr_t)pp_leaf + 4};
    for (size_t i = 0; i < n; i++) {
        uint64_t id, addr, mapping;
        ck_assert_uint_eq(numbers(locs[i].data, locs[i].len, 1, &id, 1), 1);
        ck_assert_uint_eq(id, i + 1);
        ck_assert_uint_eq(numbers(locs[i].data, locs[i].len, 3, &addr, 1), 1);
        ck_assert_uint_eq(addr, want[i]);
        ck_assert_uint_eq(numbers(locs[i].data, locs[i].len, 2, &mapping, 1), 1);
        ck_assert_uint_gt(mapping, 0);
    }
    /* The fourth sample points at location 1 again. */
    field_t samples[8];
    ck_assert_uint_eq(fields(b.data, b.len, 2, samples, 8), 4);
    uint64_t ids[4];
    ck_assert_uint_eq(numbers(samples[3].data, samples[3].len, 1, ids, 4), 2);
    ck_assert_uint_eq(ids[0], 1);
    ck_assert_uint_eq(ids[1], 2);
    free(b.data);
}
END_TEST

START_TEST(pprof_inlined_frames_innermost_first)
{
    uintptr_t ra = pp_inline_caller(1);
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tp_pprof_sample_type(p, "threadcreate", "count"), 0);
    uintptr_t s[] = {ra, PC_IN(pp_root)};
    int64_t v[] = {1};
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 2, 0, v, 1, NULL, 0), 0);
    char path[PATH_MAX];
    write_profile(p, "inline.pb.gz", path, sizeof path);
    tp_pprof_free(p);

    char *raw = pprof("-raw", path);
    char re[512];
    snprintf(re, sizeof re,
             "^ +1: 0x[0-9a-f]+ M=1 pp_inlined [^ ]*tests/check_pprof\\.c:%d s=0\n"
             " +pp_inline_caller [^ ]*tests/check_pprof\\.c:%d s=0$",
             leaf_call_line, caller_call_line);
    tu_assert_match(raw, re);
    tu_assert_match(raw, "\\[FN\\]\\[FL\\]\\[LN\\]\\[IN\\]$");
    free(raw);
    char *traces = pprof("-traces", path);
    tu_assert_match(traces, "^ +1 +pp_inlined \\(inline\\)\n +pp_inline_caller\n +pp_root$");
    free(traces);
}
END_TEST

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
    bytes_t raw = encode_raw(p);
    tp_pprof_free(p);

    bytes_t gz = read_bytes(path);
    ck_assert_uint_ge(gz.len, 18);
    ck_assert_uint_eq(gz.data[0], 0x1f);
    ck_assert_uint_eq(gz.data[1], 0x8b);
    ck_assert_uint_eq(gz.data[2], 8);          /* deflate */
    tmp_path(raw_path, sizeof raw_path, "gunzipped.pb");
    char cmd[3 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "gunzip -c '%s' > '%s'", path, raw_path);
    ck_assert_int_eq(system(cmd), 0);
    bytes_t un = read_bytes(raw_path);
    /* The same bytes as the uncompressed writer's. */
    ck_assert_uint_eq(un.len, raw.len);
    ck_assert(memcmp(un.data, raw.data, raw.len) == 0);
    /* And a well-formed profile: every field parses, string 0 is "". */
    strtab_t t = string_table(&un);
    ck_assert_uint_gt(t.n, 5);
    ck_assert_str_eq(t.strs[0], "");
    strtab_free(&t);
    /* Compression at work: a trailer with the input's length. */
    uint32_t isize = (uint32_t)gz.data[gz.len - 4] | (uint32_t)gz.data[gz.len - 3] << 8 |
                     (uint32_t)gz.data[gz.len - 2] << 16 | (uint32_t)gz.data[gz.len - 1] << 24;
    ck_assert_uint_eq(isize, (uint32_t)un.len);
    free(gz.data);
    free(un.data);
    free(raw.data);
}
END_TEST

START_TEST(pprof_uncompressed_without_zlib)
{
    tp__gzip_force_raw(1);
    tp_pprof_t *p = mutex_profile();
    char path[PATH_MAX];
    write_profile(p, "plain.pb", path, sizeof path);
    tp_pprof_free(p);
    tp__gzip_force_raw(0);

    bytes_t b = read_bytes(path);
    ck_assert_uint_gt(b.len, 2);
    ck_assert(!(b.data[0] == 0x1f && b.data[1] == 0x8b));
    /* Raw proto: the first field is a sample_type message. */
    ck_assert_uint_eq(b.data[0], (1 << 3) | 2);
    strtab_t t = string_table(&b);
    ck_assert_str_eq(t.strs[0], "");
    strtab_free(&t);
    free(b.data);

    char *raw = pprof("-raw", path);
    tu_assert_match(raw, "^contentions/count delay/nanoseconds$");
    tu_assert_match(raw, "^ +5 +125000: 1 4 $");
    assert_raw_location(raw, "pp_other", OTHER_LINE);
    free(raw);
}
END_TEST

START_TEST(pprof_mapping_has_build_id)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "readelf -n '%s'", exe);
    int status;
    char *notes = run(cmd, &status);
    ck_assert_int_eq(status, 0);
    char id[256];
    ck_assert_msg(tu_match(notes, "Build ID: ([0-9a-f]+)", id, sizeof id),
                  "no build id in:\n%.2000s", notes);
    free(notes);

    tp_pprof_t *p = mutex_profile();
    uintptr_t s[] = {libc_return_address(), PC_IN(pp_root)};
    int64_t one[] = {1, 1};
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 2, 0, one, 2, NULL, 0), 0);
    char path[PATH_MAX];
    write_profile(p, "maps.pb.gz", path, sizeof path);
    tp_pprof_free(p);
    char *raw = pprof("-raw", path);
    char re[PATH_MAX + 512];
    /* pprof puts the main binary first; the mapping covers pp_leaf. */
    snprintf(re, sizeof re,
             "^1: 0x([0-9a-f]+)/0x[0-9a-f]+/0x[0-9a-f]+ %s %s \\[FN\\]\\[FL\\]\\[LN\\]\\[IN\\]$",
             exe, id);
    char start[32];
    ck_assert_msg(tu_match(raw, re, start, sizeof start), "no match for /%s/ in:\n%.3000s",
                  re, raw);
    ck_assert_uint_le(strtoull(start, NULL, 16), (uintptr_t)pp_leaf);
    /* libc is there too, with its own build id, and the frame in it. */
    char libc[PATH_MAX];
    ck_assert_msg(tu_match(raw, "^2: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ "
                                "([^ ]*/libc\\.so\\.6) [0-9a-f]{40}",
                           libc, sizeof libc), "no libc mapping in:\n%.3000s", raw);
    /* (msort_with_tmp with libc6-dbg; a name in any case.) */
    tu_assert_match(raw, "^ +5: 0x[0-9a-f]+ M=2 [^ ]+ ");
    snprintf(cmd, sizeof cmd, "readelf -n '%s'", libc);
    notes = run(cmd, &status);
    char libc_id[256];
    ck_assert(tu_match(notes, "Build ID: ([0-9a-f]+)", libc_id, sizeof libc_id));
    free(notes);
    snprintf(re, sizeof re, "^[0-9]+: 0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+ %s %s ",
             libc, libc_id);
    tu_assert_match(raw, re);
    char *file = pprof("-top", path);
    char want[300];
    snprintf(want, sizeof want, "^Build ID: %s$", id);
    tu_assert_match(file, want);
    free(file);
    free(raw);

    /* The Mapping message itself: filename and build id strings, the
     * four has_* flags, the location inside [start, limit). */
    p = mutex_profile();
    bytes_t b = encode_raw(p);
    tp_pprof_free(p);
    strtab_t t = string_table(&b);
    field_t maps[256];
    size_t nm = fields(b.data, b.len, 3, maps, 256);
    int found = 0;
    for (size_t i = 0; i < nm; i++) {
        uint64_t v[1], start_addr, limit, fname, bid;
        ck_assert_uint_eq(numbers(maps[i].data, maps[i].len, 1, v, 1), 1);
        ck_assert_uint_eq(v[0], i + 1);
        if (numbers(maps[i].data, maps[i].len, 5, &fname, 1) != 1 ||
            strcmp(t.strs[fname], exe) != 0)
            continue;
        numbers(maps[i].data, maps[i].len, 2, &start_addr, 1);
        numbers(maps[i].data, maps[i].len, 3, &limit, 1);
        if (!((uintptr_t)pp_leaf >= start_addr && (uintptr_t)pp_leaf < limit))
            continue;
        found = 1;
        ck_assert_uint_eq(numbers(maps[i].data, maps[i].len, 6, &bid, 1), 1);
        ck_assert_str_eq(t.strs[bid], id);
        for (int tag = 7; tag <= 10; tag++) {
            ck_assert_uint_eq(numbers(maps[i].data, maps[i].len, tag, v, 1), 1);
            ck_assert_uint_eq(v[0], 1);
        }
    }
    ck_assert_msg(found, "no mapping of %s holding pp_leaf", exe);
    strtab_free(&t);
    free(b.data);
}
END_TEST

START_TEST(pprof_string_table_deduplicated)
{
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tp_pprof_sample_type(p, "alloc_objects", "count"), 0);
    ck_assert_int_eq(tp_pprof_sample_type(p, "inuse_objects", "count"), 0);
    tp_pprof_period(p, "alloc_objects", "count", 1);
    tp_pprof_label_t l[] = {{.key = "thread", .str = "count"},
                            {.key = "thread", .str = "worker"}};
    uintptr_t s[] = {PC_IN(pp_leaf), PC_IN(pp_middle)};
    int64_t v[] = {1, 1};
    for (int i = 0; i < 50; i++) {
        s[1] = i % 2 ? PC_IN(pp_middle) : PC_IN(pp_other);
        ck_assert_int_eq(tp_pprof_add_sample(p, s, 2, 0, v, 2, l, 2), 0);
    }
    ck_assert_int_eq(tp_pprof_comment(p, "worker"), 0);
    bytes_t b = encode_raw(p);
    tp_pprof_free(p);
    strtab_t t = string_table(&b);
    ck_assert_str_eq(t.strs[0], "");
    for (size_t i = 0; i < t.n; i++)
        for (size_t j = i + 1; j < t.n; j++)
            ck_assert_msg(strcmp(t.strs[i], t.strs[j]) != 0,
                          "\"%s\" at %zu and %zu", t.strs[i], i, j);
    int have_count = 0, have_file = 0, have_leaf = 0;
    for (size_t i = 0; i < t.n; i++) {
        have_count |= strcmp(t.strs[i], "count") == 0;
        have_leaf |= strcmp(t.strs[i], "pp_leaf") == 0;
        size_t n = strlen(t.strs[i]);
        have_file |= n > 13 && strcmp(t.strs[i] + n - 13, "check_pprof.c") == 0;
    }
    ck_assert(have_count && have_file && have_leaf);
    /* The identical samples were merged: two stacks, values summed. */
    field_t samples[4];
    ck_assert_uint_eq(fields(b.data, b.len, 2, samples, 4), 2);
    uint64_t vals[2];
    ck_assert_uint_eq(numbers(samples[0].data, samples[0].len, 2, vals, 2), 2);
    ck_assert_uint_eq(vals[0], 25);
    ck_assert_uint_eq(vals[1], 25);
    /* Functions are one per (name, file): three. */
    field_t funcs[8];
    ck_assert_uint_eq(fields(b.data, b.len, 5, funcs, 8), 3);
    strtab_free(&t);
    free(b.data);
}
END_TEST

START_TEST(pprof_varint_edge_cases)
{
    /* The encoder on its own. */
    static const struct {
        int64_t v;
        size_t len;
        unsigned char bytes[10];
    } cases[] = {
        {0, 1, {0x00}},
        {1, 1, {0x01}},
        {127, 1, {0x7f}},
        {128, 2, {0x80, 0x01}},
        {300, 2, {0xac, 0x02}},
        {INT64_MAX, 9, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
        {-1, 10, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
    };
    enum { NCASES = sizeof cases / sizeof cases[0] };
    tp_pb_t pb;
    tp_pb_init(&pb);
    for (size_t i = 0; i < NCASES; i++) {
        tp_pb_reset(&pb);
        tp_pb_int64(&pb, 2, cases[i].v);
        ck_assert_uint_eq(tp_pb_varint_size((uint64_t)cases[i].v), cases[i].len);
        ck_assert_uint_eq(pb.len, 1 + cases[i].len);
        ck_assert_uint_eq(pb.data[0], 2 << 3);
        ck_assert(memcmp(pb.data + 1, cases[i].bytes, cases[i].len) == 0);
    }
    /* _opt writes nothing for 0; a nested message gets its length. */
    tp_pb_reset(&pb);
    tp_pb_int64_opt(&pb, 3, 0);
    ck_assert_uint_eq(pb.len, 0);
    size_t m = tp_pb_start_message(&pb);
    tp_pb_bytes(&pb, 1, "abc", 3);
    tp_pb_end_message(&pb, 4, m);
    static const unsigned char nested[] = {0x22, 5, 0x0a, 3, 'a', 'b', 'c'};
    ck_assert_uint_eq(pb.len, sizeof nested);
    ck_assert(memcmp(pb.data, nested, sizeof nested) == 0);
    /* A message longer than 127 bytes: a two-byte length in front. */
    tp_pb_reset(&pb);
    m = tp_pb_start_message(&pb);
    char big[200];
    memset(big, 'x', sizeof big);
    tp_pb_bytes(&pb, 1, big, sizeof big);
    tp_pb_end_message(&pb, 2, m);
    ck_assert_uint_eq(pb.len, 3 + 3 + sizeof big);
    ck_assert_uint_eq(pb.data[0], 0x12);
    ck_assert_uint_eq(pb.data[1], 0xcb);          /* 203 = 0x80 | 0x4b, 0x01 */
    ck_assert_uint_eq(pb.data[2], 0x01);
    ck_assert_uint_eq(pb.data[3], 0x0a);
    ck_assert_int_eq(pb.err, 0);
    tp_pb_free(&pb);

    /* The same values as sample values, packed in a Sample. */
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
    bytes_t b = encode_raw(p);
    field_t sample;
    ck_assert_uint_eq(fields(b.data, b.len, 2, &sample, 1), 1);
    field_t packed;
    ck_assert_uint_eq(fields(sample.data, sample.len, 2, &packed, 1), 1);
    ck_assert_int_eq(packed.wire, 2);
    size_t total = 0;
    for (size_t i = 0; i < NCASES; i++) {
        ck_assert(memcmp(packed.data + total, cases[i].bytes, cases[i].len) == 0);
        total += cases[i].len;
    }
    ck_assert_uint_eq(packed.len, total);
    uint64_t back[NCASES];
    ck_assert_uint_eq(numbers(sample.data, sample.len, 2, back, NCASES), NCASES);
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
    ck_assert_int_eq(tp_pprof_write(p, s), ENOSPC);
    ck_assert_int_eq(s->err, ENOSPC);
    close(fd);

    /* Uncompressed too. */
    tp__gzip_force_raw(1);
    fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
    tp_sink_init_fd(s, fd);
    ck_assert_int_eq(tp_pprof_write(p, s), ENOSPC);
    close(fd);
    tp__gzip_force_raw(0);

    /* A descriptor that is not open; a sink that already failed. */
    int pipefd[2];
    ck_assert_int_eq(pipe(pipefd), 0);
    close(pipefd[0]);
    close(pipefd[1]);
    tp_sink_init_fd(s, pipefd[1]);
    ck_assert_int_eq(tp_pprof_write(p, s), EBADF);
    tp_sink_init_fd(s, -1);
    s->err = EIO;
    ck_assert_int_eq(tp_pprof_write(p, s), EIO);
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

START_TEST(pprof_unmapped_address_keeps_its_address)
{
    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tp_pprof_sample_type(p, "contentions", "count"), 0);
    /* 0x10000 is below any mapping of a PIE process. */
    uintptr_t s[] = {0x10001, PC_IN(pp_root)};
    int64_t v[] = {2};
    ck_assert_int_eq(tp_pprof_add_sample(p, s, 2, 0, v, 1, NULL, 0), 0);
    char path[PATH_MAX];
    write_profile(p, "unmapped.pb.gz", path, sizeof path);
    bytes_t b = encode_raw(p);
    tp_pprof_free(p);

    field_t loc;
    ck_assert_uint_eq(fields(b.data, b.len, 4, &loc, 1), 1);
    uint64_t x;
    ck_assert_uint_eq(numbers(loc.data, loc.len, 2, &x, 1), 0);   /* no mapping */
    ck_assert_uint_eq(numbers(loc.data, loc.len, 3, &x, 1), 1);
    ck_assert_uint_eq(x, 0x10000);
    field_t lines[2];
    ck_assert_uint_eq(fields(loc.data, loc.len, 4, lines, 2), 0);  /* no lines */
    free(b.data);

    char *raw = pprof("-raw", path);
    tu_assert_match(raw, "^ +1: 0x10000 $");
    assert_raw_location(raw, "pp_root", ROOT_LINE);
    free(raw);
    char *traces = pprof("-traces", path);
    tu_assert_match(traces, "^ +2 +<unknown>\n +pp_root$");
    free(traces);
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
    bytes_t b = encode_raw(p);
    tp_pprof_free(p);
    ck_assert_uint_gt(b.len, 200000);
    field_t *samples = malloc(N * sizeof *samples);
    ck_assert_ptr_nonnull(samples);
    ck_assert_uint_eq(fields(b.data, b.len, 2, samples, N), N);
    int64_t sum = 0;
    for (int i = 0; i < N; i++) {
        uint64_t v[2];
        ck_assert_uint_eq(numbers(samples[i].data, samples[i].len, 2, v, 2), 2);
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

/* The run-time address of section `name` of this test binary (0: none),
 * from its section headers. */
static int main_object_base(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    *(uintptr_t *)data = info->dlpi_addr;
    return 1;                           /* the first object is the program */
}

static uintptr_t section_address(const char *name)
{
    bytes_t f = read_bytes("/proc/self/exe");
    ck_assert_uint_ge(f.len, sizeof(Elf64_Ehdr));
    Elf64_Ehdr eh;
    memcpy(&eh, f.data, sizeof eh);
    ck_assert(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
    ck_assert_uint_le(eh.e_shoff + (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), f.len);
    Elf64_Shdr strs;
    memcpy(&strs, f.data + eh.e_shoff + eh.e_shstrndx * sizeof(Elf64_Shdr), sizeof strs);
    uintptr_t addr = 0;
    for (unsigned i = 0; i < eh.e_shnum && addr == 0; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, f.data + eh.e_shoff + i * sizeof sh, sizeof sh);
        ck_assert_uint_lt(strs.sh_offset + sh.sh_name, f.len);
        if (strcmp((const char *)f.data + strs.sh_offset + sh.sh_name, name) == 0)
            addr = sh.sh_addr;
    }
    free(f.data);
    uintptr_t base = 0;
    dl_iterate_phdr(main_object_base, &base);
    return addr ? base + addr : 0;
}

START_TEST(pprof_unnamed_code_gets_module_offset)
{
    /* The PLT has no symbol: the symbolizer knows only module + offset. */
    uintptr_t plt = section_address(".plt");
    ck_assert_uint_ne(plt, 0);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    uintptr_t base = 0;
    dl_iterate_phdr(main_object_base, &base);

    tp_pprof_t *p = tp_pprof_new();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(tp_pprof_sample_type(p, "contentions", "count"), 0);
    /* An exact pc at the PLT's start, and a return address 0x11 into it
     * (its call address, 0x10 in, is what the name says). */
    uintptr_t s1[] = {plt, PC_IN(pp_root)};
    uintptr_t s2[] = {plt + 0x11, PC_IN(pp_other)};
    int64_t v[] = {4};
    ck_assert_int_eq(tp_pprof_add_sample(p, s1, 2, 1, v, 1, NULL, 0), 0);
    ck_assert_int_eq(tp_pprof_add_sample(p, s2, 2, 0, v, 1, NULL, 0), 0);
    char path[PATH_MAX];
    write_profile(p, "plt.pb.gz", path, sizeof path);
    tp_pprof_free(p);

    char name1[PATH_MAX * 2 + 32], name2[PATH_MAX * 2 + 32];
    char quoted[PATH_MAX * 2];
    regex_quote(exe, quoted, sizeof quoted);
    snprintf(name1, sizeof name1, "%s\\+0x%lx", quoted, (unsigned long)(plt - base));
    snprintf(name2, sizeof name2, "%s\\+0x%lx", quoted,
             (unsigned long)(plt - base + 0x10));
    char *top = pprof("-top -nodefraction=0", path);
    char re[5 * PATH_MAX];
    snprintf(re, sizeof re, "^ +4 +50\\.00%% +[0-9.]+%% +4 +50\\.00%% +%s$", name1);
    tu_assert_match(top, re);
    snprintf(re, sizeof re, "^ +4 +50\\.00%% +[0-9.]+%% +4 +50\\.00%% +%s$", name2);
    tu_assert_match(top, re);
    free(top);
    char *raw = pprof("-raw", path);
    snprintf(re, sizeof re, "^ +1: 0x%lx M=1 %s :0 s=0$", (unsigned long)plt, name1);
    tu_assert_match(raw, re);
    free(raw);
}
END_TEST

static Suite *pprof_suite(void)
{
    Suite *s = suite_create("pprof");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pprof_mutex_profile_reads_in_go_pprof);
    tcase_add_test(tc, pprof_locations_use_call_addresses);
    tcase_add_test(tc, pprof_inlined_frames_innermost_first);
    tcase_add_test(tc, pprof_labels_shown_by_pprof);
    tcase_add_test(tc, pprof_heap_profile_reads_back);
    tcase_add_test(tc, pprof_gzip_stream_holds_the_proto);
    tcase_add_test(tc, pprof_uncompressed_without_zlib);
    tcase_add_test(tc, pprof_mapping_has_build_id);
    tcase_add_test(tc, pprof_string_table_deduplicated);
    tcase_add_test(tc, pprof_varint_edge_cases);
    tcase_add_test(tc, pprof_write_error_is_returned);
    tcase_add_test(tc, pprof_bad_arguments_rejected);
    tcase_add_test(tc, pprof_unmapped_address_keeps_its_address);
    tcase_add_test(tc, pprof_unnamed_code_gets_module_offset);
    tcase_add_test(tc, pprof_many_samples_stream_through);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(pprof_suite());
}
