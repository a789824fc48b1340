/*
 * churn SECONDS: threads that enter and leave intercepted calls as fast as
 * they can (contended mutex, reads of /dev/zero, a condvar ping-pong,
 * short-lived threads created and joined) so that dumps taken meanwhile
 * race with every step of the park protocol.  Prints "done" and exits 0.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pc = PTHREAD_COND_INITIALIZER;
static int turn;
static unsigned long counter;

static void *locker(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&m);
        counter++;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    int fd = open("/dev/zero", O_RDONLY);
    char buf[64];
    while (!stop)
        if (read(fd, buf, sizeof buf) != sizeof buf)
            exit(3);
    close(fd);
    return NULL;
}

static void *ping(void *arg)
{
    int me = (int)(long)arg;
    pthread_mutex_lock(&pm);
    while (!stop) {
        while (turn != me && !stop)
            pthread_cond_wait(&pc, &pm);
        turn = !me;
        pthread_cond_broadcast(&pc);
    }
    pthread_cond_broadcast(&pc);
    pthread_mutex_unlock(&pm);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

static void *spawner(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) != 0)
            exit(4);
        pthread_join(t, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 3;
    void *(*fns[])(void *) = {locker, locker, reader, reader, ping, ping, spawner, spawner};
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        if (pthread_create(&th[i], NULL, fns[i], (void *)(long)(i & 1)) != 0)
            return 2;
    printf("ready\n");
    fflush(stdout);
    sleep((unsigned)seconds);
    stop = 1;
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    printf("done\n");
    return 0;
}
