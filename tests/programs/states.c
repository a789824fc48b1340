/*
 * states: one thread in each kind of wait the agent knows, for the
 * integration tests.  Prints "ready" on stdout when every thread is in
 * place, then waits (joined on the "sleeper" thread) until killed or
 * until stdin closes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t sem;
static sem_t started;
static int pipe_fds[2], epoll_pipe[2], listen_fd, conn_fd;

static void *holder_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_rwlock_rdlock(&rw);
    sem_post(&started);
    for (;;)
        sleep(1000);
    return NULL;
}

static __attribute__((noinline)) void wait_for_mutex(void)
{
    pthread_mutex_lock(&held); /* LINE:mutex_wait */
}

static void *mutex_waiter_main(void *arg)
{
    (void)arg;
    wait_for_mutex();
    return NULL;
}

static __attribute__((noinline)) void wait_for_job(void)
{
    pthread_mutex_lock(&cond_mutex);
    for (;;)
        pthread_cond_wait(&cond, &cond_mutex); /* LINE:cond_wait */
}

static void *cond_waiter_main(void *arg)
{
    (void)arg;
    wait_for_job();
    return NULL;
}

static void *pipe_reader_main(void *arg)
{
    (void)arg;
    char c;
    ssize_t n = read(pipe_fds[0], &c, 1); /* LINE:read */
    (void)n;
    return NULL;
}

static void *sem_waiter_main(void *arg)
{
    (void)arg;
    sem_wait(&sem);
    return NULL;
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&rw);
    return NULL;
}

static void *epoller_main(void *arg)
{
    (void)arg;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = epoll_pipe[0]};
    epoll_ctl(ep, EPOLL_CTL_ADD, epoll_pipe[0], &ev);
    struct epoll_event out;
    epoll_wait(ep, &out, 1, -1);
    return NULL;
}

static void *recv_main(void *arg)
{
    (void)arg;
    char buf[16];
    ssize_t n = recv(conn_fd, buf, sizeof buf, 0);
    (void)n;
    return NULL;
}

static volatile unsigned long spins;
static void *spinner_main(void *arg)
{
    (void)arg;
    for (;;)
        spins++;
    return NULL;
}

static void *sleeper_main(void *arg)
{
    (void)arg;
    for (;;)
        sleep(1000);
    return NULL;
}

static pthread_t start(const char *name, void *(*fn)(void *))
{
    pthread_t th;
    if (pthread_create(&th, NULL, fn, NULL) != 0) { /* LINE:create */
        perror("pthread_create");
        exit(2);
    }
    pthread_setname_np(th, name);
    return th;
}

static void make_tcp_pair(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(listen_fd, 1) != 0 ||
        getsockname(listen_fd, (struct sockaddr *)&a, &len) != 0) {
        perror("listen");
        exit(2);
    }
    int client = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        exit(2);
    }
    conn_fd = accept(listen_fd, NULL, NULL);
}

int main(void)
{
    alarm(120); /* never outlive a test that forgot us */
    if (pipe(pipe_fds) != 0 || pipe(epoll_pipe) != 0)
        return 2;
    sem_init(&sem, 0, 0);
    sem_init(&started, 0, 0);
    make_tcp_pair();
    start("holder", holder_main);
    sem_wait(&started);
    start("mutex-waiter", mutex_waiter_main);
    start("cond-waiter", cond_waiter_main);
    start("pipe-reader", pipe_reader_main);
    start("sem-waiter", sem_waiter_main);
    start("rw-writer", writer_main);
    start("epoller", epoller_main);
    start("sock-reader", recv_main);
    start("spinner", spinner_main);
    pthread_t sleeper = start("sleeper", sleeper_main);
    usleep(200000);   /* let every thread reach its wait */
    printf("ready\n");
    fflush(stdout);
    pthread_join(sleeper, NULL); /* LINE:join */
    return 0;
}
