/*
 * crash_two: two "crasher" threads meet at a barrier and both dereference
 * NULL at once: two SIGSEGVs at the same instant, which must give one
 * crash dump (naming one of them) and one death.  Past the barrier each
 * spins until the other is past it too, so that neither is still waking
 * up from the barrier when the other faults.  stderr: "crasher tid
 * <tid>" for each.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static pthread_barrier_t together;
static atomic_int past;   /* crashers through the barrier */
static int *volatile nowhere;   /* NULL, unknown to the compiler */

/* Not inlined: both threads fault here. */
static __attribute__((noinline)) int crash_now(void)
{
    return *nowhere;
}

static void *crasher_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "crasher");
    fprintf(stderr, "crasher tid %d\n", (int)gettid());
    pthread_barrier_wait(&together);
    atomic_fetch_add(&past, 1);
    while (atomic_load(&past) < 2)
        ;
    printf("%d\n", crash_now());   /* never reached */
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    pthread_barrier_init(&together, NULL, 2);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, crasher_main, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return 0;
}
