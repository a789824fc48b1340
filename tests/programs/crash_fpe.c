/*
 * crash_fpe: thread "divider" divides by zero in divide(): the CPU traps
 * the idiv, SIGFPE with FPE_INTDIV and si_addr the faulting instruction.
 * stderr: "divider tid <tid>" for the test.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

/* volatile: the divisor is not known at compile time, so the division is
 * done (and traps) at run time in divide. */
static volatile int divisor = 0;

/* Not inlined: the test expects it as the first frame. */
static __attribute__((noinline)) int divide(int a, int b)
{
    return a / b; /* LINE:div */
}

static void *divider_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "divider");
    fprintf(stderr, "divider tid %d\n", (int)gettid());
    printf("%d\n", divide(100, divisor));   /* never reached */
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, divider_main, NULL);
    pthread_join(t, NULL);
    return 0;
}
