/*
 * hostile_probe: the host program of tests/check_hostile.c.
 *
 *   hostile_probe maps            says whether the agent is mapped into it,
 *                                 its uids and AT_SECURE, exits 3
 *   hostile_probe wait <file>     starts two threads (one parked in a
 *                                 condition wait, one taking a contended
 *                                 mutex now and then), prints "ready",
 *                                 exits 0 once <file> exists (20 s at most)
 *   hostile_probe busy <ms>       four threads contend for a mutex and
 *                                 allocate for <ms> milliseconds, prints
 *                                 "done", exits 0
 *   hostile_probe name            a thread parked in a condition wait,
 *                                 named to forge a dump line of its own
 *                                 (a quote, a newline, "thread 1"),
 *                                 prints "done", exits 0
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static volatile int stop;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void *parked(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    for (;;)
        pthread_cond_wait(&c, &m);
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&m);
        void *p = malloc(64 + (size_t)(rand() % 4096));
        usleep(200);
        free(p);
        pthread_mutex_unlock(&m);
        usleep(100);
    }
    return NULL;
}

static int agent_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        found |= strstr(line, "libthreadprof") != NULL;
    if (f != NULL)
        fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "maps";
    if (strcmp(mode, "maps") == 0) {
        printf("agent mapped: %s\n", agent_mapped() ? "yes" : "no");
        printf("uid %d euid %d secure %lu\n", (int)getuid(), (int)geteuid(),
               getauxval(AT_SECURE));
        fflush(stdout);
        exit(3);
    }
    if (strcmp(mode, "wait") == 0 && argc > 2) {
        pthread_t a, b;
        pthread_create(&a, NULL, parked, NULL);
        pthread_setname_np(a, "parked");
        pthread_create(&b, NULL, worker, NULL);
        pthread_setname_np(b, "worker");
        printf("ready\n");
        fflush(stdout);
        long end = now_ms() + 20000;
        while (access(argv[2], F_OK) != 0 && now_ms() < end)
            usleep(10000);
        stop = 1;
        pthread_join(b, NULL);
        printf("done\n");
        return 0;
    }
    if (strcmp(mode, "busy") == 0 && argc > 2) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, worker, NULL);
        usleep((useconds_t)atoi(argv[2]) * 1000u);
        stop = 1;
        for (int i = 0; i < 4; i++)
            pthread_join(t[i], NULL);
        printf("done\n");
        return 0;
    }
    if (strcmp(mode, "name") == 0) {
        pthread_t a;
        pthread_create(&a, NULL, parked, NULL);
        pthread_setname_np(a, "x\"\nthread 1 \"y");   /* 15 bytes, the limit */
        usleep(100000);
        printf("done\n");
        return 0;
    }
    fprintf(stderr, "usage: hostile_probe maps | wait <file> | busy <ms> | name\n");
    return 2;
}
