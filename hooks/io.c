/*
 * hooks/io: system calls that block on one file descriptor.
 *
 * Each wrapper records "<call> on fd N" around the real call; what the fd
 * is (pipe, socket and its addresses, file) is looked up only at dump
 * time.  The _FORTIFY_SOURCE entry points (__read_chk…) are what
 * distribution binaries built with -D_FORTIFY_SOURCE actually call.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "agent/agent.h"

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                       __SOCKADDR_ARG addr, socklen_t *addr_len);

/* One wrapper: state FDIO named `label`, on descriptor `fd`. */
#define FD_HOOK(ret, name, label, params, args, fd)                           \
    TP_REAL_DECL(name);                                                       \
    TP_HOOK ret name params                                                   \
    {                                                                         \
        TP_WAIT_SCOPE(TP_ST_FDIO, label, NULL, NULL, fd);                     \
        return TP_REAL(name) args;                                            \
    }

TP_REAL_DECL(read);
TP_HOOK ssize_t read(int fd, void *buf, size_t n)
{
    /* libunwind probing memory through its pipe, a byte at a time
     * (agent/privfd.c): not through a descriptor the program has taken
     * over. */
    if (TP_UNLIKELY(tp_in_agent) && n == 1 && tp_private_fd_taken(fd)) {
        errno = EBADF;
        return -1;
    }
    TP_WAIT_SCOPE(TP_ST_FDIO, "read", NULL, NULL, fd);
    return TP_REAL(read)(fd, buf, n);
}
FD_HOOK(ssize_t, write, "write", (int fd, const void *buf, size_t n), (fd, buf, n), fd)
FD_HOOK(ssize_t, readv, "readv", (int fd, const struct iovec *iov, int cnt),
        (fd, iov, cnt), fd)
FD_HOOK(ssize_t, writev, "writev", (int fd, const struct iovec *iov, int cnt),
        (fd, iov, cnt), fd)
FD_HOOK(ssize_t, pread, "pread", (int fd, void *buf, size_t n, off_t off),
        (fd, buf, n, off), fd)
FD_HOOK(ssize_t, pread64, "pread", (int fd, void *buf, size_t n, off64_t off),
        (fd, buf, n, off), fd)
FD_HOOK(ssize_t, pwrite, "pwrite", (int fd, const void *buf, size_t n, off_t off),
        (fd, buf, n, off), fd)
FD_HOOK(ssize_t, pwrite64, "pwrite",
        (int fd, const void *buf, size_t n, off64_t off), (fd, buf, n, off), fd)
FD_HOOK(ssize_t, preadv, "preadv",
        (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off), fd)
FD_HOOK(ssize_t, pwritev, "pwritev",
        (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off), fd)
FD_HOOK(ssize_t, preadv64, "preadv",
        (int fd, const struct iovec *iov, int cnt, off64_t off), (fd, iov, cnt, off), fd)
FD_HOOK(ssize_t, pwritev64, "pwritev",
        (int fd, const struct iovec *iov, int cnt, off64_t off), (fd, iov, cnt, off), fd)
FD_HOOK(ssize_t, preadv2, "preadv2",
        (int fd, const struct iovec *iov, int cnt, off_t off, int flags),
        (fd, iov, cnt, off, flags), fd)
FD_HOOK(ssize_t, pwritev2, "pwritev2",
        (int fd, const struct iovec *iov, int cnt, off_t off, int flags),
        (fd, iov, cnt, off, flags), fd)
FD_HOOK(ssize_t, __read_chk, "read", (int fd, void *buf, size_t n, size_t buflen),
        (fd, buf, n, buflen), fd)
FD_HOOK(ssize_t, __pread_chk, "pread",
        (int fd, void *buf, size_t n, off_t off, size_t buflen),
        (fd, buf, n, off, buflen), fd)
FD_HOOK(ssize_t, __pread64_chk, "pread",
        (int fd, void *buf, size_t n, off64_t off, size_t buflen),
        (fd, buf, n, off, buflen), fd)

FD_HOOK(ssize_t, recv, "recv", (int fd, void *buf, size_t n, int flags),
        (fd, buf, n, flags), fd)
FD_HOOK(ssize_t, recvfrom, "recvfrom",
        (int fd, void *restrict buf, size_t n, int flags, __SOCKADDR_ARG addr,
         socklen_t *restrict addr_len),
        (fd, buf, n, flags, addr, addr_len), fd)
FD_HOOK(ssize_t, recvmsg, "recvmsg", (int fd, struct msghdr *msg, int flags),
        (fd, msg, flags), fd)
FD_HOOK(int, recvmmsg, "recvmmsg",
        (int fd, struct mmsghdr *vec, unsigned int vlen, int flags,
         struct timespec *tmo),
        (fd, vec, vlen, flags, tmo), fd)
FD_HOOK(ssize_t, __recv_chk, "recv",
        (int fd, void *buf, size_t n, size_t buflen, int flags),
        (fd, buf, n, buflen, flags), fd)
FD_HOOK(ssize_t, __recvfrom_chk, "recvfrom",
        (int fd, void *buf, size_t n, size_t buflen, int flags,
         __SOCKADDR_ARG addr, socklen_t *addr_len),
        (fd, buf, n, buflen, flags, addr, addr_len), fd)
FD_HOOK(ssize_t, send, "send", (int fd, const void *buf, size_t n, int flags),
        (fd, buf, n, flags), fd)
FD_HOOK(ssize_t, sendto, "sendto",
        (int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr,
         socklen_t addr_len),
        (fd, buf, n, flags, addr, addr_len), fd)
FD_HOOK(ssize_t, sendmsg, "sendmsg", (int fd, const struct msghdr *msg, int flags),
        (fd, msg, flags), fd)
FD_HOOK(int, sendmmsg, "sendmmsg",
        (int fd, struct mmsghdr *vec, unsigned int vlen, int flags),
        (fd, vec, vlen, flags), fd)
FD_HOOK(int, accept, "accept",
        (int fd, __SOCKADDR_ARG addr, socklen_t *restrict addr_len),
        (fd, addr, addr_len), fd)
FD_HOOK(int, accept4, "accept4",
        (int fd, __SOCKADDR_ARG addr, socklen_t *restrict addr_len, int flags),
        (fd, addr, addr_len, flags), fd)
FD_HOOK(int, connect, "connect",
        (int fd, __CONST_SOCKADDR_ARG addr, socklen_t addr_len),
        (fd, addr, addr_len), fd)
