/*
 * mutex_reinit: one mutex contended exactly 3 times, then destroyed and
 * initialised again, then contended exactly 5 times (tests/check_profiles.c):
 * the summary must list two locks at its address, the first destroyed.
 * Usage: mutex_reinit [destroy | init]; init: initialised again with no
 * destroy before.  Prints "done" and exits 0.
 *
 * Each contention is certain: main holds the mutex until glibc's lock word
 * says a waiter sleeps on it (2), and only then releases it.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static sem_t go, done;
static volatile int stop;

static __attribute__((noinline)) void contend(void)
{
    pthread_mutex_lock(&m); /* LINE:contend */
    pthread_mutex_unlock(&m);
}

static void *waiter(void *arg)
{
    (void)arg;
    for (;;) {
        sem_wait(&go);
        if (stop)
            return NULL;
        contend();
        sem_post(&done);
    }
}

/* One contention: the waiter blocks on m while main holds it. */
static void one_round(void)
{
    pthread_mutex_lock(&m);
    sem_post(&go);
    while (__atomic_load_n(&m.__data.__lock, __ATOMIC_RELAXED) != 2)
        usleep(200);
    usleep(1000);
    pthread_mutex_unlock(&m);
    sem_wait(&done);
}

int main(int argc, char **argv)
{
    alarm(60);
    const char *mode = argc > 1 ? argv[1] : "destroy";
    sem_init(&go, 0, 0);
    sem_init(&done, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    for (int i = 0; i < 3; i++)
        one_round();
    if (strcmp(mode, "init") != 0)
        pthread_mutex_destroy(&m);
    pthread_mutex_init(&m, NULL);
    for (int i = 0; i < 5; i++)
        one_round();
    stop = 1;
    sem_post(&go);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
