/*
 * hooks/fd: pipe2, only to place the pipes the agent's own libraries
 * create out of the program's way, and close, so that those libraries
 * never close a descriptor the program has since put at the same number
 * (agent/privfd.c; the read side is in hooks/io.c).  The program's calls
 * pass straight through.
 */
#include <fcntl.h>
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
