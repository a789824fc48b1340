/*
 * Check suite for output/outfile.c: the output directory (created 0700
 * with its parents, symlinks and non-directories refused, the per-user
 * default refused when others can get in), files that appear whole under
 * their final name with mode 0600 or not at all, planted symlinks at the
 * final and the temporary names, a descriptor number the host took over,
 * and the sweep of an earlier image's temporaries.  The sink has a suite
 * of its own (check_sink.c).
 *
 * Every test gets its own mkdtemp() directory (a checked fixture creates
 * it with umask 0, so modes are exactly what the code asks for), inside a
 * per-tcase base directory that the parent removes even after failures;
 * this also keeps CK_FORK=no runs independent.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/outfile.h"
#include "output/sink.h"
#include "tests/testbase.h"

static char basedir[64];
static char tmpdir[128];

/* Unchecked fixture (the parent process, once per tcase): a base directory
 * that is removed even when a test failed and skipped its own teardown. */
static void make_basedir(void)
{
    snprintf(basedir, sizeof basedir, "/tmp/check_outfile.XXXXXX");
    if (mkdtemp(basedir) == NULL) {
        perror("mkdtemp");
        exit(EXIT_FAILURE);
    }
}

static void remove_basedir(void)
{
    if (basedir[0] != '\0')
        tu_remove_tree(basedir);
    basedir[0] = '\0';
}

/* Checked fixture: a fresh directory per test, umask 0. */
static void make_tmpdir(void)
{
    umask(0);
    snprintf(tmpdir, sizeof tmpdir, "%s/t.XXXXXX", basedir);
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    if (tmpdir[0] != '\0')
        tu_remove_tree(tmpdir);
    tmpdir[0] = '\0';
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

/* Whole file, NUL-terminated and malloc'd; *len gets its size. */
static char *read_file(const char *path, size_t *len)
{
    char *buf = tu_read_file_len(path, len);
    ck_assert_msg(buf != NULL, "open %s: %s", path, strerror(errno));
    return buf;
}

static void assert_file_is(const char *path, const char *want)
{
    char *got = read_file(path, NULL);
    ck_assert_str_eq(got, want);
    free(got);
}

/* Number of entries in dir (without . and ..); names holding ".tmp" are
 * counted into *tmps when it is not NULL. */
static int count_entries(const char *dir, int *tmps)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    if (tmps != NULL)
        *tmps = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        if (tmps != NULL && strstr(e->d_name, ".tmp") != NULL)
            (*tmps)++;
    }
    closedir(d);
    return n;
}

static int open_dir(const char *rel)
{
    char why[256] = "";
    int fd = tp_outdir_open(at(rel), 0, why, sizeof why);
    ck_assert_msg(fd >= 0, "tp_outdir_open(%s): %d %s", rel, fd, why);
    return fd;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    ck_assert_msg(lstat(path, &st) == 0, "lstat %s: %s", path, strerror(errno));
    return st.st_mode;
}

/* ---- tp_outdir_open ---- */

START_TEST(outfile_dir_created_private)
{
    char why[256] = "";
    int fd = tp_outdir_open(at("a/b/c"), 0, why, sizeof why);
    ck_assert_msg(fd >= 0, "%d %s", fd, why);
    static const char *const made[] = {"a", "a/b", "a/b/c"};
    for (size_t i = 0; i < 3; i++) {
        mode_t m = mode_of(at(made[i]));
        ck_assert_msg(S_ISDIR(m), "%s is not a directory", made[i]);
        ck_assert_msg((m & 0777) == 0700, "%s has mode %03o", made[i],
                      (unsigned)(m & 0777));
    }
    struct stat a, b;
    ck_assert_int_eq(fstat(fd, &a), 0);
    ck_assert_int_eq(stat(at("a/b/c"), &b), 0);
    ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
    ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
    close(fd);
}
END_TEST

START_TEST(outfile_dir_trailing_slash_created)
{
    char why[256] = "";
    int fd = tp_outdir_open(at("x/y/"), 0, why, sizeof why);
    ck_assert_msg(fd >= 0, "%d %s", fd, why);
    ck_assert(S_ISDIR(mode_of(at("x/y"))));
    close(fd);
}
END_TEST

START_TEST(outfile_dir_default_created_then_reopened)
{
    for (int round = 0; round < 2; round++) {
        char why[256] = "";
        int fd = tp_outdir_open(at("threadprof-1000"), 1, why, sizeof why);
        ck_assert_msg(fd >= 0, "round %d: %d %s", round, fd, why);
        close(fd);
    }
    ck_assert_uint_eq(mode_of(at("threadprof-1000")) & 0777, 0700);
}
END_TEST

START_TEST(outfile_dir_symlink_refused)
{
    ck_assert_int_eq(mkdir(at("real"), 0700), 0);
    ck_assert_int_eq(symlink("real", at("link")), 0);
    ck_assert_int_eq(symlink("nowhere", at("dangling")), 0);
    for (int is_default = 0; is_default < 2; is_default++) {
        char why[256] = "";
        int r = tp_outdir_open(at("link"), is_default, why, sizeof why);
        ck_assert_msg(r == -ELOOP || r == -ENOTDIR, "link gave %d (%s)", r, why);
        ck_assert_msg(strstr(why, "symlink") != NULL, "reason \"%s\"", why);

        why[0] = '\0';
        r = tp_outdir_open(at("dangling"), is_default, why, sizeof why);
        ck_assert_msg(r == -ELOOP || r == -ENOTDIR, "dangling gave %d (%s)", r,
                      why);
        ck_assert_msg(strstr(why, "symlink") != NULL, "reason \"%s\"", why);
    }
    /* Nothing was created through the dangling link. */
    struct stat st;
    ck_assert_int_eq(lstat(at("nowhere"), &st), -1);
    ck_assert_int_eq(count_entries(at("real"), NULL), 0);
}
END_TEST

/* Leftovers of an image of this pid that went mid-dump are removed;
 * anything else (other pids, final files, look-alikes) stays; the highest
 * thread dump of the pid is found in the same pass. */
START_TEST(outfile_sweep_removes_only_this_pids_temporaries)
{
    static const char *const gone[] = {
        ".threadprof.4242.1.threads.txt.0.tmp", ".threadprof.4242.7.heap.pb.gz.3.tmp",
    };
    static const char *const kept[] = {
        ".threadprof.42421.1.threads.txt.0.tmp", ".threadprof.424.1.threads.txt.0.tmp",
        "threadprof.4242.1.threads.txt", ".threadprof.4242.1.threads.txt",
        "threadprof.4242.1.threads.txt.0.tmp",
    };
    ck_assert_int_eq(mkdir(at("d"), 0700), 0);
    char path[PATH_MAX];
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", at("d"), gone[i]);
        close(open(path, O_CREAT | O_WRONLY, 0600));
    }
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", at("d"), kept[i]);
        close(open(path, O_CREAT | O_WRONLY, 0600));
    }
    /* Planted, not ours: a symlink at one of our temporary names. */
    snprintf(path, sizeof path, "%s/.threadprof.4242.2.threads.txt.0.tmp", at("d"));
    ck_assert_int_eq(symlink("/etc/passwd", path), 0);
    int dirfd = open(at("d"), O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(dirfd, 0);
    unsigned highest = 99;
    ck_assert_int_eq(tp_outdir_sweep(dirfd, 4242, &highest), 2);
    ck_assert_uint_eq(highest, 1);   /* threadprof.4242.1.threads.txt */
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    close(dirfd);
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", at("d"), gone[i]);
        ck_assert_msg(access(path, F_OK) != 0, "%s still there", gone[i]);
    }
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/%s", at("d"), kept[i]);
        ck_assert_msg(access(path, F_OK) == 0, "%s removed", kept[i]);
    }
}
END_TEST

/* A host that dup2's onto the temporary file's number before the file is
 * finished keeps its own descriptor: the agent neither closes it nor
 * renames half a file into place. */
START_TEST(outfile_finish_leaves_a_reused_number_alone)
{
    ck_assert_int_eq(mkdir(at("d"), 0700), 0);
    int dirfd = open(at("d"), O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(dirfd, 0);
    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "threadprof.1.1.threads.txt"), 0);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    int number = f.fd;
    ck_assert_int_eq(dup2(p[0], number), number);   /* the host's now */
    ck_assert_int_eq(tp_outfile_finish(&f, 1), -EBADF);
    ck_assert_int_ne(fcntl(number, F_GETFD), -1);   /* still open */
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    char c = 0;
    ck_assert_int_eq(read(number, &c, 1), 1);
    ck_assert_int_eq(c, 'x');
    ck_assert_int_eq(count_entries(at("d"), NULL), 0);   /* nothing left */
    close(number);
    close(p[0]);
    close(p[1]);
    close(dirfd);
}
END_TEST

START_TEST(outfile_dir_regular_file_refused)
{
    tu_write_file(at("plain"), "data", 0600);
    for (int is_default = 0; is_default < 2; is_default++) {
        char why[256] = "";
        int r = tp_outdir_open(at("plain"), is_default, why, sizeof why);
        ck_assert_int_eq(r, -ENOTDIR);
        ck_assert_msg(strstr(why, "not a directory") != NULL, "reason \"%s\"", why);
    }
    assert_file_is(at("plain"), "data");

    /* A file in the way of a parent fails too, and creates nothing. */
    char why[256] = "";
    int r = tp_outdir_open(at("plain/sub"), 0, why, sizeof why);
    ck_assert_int_lt(r, 0);
    ck_assert_str_ne(why, "");
    ck_assert_int_eq(count_entries(tmpdir, NULL), 1);
}
END_TEST

START_TEST(outfile_dir_default_not_private)
{
    static const mode_t modes[] = {0755, 0750, 0705, 0701, 0770, 0777};
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        char name[32];
        snprintf(name, sizeof name, "shared-%03o", (unsigned)modes[i]);
        ck_assert_int_eq(mkdir(at(name), modes[i]), 0);
        ck_assert_uint_eq(mode_of(at(name)) & 0777, modes[i]);

        char why[256] = "";
        int r = tp_outdir_open(at(name), 1, why, sizeof why);
        ck_assert_msg(r == -EPERM, "mode %03o gave %d", (unsigned)modes[i], r);
        ck_assert_msg(strstr(why, "not private") != NULL, "reason \"%s\"", why);
        char mode_text[16];
        snprintf(mode_text, sizeof mode_text, "mode %03o", (unsigned)modes[i]);
        ck_assert_msg(strstr(why, mode_text) != NULL, "reason \"%s\"", why);

        /* A directory the user chose is the user's business. */
        int fd = tp_outdir_open(at(name), 0, why, sizeof why);
        ck_assert_msg(fd >= 0, "mode %03o, not default: %d %s",
                      (unsigned)modes[i], fd, why);
        close(fd);
    }
}
END_TEST

/* ---- tp_outfile_create / tp_outfile_finish ---- */

/* Writes content through a sink on f and checks the flush. */
static void write_through_sink(tp_outfile_t *f, const char *content, size_t n)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_fd(s, f->fd);
    tp_sink_write(s, content, n);
    ck_assert_int_eq(tp_sink_flush(s), 0);
    ck_assert_uint_eq(s->total, n);
    free(s);
}

START_TEST(outfile_finish_ok_complete_private)
{
    int dirfd = open_dir("out");
    /* Larger than the sink's buffer, and not a multiple of it. */
    size_t n = 3 * sizeof ((tp_sink_t *)0)->buf + 1234;
    char *content = malloc(n + 1);
    ck_assert_ptr_nonnull(content);
    for (size_t i = 0; i < n; i++)
        content[i] = (char)('a' + i % 23);
    content[n] = '\0';

    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "threadprof-42-1.txt"), 0);
    ck_assert_int_ge(f.fd, 0);
    ck_assert_int_ne(fcntl(f.fd, F_GETFD) & FD_CLOEXEC, 0);
    /* While being written it is hidden under its temporary name only. */
    ck_assert_int_eq(f.tmp[0], '.');
    ck_assert_str_ne(f.tmp, "threadprof-42-1.txt");
    struct stat st;
    ck_assert_int_eq(fstatat(dirfd, "threadprof-42-1.txt", &st,
                             AT_SYMLINK_NOFOLLOW), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(fstatat(dirfd, f.tmp, &st, AT_SYMLINK_NOFOLLOW), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 0777, 0600);

    write_through_sink(&f, content, n);
    ck_assert_int_eq(tp_outfile_finish(&f, 1), 0);
    ck_assert_int_eq(f.fd, -1);

    const char *final = at("out/threadprof-42-1.txt");
    mode_t m = mode_of(final);
    ck_assert(S_ISREG(m));
    ck_assert_uint_eq(m & 0777, 0600);
    size_t len;
    char *got = read_file(final, &len);
    ck_assert_uint_eq(len, n);
    ck_assert(memcmp(got, content, n) == 0);
    int tmps;
    ck_assert_int_eq(count_entries(at("out"), &tmps), 1);
    ck_assert_int_eq(tmps, 0);
    free(got);
    free(content);
    close(dirfd);
}
END_TEST

START_TEST(outfile_finish_failed_leaves_nothing)
{
    int dirfd = open_dir("out");
    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), 0);
    write_through_sink(&f, "half a dump\n", 12);
    ck_assert_int_eq(tp_outfile_finish(&f, 0), 0);
    ck_assert_int_eq(f.fd, -1);
    ck_assert_int_eq(count_entries(at("out"), NULL), 0);
    close(dirfd);
}
END_TEST

/* A failed dump does not remove an earlier complete file of that name. */
START_TEST(outfile_finish_failed_keeps_previous)
{
    int dirfd = open_dir("out");
    tu_write_file(at("out/dump.txt"), "previous\n", 0600);
    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), 0);
    write_through_sink(&f, "new\n", 4);
    ck_assert_int_eq(tp_outfile_finish(&f, 0), 0);
    assert_file_is(at("out/dump.txt"), "previous\n");
    ck_assert_int_eq(count_entries(at("out"), NULL), 1);

    /* A successful one replaces it. */
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), 0);
    write_through_sink(&f, "new\n", 4);
    ck_assert_int_eq(tp_outfile_finish(&f, 1), 0);
    assert_file_is(at("out/dump.txt"), "new\n");
    ck_assert_int_eq(count_entries(at("out"), NULL), 1);
    close(dirfd);
}
END_TEST

START_TEST(outfile_final_symlink_replaced)
{
    int dirfd = open_dir("out");
    tu_write_file(at("victim"), "precious\n", 0644);
    ck_assert_int_eq(symlink(at("victim"), at("out/dump.txt")), 0);

    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), 0);
    write_through_sink(&f, "the dump\n", 9);
    ck_assert_int_eq(tp_outfile_finish(&f, 1), 0);

    assert_file_is(at("victim"), "precious\n");
    ck_assert_uint_eq(mode_of(at("victim")) & 0777, 0644);
    mode_t m = mode_of(at("out/dump.txt"));
    ck_assert_msg(S_ISREG(m), "final name is not a regular file (mode %o)",
                  (unsigned)m);
    assert_file_is(at("out/dump.txt"), "the dump\n");
    close(dirfd);
}
END_TEST

START_TEST(outfile_tmp_symlink_not_followed)
{
    int dirfd = open_dir("out");
    tp_outfile_t probe;
    /* Learn the first temporary name, then give it back. */
    ck_assert_int_eq(tp_outfile_create(&probe, dirfd, "dump.txt"), 0);
    char first_tmp[sizeof probe.tmp];
    snprintf(first_tmp, sizeof first_tmp, "%s", probe.tmp);
    ck_assert_int_eq(tp_outfile_finish(&probe, 0), 0);
    ck_assert_str_eq(first_tmp, ".dump.txt.0.tmp");

    tu_write_file(at("victim"), "precious\n", 0644);
    ck_assert_int_eq(symlinkat(at("victim"), dirfd, first_tmp), 0);

    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), 0);
    ck_assert_str_ne(f.tmp, first_tmp);
    write_through_sink(&f, "the dump\n", 9);
    ck_assert_int_eq(tp_outfile_finish(&f, 1), 0);

    assert_file_is(at("victim"), "precious\n");
    ck_assert(S_ISREG(mode_of(at("out/dump.txt"))));
    assert_file_is(at("out/dump.txt"), "the dump\n");
    /* The planted link is left alone, still pointing at the victim. */
    ck_assert(S_ISLNK(mode_of(at("out/.dump.txt.0.tmp"))));
    close(dirfd);
}
END_TEST

/* A dangling link would make O_CREAT create its target if followed. */
START_TEST(outfile_tmp_dangling_symlink_not_followed)
{
    int dirfd = open_dir("out");
    ck_assert_int_eq(symlinkat(at("created-by-attacker"), dirfd,
                               ".dump.txt.0.tmp"), 0);
    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), 0);
    write_through_sink(&f, "the dump\n", 9);
    ck_assert_int_eq(tp_outfile_finish(&f, 1), 0);
    struct stat st;
    ck_assert_int_eq(lstat(at("created-by-attacker"), &st), -1);
    ck_assert_int_eq(errno, ENOENT);
    assert_file_is(at("out/dump.txt"), "the dump\n");
    close(dirfd);
}
END_TEST

/* With every temporary name taken it gives up cleanly (outfile.c tries
 * 16 names), touching none of them. */
START_TEST(outfile_create_gives_up_when_names_taken)
{
    int dirfd = open_dir("out");
    for (int i = 0; i < 16; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "out/.dump.txt.%d.tmp", i);
        tu_write_file(at(rel), "taken\n", 0600);
    }
    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), -EEXIST);
    ck_assert_int_eq(f.fd, -1);
    ck_assert_int_eq(count_entries(at("out"), NULL), 16);
    assert_file_is(at("out/.dump.txt.0.tmp"), "taken\n");
    assert_file_is(at("out/.dump.txt.15.tmp"), "taken\n");

    /* One free name is enough. */
    ck_assert_int_eq(unlink(at("out/.dump.txt.15.tmp")), 0);
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, "dump.txt"), 0);
    ck_assert_str_eq(f.tmp, ".dump.txt.15.tmp");
    ck_assert_int_eq(tp_outfile_finish(&f, 1), 0);
    assert_file_is(at("out/dump.txt"), "");
    close(dirfd);
}
END_TEST

START_TEST(outfile_create_name_too_long)
{
    int dirfd = open_dir("out");
    char name[NAME_MAX + 2];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    tp_outfile_t f;
    ck_assert_int_eq(tp_outfile_create(&f, dirfd, name), -ENAMETOOLONG);
    ck_assert_int_eq(f.fd, -1);
    ck_assert_int_eq(count_entries(at("out"), NULL), 0);
    close(dirfd);
}
END_TEST

static Suite *outfile_suite(void)
{
    Suite *s = suite_create("outfile");

    TCase *tc = tcase_create("outdir");
    tcase_set_timeout(tc, 20);
    tcase_add_unchecked_fixture(tc, make_basedir, remove_basedir);
    tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
    tcase_add_test(tc, outfile_dir_created_private);
    tcase_add_test(tc, outfile_dir_trailing_slash_created);
    tcase_add_test(tc, outfile_dir_default_created_then_reopened);
    tcase_add_test(tc, outfile_dir_symlink_refused);
    tcase_add_test(tc, outfile_dir_regular_file_refused);
    tcase_add_test(tc, outfile_dir_default_not_private);
    suite_add_tcase(s, tc);

    tc = tcase_create("outfile");
    tcase_set_timeout(tc, 20);
    tcase_add_unchecked_fixture(tc, make_basedir, remove_basedir);
    tcase_add_checked_fixture(tc, make_tmpdir, remove_tmpdir);
    tcase_add_test(tc, outfile_finish_ok_complete_private);
    tcase_add_test(tc, outfile_finish_failed_leaves_nothing);
    tcase_add_test(tc, outfile_finish_failed_keeps_previous);
    tcase_add_test(tc, outfile_final_symlink_replaced);
    tcase_add_test(tc, outfile_tmp_symlink_not_followed);
    tcase_add_test(tc, outfile_tmp_dangling_symlink_not_followed);
    tcase_add_test(tc, outfile_create_gives_up_when_names_taken);
    tcase_add_test(tc, outfile_create_name_too_long);
    tcase_add_test(tc, outfile_sweep_removes_only_this_pids_temporaries);
    tcase_add_test(tc, outfile_finish_leaves_a_reused_number_alone);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(outfile_suite());
}
