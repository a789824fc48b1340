/*
 * hooks/filelock: flock and fcntl's waiting lock commands.
 *
 * fcntl is variadic; its third argument is an int or a pointer, both
 * passed in a register on x86_64, so it is forwarded as a pointer-sized
 * value whatever cmd is.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/file.h>

#include "agent/agent.h"

int fcntl64(int fd, int cmd, ...);

TP_REAL_DECL(flock);
TP_REAL_DECL(fcntl);
TP_REAL_DECL(fcntl64);

TP_HOOK int flock(int fd, int op)
{
    if (op & LOCK_NB)
        return TP_REAL(flock)(fd, op);
    TP_WAIT_SCOPE(TP_ST_FILELOCK, "flock", NULL, NULL, fd);
    return TP_REAL(flock)(fd, op);
}

TP_INLINE int waits(int cmd)
{
    return cmd == F_SETLKW || cmd == F_OFD_SETLKW;
}

TP_HOOK int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (TP_LIKELY(!waits(cmd)))
        return TP_REAL(fcntl)(fd, cmd, arg);
    TP_WAIT_SCOPE(TP_ST_FILELOCK, "fcntl lock", NULL, NULL, fd);
    return TP_REAL(fcntl)(fd, cmd, arg);
}

TP_HOOK int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (TP_LIKELY(!waits(cmd)))
        return TP_REAL(fcntl64)(fd, cmd, arg);
    TP_WAIT_SCOPE(TP_ST_FILELOCK, "fcntl lock", NULL, NULL, fd);
    return TP_REAL(fcntl64)(fd, cmd, arg);
}
