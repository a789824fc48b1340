/*
 * lockorder: two mutexes taken in both orders by two threads that never
 * run at the same time, so the program never hangs; the lock-order check
 * must still see the inversion.  Usage: lockorder abba | consistent |
 * reinit | init.  abba: "order-ab" takes a then b and finishes, then
 * "order-ba" takes b then a.  consistent: both take a then b.  reinit: as
 * abba, but a is destroyed and initialised again in between (a new lock).
 * init: the same with no destroy, only the init (legal for memory no lock
 * uses any more).  Exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static int reversed;

static __attribute__((noinline)) void lock_a_then_b(void)
{
    pthread_mutex_lock(&a); /* LINE:ab_first */
    pthread_mutex_lock(&b); /* LINE:ab_second */
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
}

static __attribute__((noinline)) void lock_b_then_a(void)
{
    pthread_mutex_lock(&b); /* LINE:ba_first */
    pthread_mutex_lock(&a); /* LINE:ba_second */
    pthread_mutex_unlock(&a);
    pthread_mutex_unlock(&b);
}

static void *order_ab(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "order-ab");
    lock_a_then_b();
    return NULL;
}

static void *order_ba(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "order-ba");
    if (reversed)
        lock_b_then_a();
    else
        lock_a_then_b();
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "abba";
    reversed = strcmp(mode, "consistent") != 0;
    pthread_t t;
    pthread_create(&t, NULL, order_ab, NULL);
    pthread_join(t, NULL);
    if (strcmp(mode, "reinit") == 0)
        pthread_mutex_destroy(&a);
    if (strcmp(mode, "reinit") == 0 || strcmp(mode, "init") == 0)
        pthread_mutex_init(&a, NULL);
    pthread_create(&t, NULL, order_ba, NULL);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
