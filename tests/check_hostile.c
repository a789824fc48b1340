/*
 * check_hostile: integration tests of the agent in a hostile environment.
 * Each starts a test program under the agent and checks the files it
 * left, its stderr and its exit status:
 *
 *   - an output directory that is missing (created 0700 with its parents,
 *     files 0600, whatever the umask), unwritable (falls back to the
 *     default with one line), on a nearly full filesystem (what is written
 *     is whole, nothing half-written is left), a symlink (refused, falls
 *     back), and a default directory someone planted (symlink, shared
 *     mode, someone else's, a file: refused with one line, nothing written
 *     through it);
 *   - symlinks planted at the names a dump will use (final and temporary):
 *     never followed, the victim file untouched;
 *   - two processes dumping into one directory at the same time;
 *   - garbage in every THREADPROF_* variable at once (one line each, with
 *     control characters escaped; defaults; the host's output and exit
 *     status as without the agent);
 *   - secure execution: a set-uid program run by another user with the
 *     agent preloaded by the loader reads no THREADPROF_* variable and
 *     writes no file.
 *
 * The tests that mount a tmpfs, plant the default directory of user
 * nobody or install a set-uid library need root and say "skipped"
 * otherwise.  An unchecked fixture (run by the parent process, even after
 * a failed test) unmounts what the tests mounted and removes what they
 * installed.  The full-disk test next to check_triggers' one covers a disk
 * with room for part of a dump (check_triggers: room for nothing).
 */
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/mount.h>

#include "tests/testutil.h"

#define WAIT_MS 15000
#define SECURE_LIB "/usr/lib/x86_64-linux-gnu/libthreadprof-securetest.so"
#define MOUNT_PREFIX "/tmp/tp-test-hostile-"

static const char *const kinds[] = {"threads.txt", "summary.txt", "mutex.pb.gz",
                                    "block.pb.gz", "heap.pb.gz"};
#define NKINDS (sizeof kinds / sizeof *kinds)

/* ---- helpers ---- */

static void make_dir(tu_proc_t *p)
{
    snprintf(p->dir, sizeof p->dir, MOUNT_PREFIX "XXXXXX");
    ck_assert(mkdtemp(p->dir) != NULL);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "%s: status %#x", cmd, rc);
}

static uid_t nobody_uid(void)
{
    struct passwd *pw = getpwnam("nobody");
    return pw ? pw->pw_uid : 65534;
}

static gid_t nobody_gid(void)
{
    struct passwd *pw = getpwnam("nobody");
    return pw ? pw->pw_gid : 65534;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ck_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

/* Number of entries in dir (without . and ..); those starting with prefix
 * when prefix != NULL. */
static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "opendir %s: %s", dir, strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n += prefix == NULL || strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    }
    closedir(d);
    return n;
}

static void file_path(char *buf, size_t len, const char *dir, pid_t pid,
                      unsigned seq, const char *kind)
{
    snprintf(buf, len, "%.3000s/threadprof.%d.%u.%s", dir, (int)pid, seq, kind);
}

/* Every file of dump seq of pid in dir: a regular file (not a symlink),
 * mode exactly 0600, the thread dump whole. */
static void assert_dump_files(const char *dir, pid_t pid, unsigned seq)
{
    for (size_t k = 0; k < NKINDS; k++) {
        char path[PATH_MAX];
        file_path(path, sizeof path, dir, pid, seq, kinds[k]);
        struct stat st;
        ck_assert_msg(lstat(path, &st) == 0, "no %s: %s", path, strerror(errno));
        ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", path);
        ck_assert_msg((st.st_mode & 07777) == 0600, "%s has mode %04o", path,
                      (unsigned)(st.st_mode & 07777));
        ck_assert_msg(st.st_uid == geteuid(), "%s belongs to uid %u", path,
                      (unsigned)st.st_uid);
    }
    char path[PATH_MAX], re[128];
    file_path(path, sizeof path, dir, pid, seq, "threads.txt");
    char *text = tu_read_file(path);
    ck_assert_ptr_nonnull(text);
    snprintf(re, sizeof re, "^threadprof thread dump %u of pid %d$", seq, (int)pid);
    tu_assert_match(text, re);
    size_t n = strlen(text);
    ck_assert_msg(n > 12 && strcmp(text + n - 12, "end of dump\n") == 0,
                  "%s is not whole:\n%.3000s", path, text);
    free(text);
}

/* The files of dump seq of pid (in the shared default directory: only
 * what the test wrote). */
static void remove_dump_files(const char *dir, pid_t pid, unsigned seq)
{
    for (size_t k = 0; k < NKINDS; k++) {
        char path[PATH_MAX];
        file_path(path, sizeof path, dir, pid, seq, kinds[k]);
        unlink(path);
    }
}

/* The sequence number of the dump announced by the "wrote" line for dir.
 * In the shared default directory it need not be 1: an earlier process
 * with the same pid may have left its dumps there, and the agent then
 * takes the next free number. */
static unsigned wrote_seq(const tu_proc_t *p, const char *dir)
{
    char re[PATH_MAX + 128], cap[16];
    snprintf(re, sizeof re, "^threadprof: wrote %s/threadprof\\.%d\\.([0-9]+)\\.threads\\.txt ",
             dir, (int)p->pid);
    ck_assert_msg(tu_match(p->err, re, cap, sizeof cap), "no match for /%s/ in:\n%.3000s",
                  re, p->err);
    return (unsigned)atoi(cap);
}

static void default_dir(char *buf, size_t len, uid_t uid)
{
    snprintf(buf, len, "/tmp/threadprof-%u", (unsigned)uid);
}

/* Starts the program at path with LD_PRELOAD=preload (none when NULL),
 * as user nobody when as_nobody, with every THREADPROF_* variable of the
 * test's own environment removed and env added.  Unlike tu_start, sets no
 * THREADPROF_DIR. */
static void start_prog(tu_proc_t *p, const char *path, const char *preload,
                       int as_nobody, const char *const *env,
                       const char *const *args)
{
    int out[2], err[2];
    ck_assert(pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0);
    p->out_len = p->err_len = 0;
    p->out[0] = p->err[0] = '\0';
    p->pid = fork();
    ck_assert(p->pid >= 0);
    if (p->pid == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        extern char **environ;
        for (int again = 1; again;) {
            again = 0;
            for (char **e = environ; *e; e++) {
                if (strncmp(*e, "THREADPROF_", 11) == 0 ||
                    strncmp(*e, "LD_PRELOAD=", 11) == 0) {
                    char name[256];
                    snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
                    unsetenv(name);
                    again = 1;
                    break;
                }
            }
        }
        if (preload)
            setenv("LD_PRELOAD", preload, 1);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        if (as_nobody && (setgroups(0, NULL) != 0 || setgid(nobody_gid()) != 0 ||
                          setuid(nobody_uid()) != 0))
            _exit(126);
        const char *argv[32] = {path};
        int argc = 1;
        for (const char *const *a = args; a && *a && argc < 31; a++)
            argv[argc++] = *a;
        argv[argc] = NULL;
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    p->out_fd = out[0];
    p->err_fd = err[0];
    fcntl(p->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
}

static void prog_path(char *buf, size_t len, const char *prog)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%.3000s/tests/programs/%.200s", tu_build(), prog);
    ck_assert_msg(realpath(rel, buf) != NULL && strlen(buf) < len, "no %s", rel);
}

static void lib_path(char *buf)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%.3000s/libthreadprof.so", tu_build());
    ck_assert_msg(realpath(rel, buf) != NULL, "no %s", rel);
}

static void assert_exiter_ran(const tu_proc_t *p)
{
    ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 3,
                  "status %#x, stderr:\n%.2000s", p->status, p->err);
    ck_assert_str_eq(p->out, "hello from exiter\n");
}

/* ---- unchecked fixture: undo mounts and installs even after failures ---- */

static int nobody_default_existed;

static void fixture_setup(void)
{
    char d[64];
    default_dir(d, sizeof d, nobody_uid());
    struct stat st;
    nobody_default_existed = lstat(d, &st) == 0;
}

static void fixture_teardown(void)
{
    FILE *m = fopen("/proc/self/mounts", "r");
    char line[4096];
    while (m != NULL && fgets(line, sizeof line, m) != NULL) {
        char dev[256], target[PATH_MAX];
        if (sscanf(line, "%255s %4095s", dev, target) == 2 &&
            strncmp(target, MOUNT_PREFIX, strlen(MOUNT_PREFIX)) == 0 &&
            umount2(target, MNT_DETACH) != 0)
            fprintf(stderr, "check_hostile: cannot unmount %s\n", target);
    }
    if (m != NULL)
        fclose(m);
    unlink(SECURE_LIB);
    char d[64];
    default_dir(d, sizeof d, nobody_uid());
    if (!nobody_default_existed && geteuid() == 0) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
        if (system(cmd) != 0)
            fprintf(stderr, "check_hostile: cannot remove %s\n", d);
    }
}

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
        ck_assert_int_eq(count_entries(leaf, NULL), (int)NKINDS);
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
        sh("mount -t tmpfs -o ro,size=16k,mode=0700 tmpfs '%s'", ro);
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
    ck_assert_int_eq(count_entries(ro, NULL), 0);
    if (mounted)
        sh("umount '%s'", ro);
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
    if (geteuid() != 0) {
        fprintf(stderr, "hostile_nearly_full_disk_leaves_whole_files: skipped "
                "(mounting a small tmpfs needs root)\n");
        return;
    }
    static const long room[] = {4096, 8192, 12288};
    for (size_t i = 0; i < sizeof room / sizeof *room; i++) {
        tu_proc_t p;
        memset(&p, 0, sizeof p);
        make_dir(&p);
        sh("mount -t tmpfs -o size=64k,mode=0700 tmpfs '%s'", p.dir);
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
        ck_assert_int_eq(count_entries(p.dir, "."), 0);
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
                sh("gzip -t '%s'", path);
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
        ck_assert_int_eq(count_entries(p.dir, NULL), 1 + files);
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
        sh("umount '%s'", p.dir);
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
        ck_assert_int_eq(count_entries(real, NULL), 0);
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
    if (geteuid() != 0) {
        fprintf(stderr, "hostile_default_dir_planted: skipped (running the "
                "program as another user needs root)\n");
        return;
    }
    char def[64];
    default_dir(def, sizeof def, nobody_uid());
    struct stat st;
    if (lstat(def, &st) == 0 && !nobody_default_existed) {
        sh("rm -rf '%s'", def);
    } else if (lstat(def, &st) == 0) {
        fprintf(stderr, "hostile_default_dir_planted: skipped (%s exists "
                "already and is not the test's)\n", def);
        return;
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
            write_text(def, "not a directory\n", 0644);
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
        ck_assert_int_eq(count_entries(target, NULL), 0);
        if (c == 1 || c == 2)
            ck_assert_msg(count_entries(def, NULL) == 0, "%s: files written", cases[c].what);
        if (c == 3) {
            char *text = tu_read_file(def);
            ck_assert_str_eq(text, "not a directory\n");
            free(text);
        }
        sh("rm -rf '%s'", def);
    }
    tu_cleanup(&p);
}
END_TEST

/* ---- planted names, concurrent writers ---- */

/* Symlinks to a victim file at every name dump 1 would use, at dump 2's
 * other names and at its temporary names: the dump goes to the first
 * sequence number whose thread dump name is free, replaces the planted
 * links by its own files (rename never follows), skips planted temporary
 * names, and the victim stays as it was. */
START_TEST(hostile_planted_symlinks_not_followed)
{
    tu_proc_t p, v;
    memset(&p, 0, sizeof p);
    memset(&v, 0, sizeof v);
    make_dir(&v);
    char victim[PATH_MAX], go[PATH_MAX], ghost[PATH_MAX];
    snprintf(victim, sizeof victim, "%.3000s/victim", v.dir);
    snprintf(go, sizeof go, "%.3000s/go", v.dir);
    write_text(victim, "precious\n", 0644);
    struct stat before;
    ck_assert_int_eq(stat(victim, &before), 0);

    const char *args[] = {"wait", go, NULL};
    make_dir(&p);
    snprintf(ghost, sizeof ghost, "%.3000s/ghost", p.dir);
    tu_start_full(&p, "hostile_probe", 1, NULL, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    char path[PATH_MAX], tmp[PATH_MAX];
    for (size_t k = 0; k < NKINDS; k++) {
        file_path(path, sizeof path, p.dir, p.pid, 1, kinds[k]);
        ck_assert_int_eq(symlink(victim, path), 0);
        if (k > 0) {
            file_path(path, sizeof path, p.dir, p.pid, 2, kinds[k]);
            ck_assert_int_eq(symlink(victim, path), 0);
        }
        snprintf(tmp, sizeof tmp, "%.3000s/.threadprof.%d.2.%s.0.tmp", p.dir,
                 (int)p.pid, kinds[k]);
        ck_assert_int_eq(symlink(k % 2 ? ghost : victim, tmp), 0);
    }
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 2, WAIT_MS);
    free(dump);
    /* The summary is written last: wait for the real one. */
    file_path(path, sizeof path, p.dir, p.pid, 2, "summary.txt");
    long end = tu_now_ms() + WAIT_MS;
    struct stat st;
    while (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && tu_now_ms() < end)
        usleep(10000);
    write_text(go, "", 0600);
    tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
                  "status %#x, stderr:\n%s", p.status, p.err);
    ck_assert_str_eq(p.out, "ready\ndone\n");

    /* The victim, untouched. */
    struct stat after;
    ck_assert_int_eq(stat(victim, &after), 0);
    ck_assert_int_eq(after.st_size, before.st_size);
    ck_assert_uint_eq(after.st_mode, before.st_mode);
    ck_assert(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    char *text = tu_read_file(victim);
    ck_assert_str_eq(text, "precious\n");
    free(text);
    ck_assert_int_eq(lstat(ghost, &st), -1);

    /* Dump 1's links left alone, dumps 2 (signal) and 3 (exit) whole. */
    for (size_t k = 0; k < NKINDS; k++) {
        file_path(path, sizeof path, p.dir, p.pid, 1, kinds[k]);
        ck_assert_int_eq(lstat(path, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        snprintf(tmp, sizeof tmp, "%.3000s/.threadprof.%d.2.%s.0.tmp", p.dir,
                 (int)p.pid, kinds[k]);
        ck_assert_int_eq(lstat(tmp, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
    }
    assert_dump_files(p.dir, p.pid, 2);
    assert_dump_files(p.dir, p.pid, 3);
    ck_assert_int_eq(tu_count(p.err, "threadprof: wrote "), 2);
    ck_assert_int_eq(tu_count(p.err, "threadprof: "), 2);
    tu_cleanup(&p);
    tu_cleanup(&v);
}
END_TEST

/* Two processes dumping into one directory at once (periodic dumps and
 * signals): distinct files, every dump announced is there and whole,
 * nothing temporary left. */
START_TEST(hostile_two_processes_one_dir)
{
    tu_proc_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    make_dir(&a);
    memcpy(b.dir, a.dir, sizeof b.dir);
    const char *env[] = {"THREADPROF_INTERVAL=100ms", NULL};
    const char *args[] = {"busy", "1500", NULL};
    tu_start_full(&a, "hostile_probe", 1, env, args);
    tu_start_full(&b, "hostile_probe", 1, env, args);
    for (int i = 0; i < 5; i++) {
        usleep(150000);
        kill(a.pid, SIGUSR2);
        kill(b.pid, SIGUSR2);
    }
    tu_proc_t *procs[] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        tu_proc_t *p = procs[i];
        tu_finish(p, 0, WAIT_MS);
        ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0,
                      "status %#x, stderr:\n%s", p->status, p->err);
        ck_assert_str_eq(p->out, "done\n");
    }
    ck_assert_int_eq(count_entries(a.dir, "."), 0);
    int total = 0;
    for (int i = 0; i < 2; i++) {
        tu_proc_t *p = procs[i];
        int wrote = tu_count(p->err, "threadprof: wrote ");
        ck_assert_msg(wrote >= 3, "only %d dumps:\n%s", wrote, p->err);
        ck_assert_int_eq(tu_count(p->err, "threadprof: "), wrote);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "threadprof.%d.", (int)p->pid);
        ck_assert_int_eq(count_entries(a.dir, prefix), wrote * (int)NKINDS);
        for (int seq = 1; seq <= wrote; seq++)
            assert_dump_files(a.dir, p->pid, (unsigned)seq);
        total += wrote;
    }
    ck_assert_int_eq(count_entries(a.dir, NULL), total * (int)NKINDS);
    tu_cleanup(&a);
}
END_TEST

/* A thread name is the program's text: one that tries to end its line
 * and forge a thread of its own is printed escaped, on its own line. */
START_TEST(hostile_thread_name_cannot_forge_lines)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    make_dir(&p);
    const char *args[] = {"name", NULL};
    tu_start_full(&p, "hostile_probe", 1, NULL, args);
    tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
                  "status %#x, stderr:\n%s", p.status, p.err);
    ck_assert_str_eq(p.out, "done\n");
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/threadprof.%d.1.threads.txt", p.dir, (int)p.pid);
    char *dump = tu_read_file(path);
    ck_assert_msg(dump != NULL, "no exit dump at %s", path);
    tu_assert_match(dump, "^thread [0-9]+ \"x\\\\x22\\\\x0athread 1 \\\\x22y\" \\[cond wait");
    ck_assert_msg(strstr(dump, "\nthread 1 ") == NULL, "a forged line:\n%s", dump);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* ---- settings ---- */

/* Garbage in every variable at once, including a value that tries to
 * forge a line of its own, an escape sequence and an overlong number:
 * one line per variable (control characters escaped), defaults in force
 * (the exit dump written to the default directory), the program's
 * stdout and exit status as without the agent. */
START_TEST(hostile_garbage_in_every_setting)
{
    static char huge[5000 + 32];
    memset(huge, '9', sizeof huge);
    memcpy(huge, "THREADPROF_HEAP_RATE=", 21);
    huge[sizeof huge - 1] = '\0';
    const char *env[] = {
        "THREADPROF_DIR=relative/../etc",
        "THREADPROF_SIGNAL=SIGKILL",
        "THREADPROF_ON_EXIT=maybe",
        "THREADPROF_INTERVAL=-1s",
        "THREADPROF_QUIET=2",
        "THREADPROF_DEADLOCK_CHECK=\x1b[31mred",
        "THREADPROF_MUTEX_FRACTION=99999999999999999999999",
        "THREADPROF_BLOCK_RATE=1e9",
        "THREADPROF_LOCK_ORDER=yes\nthreadprof: forged line",
        huge,
        NULL,
    };
    static const char *const vars[] = {
        "DIR", "SIGNAL", "ON_EXIT", "INTERVAL", "QUIET", "DEADLOCK_CHECK",
        "MUTEX_FRACTION", "BLOCK_RATE", "LOCK_ORDER", "HEAP_RATE",
    };
    tu_proc_t native, p;
    memset(&native, 0, sizeof native);
    memset(&p, 0, sizeof p);
    make_dir(&native);
    tu_start_full(&native, "exiter", 0, env, NULL);
    tu_finish(&native, 0, WAIT_MS);
    make_dir(&p);
    tu_start(&p, "exiter", env);
    tu_finish(&p, 0, WAIT_MS);

    ck_assert_int_eq(p.status, native.status);
    ck_assert_str_eq(p.out, native.out);
    assert_exiter_ran(&p);
    ck_assert_str_eq(native.err, "");
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\nthreadprof: THREADPROF_%s=\"", vars[i]);
        char with_nl[70000];
        snprintf(with_nl, sizeof with_nl, "\n%s", p.err);
        ck_assert_msg(tu_count(with_nl, needle) == 1, "THREADPROF_%s: %d lines in\n%s",
                      vars[i], tu_count(with_nl, needle), p.err);
    }
    ck_assert_int_eq(tu_count(p.err, "threadprof: THREADPROF_"), 10);
    tu_assert_match(p.err, "^threadprof: THREADPROF_LOCK_ORDER=\"yes\\\\x0athreadprof: forged line\" is not ");
    tu_assert_match(p.err, "^threadprof: THREADPROF_DEADLOCK_CHECK=\"\\\\x1b\\[31mred\" is not ");
    tu_assert_no_match(p.err, "^threadprof: forged");
    ck_assert_ptr_null(strchr(p.err, '\x1b'));
    /* Defaults: the exit dump, announced, in the default directory. */
    char def[64];
    default_dir(def, sizeof def, getuid());
    ck_assert_int_eq(tu_count(p.err, "\n"), 11);
    unsigned seq = wrote_seq(&p, def);
    assert_dump_files(def, p.pid, seq);
    remove_dump_files(def, p.pid, seq);
    ck_assert_int_eq(count_entries(p.dir, NULL), 0);
    tu_cleanup(&native);
    tu_cleanup(&p);
}
END_TEST

/* ---- secure execution ---- */

/* A set-uid root copy of a program, run by nobody with the agent preloaded
 * the only way the loader allows in secure mode (a name without a slash,
 * from a standard directory, set-uid): the agent is loaded, says it writes
 * nothing, and neither THREADPROF_DIR nor the default directory gets a
 * file. */
START_TEST(hostile_secure_execution_writes_nothing)
{
    if (geteuid() != 0) {
        fprintf(stderr, "hostile_secure_execution_writes_nothing: skipped "
                "(installing a set-uid library needs root)\n");
        return;
    }
    struct stat st;
    ck_assert_msg(stat("/usr/lib/x86_64-linux-gnu", &st) == 0 && S_ISDIR(st.st_mode),
                  "no /usr/lib/x86_64-linux-gnu");
    char lib[PATH_MAX], prog[PATH_MAX];
    lib_path(lib);
    prog_path(prog, sizeof prog, "hostile_probe");
    sh("install -m 04755 -o root '%s' '%s'", lib, SECURE_LIB);

    tu_proc_t bin, out;
    memset(&bin, 0, sizeof bin);
    memset(&out, 0, sizeof out);
    make_dir(&bin);
    ck_assert_int_eq(chmod(bin.dir, 0755), 0);
    char copy[PATH_MAX + 16];
    snprintf(copy, sizeof copy, "%.3000s/probe", bin.dir);
    sh("install -m 04755 -o root '%s' '%s'", prog, copy);
    make_dir(&out);
    ck_assert_int_eq(chown(out.dir, nobody_uid(), nobody_gid()), 0);
    ck_assert_int_eq(chmod(out.dir, 0777), 0);
    char def[64];
    default_dir(def, sizeof def, nobody_uid());
    int def_before = lstat(def, &st) == 0 && S_ISDIR(st.st_mode)
                         ? count_entries(def, NULL) : -1;

    char env_dir[PATH_MAX + 32];
    snprintf(env_dir, sizeof env_dir, "THREADPROF_DIR=%s", out.dir);
    const char *env[] = {env_dir, "THREADPROF_ON_EXIT=1", "THREADPROF_INTERVAL=10ms",
                         "THREADPROF_SIGNAL=SIGUSR1", "THREADPROF_QUIET=junk", NULL};
    const char *args[] = {"maps", NULL};
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    start_prog(&p, copy, "libthreadprof-securetest.so", 1, env, args);
    tu_finish(&p, 0, WAIT_MS);
    unlink(SECURE_LIB);

    ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 3,
                  "status %#x, stdout:\n%s\nstderr:\n%s", p.status, p.out, p.err);
    char want[128];
    snprintf(want, sizeof want, "agent mapped: yes\nuid %u euid 0 secure 1\n",
             (unsigned)nobody_uid());
    ck_assert_str_eq(p.out, want);
    ck_assert_str_eq(p.err, "threadprof: secure-execution program (set-uid or "
                     "capabilities): threadprof reads no settings and writes no "
                     "files here\n");
    ck_assert_int_eq(count_entries(out.dir, NULL), 0);
    int def_after = lstat(def, &st) == 0 && S_ISDIR(st.st_mode)
                        ? count_entries(def, NULL) : -1;
    ck_assert_int_eq(def_after, def_before);
    tu_cleanup(&bin);
    tu_cleanup(&out);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_add_test(tc, hostile_missing_dir_created_private);
    tcase_add_test(tc, hostile_unwritable_dir_falls_back);
    tcase_add_test(tc, hostile_nearly_full_disk_leaves_whole_files);
    tcase_add_test(tc, hostile_symlinked_dir_refused);
    tcase_add_test(tc, hostile_default_dir_planted);
    tcase_add_test(tc, hostile_planted_symlinks_not_followed);
    tcase_add_test(tc, hostile_two_processes_one_dir);
    tcase_add_test(tc, hostile_thread_name_cannot_forge_lines);
    tcase_add_test(tc, hostile_garbage_in_every_setting);
    tcase_add_test(tc, hostile_secure_execution_writes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(hostile_suite());
}
