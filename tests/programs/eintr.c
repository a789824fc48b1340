/*
 * eintr SECONDS: threads blocked in calls that return EINTR when a signal
 * handler interrupts them even under SA_RESTART (poll, epoll_wait,
 * nanosleep, sem_timedwait, select, read on a pipe with a timeout via
 * poll), looping for SECONDS; prints "ready", then at the end "eintr N"
 * with the number of EINTR results seen.  Under the agent, dumps
 * triggered meanwhile must not cause any.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;
static int eintr_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int pfd[2];

static void count(int r)
{
    if (r < 0 && errno == EINTR) {
        pthread_mutex_lock(&lock);
        eintr_count++;
        pthread_mutex_unlock(&lock);
    }
}

static void *poller(void *arg)
{
    (void)arg;
    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    while (!stop)
        count(poll(&p, 1, 200));
    return NULL;
}

static void *epoller(void *arg)
{
    (void)arg;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev);
    while (!stop)
        count(epoll_wait(ep, &out, 1, 200));
    close(ep);
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 200000000};
    while (!stop)
        count(nanosleep(&ts, NULL));
    return NULL;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    sem_t s;
    sem_init(&s, 0, 0);
    while (!stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        count(sem_timedwait(&s, &ts));
    }
    return NULL;
}

static void *selecter(void *arg)
{
    (void)arg;
    while (!stop) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(pfd[0], &rd);
        struct timeval tv = {0, 200000};
        count(select(pfd[0] + 1, &rd, NULL, NULL, &tv));
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 3;
    if (pipe(pfd) != 0)
        return 2;
    void *(*fns[])(void *) = {poller, epoller, sleeper, sem_waiter, selecter};
    pthread_t th[5];
    for (int i = 0; i < 5; i++)
        pthread_create(&th[i], NULL, fns[i], NULL);
    printf("ready\n");
    fflush(stdout);
    /* The main thread waits in pause-like sleeps too. */
    for (int i = 0; i < seconds * 5; i++) {
        struct timespec ts = {0, 200000000};
        while (nanosleep(&ts, &ts) != 0)
            count(-1);
    }
    stop = 1;
    for (int i = 0; i < 5; i++)
        pthread_join(th[i], NULL);
    printf("eintr %d\n", eintr_count);
    return 0;
}
