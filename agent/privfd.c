/*
 * privfd: descriptors that libraries loaded by the agent keep open.
 *
 * libunwind opens a pipe on first use and keeps it for the life of the
 * process to probe memory (it writes a byte of the address to it and reads
 * it back).  At the lowest free numbers that pipe would shift the numbers
 * the program's own open() calls get, and a daemon that closes every
 * descriptor and opens its own files would have libunwind reading and
 * writing them.  Pipes created from inside the agent are therefore moved
 * to the top of the descriptor table, where programs do not allocate; if
 * the program closes them anyway, libunwind sees EBADF, treats the memory
 * as unreadable and reopens the pipe (through us again).
 *
 * A program may also dup2 its own files onto those numbers (or close
 * them and get them back from open).  libunwind would then read a byte
 * from the program's pipe or socket and write one into its file, or, on
 * EBADF, close the program's descriptors before making a new pipe.  So
 * each end is remembered with the file it refers to: a read from inside
 * the agent on an end that is no longer that file (or whose partner end
 * is not) fails with EBADF, and the close that follows leaves the
 * program's descriptor alone; libunwind then makes a new pipe, moved up
 * here again.
 *
 * Files opened from inside the agent (libdw's ELF and debug files, the
 * dump's own files and /proc reads) are remembered the same way, so that
 * ending a libdw session never closes a descriptor the program has put at
 * one of its numbers meanwhile.  They stay where open put them (see
 * tp_private_fd_opened).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/internal.h"

/* The lowest number to move to: just under the soft descriptor limit
 * (1024 by default), at least 256. */
static int high_base(void)
{
    struct rlimit rl;
    long base = 1000;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        base = (long)rl.rlim_cur - 24;
    if (base > 1000000)
        base = 1000000;
    return base < 256 ? 256 : (int)base;
}

static int move_high(int fd, int base)
{
    int cloexec = fcntl(fd, F_GETFD);
    int high = fcntl(fd, cloexec >= 0 && (cloexec & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, base);
    if (high < 0)
        return fd;   /* no room up there: keep the original */
    close(fd);
    return high;
}

int tp_private_fd_move_high(int fd)
{
    return move_high(fd, high_base());
}

/* The descriptors opened and the pipe ends made from inside the agent.
 * Slots are claimed with a compare-and-swap, not under a lock: pipes come
 * from libunwind on any thread, files from the dump, and a lock here
 * could be left held across fork.  A table that is full remembers
 * nothing more: such a descriptor is closed unchecked, as before. */
#define MAX_PRIVATE 256
static struct private_fd {
    int fd;        /* -1: free slot */
    int partner;   /* the pipe's other end, -1 for a file */
    dev_t dev;
    ino_t ino;
} priv[MAX_PRIVATE] = {[0 ... MAX_PRIVATE - 1] = {-1, -1, 0, 0}};

static struct private_fd *find(int fd)
{
    for (int i = 0; i < MAX_PRIVATE; i++)
        if (__atomic_load_n(&priv[i].fd, __ATOMIC_ACQUIRE) == fd && fd >= 0)
            return &priv[i];
    return NULL;
}

static void remember(int fd, int partner)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return;
    struct private_fd *slot = find(fd);
    for (int i = 0; i < MAX_PRIVATE && slot == NULL; i++) {
        int free_slot = -1;
        if (__atomic_compare_exchange_n(&priv[i].fd, &free_slot, fd, 0,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            slot = &priv[i];
    }
    if (slot == NULL)
        return;
    slot->partner = partner;
    slot->dev = st.st_dev;
    slot->ino = st.st_ino;
}

/* 1 when the number no longer refers to the file we made there. */
static int taken(const struct private_fd *p)
{
    struct stat st;
    return fstat(p->fd, &st) != 0 || st.st_dev != p->dev || st.st_ino != p->ino;
}

int tp_private_fd_taken(int fd)
{
    int saved = errno, r = 0;
    struct private_fd *p = find(fd);
    if (p != NULL) {
        struct private_fd *q = find(p->partner);
        r = taken(p) || (q != NULL && taken(q));
    }
    errno = saved;
    return r;
}

int tp_private_fd_closing(int fd)
{
    int saved = errno, r = 1;
    struct private_fd *p = find(fd);
    if (p != NULL) {
        r = !taken(p);
        /* A taken pipe end stays refused until a new pipe replaces it
         * (the one libunwind makes next may fail: a full table); a taken
         * file is simply no longer the agent's. */
        if (r || p->partner < 0)
            __atomic_store_n(&p->fd, -1, __ATOMIC_RELEASE);
    }
    errno = saved;
    return r;
}

int tp_private_fd_opened(int fd, int flags)
{
    if (fd < 0)
        return fd;
    int saved = errno;
    /* Never inherited by a program the host execs while a dump runs
     * (libdw opens its files without O_CLOEXEC).  Not moved up: the top
     * numbers are libunwind's, which keeps using its pipe's numbers after
     * a daemon closed them; a file of ours there would get its probe
     * bytes. */
    if (!(flags & O_CLOEXEC))
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    remember(fd, -1);
    errno = saved;
    return fd;
}

int tp_private_pipe2(int fds[2], int flags, int (*real_pipe2)(int[2], int))
{
    int r = real_pipe2(fds, flags);
    if (r != 0)
        return r;
    int saved = errno;
    /* This pipe replaces any whose numbers the program took. */
    for (int i = 0; i < MAX_PRIVATE; i++)
        if (priv[i].fd >= 0 && priv[i].partner >= 0 && taken(&priv[i]))
            __atomic_store_n(&priv[i].fd, -1, __ATOMIC_RELEASE);
    int base = high_base();
    fds[0] = move_high(fds[0], base);
    fds[1] = move_high(fds[1], base);
    remember(fds[0], fds[1]);
    remember(fds[1], fds[0]);
    errno = saved;
    return 0;
}

void tp_private_fds_drop(void)
{
    for (int i = 0; i < MAX_PRIVATE; i++) {
        int fd = priv[i].fd;
        if (fd >= 0 && priv[i].partner >= 0) {
            priv[i].fd = -1;
            close(fd);
        }
    }
}
