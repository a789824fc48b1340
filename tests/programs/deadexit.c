/*
 * deadexit: two threads take two mutexes in opposite orders and deadlock;
 * once they have, the main thread calls exit(0) ("return": returns 0 from
 * main instead; "clean": no deadlock, exits 0 at once).  Prints "ready"
 * before it exits.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *a_then_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&a);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&b);
    return NULL;
}

static void *b_then_a(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&b);
    pthread_barrier_wait(&both_hold);
    pthread_mutex_lock(&a);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "exit";
    if (strcmp(how, "clean") != 0) {
        pthread_t t1, t2;
        pthread_barrier_init(&both_hold, NULL, 2);
        pthread_create(&t1, NULL, a_then_b, NULL);
        pthread_create(&t2, NULL, b_then_a, NULL);
        usleep(300000);   /* both are in their second lock by now */
    }
    printf("ready\n");
    fflush(stdout);
    if (strcmp(how, "return") == 0)
        return 0;
    exit(0);
}
