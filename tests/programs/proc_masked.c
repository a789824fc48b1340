/*
 * proc_masked: blocks SIGUSR2 with sigprocmask before it creates any
 * thread, so every thread of the program has it blocked; three threads
 * wait (condition wait, read on a pipe, sleep).  Prints "ready" once they
 * run, waits 1.5 s, then prints whether SIGUSR2 is
 * pending for the process and blocked in every thread (as each thread
 * sees its own mask), and exits 0.  Without the agent a SIGUSR2 sent
 * meanwhile stays pending; with it, the agent's dump thread takes it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int pfd[2], blocked_count, go;

static void note_mask(void)
{
    sigset_t cur;
    pthread_sigmask(SIG_SETMASK, NULL, &cur);
    pthread_mutex_lock(&m);
    blocked_count += sigismember(&cur, SIGUSR2);
    pthread_mutex_unlock(&m);
}

static void *cond_waiter(void *arg)
{
    (void)arg;
    note_mask();
    pthread_mutex_lock(&m);
    while (!go)
        pthread_cond_wait(&c, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    note_mask();
    char b;
    return read(pfd[0], &b, 1) == 1 ? NULL : (void *)1;
}

static void *sleeper(void *arg)
{
    (void)arg;
    note_mask();
    usleep(1600000);
    return NULL;
}

int main(void)
{
    alarm(30);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    if (pipe(pfd) != 0)
        return 2;
    pthread_t th[3];
    pthread_create(&th[0], NULL, cond_waiter, NULL);
    pthread_create(&th[1], NULL, reader, NULL);
    pthread_create(&th[2], NULL, sleeper, NULL);
    for (int seen = 0; seen < 3; usleep(1000)) {
        pthread_mutex_lock(&m);
        seen = blocked_count;
        pthread_mutex_unlock(&m);
    }
    usleep(100000);
    printf("ready\n");
    fflush(stdout);
    usleep(1500000);
    note_mask();
    sigset_t pending;
    sigpending(&pending);
    pthread_mutex_lock(&m);
    go = 1;
    pthread_cond_broadcast(&c);
    pthread_mutex_unlock(&m);
    if (write(pfd[1], "x", 1) != 1)
        return 2;
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    printf("blocked in %d of 4 threads, pending %d\n", blocked_count,
           sigismember(&pending, SIGUSR2));
    return 0;
}
