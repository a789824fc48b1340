/*
 * hooks/fd: pipe2, only to place the pipes the agent's own libraries
 * create out of the program's way (agent/privfd.c).  The program's calls
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
