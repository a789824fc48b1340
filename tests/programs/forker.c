/*
 * forker [single]: a threaded parent forks; the child starts a named
 * thread that waits on a pipe (with "single": the child creates no thread
 * and waits on the pipe itself) and prints "child <pid>"; the parent
 * prints "ready" and waits for the child.  Dumps of the child are written
 * under its own pid.
 */
#include <string.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int pfd[2];

static void *reader(void *arg)
{
    (void)arg;
    char c;
    ssize_t n = read(pfd[0], &c, 1);
    (void)n;
    return NULL;
}

static void *parent_worker(void *arg)
{
    (void)arg;
    for (;;)
        sleep(100);
    return NULL;
}

int main(int argc, char **argv)
{
    int single = argc > 1 && strcmp(argv[1], "single") == 0;
    pthread_t w;
    pthread_create(&w, NULL, parent_worker, NULL);
    if (pipe(pfd) != 0)
        return 2;
    pid_t pid = fork();
    if (pid == 0 && single) {
        printf("child %d\n", (int)getpid());
        fflush(stdout);
        reader(NULL);
        return 0;
    }
    if (pid == 0) {
        pthread_t th;
        pthread_create(&th, NULL, reader, NULL);
        pthread_setname_np(th, "child-reader");
        usleep(100000);
        printf("child %d\n", (int)getpid());
        fflush(stdout);
        pthread_join(th, NULL);
        return 0;
    }
    printf("ready\n");
    fflush(stdout);
    int status;
    waitpid(pid, &status, 0);
    return 0;
}
