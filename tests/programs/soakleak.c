/*
 * soakleak: a server that leaks the way a soak test finds it, for
 * `threadprof diff` (tests/check_report.c).  At start it runs 4 request
 * threads parked in await_callback and keeps 4 responses of 64 KiB
 * (remember_response), then prints "ready".  Each SIGUSR1 handles a burst:
 * 20 more threads parked in await_callback (created in handle_request),
 * 20 more responses kept, one block of 1 MiB kept in grow_cache, and 20
 * contended acquisitions of the stats mutex, each held 5 ms by
 * hold_stats_lock while wait_for_stats waits; then it prints "grown N"
 * (N bursts so far).  Every function named here is noinline so it is a
 * frame of its own in the stacks and profiles.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RESPONSE_SIZE (64 * 1024)

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int parked;
static void *volatile kept[1024]; /* volatile: the blocks stay allocated */
static int nkept;

static pthread_mutex_t stats = PTHREAD_MUTEX_INITIALIZER;
static sem_t stats_taken;
static volatile sig_atomic_t bursts_asked;

static __attribute__((noinline)) void remember_response(void)
{
    void *p = malloc(RESPONSE_SIZE); /* LINE:remember_response */
    memset(p, 1, RESPONSE_SIZE);
    if (nkept < (int)(sizeof kept / sizeof kept[0]))
        kept[nkept++] = p;
}

static __attribute__((noinline)) void grow_cache(void)
{
    void *p = malloc(1024 * 1024); /* LINE:grow_cache */
    memset(p, 2, 1024 * 1024);
    if (nkept < (int)(sizeof kept / sizeof kept[0]))
        kept[nkept++] = p;
}

/* The callback never comes: every request thread stays here. */
static __attribute__((noinline)) void await_callback(void)
{
    pthread_mutex_lock(&m);
    parked++;
    for (;;)
        pthread_cond_wait(&c, &m); /* LINE:await_callback */
}

static void *request_main(void *arg)
{
    (void)arg;
    await_callback();
    return NULL;
}

static __attribute__((noinline)) void handle_request(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t th;
    if (pthread_create(&th, &attr, request_main, NULL) != 0) { /* LINE:handle_request */
        perror("pthread_create");
        exit(2);
    }
    pthread_attr_destroy(&attr);
    remember_response();
}

/* Holds the stats mutex 5 ms per round so that the main thread waits. */
static __attribute__((noinline)) void hold_stats_lock(int rounds)
{
    for (int i = 0; i < rounds; i++) {
        pthread_mutex_lock(&stats);
        sem_post(&stats_taken);
        usleep(5000);
        pthread_mutex_unlock(&stats); /* LINE:hold_stats_lock */
        usleep(1000);
    }
}

static void *holder_main(void *arg)
{
    hold_stats_lock((int)(long)arg);
    return NULL;
}

static __attribute__((noinline)) void wait_for_stats(int rounds)
{
    pthread_t th;
    if (pthread_create(&th, NULL, holder_main, (void *)(long)rounds) != 0) {
        perror("pthread_create");
        exit(2);
    }
    for (int i = 0; i < rounds; i++) {
        sem_wait(&stats_taken);
        pthread_mutex_lock(&stats);
        pthread_mutex_unlock(&stats);
    }
    pthread_join(th, NULL);
}

static void wait_parked(int n)
{
    for (;;) {
        pthread_mutex_lock(&m);
        int p = parked;
        pthread_mutex_unlock(&m);
        if (p == n)
            return;
        usleep(5000);
    }
}

static void on_usr1(int sig)
{
    (void)sig;
    bursts_asked++;
}

int main(void)
{
    alarm(120); /* never outlive a test that forgot us */
    sem_init(&stats_taken, 0, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);

    int threads = 0;
    for (; threads < 4; threads++)
        handle_request();
    wait_parked(threads);
    printf("ready\n");
    fflush(stdout);

    int done = 0;
    for (;;) {
        if (done == bursts_asked) {
            usleep(10000);
            continue;
        }
        for (int i = 0; i < 20; i++, threads++)
            handle_request();
        grow_cache();
        wait_for_stats(20);
        wait_parked(threads);
        done++;
        printf("grown %d\n", done);
        fflush(stdout);
    }
}
