/*
 * exiter: starts two named threads (one joinable it never joins, which
 * exits: a thread leak in the making; one parked in a condition wait),
 * prints to stdout and exits with status 3 through exit().  The dump at
 * exit must show them; stdout and the exit status must be the program's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;

static void *parked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    for (;;)
        pthread_cond_wait(&c, &m);
    return NULL;
}

static void *quick(void *arg)
{
    (void)arg;
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, parked, NULL);
    pthread_setname_np(a, "parked");
    pthread_create(&b, NULL, quick, NULL);
    usleep(100000);
    printf("hello from exiter\n");
    exit(3);
}
