/*
 * proc_exit HOW: leaves the way HOW says while other threads are busy
 * (one takes a mutex in a loop, one waits in a condition wait, one in a
 * read) and with text still in stdout's buffer (stdout is a pipe, so
 * fully buffered): "exit" (exit(5)), "return" (main returns 4),
 * "thread-exit" (a worker calls exit(6) while main waits in
 * pthread_join), "_exit" (_exit(7)), "quick_exit" (an at_quick_exit
 * handler prints, then quick_exit(8)), "abort", "segv" (a null write).
 * The buffered text must appear exactly as often as without the agent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int pfd[2];
static volatile int sink;

static void *locker(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&m);
        sink++;
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_t wm = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&wm);
    for (;;)
        pthread_cond_wait(&c, &wm);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    char b;
    for (;;)
        if (read(pfd[0], &b, 1) <= 0)
            pause();
    return NULL;
}

static void *exiter(void *arg)
{
    (void)arg;
    usleep(50000);
    printf("worker exits\n");
    exit(6);
}

static void on_quick(void)
{
    printf("quick handler\n");
    fflush(stdout);
}

static void on_exit_handler(void)
{
    printf("atexit handler\n");
}

int main(int argc, char **argv)
{
    alarm(30);
    const char *how = argc > 1 ? argv[1] : "exit";
    if (pipe(pfd) != 0)
        return 2;
    atexit(on_exit_handler);
    at_quick_exit(on_quick);
    pthread_t th[3];
    pthread_create(&th[0], NULL, locker, NULL);
    pthread_create(&th[1], NULL, waiter, NULL);
    pthread_create(&th[2], NULL, reader, NULL);
    usleep(100000);
    printf("buffered before %s\n", how);
    if (strcmp(how, "exit") == 0)
        exit(5);
    if (strcmp(how, "return") == 0)
        return 4;
    if (strcmp(how, "thread-exit") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exiter, NULL);
        pthread_join(t, NULL);
        return 1;
    }
    if (strcmp(how, "_exit") == 0)
        _exit(7);
    if (strcmp(how, "quick_exit") == 0)
        quick_exit(8);
    if (strcmp(how, "abort") == 0)
        abort();
    if (strcmp(how, "segv") == 0)
        *(volatile int *)(long)sink = 1;
    return 3;
}
