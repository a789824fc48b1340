/*
 * crash_abort: thread "aborter" calls abort() from give_up() while main
 * joins it: SIGABRT raised by the program itself, in a thread other than
 * main.  stderr: "aborter tid <tid>" for the test.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Not inlined: the test expects it among the aborting thread's frames. */
static __attribute__((noinline)) void give_up(void)
{
    fprintf(stderr, "aborter tid %d\n", (int)gettid());
    abort();
}

static void *aborter_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "aborter");
    give_up();
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, aborter_main, NULL);
    pthread_join(t, NULL);
    return 0;
}
