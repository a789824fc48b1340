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
    tp_thread_t *w = tp_wait_begin(TP_ST_POLL, "poll", fds, NULL, nfds);
    int r = TP_REAL(poll)(fds, nfds, timeout);
    tp_wait_end(w);
    return r;
}

TP_HOOK int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
    tp_thread_t *w = tp_wait_begin(TP_ST_POLL, "poll", fds, NULL, nfds);
    int r = TP_REAL(__poll_chk)(fds, nfds, timeout, fdslen);
    tp_wait_end(w);
    return r;
}

TP_HOOK int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                  const sigset_t *ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    tp_thread_t *w = tp_wait_begin(TP_ST_POLL, "ppoll", fds, NULL, nfds);
    int r = TP_REAL(ppoll)(fds, nfds, timeout, mask);
    tp_wait_end(w);
    return r;
}

TP_HOOK int __ppoll_chk(struct pollfd *fds, nfds_t nfds,
                        const struct timespec *timeout, const sigset_t *ss,
                        size_t fdslen)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    tp_thread_t *w = tp_wait_begin(TP_ST_POLL, "ppoll", fds, NULL, nfds);
    int r = TP_REAL(__ppoll_chk)(fds, nfds, timeout, mask, fdslen);
    tp_wait_end(w);
    return r;
}

TP_HOOK int select(int nfds, fd_set *restrict rd, fd_set *restrict wr,
                   fd_set *restrict ex, struct timeval *restrict timeout)
{
    tp_thread_t *w = tp_wait_begin(TP_ST_POLL, "select", NULL, NULL, nfds);
    int r = TP_REAL(select)(nfds, rd, wr, ex, timeout);
    tp_wait_end(w);
    return r;
}

TP_HOOK int pselect(int nfds, fd_set *restrict rd, fd_set *restrict wr,
                    fd_set *restrict ex, const struct timespec *restrict timeout,
                    const sigset_t *restrict ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    tp_thread_t *w = tp_wait_begin(TP_ST_POLL, "pselect", NULL, NULL, nfds);
    int r = TP_REAL(pselect)(nfds, rd, wr, ex, timeout, mask);
    tp_wait_end(w);
    return r;
}

TP_HOOK int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
    tp_thread_t *w = tp_wait_begin(TP_ST_EPOLL, "epoll_wait", NULL, NULL, epfd);
    int r = TP_REAL(epoll_wait)(epfd, ev, max, timeout);
    tp_wait_end(w);
    return r;
}

TP_HOOK int epoll_pwait(int epfd, struct epoll_event *ev, int max, int timeout,
                        const sigset_t *ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    tp_thread_t *w = tp_wait_begin(TP_ST_EPOLL, "epoll_pwait", NULL, NULL, epfd);
    int r = TP_REAL(epoll_pwait)(epfd, ev, max, timeout, mask);
    tp_wait_end(w);
    return r;
}

TP_HOOK int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
                         const struct timespec *timeout, const sigset_t *ss)
{
    sigset_t buf;
    const sigset_t *mask = tp_trigger_wait_mask(ss, &buf);
    tp_thread_t *w = tp_wait_begin(TP_ST_EPOLL, "epoll_pwait2", NULL, NULL, epfd);
    int r = TP_REAL(epoll_pwait2)(epfd, ev, max, timeout, mask);
    tp_wait_end(w);
    return r;
}
