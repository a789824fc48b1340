/*
 * fdinfo: what a file descriptor is, described at dump time for the
 * threads blocked on it: a pipe, a socket with its local and peer
 * addresses, an epoll instance, a file path.  Only reads (readlink of
 * /proc/self/fd, getsockname, getpeername, getsockopt): nothing here can
 * change the descriptor's state.  The fd may have been closed or reused
 * since the thread blocked; the description is of what it is now.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/procparse.h"

static void format_addr(const struct sockaddr_storage *ss, socklen_t len,
                        char *out, size_t out_len)
{
    char host[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(out, out_len, "%s:%u", host, ntohs(in->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(out, out_len, "[%s]:%u", host, ntohs(in6->sin6_port));
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? len - offsetof(struct sockaddr_un, sun_path) : 0;
        if (plen == 0 || (un->sun_path[0] == '\0' && plen == 1))
            snprintf(out, out_len, "(unnamed)");
        else if (un->sun_path[0] == '\0')
            snprintf(out, out_len, "@%.*s", (int)plen - 1, un->sun_path + 1);
        else
            snprintf(out, out_len, "%.*s", (int)strnlen(un->sun_path, plen),
                     un->sun_path);
    } else {
        snprintf(out, out_len, "(family %d)", ss->ss_family);
    }
}

static void describe_socket(int fd, char *detail, size_t len)
{
    int type = 0, proto = 0, listening = 0;
    socklen_t sl = sizeof type;
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &sl);
    sl = sizeof proto;
    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &sl);
    sl = sizeof listening;
    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &sl);

    struct sockaddr_storage local, peer;
    socklen_t llen = sizeof local, plen = sizeof peer;
    char lbuf[160] = "?", pbuf[160] = "";
    memset(&local, 0, sizeof local);
    memset(&peer, 0, sizeof peer);
    if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0)
        format_addr(&local, llen, lbuf, sizeof lbuf);
    int connected = getpeername(fd, (struct sockaddr *)&peer, &plen) == 0;
    if (connected)
        format_addr(&peer, plen, pbuf, sizeof pbuf);

    const char *kind;
    if (local.ss_family == AF_UNIX)
        kind = type == SOCK_DGRAM ? "unix datagram" : "unix";
    else if (proto == IPPROTO_TCP)
        kind = "tcp";
    else if (proto == IPPROTO_UDP)
        kind = "udp";
    else
        kind = type == SOCK_STREAM ? "stream" : "datagram";

    if (listening)
        snprintf(detail, len, "%s socket listening on %s", kind, lbuf);
    else if (connected)
        snprintf(detail, len, "%s socket %s -> %s", kind, lbuf, pbuf);
    else
        snprintf(detail, len, "%s socket %s (not connected)", kind, lbuf);
}

void tp_fd_describe(int fd, char *kind, size_t kind_len, char *detail,
                    size_t detail_len)
{
    char path[64], target[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    if (n < 0) {
        snprintf(kind, kind_len, "not open");
        snprintf(detail, detail_len, "fd %d is no longer open", fd);
        return;
    }
    target[n] = '\0';
    if (tp_fd_classify(target, kind, kind_len)) {
        char sock[400];
        describe_socket(fd, sock, sizeof sock);
        snprintf(detail, detail_len, "fd %d: %s", fd, sock);
    } else {
        snprintf(detail, detail_len, "fd %d: %s", fd, target);
    }
}
