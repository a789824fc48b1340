/*
 * idle_thread: a library that starts one thread which never runs, for
 * scripts/bench.  A process with a second thread makes glibc take its
 * multi-threaded paths (arena locks in malloc and free, atomic stdio
 * locks) for good: any agent with a thread of its own pays this, and
 * the benchmark shows how much of the agent's cost it is.
 */
#include <pthread.h>
#include <unistd.h>

static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

__attribute__((constructor)) static void start_idle_thread(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, idle, NULL) == 0)
        pthread_detach(t);
}
