/*
 * crash_overflow: thread "recurser" recurses without bound in descend(),
 * 1 KiB of locals a level, until its stack runs into the guard page:
 * SIGSEGV on a thread whose stack is exhausted, so a crash handler that
 * does not run on an alternate stack cannot run at all.  stderr:
 * "recurser tid <tid>" for the test.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

/* Never reached (depth only grows); volatile so that the compiler cannot
 * see the recursion is unbounded (-Winfinite-recursion) or drop the end. */
static volatile int depth_limit = -1;

/* Not inlined and not a tail call: the array is used after the call, so
 * each level keeps its frame.  The test expects descend first. */
static __attribute__((noinline)) int descend(int depth)
{
    volatile char pad[1024];
    pad[0] = (char)depth;
    if (depth == depth_limit)
        return pad[0];
    int below = descend(depth + 1);
    return below + pad[0] + pad[sizeof pad - 1];
}

static void *recurser_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "recurser");
    fprintf(stderr, "recurser tid %d\n", (int)gettid());
    printf("%d\n", descend(0));   /* never reached */
    return NULL;
}

int main(void)
{
    pthread_t t;
    pthread_create(&t, NULL, recurser_main, NULL);
    pthread_join(t, NULL);
    return 0;
}
