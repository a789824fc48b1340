/*
 * outfile: private output files that appear whole or not at all.
 *
 * The directory is opened once per dump (O_NOFOLLOW, checked to be a
 * directory; the per-user default is created 0700 and must belong to us
 * and be closed to others).  Each file is written under a hidden
 * temporary name created O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC with mode
 * 0600 and renamed into place when complete, so readers never see half a
 * file and no planted symlink is ever followed.  No descriptor outlives
 * the dump.
 */
#ifndef TP_OUTFILE_H
#define TP_OUTFILE_H

#include <limits.h>
#include <sys/types.h>
#include <stddef.h>

/* Opens (creating it if missing) the output directory.  Returns a
 * directory fd, or -errno with a reason in why. */
int tp_outdir_open(const char *path, int is_default, char *why, size_t why_len);

typedef struct tp_outfile {
    int dirfd;
    int fd;
    dev_t dev;              /* the temporary file fd was opened on */
    ino_t ino;
    char tmp[NAME_MAX + 1];
    char name[NAME_MAX + 1];
} tp_outfile_t;

/* Closes fd only if it still refers to the file (dev, ino) it was opened
 * on: a host may dup2 onto the agent's descriptor numbers while a dump is
 * written, and the number then belongs to the host.  0 when closed (or
 * close's -errno), -EBADF when the number was not ours any more and was
 * left open. */
int tp_close_own(int fd, dev_t dev, ino_t ino);

/* Removes the temporary files a process with this pid left in dirfd: an
 * image that exec'd, or exited, while its dump was being written (the
 * pid is ours now, so they are nobody's).  Regular files only: a symlink
 * at such a name was planted and stays.  In the same pass, *highest (when
 * not NULL) gets the highest number n of a thread dump
 * threadprof.<pid>.<n>.threads.txt there, 0 for none: an earlier image's
 * numbers may have holes, and a new image continues after them.  Returns
 * how many files it removed. */
int tp_outdir_sweep(int dirfd, int pid, unsigned *highest);

/* Creates the temporary file for final name `name` in dirfd: 0 or -errno. */
int tp_outfile_create(tp_outfile_t *f, int dirfd, const char *name);
/* Opens `name` in dirfd to append to it (created 0600 when missing,
 * never through a symlink; a file that is not a plain file of ours with
 * one link is refused: -EPERM).  0 or -errno; close f->fd with
 * tp_close_own. */
int tp_outfile_append(tp_outfile_t *f, int dirfd, const char *name);
/* Closes and renames into place (ok != 0) or removes it: 0 or -errno. */
int tp_outfile_finish(tp_outfile_t *f, int ok);

#endif
