/*
 * heldblock: the lock misuse the Go handbook puts first, a lock held
 * across blocking calls (issue 14).  Thread "flusher" runs flush_stats()
 * in a loop: it takes stats_lock, sleeps 20 ms and writes to a pipe while
 * holding it, then sleeps 3 ms without it.  Two threads "reporter" keep
 * taking stats_lock briefly (report_stats), so they wait for it, and
 * often one of them hands it over to the other.  Thread "saver" holds
 * save_lock (taken with trylock) and a write-locked config_rw across
 * polls too.  Thread "ticker" takes tick_lock only briefly and never
 * across a call, and thread "sleeper" waits on a condition variable with
 * tick_lock as its mutex (released while it waits): neither is the
 * misuse.  Prints "ready" once all of them run; runs until killed.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t save_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t config_rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_cond_t tick_cond = PTHREAD_COND_INITIALIZER;
static volatile unsigned long stats, ticks;
static int pipe_fds[2];

static __attribute__((noinline)) void flush_stats(void)
{
    pthread_mutex_lock(&stats_lock);                          /* LINE:lock */
    usleep(20000);                                            /* LINE:sleep */
    unsigned long v = stats;
    ssize_t w = write(pipe_fds[1], &v, sizeof v);             /* LINE:write */
    (void)w;
    pthread_mutex_unlock(&stats_lock);
}

static void *flusher(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "flusher");
    char buf[4096];
    for (;;) {
        flush_stats();
        ssize_t r = read(pipe_fds[0], buf, sizeof buf);   /* keep the pipe empty */
        (void)r;
        /* Outside the lock: long enough for the waiting reporters to get
         * it, so each hands it over to the other, and the release that
         * wakes a waiter is often a reporter's. */
        usleep(3000);
    }
    return NULL;
}

static __attribute__((noinline)) void report_stats(void)
{
    pthread_mutex_lock(&stats_lock);
    stats++;
    pthread_mutex_unlock(&stats_lock);
}

static void *reporter(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "reporter");
    for (;;) {
        report_stats();
        usleep(1000);
    }
    return NULL;
}

/* Thread "saver": save_lock taken with trylock and held across a 5 ms
 * poll, config_rw write-locked across a 2 ms poll (both the misuse), then
 * config_rw read-locked across one (readers exclude nobody but writers:
 * not counted). */
static __attribute__((noinline)) void save_state(void)
{
    if (pthread_mutex_trylock(&save_lock) == 0) {             /* LINE:trylock */
        poll(NULL, 0, 5);                                     /* LINE:poll */
        pthread_mutex_unlock(&save_lock);
    }
    pthread_rwlock_wrlock(&config_rw);                        /* LINE:wrlock */
    poll(NULL, 0, 2);                                         /* LINE:wrpoll */
    pthread_rwlock_unlock(&config_rw);
    pthread_rwlock_rdlock(&config_rw);
    poll(NULL, 0, 2);
    pthread_rwlock_unlock(&config_rw);
}

static void *saver(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "saver");
    for (;;) {
        save_state();
        usleep(10000);
    }
    return NULL;
}

static void *ticker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "ticker");
    for (;;) {
        pthread_mutex_lock(&tick_lock);
        ticks++;
        pthread_cond_signal(&tick_cond);
        pthread_mutex_unlock(&tick_lock);
        usleep(5000);
    }
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "sleeper");
    pthread_mutex_lock(&tick_lock);
    for (;;)
        pthread_cond_wait(&tick_cond, &tick_lock);
    return NULL;
}

int main(void)
{
    alarm(120);   /* never outlive a test that forgot us */
    if (pipe(pipe_fds) != 0)
        return 2;
    pthread_t t;
    pthread_create(&t, NULL, flusher, NULL);
    pthread_create(&t, NULL, reporter, NULL);
    pthread_create(&t, NULL, reporter, NULL);
    pthread_create(&t, NULL, ticker, NULL);
    pthread_create(&t, NULL, sleeper, NULL);
    pthread_create(&t, NULL, saver, NULL);
    usleep(100000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
