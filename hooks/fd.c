/*
 * hooks/fd: pipe2, open and close, only for the descriptors the agent and
 * its libraries create (agent/privfd.c; the read side is in hooks/io.c):
 * their pipes go out of the program's way, their files become
 * close-on-exec, and neither is closed once the program has put its own
 * file at the same number.  The program's calls pass straight through.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "agent/agent.h"

TP_REAL_DECL(pipe2);

TP_HOOK int pipe2(int fds[2], int flags)
{
    if (TP_LIKELY(!tp_in_agent))
        return TP_REAL(pipe2)(fds, flags);
    return tp_private_pipe2(fds, flags, TP_REAL(pipe2));
}

TP_REAL_DECL(close);

TP_HOOK int close(int fd)
{
    if (TP_LIKELY(!tp_in_agent) || tp_private_fd_closing(fd))
        return TP_REAL(close)(fd);
    return 0;   /* the program's descriptor now: not ours to close */
}

/* open's mode argument exists only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, mode)                                             \
    do {                                                                   \
        if ((flags) & (O_CREAT | __O_TMPFILE)) {                           \
            va_list ap;                                                    \
            va_start(ap, flags);                                           \
            mode = va_arg(ap, mode_t);                                     \
            va_end(ap);                                                    \
        }                                                                  \
    } while (0)

#define OPEN_HOOK(name, params, args)                                      \
    TP_REAL_DECL(name);                                                    \
    TP_HOOK int name params                                                \
    {                                                                      \
        mode_t mode = 0;                                                   \
        OPEN_MODE(flags, mode);                                            \
        int fd = TP_REAL(name) args;                                       \
        if (TP_UNLIKELY(tp_in_agent))                                      \
            fd = tp_private_fd_opened(fd, flags);                          \
        return fd;                                                         \
    }

OPEN_HOOK(open, (const char *path, int flags, ...), (path, flags, mode))
OPEN_HOOK(open64, (const char *path, int flags, ...), (path, flags, mode))
OPEN_HOOK(openat, (int dirfd, const char *path, int flags, ...), (dirfd, path, flags, mode))
OPEN_HOOK(openat64, (int dirfd, const char *path, int flags, ...), (dirfd, path, flags, mode))
