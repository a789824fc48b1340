/*
 * outfile: see outfile.h.
 */
#include "output/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p with mode 0700 for the components that are missing. */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) == 0) {
            /* Ours, just made: exactly 0700 whatever the umask (0777
             * would leave even us out of it).  Opened without following
             * a symlink in case someone replaced it meanwhile. */
            int d = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (d >= 0) {
                (void)fchmod(d, 0700);
                close(d);
            }
        } else if (errno != EEXIST) {
            return -errno;
        }
        buf[i] = c;
    }
    return 0;
}

int tp_outdir_open(const char *path, int is_default, char *why, size_t why_len)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        int r = make_dirs(path);
        if (r < 0) {
            snprintf(why, why_len, "cannot create it: %s", strerror(-r));
            return r;
        }
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
        int e = errno;
        snprintf(why, why_len, "%s",
                 e == ELOOP || e == ENOTDIR ? "it is not a directory (or is a symlink)"
                                            : strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        snprintf(why, why_len, "%s", strerror(e));
        return -e;
    }
    /* A directory we may not write in (mode, read-only mount) is refused
     * here, so a THREADPROF_DIR like that falls back to the default
     * instead of losing every dump. */
    if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        int e = errno;
        close(fd);
        snprintf(why, why_len, "cannot write in it: %s", strerror(e));
        return -e;
    }
    if (is_default && (st.st_uid != geteuid() || (st.st_mode & 077) != 0)) {
        close(fd);
        snprintf(why, why_len,
                 "it is not private (owner uid %u, mode %03o; expected uid %u, "
                 "mode 700)", (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777),
                 (unsigned)geteuid());
        return -EPERM;
    }
    return fd;
}

/* The number n of name when it is threadprof.<pid>.<n>.threads.txt (the
 * part after the dot of the temporaries' prefix), else 0. */
static unsigned dump_number(const char *name, const char *prefix, size_t n)
{
    char *end;
    if (strncmp(name, prefix, n) != 0)
        return 0;
    unsigned long seq = strtoul(name + n, &end, 10);
    return strcmp(end, ".threads.txt") == 0 && seq < 1000000000ul ? (unsigned)seq : 0;
}

int tp_outdir_sweep(int dirfd, int pid, unsigned *highest)
{
    char prefix[32];
    int n = snprintf(prefix, sizeof prefix, ".threadprof.%d.", pid);
    if (highest != NULL)
        *highest = 0;
    int copy = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0)
        return 0;
    DIR *d = fdopendir(copy);
    if (d == NULL) {
        close(copy);
        return 0;
    }
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        struct stat st;
        unsigned seq = dump_number(e->d_name, prefix + 1, (size_t)n - 1);
        if (highest != NULL && seq > *highest)
            *highest = seq;
        /* Only regular files, as the agent makes them: anything else at
         * such a name was planted, and is left as it is. */
        if (strncmp(e->d_name, prefix, (size_t)n) == 0 && len > 4 &&
            strcmp(e->d_name + len - 4, ".tmp") == 0 &&
            fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && unlinkat(dirfd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

int tp_outfile_create(tp_outfile_t *f, int dirfd, const char *name)
{
    f->dirfd = dirfd;
    f->fd = -1;
    if (snprintf(f->name, sizeof f->name, "%s", name) >= (int)sizeof f->name)
        return -ENAMETOOLONG;
    for (unsigned attempt = 0; attempt < 16; attempt++) {
        snprintf(f->tmp, sizeof f->tmp, ".%s.%u.tmp", name, attempt);
        f->fd = openat(dirfd, f->tmp,
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f->fd >= 0) {
            /* Exactly 0600 whatever the host's umask (0277 would make it
             * 0400); the file is new and ours. */
            (void)fchmod(f->fd, 0600);
            struct stat st;
            f->dev = fstat(f->fd, &st) == 0 ? st.st_dev : 0;
            f->ino = f->dev != 0 ? st.st_ino : 0;
            return 0;
        }
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

int tp_outfile_append(tp_outfile_t *f, int dirfd, const char *name)
{
    f->dirfd = dirfd;
    f->tmp[0] = '\0';
    if (snprintf(f->name, sizeof f->name, "%s", name) >= (int)sizeof f->name)
        return -ENAMETOOLONG;
    f->fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f->fd < 0)
        return -errno;
    struct stat st;
    /* Only a plain file of ours with no other name: anything else at the
     * name was planted, and is left alone. */
    if (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_nlink != 1) {
        close(f->fd);
        f->fd = -1;
        return -EPERM;
    }
    if (st.st_size == 0)
        (void)fchmod(f->fd, 0600);   /* new: exactly 0600 whatever the umask */
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    return 0;
}

int tp_close_own(int fd, dev_t dev, ino_t ino)
{
    struct stat st;
    if (ino != 0 && (fstat(fd, &st) != 0 || st.st_dev != dev || st.st_ino != ino))
        return -EBADF;
    return close(fd) == 0 ? 0 : -errno;
}

int tp_outfile_finish(tp_outfile_t *f, int ok)
{
    int r = 0;
    if (f->fd >= 0) {
        int c = tp_close_own(f->fd, f->dev, f->ino);
        if (c == -EBADF)
            ok = 0, r = -EBADF;     /* the file is not whole: dropped */
        else if (c != 0 && ok)
            r = c;
    }
    f->fd = -1;
    if (ok && r == 0 && renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0)
        r = -errno;
    if (!ok || r != 0)
        unlinkat(f->dirfd, f->tmp, 0);
    return r;
}
