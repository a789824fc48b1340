/*
 * own_handler [sigaction|signal|tkill]: installs its own handler for
 * SIGUSR2 (with sigaction, or with signal()), checks that sigaction reports
 * it back, prints "ready", and once the handler ran prints "handled N" and
 * exits 0.  With "tkill" it first sends itself SIGUSR2 three times with
 * pthread_kill, as the JVM does to suspend threads, and lingers a second
 * after the external signal before exiting.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr2(int sig)
{
    (void)sig;
    handled++;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "signal") == 0) {
        if (signal(SIGUSR2, on_usr2) == SIG_ERR)
            return 2;
    } else {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr2;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        if (sigaction(SIGUSR2, &sa, NULL) != 0)
            return 2;
    }
    struct sigaction now;
    if (sigaction(SIGUSR2, NULL, &now) != 0 || now.sa_handler != on_usr2) {
        printf("sigaction reports another handler\n");
        return 4;
    }
    int tkill = argc > 1 && strcmp(argv[1], "tkill") == 0;
    if (tkill) {
        for (int i = 0; i < 3; i++)
            pthread_kill(pthread_self(), SIGUSR2);
        printf("self-sent %d\n", (int)handled);
    }
    int before = handled;
    printf("ready\n");
    fflush(stdout);
    while (handled == before)
        usleep(10000);
    printf("handled %d\n", (int)handled);
    fflush(stdout);
    if (tkill)
        sleep(1);
    return 0;
}
