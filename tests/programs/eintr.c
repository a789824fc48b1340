/*
 * eintr SECONDS [STOPFILE]: threads blocked in calls that return EINTR
 * when a signal handler interrupts them even under SA_RESTART (poll,
 * epoll_wait, nanosleep, sem_timedwait, select) and in a blocking read on
 * a pipe and a blocking sem_wait (which would be restarted, but must not
 * even see a handler run), looping for SECONDS or, with STOPFILE, until
 * that file exists; prints "ready", then at the end "eintr N" with the
 * number of EINTR results seen.  Under the agent, dumps triggered
 * meanwhile must not cause any.
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
static int pfd[2], rfd[2];
static sem_t blocking_sem;

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

/* Blocks in read until main writes a byte at the end. */
static void *pipe_reader(void *arg)
{
    (void)arg;
    char c;
    ssize_t r;
    while ((r = read(rfd[0], &c, 1)) < 0)
        count((int)r);
    return NULL;
}

static void *blocking_sem_waiter(void *arg)
{
    (void)arg;
    int r;
    while ((r = sem_wait(&blocking_sem)) != 0)
        count(r);
    return NULL;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 3;
    const char *stopfile = argc > 2 ? argv[2] : NULL;
    if (pipe(pfd) != 0 || pipe(rfd) != 0)
        return 2;
    sem_init(&blocking_sem, 0, 0);
    void *(*fns[])(void *) = {poller, epoller, sleeper, sem_waiter, selecter,
                              pipe_reader, blocking_sem_waiter};
    pthread_t th[7];
    for (int i = 0; i < 7; i++)
        pthread_create(&th[i], NULL, fns[i], NULL);
    printf("ready\n");
    fflush(stdout);
    /* The main thread waits in pause-like sleeps too. */
    for (int i = 0; stopfile ? access(stopfile, F_OK) != 0 : i < seconds * 5; i++) {
        struct timespec ts = {0, stopfile ? 20000000 : 200000000};
        while (nanosleep(&ts, &ts) != 0)
            count(-1);
    }
    stop = 1;
    if (write(rfd[1], "x", 1) != 1)
        return 2;
    sem_post(&blocking_sem);
    for (int i = 0; i < 7; i++)
        pthread_join(th[i], NULL);
    printf("eintr %d\n", eintr_count);
    return 0;
}
