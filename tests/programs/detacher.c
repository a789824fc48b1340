/*
 * detacher: creates 64 threads and detaches each one at once, usually
 * before the new thread has run at all (the order a detach must survive),
 * waits until every routine has finished and 100 ms more for the threads
 * to exit, prints "done" and returns 0.  Its exit dump must count no
 * thread as exited but not joined.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define THREADS 64

static _Atomic int finished;

static void *quick(void *arg)
{
    (void)arg;
    finished++;
    return NULL;
}

int main(void)
{
    int made = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, quick, NULL) == 0) {
            pthread_detach(t);
            made++;
        }
    }
    for (int i = 0; i < 10000 && finished < made; i++)
        usleep(1000);
    usleep(100000);
    printf("done %d of %d\n", (int)finished, made);
    return 0;
}
