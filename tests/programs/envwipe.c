/*
 * envwipe [keep] [fork]: a program that rewrites its environment as redis
 * does (its setproctitle overwrites the memory the environment started in,
 * which is what /proc/<pid>/environ shows, and moves the variables
 * elsewhere): every environment string is overwritten with NULs in place
 * and the environment emptied.  With "keep" the environment stays.  With
 * "fork" it then forks a child that starts a thread, prints
 * "child <pid>" and waits as the parent does.  Prints "ready" and waits
 * for SIGTERM, then returns from main (a normal exit, at-exit handlers
 * run); exits 0.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(100);
    return NULL;
}

static void wait_for_term(void)
{
    struct timespec ts = {0, 20000000};
    while (!stop)
        nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    alarm(120); /* never outlive a test that forgot us */
    int keep = 0, do_fork = 0;
    for (int i = 1; i < argc; i++) {
        keep |= strcmp(argv[i], "keep") == 0;
        do_fork |= strcmp(argv[i], "fork") == 0;
    }
    if (!keep) {
        for (char **e = environ; e != NULL && *e != NULL; e++)
            memset(*e, 0, strlen(*e));
        clearenv();
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    if (do_fork) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            pthread_t th;
            pthread_create(&th, NULL, sleeper, NULL);
            printf("child %d\n", (int)getpid());
            fflush(stdout);
            wait_for_term();
            return 0;
        }
    }
    printf("ready\n");
    fflush(stdout);
    wait_for_term();
    return 0;
}
