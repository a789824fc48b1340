/*
 * check_hostile_dir: integration tests of the agent given a hostile output
 * directory.  Each starts a test program under the agent and checks the
 * files it left, its stderr and its exit status.  The output directory is
 * missing (created 0700 with its parents, files 0600, whatever the umask),
 * unwritable (falls back to the default with one line), on a nearly full
 * filesystem (what is written is whole, nothing half-written is left), a
 * symlink (refused, falls back), or a default directory someone planted
 * (symlink, shared mode, someone else's, a file: refused with one line,
 * nothing written through it).  Planted file names, concurrent writers,
 * garbage settings and secure execution are check_hostile's.
 *
 * The tests that mount a tmpfs or plant the default directory of user
 * nobody need root and are skipped (tu_skip) otherwise.  An unchecked
 * fixture (tests/hostile_util.h, run by the parent process, even after a
 * failed test) unmounts what the tests mounted.  The full-disk test next
 * to check_triggers' one covers a disk with room for part of a dump
 * (check_triggers: room for nothing).
 */
#include "tests/hostile_util.h"

/* ---- the output directory ---- */

/* A missing THREADPROF_DIR is created with its parents, each exactly 0700,
 * and the files are exactly 0600, under a permissive and a closed umask. */
START_TEST(hostile_missing_dir_created_private)
{
    static const mode_t masks[] = {0, 0777, 0277};
    for (size_t i = 0; i < sizeof masks / sizeof *masks; i++) {
        tu_proc_t p;
        memset(&p, 0, sizeof p);
        make_dir(&p);
        char top[PATH_MAX], sub[PATH_MAX], leaf[PATH_MAX], env_dir[PATH_MAX + 32];
        snprintf(top, sizeof top, "%.3000s/a", p.dir);
        snprintf(sub, sizeof sub, "%.3000s/a/b", p.dir);
        snprintf(leaf, sizeof leaf, "%.3000s/a/b/c", p.dir);
        snprintf(env_dir, sizeof env_dir, "THREADPROF_DIR=%s", leaf);
        const char *env[] = {env_dir, NULL};
        mode_t old = umask(masks[i]);
        tu_start(&p, "exiter", env);
        umask(old);
        tu_finish(&p, 0, WAIT_MS);
        assert_exiter_ran(&p);
        const char *made[] = {top, sub, leaf};
        for (int k = 0; k < 3; k++) {
            struct stat st;
            ck_assert_int_eq(lstat(made[k], &st), 0);
            ck_assert(S_ISDIR(st.st_mode));
            ck_assert_msg((st.st_mode & 07777) == 0700, "umask %03o: %s has mode %04o",
                          (unsigned)masks[i], made[k], (unsigned)(st.st_mode & 07777));
        }
        assert_dump_files(leaf, p.pid, 1);
        ck_assert_int_eq(tu_count_entries(leaf, NULL), (int)NKINDS);
        /* Only the "wrote" line. */
        ck_assert_int_eq(tu_count(p.err, "threadprof: "), 1);
        tu_assert_match(p.err, "^threadprof: wrote ");
        tu_cleanup(&p);
    }
}
END_TEST

/* A directory the program may not write in (a read-only mount as root,
 * mode 0500 otherwise) is refused when opened: one line, and the dumps
 * go to the default directory. */
START_TEST(hostile_unwritable_dir_falls_back)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    make_dir(&p);
    char ro[PATH_MAX], env_dir[PATH_MAX + 32];
    snprintf(ro, sizeof ro, "%.3000s/ro", p.dir);
    ck_assert_int_eq(mkdir(ro, 0700), 0);
    int mounted = geteuid() == 0;
    if (mounted)
        tu_sh("mount -t tmpfs -o ro,size=16k,mode=0700 tmpfs '%s'", ro);
    else
        ck_assert_int_eq(chmod(ro, 0500), 0);
    snprintf(env_dir, sizeof env_dir, "THREADPROF_DIR=%s", ro);
    const char *env[] = {env_dir, NULL};
    tu_start(&p, "exiter", env);
    tu_finish(&p, 0, WAIT_MS);
    assert_exiter_ran(&p);
    char re[2 * PATH_MAX];
    snprintf(re, sizeof re, "^threadprof: THREADPROF_DIR %s is unusable \\(cannot "
             "write in it: (Read-only file system|Permission denied)\\); writing "
             "to /tmp/threadprof-%u instead$", ro, (unsigned)getuid());
    tu_assert_match(p.err, re);
    /* That line and the "wrote" line, nothing else. */
    ck_assert_int_eq(tu_count(p.err, "threadprof: "), 2);
    ck_assert_int_eq(tu_count(p.err, "\n"), 2);
    char def[64];
    default_dir(def, sizeof def, getuid());
    unsigned seq = wrote_seq(&p, def);
    assert_dump_files(def, p.pid, seq);
    remove_dump_files(def, p.pid, seq);
    ck_assert_int_eq(tu_count_entries(ro, NULL), 0);
    if (mounted)
        tu_sh("umount '%s'", ro);
    else
        chmod(ro, 0700);
    tu_cleanup(&p);
}
END_TEST

/* A filesystem with room for part of a dump (check_triggers has the one
 * with room for nothing): what is there is whole and private, nothing
 * half-written or temporary is left, the losses are said on stderr and
 * the program runs and ends as it would. */
START_TEST(hostile_nearly_full_disk_leaves_whole_files)
{
    if (geteuid() != 0)
        tu_skip("mounting a small tmpfs needs root");
    static const long room[] = {4096, 8192, 12288};
    for (size_t i = 0; i < sizeof room / sizeof *room; i++) {
        tu_proc_t p;
        memset(&p, 0, sizeof p);
        make_dir(&p);
        tu_sh("mount -t tmpfs -o size=64k,mode=0700 tmpfs '%s'", p.dir);
        char fill[PATH_MAX];
        snprintf(fill, sizeof fill, "%.3000s/fill", p.dir);
        int fd = open(fill, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        ck_assert(fd >= 0);
        static char block[4096];
        off_t size = 0;
        while (write(fd, block, sizeof block) == (ssize_t)sizeof block)
            size += (off_t)sizeof block;
        ck_assert_int_eq(ftruncate(fd, size - room[i]), 0);
        close(fd);

        tu_start(&p, "exiter", NULL);
        tu_finish(&p, 0, WAIT_MS);
        assert_exiter_ran(&p);

        /* Nothing temporary left; each file there is whole. */
        ck_assert_int_eq(tu_count_entries(p.dir, "."), 0);
        char path[PATH_MAX];
        file_path(path, sizeof path, p.dir, p.pid, 1, "threads.txt");
        int have_threads = access(path, F_OK) == 0;
        int files = 0;
        for (size_t k = 0; k < NKINDS; k++) {
            file_path(path, sizeof path, p.dir, p.pid, 1, kinds[k]);
            struct stat st;
            if (lstat(path, &st) != 0)
                continue;
            files++;
            ck_assert_uint_eq(st.st_mode & 07777, 0600);
            if (strstr(kinds[k], ".gz") != NULL) {
                tu_sh("gzip -t '%s'", path);
            } else {
                char *text = tu_read_file(path);
                ck_assert_ptr_nonnull(text);
                size_t n = strlen(text);
                const char *tail = k == 0 ? "end of dump\n" : "\n";
                ck_assert_msg(n >= strlen(tail) && strcmp(text + n - strlen(tail), tail) == 0,
                              "%s cut:\n%.2000s", path, text);
                free(text);
            }
        }
        ck_assert_int_eq(tu_count_entries(p.dir, NULL), 1 + files);
        /* A page is room for the thread dump (~1 KiB here), which goes
         * first; the files after it take what is left. */
        ck_assert_int_eq(have_threads, 1);
        ck_assert_int_lt(files, (int)NKINDS);
        /* Every line on stderr is the agent's: a "wrote" line when the
         * thread dump is there, the rest name the full disk. */
        ck_assert_int_eq(tu_count(p.err, "threadprof: "), tu_count(p.err, "\n"));
        ck_assert_int_eq(tu_count(p.err, "threadprof: wrote "), have_threads);
        ck_assert_int_eq(tu_count(p.err, "No space left on device"),
                         tu_count(p.err, "\n") - have_threads);
        if (files < (int)NKINDS)
            ck_assert_int_ge(tu_count(p.err, "No space left on device"), 1);
        tu_sh("umount '%s'", p.dir);
        tu_cleanup(&p);
    }
}
END_TEST

/* THREADPROF_DIR naming a symlink to a directory: refused (the final
 * component of the directory is never followed), one line, the default
 * is used and nothing appears in the symlink's target.  Symlinks in the
 * path above it are followed as in any path the user gives. */
START_TEST(hostile_symlinked_dir_refused)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    make_dir(&p);
    char real[PATH_MAX], link[PATH_MAX], env_dir[PATH_MAX + 32];
    snprintf(real, sizeof real, "%.3000s/real", p.dir);
    snprintf(link, sizeof link, "%.3000s/link", p.dir);
    ck_assert_int_eq(mkdir(real, 0700), 0);
    ck_assert_int_eq(symlink(real, link), 0);
    static const char *const spellings[] = {"", "/"};
    for (int s = 0; s < 2; s++) {
        snprintf(env_dir, sizeof env_dir, "THREADPROF_DIR=%s%s", link, spellings[s]);
        const char *env[] = {env_dir, NULL};
        tu_start(&p, "exiter", env);
        tu_finish(&p, 0, WAIT_MS);
        assert_exiter_ran(&p);
        char re[2 * PATH_MAX];
        snprintf(re, sizeof re, "^threadprof: THREADPROF_DIR %s is unusable \\(it is "
                 "not a directory \\(or is a symlink\\)\\); writing to "
                 "/tmp/threadprof-%u instead$", link, (unsigned)getuid());
        tu_assert_match(p.err, re);
        ck_assert_int_eq(tu_count(p.err, "threadprof: "), 2);
        char def[64];
        default_dir(def, sizeof def, getuid());
        unsigned seq = wrote_seq(&p, def);
        assert_dump_files(def, p.pid, seq);
        remove_dump_files(def, p.pid, seq);
        ck_assert_int_eq(tu_count_entries(real, NULL), 0);
    }

    /* A symlink above the directory: followed. */
    snprintf(env_dir, sizeof env_dir, "THREADPROF_DIR=%s/out", link);
    const char *env[] = {env_dir, NULL};
    tu_start(&p, "exiter", env);
    tu_finish(&p, 0, WAIT_MS);
    assert_exiter_ran(&p);
    ck_assert_int_eq(tu_count(p.err, "threadprof: "), 1);
    char out[PATH_MAX + 8];
    snprintf(out, sizeof out, "%s/out", real);
    assert_dump_files(out, p.pid, 1);
    tu_cleanup(&p);
}
END_TEST

/* The default directory of a user (here nobody, run by a root test) that
 * someone else prepared: a symlink to a directory of the user's, a
 * directory open to others, one that belongs to someone else, a file.
 * Each is refused with one line; no file is written anywhere. */
START_TEST(hostile_default_dir_planted)
{
    if (geteuid() != 0)
        tu_skip("running the program as another user needs root");
    char def[64];
    default_dir(def, sizeof def, nobody_uid());
    struct stat st;
    if (lstat(def, &st) == 0 && !nobody_default_existed) {
        ck_assert_msg(tu_remove_tree(def) == 0, "cannot remove %s", def);
    } else if (lstat(def, &st) == 0) {
        tu_skip("%s exists already and is not the test's", def);
    }
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    make_dir(&p);
    ck_assert_int_eq(chmod(p.dir, 0755), 0);
    char target[PATH_MAX], prog[PATH_MAX], lib[PATH_MAX];
    snprintf(target, sizeof target, "%.3000s/target", p.dir);
    ck_assert_int_eq(mkdir(target, 0700), 0);
    ck_assert_int_eq(chown(target, nobody_uid(), nobody_gid()), 0);
    prog_path(prog, sizeof prog, "exiter");
    lib_path(lib);

    static const struct { const char *what, *reason; } cases[] = {
        {"symlink", "it is not a directory \\(or is a symlink\\)"},
        {"mode 0755", "it is not private \\(owner uid [0-9]+, mode 755; expected uid [0-9]+, mode 700\\)"},
        {"root's", "Permission denied"},
        {"file", "it is not a directory \\(or is a symlink\\)"},
    };
    for (int c = 0; c < 4; c++) {
        if (c == 0) {
            ck_assert_int_eq(symlink(target, def), 0);
        } else if (c == 1) {
            ck_assert_int_eq(mkdir(def, 0755), 0);
            ck_assert_int_eq(chmod(def, 0755), 0);
            ck_assert_int_eq(chown(def, nobody_uid(), nobody_gid()), 0);
        } else if (c == 2) {
            ck_assert_int_eq(mkdir(def, 0700), 0);
        } else {
            tu_write_file(def, "not a directory\n", 0644);
            ck_assert_int_eq(chown(def, nobody_uid(), nobody_gid()), 0);
        }
        start_prog(&p, prog, lib, 1, NULL, NULL);
        tu_finish(&p, 0, WAIT_MS);
        assert_exiter_ran(&p);
        char re[512];
        snprintf(re, sizeof re, "^threadprof: cannot write dumps to %s: %s; dumps "
                 "are lost until it is fixed$", def, cases[c].reason);
        ck_assert_msg(tu_match(p.err, re, NULL, 0), "%s: no match for /%s/ in:\n%s",
                      cases[c].what, re, p.err);
        ck_assert_int_eq(tu_count(p.err, "threadprof: "), 1);
        ck_assert_int_eq(tu_count_entries(target, NULL), 0);
        if (c == 1 || c == 2)
            ck_assert_msg(tu_count_entries(def, NULL) == 0, "%s: files written", cases[c].what);
        if (c == 3) {
            char *text = tu_read_file(def);
            ck_assert_str_eq(text, "not a directory\n");
            free(text);
        }
        ck_assert_msg(tu_remove_tree(def) == 0, "cannot remove %s", def);
    }
    tu_cleanup(&p);
}
END_TEST

static Suite *hostile_dir_suite(void)
{
    Suite *s = suite_create("hostile_dir");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_add_test(tc, hostile_missing_dir_created_private);
    tcase_add_test(tc, hostile_unwritable_dir_falls_back);
    tcase_add_test(tc, hostile_nearly_full_disk_leaves_whole_files);
    tcase_add_test(tc, hostile_symlinked_dir_refused);
    tcase_add_test(tc, hostile_default_dir_planted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(hostile_dir_suite());
}
