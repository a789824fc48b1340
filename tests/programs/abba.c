/*
 * abba: two threads take two mutexes in opposite orders and really
 * deadlock; a third holds an rwlock for reading while a fourth waits to
 * write it; the main thread joins the first.  Prints "ready" once the
 * deadlock has formed.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t both_hold;

static __attribute__((noinline)) void take(pthread_mutex_t *m)
{
    pthread_mutex_lock(m); /* LINE:take */
}

static void *transfer_ab(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a); /* LINE:ab_first */
    pthread_barrier_wait(&both_hold);
    take(&b);
    return NULL;
}

static void *transfer_ba(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&b); /* LINE:ba_first */
    pthread_barrier_wait(&both_hold);
    take(&a);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&rw); /* LINE:rdlock */
    for (;;)
        sleep(100);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&rw);
    return NULL;
}

int main(void)
{
    alarm(120); /* never outlive a test that forgot us */
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_t t1, t2, t3, t4;
    pthread_create(&t1, NULL, transfer_ab, NULL);
    pthread_setname_np(t1, "transfer-ab");
    pthread_create(&t2, NULL, transfer_ba, NULL);
    pthread_setname_np(t2, "transfer-ba");
    pthread_create(&t3, NULL, reader, NULL);
    pthread_setname_np(t3, "reader");
    usleep(50000);
    pthread_create(&t4, NULL, writer, NULL);
    pthread_setname_np(t4, "writer");
    usleep(200000);
    printf("ready\n");
    fflush(stdout);
    pthread_join(t1, NULL);
    return 0;
}
