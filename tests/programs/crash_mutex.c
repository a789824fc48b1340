/*
 * crash_mutex: a thread dies of SIGSEGV while it holds a mutex others wait
 * for.  Thread "parser" locks table_lock, two "waiter" threads then block
 * in pthread_mutex_lock(&table_lock), and after 300 ms (so both are parked
 * in the lock) "parser" calls parse_record(NULL), which reads a field at
 * offset 0x10 of the NULL record: SIGSEGV, SEGV_MAPERR at 0x10.  (The 300
 * ms are counted from the moment both waiters are about to lock, so that a
 * slow start of theirs cannot make them miss the crash.)  The crash
 * dump must put "parser" first, list the mutex it holds, and name it as
 * the holder in each waiter's entry.
 *
 * stderr: "table_lock <address>" and "<role> tid <tid>" lines for the
 * test to check the dump against (stdout stays empty, the same natively
 * and under the agent).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

struct record {
    long id;
    long kind;
    long length;   /* offset 0x10 */
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t locked;
static atomic_int waiting;   /* waiters about to lock table_lock */

/* Not inlined: the crash dump's first frame of "parser" is this function. */
static __attribute__((noinline)) long parse_record(const struct record *r)
{
    /* volatile: the load must happen (and fault) here, not be dropped. */
    return *(const volatile long *)&r->length; /* LINE:fault */
}

static void *parser_main(void *arg)
{
    pthread_setname_np(pthread_self(), "parser");
    fprintf(stderr, "parser tid %d\n", (int)gettid());
    pthread_mutex_lock(&table_lock);
    pthread_barrier_wait(&locked);
    /* Let both waiters reach pthread_mutex_lock and park there. */
    while (atomic_load(&waiting) < 2)
        usleep(1000);
    usleep(300000);
    long n = parse_record(arg);
    pthread_mutex_unlock(&table_lock);
    printf("length %ld\n", n);   /* never reached */
    return NULL;
}

static void *waiter_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "waiter");
    fprintf(stderr, "waiter tid %d\n", (int)gettid());
    atomic_fetch_add(&waiting, 1);
    pthread_mutex_lock(&table_lock);
    pthread_mutex_unlock(&table_lock);
    return NULL;
}

int main(void)
{
    pthread_t parser, waiters[2];
    fprintf(stderr, "table_lock %p\n", (void *)&table_lock);
    pthread_barrier_init(&locked, NULL, 2);
    pthread_create(&parser, NULL, parser_main, NULL);
    /* The waiters start only once "parser" holds the lock. */
    pthread_barrier_wait(&locked);
    for (int i = 0; i < 2; i++)
        pthread_create(&waiters[i], NULL, waiter_main, NULL);
    pthread_join(parser, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(waiters[i], NULL);
    return 0;
}
