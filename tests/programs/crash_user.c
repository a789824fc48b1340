/*
 * crash_user: a program that is sent SIGSEGV from outside (kill(), si_code
 * SI_USER): not a fault, but as fatal, and it must die of SIGSEGV (with a
 * core) as it does natively.  Thread "sleeper" sleeps forever; main prints
 * "ready" once the sleeper is named and past a barrier with it (so that
 * whichever of the two the kernel gives the signal to is a thread in
 * place), then joins it.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_barrier_t started;

static void *sleeper_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "sleeper");
    pthread_barrier_wait(&started);
    for (;;)
        sleep(1000);
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_barrier_init(&started, NULL, 2);
    pthread_create(&t, NULL, sleeper_main, NULL);
    pthread_barrier_wait(&started);
    printf("ready\n");
    fflush(stdout);
    pthread_join(t, NULL);
    return 0;
}
