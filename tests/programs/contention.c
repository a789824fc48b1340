/*
 * contention: lock contention of known shapes for the mutex and block
 * profiles (tests/check_profiles.c).
 *
 *   - a hot mutex: 4 threads lock it in hot_acquire() and release it in
 *     hot_release() after a few microseconds of work, many times;
 *   - a cold mutex: 2 threads take it in cold_acquire() / cold_release()
 *     a few times, rarely at once;
 *   - an rwlock: two readers hold it in reader_hold() for 100 ms while a
 *     writer waits in writer_wait();
 *   - a condition variable: cond_waiter() waits ~100 ms for main.
 *
 * It first sleeps 300 ms (so the phases are well apart from start-up),
 * runs the phases, prints "ready" and then sleeps until killed,
 * or exits at once with argument "exit".
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static pthread_mutex_t hot = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cold = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int cond_flag;
static volatile unsigned long work_sink;

static void spin_us(int us)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    do {
        for (int i = 0; i < 50; i++)
            work_sink += (unsigned long)i;
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

NOINLINE void hot_acquire(void)
{
    pthread_mutex_lock(&hot);
    __asm__ volatile("" ::: "memory");
}

NOINLINE void hot_release(void)
{
    pthread_mutex_unlock(&hot);
    __asm__ volatile("" ::: "memory");
}

static void *hot_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3000; i++) {
        hot_acquire();
        spin_us(20);
        hot_release();
    }
    return NULL;
}

NOINLINE void cold_acquire(void)
{
    pthread_mutex_lock(&cold);
    __asm__ volatile("" ::: "memory");
}

NOINLINE void cold_release(void)
{
    pthread_mutex_unlock(&cold);
    __asm__ volatile("" ::: "memory");
}

static void *cold_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20; i++) {
        cold_acquire();
        spin_us(200);
        cold_release();
        sleep_ms(2);
    }
    return NULL;
}

NOINLINE void reader_hold(void)
{
    pthread_rwlock_rdlock(&rw);
    sleep_ms(100);
    pthread_rwlock_unlock(&rw);
}

NOINLINE void writer_wait(void)
{
    pthread_rwlock_wrlock(&rw);
    __asm__ volatile("" ::: "memory");
    pthread_rwlock_unlock(&rw);
}

static void *reader_thread(void *arg)
{
    (void)arg;
    reader_hold();
    return NULL;
}

NOINLINE void cond_waiter(void)
{
    pthread_mutex_lock(&cm);
    while (!cond_flag)
        pthread_cond_wait(&cv, &cm);
    pthread_mutex_unlock(&cm);
}

static void *cond_thread(void *arg)
{
    (void)arg;
    cond_waiter();
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t th[8];
    sleep_ms(300);

    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hot_thread, NULL);
    for (int i = 4; i < 6; i++)
        pthread_create(&th[i], NULL, cold_thread, NULL);
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);

    pthread_create(&th[0], NULL, reader_thread, NULL);
    pthread_create(&th[1], NULL, reader_thread, NULL);
    sleep_ms(20);
    writer_wait();
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);

    pthread_create(&th[0], NULL, cond_thread, NULL);
    sleep_ms(100);
    pthread_mutex_lock(&cm);
    cond_flag = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&cm);
    pthread_join(th[0], NULL);

    printf("ready\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 0;
    for (;;)
        sleep_ms(1000);
}
