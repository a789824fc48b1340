/*
 * hostile_util.h: helpers of the hostile-environment suites (check_hostile,
 * check_hostile_dir): the files of a dump and their checks, the default
 * directory, starting a program as user nobody with a clean environment,
 * and the unchecked fixture (run by the parent process, even after a
 * failed test) that unmounts what the tests mounted and removes what they
 * installed.
 *
 * Header-only (static functions), so each suite stays one file.
 */
#ifndef TP_HOSTILE_UTIL_H
#define TP_HOSTILE_UTIL_H

#include <grp.h>
#include <pwd.h>
#include <sys/mount.h>

#include "tests/testutil.h"

#define WAIT_MS 15000
#define SECURE_LIB "/usr/lib/x86_64-linux-gnu/libthreadprof-securetest.so"
#define MOUNT_PREFIX TU_TMP_PREFIX "hostile-"

static const char *const kinds[] = {"threads.txt", "summary.txt", "mutex.pb.gz",
                                    "block.pb.gz", "heap.pb.gz"};
#define NKINDS (sizeof kinds / sizeof *kinds)

/* ---- helpers ---- */

/* A test directory under MOUNT_PREFIX, where the fixture finds mounts. */
static inline void make_dir(tu_proc_t *p)
{
    tu_temp_dir(p->dir, sizeof p->dir, "hostile-");
}

static inline uid_t nobody_uid(void)
{
    struct passwd *pw = getpwnam("nobody");
    return pw ? pw->pw_uid : 65534;
}

static inline gid_t nobody_gid(void)
{
    struct passwd *pw = getpwnam("nobody");
    return pw ? pw->pw_gid : 65534;
}

static inline void file_path(char *buf, size_t len, const char *dir, pid_t pid,
                             unsigned seq, const char *kind)
{
    snprintf(buf, len, "%.3000s/threadprof.%d.%06u.%s", dir, (int)pid, seq, kind);
}

/* Every file of dump seq of pid in dir: a regular file (not a symlink),
 * mode exactly 0600, the thread dump whole. */
static inline void assert_dump_files(const char *dir, pid_t pid, unsigned seq)
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
static inline void remove_dump_files(const char *dir, pid_t pid, unsigned seq)
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
static inline unsigned wrote_seq(const tu_proc_t *p, const char *dir)
{
    char re[PATH_MAX + 128], cap[16];
    snprintf(re, sizeof re, "^threadprof: wrote %s/threadprof\\.%d\\.([0-9]+)\\.threads\\.txt ",
             dir, (int)p->pid);
    ck_assert_msg(tu_match(p->err, re, cap, sizeof cap), "no match for /%s/ in:\n%.3000s",
                  re, p->err);
    return (unsigned)atoi(cap);
}

static inline void default_dir(char *buf, size_t len, uid_t uid)
{
    snprintf(buf, len, "/tmp/threadprof-%u", (unsigned)uid);
}

/* Starts the program at path with LD_PRELOAD=preload (none when NULL),
 * as user nobody when as_nobody, with every THREADPROF_* variable of the
 * test's own environment removed and env added.  Unlike tu_start, sets no
 * THREADPROF_DIR. */
static inline void start_prog(tu_proc_t *p, const char *path, const char *preload,
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
        tu__exec(path, args);
    }
    tu__take_pipes(p, out, err);
}

static inline void prog_path(char *buf, size_t len, const char *prog)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%.3000s/tests/programs/%.200s", tu_build(), prog);
    ck_assert_msg(realpath(rel, buf) != NULL && strlen(buf) < len, "no %s", rel);
}

static inline void lib_path(char *buf)
{
    char rel[PATH_MAX];
    snprintf(rel, sizeof rel, "%.3000s/libthreadprof.so", tu_build());
    ck_assert_msg(realpath(rel, buf) != NULL, "no %s", rel);
}

static inline void assert_exiter_ran(const tu_proc_t *p)
{
    ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 3,
                  "status %#x, stderr:\n%.2000s", p->status, p->err);
    ck_assert_str_eq(p->out, "hello from exiter\n");
}

/* ---- unchecked fixture: undo mounts and installs even after failures ---- */

static int nobody_default_existed;

static inline void fixture_setup(void)
{
    char d[64];
    default_dir(d, sizeof d, nobody_uid());
    struct stat st;
    nobody_default_existed = lstat(d, &st) == 0;
}

static inline void fixture_teardown(void)
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
    if (!nobody_default_existed && geteuid() == 0 && tu_remove_tree(d) != 0)
        fprintf(stderr, "check_hostile: cannot remove %s\n", d);
}

#endif
