/*
 * lazy FILE [single|fork]: a program that stays single-threaded for a while
 * (tests/check_triggers.c, THREADPROF_DUMP_THREAD=lazy).  Prints
 * "single <__libc_single_threaded>" and "ready"; then churns the heap and
 * waits in poll (10 ms at a time, counting EINTR) until FILE exists; prints
 * "phase1 single <v> eintr <n>"; starts a thread parked in a condition
 * wait ("worker") and prints "thread"; sleeps until FILE.2 exists; prints
 * "phase2 single <v> children <waitpid(-1, WNOHANG)> errno <errno>" and
 * exits 0.  With "single" it exits 0 after phase 1 instead, without
 * making a thread.  With "fork" it first forks a child that prints
 * "child <pid>", does phase 1 alike (busy, never waiting long) and ends
 * with _exit(0) once FILE exists; the parent reaps it after phase 1 and
 * prints "child status <n>", then exits 0.  Each wait gives up after 20 s.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/single_threaded.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;

static _Atomic int worker_started;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    worker_started = 1;
    for (;;)
        pthread_cond_wait(&c, &m);
    return NULL;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: lazy FILE\n");
        return 2;
    }
    char second[4096];
    snprintf(second, sizeof second, "%s.2", argv[1]);
    const char *how = argc > 2 ? argv[2] : "";
    pid_t child = -1;
    if (strcmp(how, "fork") == 0) {
        fflush(stdout);
        child = fork();
        if (child == 0) {
            printf("child %d\n", (int)getpid());
            fflush(stdout);
            long end = now_ms() + 20000;
            while (access(argv[1], F_OK) != 0 && now_ms() < end)
                for (int i = 0; i < 1000; i++)
                    free(malloc(64));
            _exit(0);
        }
    }
    printf("single %d\nready\n", (int)__libc_single_threaded);
    fflush(stdout);
    int eintr = 0;
    long end = now_ms() + 20000;
    while (access(argv[1], F_OK) != 0 && now_ms() < end) {
        void *p[64];
        for (int i = 0; i < 64; i++)
            p[i] = malloc(16 + (size_t)i * 24);
        for (int i = 0; i < 64; i++)
            free(p[i]);
        if (poll(NULL, 0, 10) < 0 && errno == EINTR)
            eintr++;
    }
    printf("phase1 single %d eintr %d\n", (int)__libc_single_threaded, eintr);
    if (child > 0) {
        int status = -1;
        waitpid(child, &status, 0);
        printf("child status %d\n", status);
        return 0;
    }
    if (strcmp(how, "single") == 0)
        return 0;
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_setname_np(t, "worker");
    /* "thread" only once the worker is in its cond wait: it has taken m,
     * and m is free again only when pthread_cond_wait released it. */
    while (!worker_started)
        usleep(1000);
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    printf("thread\n");
    fflush(stdout);
    end = now_ms() + 20000;
    while (access(second, F_OK) != 0 && now_ms() < end)
        usleep(10000);
    errno = 0;
    int r = waitpid(-1, NULL, WNOHANG);
    printf("phase2 single %d children %d errno %d\n", (int)__libc_single_threaded, r, errno);
    return 0;
}
