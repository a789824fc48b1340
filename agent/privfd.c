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
 */
#include <fcntl.h>
#include <sys/resource.h>
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

int tp_private_pipe2(int fds[2], int flags, int (*real_pipe2)(int[2], int))
{
    int r = real_pipe2(fds, flags);
    if (r != 0)
        return r;
    int saved = errno;
    int base = high_base();
    fds[0] = move_high(fds[0], base);
    fds[1] = move_high(fds[1], base);
    errno = saved;
    return 0;
}
