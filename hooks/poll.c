/*
 * hooks/poll: poll, select and epoll waits.
 *
 * The variants that install a signal mask for the duration of the wait
 * (ppoll, pselect, epoll_pwait, epoll_pwait2) get the host's mask with the
 * dump signal kept blocked, so the agent's signal can never interrupt the
 * host's wait with an EINTR.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "agent/agent.h"

int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                const sigset_t *ss, size_t fdslen);

TP_REAL_DECL(poll);
TP_REAL_DECL(__poll_chk);
TP_REAL_DECL(ppoll);
TP_REAL_DECL(__ppoll_chk);
TP_REAL_DECL(select);
TP_REAL_DECL(pselect);
TP_REAL_DECL(epoll_wait);
TP_REAL_DECL(epoll_pwait);
TP_REAL_DECL(epoll_pwait2);

TP_HOOK int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    TP_WAIT_SCOPE(TP_ST_POLL, "poll", fds, NULL, nfds);
    return TP_REAL(poll)(fds, nfds, timeout);
}

TP_HOOK int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
    TP_WAIT_SCOPE(TP_ST_POLL, "poll", fds, NULL, nfds);
    return TP_REAL(__poll_chk)(fds, nfds, timeout, fdslen);
}

TP_HOOK int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                  const sigset_t *ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    TP_WAIT_SCOPE(TP_ST_POLL, "ppoll", fds, NULL, nfds);
    return TP_REAL(ppoll)(fds, nfds, timeout, mask);
}

TP_HOOK int __ppoll_chk(struct pollfd *fds, nfds_t nfds,
                        const struct timespec *timeout, const sigset_t *ss,
                        size_t fdslen)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    TP_WAIT_SCOPE(TP_ST_POLL, "ppoll", fds, NULL, nfds);
    return TP_REAL(__ppoll_chk)(fds, nfds, timeout, mask, fdslen);
}

TP_HOOK int select(int nfds, fd_set *restrict rd, fd_set *restrict wr,
                   fd_set *restrict ex, struct timeval *restrict timeout)
{
    TP_WAIT_SCOPE(TP_ST_POLL, "select", NULL, NULL, nfds);
    return TP_REAL(select)(nfds, rd, wr, ex, timeout);
}

TP_HOOK int pselect(int nfds, fd_set *restrict rd, fd_set *restrict wr,
                    fd_set *restrict ex, const struct timespec *restrict timeout,
                    const sigset_t *restrict ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    TP_WAIT_SCOPE(TP_ST_POLL, "pselect", NULL, NULL, nfds);
    return TP_REAL(pselect)(nfds, rd, wr, ex, timeout, mask);
}

TP_HOOK int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
    TP_WAIT_SCOPE(TP_ST_EPOLL, "epoll_wait", NULL, NULL, epfd);
    return TP_REAL(epoll_wait)(epfd, ev, max, timeout);
}

TP_HOOK int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
                        const sigset_t *ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    TP_WAIT_SCOPE(TP_ST_EPOLL, "epoll_pwait", NULL, NULL, epfd);
    return TP_REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
}

TP_HOOK int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
                         const struct timespec *timeout, const sigset_t *ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    TP_WAIT_SCOPE(TP_ST_EPOLL, "epoll_pwait2", NULL, NULL, epfd);
    return TP_REAL(epoll_pwait2)(epfd, ev, max, timeout, mask);
}
