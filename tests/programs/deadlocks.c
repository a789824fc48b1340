/*
 * deadlocks: two deadlocks whose holders glibc's lock words do not name,
 * among idle threads (tests/check_locks.c, the periodic deadlock check).
 *
 *   - "reader" reads rwlock rw, then waits for mutex m; "writer" holds m,
 *     then wants rw for writing (it waits for the reader, known only from
 *     the reader's list of locks held);
 *   - "joiner" holds mutex m2, then joins "m2-waiter", which waits for m2.
 *
 * 20 "idle" threads wait on a condition variable meanwhile.  Prints
 * "ready" once both pairs hold their first lock and pause until killed.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define IDLE 20

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t idle_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle_c = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t rw_pair, join_pair, all;

static void *reader(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "reader");
    pthread_rwlock_rdlock(&rw);
    pthread_barrier_wait(&rw_pair);
    pthread_barrier_wait(&all);
    pthread_mutex_lock(&m);   /* held by writer */
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "writer");
    pthread_mutex_lock(&m);
    pthread_barrier_wait(&rw_pair);
    pthread_barrier_wait(&all);
    pthread_rwlock_wrlock(&rw);   /* read by reader */
    return NULL;
}

static void *m2_waiter(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "m2-waiter");
    pthread_barrier_wait(&join_pair);
    pthread_mutex_lock(&m2);   /* held by joiner */
    return NULL;
}

static void *joiner(void *arg)
{
    pthread_setname_np(pthread_self(), "joiner");
    pthread_mutex_lock(&m2);
    pthread_barrier_wait(&join_pair);
    pthread_barrier_wait(&all);
    pthread_join(*(pthread_t *)arg, NULL);   /* it waits for m2 */
    return NULL;
}

static void *idle(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&idle_m);
    for (;;)
        pthread_cond_wait(&idle_c, &idle_m);
    return NULL;
}

int main(void)
{
    alarm(60);
    pthread_barrier_init(&rw_pair, NULL, 2);
    pthread_barrier_init(&join_pair, NULL, 2);
    pthread_barrier_init(&all, NULL, 4);   /* reader, writer, joiner, main */
    pthread_t t, waiter;
    for (int i = 0; i < IDLE; i++)
        pthread_create(&t, NULL, idle, NULL);
    pthread_create(&t, NULL, reader, NULL);
    pthread_create(&t, NULL, writer, NULL);
    pthread_create(&waiter, NULL, m2_waiter, NULL);
    pthread_create(&t, NULL, joiner, &waiter);
    pthread_barrier_wait(&all);
    usleep(100000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
