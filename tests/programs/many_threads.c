/*
 * many_threads N: N threads (small stacks) parked in the same condition
 * wait, created from one place; prints "ready" when all wait.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int waiting;

static __attribute__((noinline)) void park_here(void)
{
    pthread_mutex_lock(&m);
    waiting++;
    for (;;)
        pthread_cond_wait(&c, &m);
}

static void *worker(void *arg)
{
    (void)arg;
    park_here();
    return NULL;
}

int main(int argc, char **argv)
{
    alarm(120); /* never outlive a test that forgot us */
    int n = argc > 1 ? atoi(argv[1]) : 500;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (int i = 0; i < n; i++) {
        pthread_t th;
        if (pthread_create(&th, &attr, worker, NULL) != 0) {
            perror("pthread_create");
            return 2;
        }
    }
    for (;;) {
        pthread_mutex_lock(&m);
        int w = waiting;
        pthread_mutex_unlock(&m);
        if (w == n)
            break;
        usleep(10000);
    }
    usleep(50000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
