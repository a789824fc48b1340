/*
 * spin: one thread holds a spinlock while it sleeps, another spins for
 * it.  Prints "ready" once the second is spinning.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static pthread_spinlock_t lock;
static volatile int holding;

static void *holder(void *arg)
{
    (void)arg;
    pthread_spin_lock(&lock); /* LINE:spin_hold */
    holding = 1;
    for (;;)
        sleep(100);
    return NULL;
}

static void *spinner(void *arg)
{
    (void)arg;
    pthread_spin_lock(&lock); /* LINE:spin_wait */
    return NULL;
}

int main(void)
{
    alarm(120); /* never outlive a test that forgot us */
    pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE);
    pthread_t a, b;
    pthread_create(&a, NULL, holder, NULL);
    pthread_setname_np(a, "spin-holder");
    while (!holding)
        usleep(1000);
    pthread_create(&b, NULL, spinner, NULL);
    pthread_setname_np(b, "spin-waiter");
    usleep(100000);
    printf("ready\n");
    fflush(stdout);
    pthread_join(b, NULL);
    return 0;
}
