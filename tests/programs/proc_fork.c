/*
 * proc_fork N: a threaded program forks N times while other threads hold
 * mutexes and allocate (malloc/free in loops).  Each child allocates,
 * takes a mutex, prints "child <i>" and ends with exit(0) (even i) or
 * fflush + _exit(0) (odd i).  With LIVE_MS given, child 0 first sleeps
 * that long.  The parent prints "forked N ok M" with M the children that
 * exited with status 0, and exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t child_lock = PTHREAD_MUTEX_INITIALIZER;

static void *allocator(void *arg)
{
    unsigned seed = (unsigned)(long)arg;
    void *keep[64] = {0};
    while (!stop) {
        unsigned i = (unsigned)rand_r(&seed) % 64;
        free(keep[i]);
        keep[i] = malloc(16 + (size_t)rand_r(&seed) % 4096);
        if (keep[i] != NULL)
            memset(keep[i], 1, 16);
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    return NULL;
}

static void *holder(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&held);
        void *p = malloc(100);
        usleep(200);
        free(p);
        pthread_mutex_unlock(&held);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    alarm(120);
    int n = argc > 1 ? atoi(argv[1]) : 200;
    int live_ms = argc > 2 ? atoi(argv[2]) : 0;
    pthread_t th[4];
    pthread_create(&th[0], NULL, allocator, (void *)1L);
    pthread_create(&th[1], NULL, allocator, (void *)2L);
    pthread_create(&th[2], NULL, holder, NULL);
    pthread_create(&th[3], NULL, holder, NULL);
    int ok = 0;
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            char *p = malloc(64);
            pthread_mutex_lock(&child_lock);
            snprintf(p, 64, "child %d", i);
            printf("%s\n", p);
            pthread_mutex_unlock(&child_lock);
            free(p);
            if (i == 0 && live_ms > 0)
                usleep((useconds_t)live_ms * 1000);
            if (i % 2 == 0)
                exit(0);
            fflush(stdout);
            _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            ok++;
    }
    stop = 1;
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("forked %d ok %d\n", n, ok);
    return 0;
}
