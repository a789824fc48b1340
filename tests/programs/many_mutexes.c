/*
 * many_mutexes [N]: contention on N (default 10,000) distinct mutexes.
 * For each mutex in turn, the holder thread takes it, lets the waiter
 * know, and keeps it ~50 us after the waiter said it is about to lock it,
 * so the waiter blocks on it: one contended acquisition per mutex, made
 * in a known place.  Ends normally (exit dump) printing "contended N".
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static pthread_mutex_t *mutexes;
static long n;
static sem_t held, about_to_lock, done;

static void spin_us(long us)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static __attribute__((noinline)) void hold_one(long i)
{
    pthread_mutex_lock(&mutexes[i]);
    sem_post(&held);
    sem_wait(&about_to_lock);
    spin_us(50);
    pthread_mutex_unlock(&mutexes[i]);
}

static __attribute__((noinline)) void wait_one(long i)
{
    sem_wait(&held);
    sem_post(&about_to_lock);
    pthread_mutex_lock(&mutexes[i]);
    pthread_mutex_unlock(&mutexes[i]);
}

static void *holder(void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++) {
        hold_one(i);
        sem_wait(&done);
    }
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++) {
        wait_one(i);
        sem_post(&done);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    n = argc > 1 ? atol(argv[1]) : 10000;
    mutexes = calloc((size_t)n, sizeof *mutexes);
    for (long i = 0; i < n; i++)
        pthread_mutex_init(&mutexes[i], NULL);
    sem_init(&held, 0, 0);
    sem_init(&about_to_lock, 0, 0);
    sem_init(&done, 0, 0);
    pthread_t h, w;
    pthread_create(&h, NULL, holder, NULL);
    pthread_create(&w, NULL, waiter, NULL);
    pthread_join(h, NULL);
    pthread_join(w, NULL);
    for (long i = 0; i < n; i++)
        pthread_mutex_destroy(&mutexes[i]);
    free(mutexes);
    printf("contended %ld\n", n);
    return 0;
}
