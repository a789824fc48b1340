/*
 * Check suite for the pprof writer (output/pprof.h: pprof.c and its
 * pprof_*.c parts), what it says about code: locations at call addresses,
 * inlined frames innermost first, the mappings with their build ids,
 * addresses in no mapping or in code no symbol names, the function and
 * file strings (each once) and an uncompressed profile read back with its
 * locations.  Sample types, values, labels and the writer's errors are
 * check_pprof_samples'; the protobuf encoder and the gzip stream under it
 * have suites of their own, check_protobuf and check_gzip.  Profiles are
 * built from addresses of functions of this test binary, written to files
 * and read back two ways:
 *
 *   - by the real consumer, Debian's `go tool pprof` (-raw, -top, -traces),
 *     run through popen with HOME and GOCACHE in a private directory;
 *   - by the tiny protobuf decoder of tests/pprof_decode.h, for what
 *     pprof's output hides: the exact varint bytes, the string table,
 *     packed fields, addresses.
 *
 * Stacks use "return addresses" made two ways: the address of a noipa
 * function plus one (the symbolizer then reports the function's own line,
 * its body being one line long), and real return addresses taken with
 * __builtin_return_address, which also give an inlined frame.  The
 * assertions name this file as those functions' source.
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
#include "output/sink.h"
#include "tests/pprof_decode.h"
#include "tests/pprof_util.h"
#include "tests/testbase.h"

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
             "^ +[0-9]+: 0x[0-9a-f]+ M=[0-9]+ %s [^ ]*tests/pprof_util\\.h:%d s=0$",
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
    pd_bytes_t b = encode_raw(p);
    tp_pprof_free(p);

    pd_field_t locs[16];
    size_t n = pd_fields(b.data, b.len, 4, locs, 16);
    ck_assert_uint_eq(n, 5);
    uint64_t want[] = {(uintptr_t)pp_leaf, (uintptr_t)pp_middle, (uintptr_t)pp_root,
                       (uintptr_t)pp_other, (uintptr_t)pp_leaf + 4};
    for (size_t i = 0; i < n; i++) {
        uint64_t id, addr, mapping;
        ck_assert_uint_eq(pd_numbers(locs[i].data, locs[i].len, 1, &id, 1), 1);
        ck_assert_uint_eq(id, i + 1);
        ck_assert_uint_eq(pd_numbers(locs[i].data, locs[i].len, 3, &addr, 1), 1);
        ck_assert_uint_eq(addr, want[i]);
        ck_assert_uint_eq(pd_numbers(locs[i].data, locs[i].len, 2, &mapping, 1), 1);
        ck_assert_uint_gt(mapping, 0);
    }
    /* The fourth sample points at location 1 again. */
    pd_field_t samples[8];
    ck_assert_uint_eq(pd_fields(b.data, b.len, 2, samples, 8), 4);
    uint64_t ids[4];
    ck_assert_uint_eq(pd_numbers(samples[3].data, samples[3].len, 1, ids, 4), 2);
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
             "^ +1: 0x[0-9a-f]+ M=1 pp_inlined [^ ]*tests/pprof_util\\.h:%d s=0\n"
             " +pp_inline_caller [^ ]*tests/pprof_util\\.h:%d s=0$",
             leaf_call_line, caller_call_line);
    tu_assert_match(raw, re);
    tu_assert_match(raw, "\\[FN\\]\\[FL\\]\\[LN\\]\\[IN\\]$");
    free(raw);
    char *traces = pprof("-traces", path);
    tu_assert_match(traces, "^ +1 +pp_inlined \\(inline\\)\n +pp_inline_caller\n +pp_root$");
    free(traces);
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

    pd_bytes_t b = pd_read_file(path);
    ck_assert_uint_gt(b.len, 2);
    ck_assert(!(b.data[0] == 0x1f && b.data[1] == 0x8b));
    /* Raw proto: the first field is a sample_type message. */
    ck_assert_uint_eq(b.data[0], (1 << 3) | 2);
    pd_strtab_t t = pd_string_table(&b);
    ck_assert_str_eq(t.strs[0], "");
    pd_strtab_free(&t);
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
    pd_bytes_t b = encode_raw(p);
    tp_pprof_free(p);
    pd_strtab_t t = pd_string_table(&b);
    pd_field_t maps[256];
    size_t nm = pd_fields(b.data, b.len, 3, maps, 256);
    int found = 0;
    for (size_t i = 0; i < nm; i++) {
        uint64_t v[1], start_addr, limit, fname, bid;
        ck_assert_uint_eq(pd_numbers(maps[i].data, maps[i].len, 1, v, 1), 1);
        ck_assert_uint_eq(v[0], i + 1);
        if (pd_numbers(maps[i].data, maps[i].len, 5, &fname, 1) != 1 ||
            strcmp(t.strs[fname], exe) != 0)
            continue;
        pd_numbers(maps[i].data, maps[i].len, 2, &start_addr, 1);
        pd_numbers(maps[i].data, maps[i].len, 3, &limit, 1);
        if (!((uintptr_t)pp_leaf >= start_addr && (uintptr_t)pp_leaf < limit))
            continue;
        found = 1;
        ck_assert_uint_eq(pd_numbers(maps[i].data, maps[i].len, 6, &bid, 1), 1);
        ck_assert_str_eq(t.strs[bid], id);
        for (int tag = 7; tag <= 10; tag++) {
            ck_assert_uint_eq(pd_numbers(maps[i].data, maps[i].len, tag, v, 1), 1);
            ck_assert_uint_eq(v[0], 1);
        }
    }
    ck_assert_msg(found, "no mapping of %s holding pp_leaf", exe);
    pd_strtab_free(&t);
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
    pd_bytes_t b = encode_raw(p);
    tp_pprof_free(p);
    pd_strtab_t t = pd_string_table(&b);
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
        have_file |= n > 12 && strcmp(t.strs[i] + n - 12, "pprof_util.h") == 0;
    }
    ck_assert(have_count && have_file && have_leaf);
    /* The identical samples were merged: two stacks, values summed. */
    pd_field_t samples[4];
    ck_assert_uint_eq(pd_fields(b.data, b.len, 2, samples, 4), 2);
    uint64_t vals[2];
    ck_assert_uint_eq(pd_numbers(samples[0].data, samples[0].len, 2, vals, 2), 2);
    ck_assert_uint_eq(vals[0], 25);
    ck_assert_uint_eq(vals[1], 25);
    /* Functions are one per (name, file): three. */
    pd_field_t funcs[8];
    ck_assert_uint_eq(pd_fields(b.data, b.len, 5, funcs, 8), 3);
    pd_strtab_free(&t);
    free(b.data);
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
    pd_bytes_t b = encode_raw(p);
    tp_pprof_free(p);

    pd_field_t loc;
    ck_assert_uint_eq(pd_fields(b.data, b.len, 4, &loc, 1), 1);
    uint64_t x;
    ck_assert_uint_eq(pd_numbers(loc.data, loc.len, 2, &x, 1), 0);   /* no mapping */
    ck_assert_uint_eq(pd_numbers(loc.data, loc.len, 3, &x, 1), 1);
    ck_assert_uint_eq(x, 0x10000);
    pd_field_t lines[2];
    ck_assert_uint_eq(pd_fields(loc.data, loc.len, 4, lines, 2), 0);  /* no lines */
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
    pd_bytes_t f = pd_read_file("/proc/self/exe");
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
    tcase_add_test(tc, pprof_uncompressed_without_zlib);
    tcase_add_test(tc, pprof_mapping_has_build_id);
    tcase_add_test(tc, pprof_string_table_deduplicated);
    tcase_add_test(tc, pprof_unmapped_address_keeps_its_address);
    tcase_add_test(tc, pprof_unnamed_code_gets_module_offset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(pprof_suite());
}
