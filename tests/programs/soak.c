/*
 * soak: services that leak, or warm up and level off, for the trend
 * verdicts and thresholds (tests/check_trends.c).
 *
 *   soak leak SECS      a request every 50 ms leaks a parked thread and
 *                       64 KiB (remember_response)
 *   soak plateau SECS   a pool grows to 8 threads, a cache to 4 MiB and
 *                       8 pipes in the first second, then all stays flat
 *   soak unjoined SECS  a thread per request that exits and is never joined
 *   soak fds SECS       a pipe per request, never closed
 *   soak stuck SECS     3 threads wait for a mutex main holds until exit
 *   soak cross KIND     rises above a threshold, falls back, rises again:
 *                       KIND is threads, heap, rss, fds, wait or contention
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static volatile int stop;
static volatile unsigned work;

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A callback that never comes: the thread stays parked. */
__attribute__((noinline)) static void await_callback(void)
{
    pthread_mutex_lock(&park_lock);
    while (!stop)
        pthread_cond_wait(&never, &park_lock);
    pthread_mutex_unlock(&park_lock);
}

static void *parked(void *arg)
{
    (void)arg;
    await_callback();
    return NULL;
}

static void *quick_exit_thread(void *arg)
{
    return arg;
}

struct response {
    struct response *next;
    char body[64 * 1024 - 16];
};
static struct response *responses;

__attribute__((noinline)) static void remember_response(void)
{
    struct response *r = malloc(sizeof *r);
    memset(r, 1, sizeof *r);
    r->next = responses;
    responses = r;
}

static void forget_responses(void)
{
    while (responses != NULL) {
        struct response *r = responses;
        responses = r->next;
        free(r);
    }
}

__attribute__((noinline)) static void handle_request(pthread_t *out)
{
    pthread_t th;
    if (pthread_create(&th, NULL, parked, NULL) == 0 && out == NULL)
        pthread_detach(th);
    if (out != NULL)
        *out = th;
    remember_response();
}

static void leak(double secs)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        handle_request(NULL);
        nap_ms(50);
    }
}

__attribute__((noinline)) static void warm_cache(void)
{
    remember_response();
}

static void plateau(double secs)
{
    double end = now_s() + secs;
    pthread_t pool[8];
    int fds[8][2];
    for (int i = 0; i < 8; i++) {
        pthread_create(&pool[i], NULL, parked, NULL);
        if (pipe(fds[i]) != 0)
            fds[i][0] = fds[i][1] = -1;
        for (int k = 0; k < 8; k++)
            warm_cache();
        nap_ms(120);
    }
    while (now_s() < end)
        nap_ms(50);
}

__attribute__((noinline)) static void spawn_and_forget(void)
{
    pthread_t th;
    pthread_create(&th, NULL, quick_exit_thread, NULL);
}

static void unjoined(double secs)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        spawn_and_forget();
        nap_ms(50);
    }
}

static void fds(double secs)
{
    double end = now_s() + secs;
    while (now_s() < end) {
        int p[2];
        if (pipe(p) != 0)
            break;
        nap_ms(50);
    }
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *lock_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_mutex_unlock(&held);
    return NULL;
}

static void stuck(double secs)
{
    pthread_t th[3];
    pthread_mutex_lock(&held);
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, lock_waiter, NULL);
    nap_ms((long)(secs * 1000));
    /* Exits with them still waiting: the exit dump sees them stuck. */
}

/* --- cross: above, back below, above again ------------------------------- */

static pthread_t crowd[64];
static int ncrowd;

static void wake_all(void)
{
    pthread_mutex_lock(&park_lock);
    stop = 1;
    pthread_cond_broadcast(&never);
    pthread_mutex_unlock(&park_lock);
    for (int i = 0; i < ncrowd; i++)
        pthread_join(crowd[i], NULL);
    ncrowd = 0;
    stop = 0;
}

static pthread_mutex_t hot = PTHREAD_MUTEX_INITIALIZER;
static volatile int hammering;

static void *hammer(void *arg)
{
    (void)arg;
    /* A nap inside the lock: the others queue for it whatever the
     * machine's load (a few thousand contentions a second). */
    while (hammering) {
        pthread_mutex_lock(&hot);
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
        pthread_mutex_unlock(&hot);
    }
    return NULL;
}

/* Holds the value of KIND above its threshold (tests use threads>20,
 * heap>8m, rss>200m, fds>50, wait>1s, contention>1000/s) for about 2 s: the
 * thresholds are checked every second. */
static void rise(const char *kind)
{
    if (strcmp(kind, "threads") == 0) {
        for (; ncrowd < 30; ncrowd++)
            pthread_create(&crowd[ncrowd], NULL, parked, NULL);
        nap_ms(2100);
        wake_all();
    } else if (strcmp(kind, "heap") == 0) {
        for (int i = 0; i < 256; i++)   /* 16 MiB */
            remember_response();
        nap_ms(2100);
        forget_responses();
    } else if (strcmp(kind, "rss") == 0) {
        size_t n = 256u << 20;         /* one mapping, given back by free */
        char *big = malloc(n);
        if (big == NULL)
            return;
        memset(big, 1, n);
        nap_ms(2100);
        work += (unsigned char)big[n / 2];   /* read: the memory is not optimised away */
        free(big);
    } else if (strcmp(kind, "fds") == 0) {
        int p[40][2];
        for (int i = 0; i < 40; i++)
            if (pipe(p[i]) != 0)
                return;
        nap_ms(2100);
        for (int i = 0; i < 40; i++) {
            close(p[i][0]);
            close(p[i][1]);
        }
    } else if (strcmp(kind, "wait") == 0) {
        pthread_t th;
        pthread_mutex_lock(&held);
        pthread_create(&th, NULL, lock_waiter, NULL);
        nap_ms(2600);
        pthread_mutex_unlock(&held);
        pthread_join(th, NULL);
    } else if (strcmp(kind, "contention") == 0) {
        pthread_t th[3];
        hammering = 1;
        for (int i = 0; i < 3; i++)
            pthread_create(&th[i], NULL, hammer, NULL);
        nap_ms(2100);
        hammering = 0;
        for (int i = 0; i < 3; i++)
            pthread_join(th[i], NULL);
    }
}

/* Threshold dumps are at least 3 s apart: the second rise starts 3.6 s
 * after the first. */
static void cross(const char *kind)
{
    nap_ms(1000);
    rise(kind);
    nap_ms(1500);   /* below: the threshold re-arms */
    rise(kind);
    nap_ms(1000);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: soak leak|plateau|unjoined|fds|stuck SECS | cross KIND\n");
        return 2;
    }
    double secs = atof(argv[2]);
    if (strcmp(argv[1], "leak") == 0)
        leak(secs);
    else if (strcmp(argv[1], "plateau") == 0)
        plateau(secs);
    else if (strcmp(argv[1], "unjoined") == 0)
        unjoined(secs);
    else if (strcmp(argv[1], "fds") == 0)
        fds(secs);
    else if (strcmp(argv[1], "stuck") == 0)
        stuck(secs);
    else if (strcmp(argv[1], "cross") == 0)
        cross(argv[2]);
    else
        return 2;
    return 0;
}
