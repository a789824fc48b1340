/*
 * cancel ROUNDS: threads blocked in intercepted calls (read on a pipe,
 * condition wait, nanosleep) are cancelled with pthread_cancel and joined,
 * ROUNDS times, while the agent dumps.  Cancellation unwinds through the
 * agent's wrappers; prints "cancelled N" and exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int pfd[2];
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;

static void unlock(void *arg)
{
    pthread_mutex_unlock(arg);
}

static void *in_read(void *arg)
{
    (void)arg;
    char b;
    for (;;)
        if (read(pfd[0], &b, 1) < 0)
            break;
    return NULL;
}

static void *in_cond(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_cleanup_push(unlock, &m);
    for (;;)
        pthread_cond_wait(&c, &m);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *in_sleep(void *arg)
{
    (void)arg;
    for (;;) {
        struct timespec ts = {10, 0};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    if (pipe(pfd) != 0)
        return 2;
    void *(*fns[])(void *) = {in_read, in_cond, in_sleep};
    int cancelled = 0;
    for (int i = 0; i < rounds; i++) {
        pthread_t th[3];
        for (int k = 0; k < 3; k++)
            if (pthread_create(&th[k], NULL, fns[k], NULL) != 0)
                return 3;
        usleep(2000);
        for (int k = 0; k < 3; k++) {
            void *ret;
            pthread_cancel(th[k]);
            if (pthread_join(th[k], &ret) != 0 || ret != PTHREAD_CANCELED)
                return 4;
            cancelled++;
        }
    }
    printf("cancelled %d\n", cancelled);
    return 0;
}
