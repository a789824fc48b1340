/*
 * lockorder: two mutexes taken in both orders by two threads that never
 * run at the same time, so the program never hangs; the lock-order check
 * must still see the inversion.  Usage: lockorder abba | consistent |
 * reinit | init.  abba: "order-ab" takes a then b and finishes, then
 * "order-ba" takes b then a.  consistent: both take a then b.  reinit: as
 * abba, but a is destroyed and initialised again in between (a new lock).
 * init: the same with no destroy, only the init (legal for memory no lock
 * uses any more).
 *
 * With rwlocks r1 and r2 instead: rwread: "order-ab" reads r1 then r2,
 * "order-ba" reads r2 then r1 (readers share: no deadlock possible).
 * rwmixed: "order-ab" writes r1 then r2, "order-ba" reads r2 then r1 (a
 * deadlock).  rwupgrade: "order-ab" reads r1 then r2, then writes r1 then
 * r2; "order-ba" reads r2 then r1 (a deadlock through the writing pair).
 * self: one thread, "order-self", takes a then b, later b then a.
 * Exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t r1 = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t r2 = PTHREAD_RWLOCK_INITIALIZER;
static const char *mode;
static int reversed;

static void take(pthread_rwlock_t *l, int write)
{
    if (write)
        pthread_rwlock_wrlock(l); /* LINE:rw_write */
    else
        pthread_rwlock_rdlock(l); /* LINE:rw_read */
}

static __attribute__((noinline)) void rw_1_then_2(int write)
{
    take(&r1, write);
    take(&r2, write);
    pthread_rwlock_unlock(&r2);
    pthread_rwlock_unlock(&r1);
}

static __attribute__((noinline)) void rw_2_then_1(int write)
{
    take(&r2, write);
    take(&r1, write);
    pthread_rwlock_unlock(&r1);
    pthread_rwlock_unlock(&r2);
}

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
    if (strcmp(mode, "rwread") == 0 || strcmp(mode, "rwupgrade") == 0)
        rw_1_then_2(0);
    if (strcmp(mode, "rwmixed") == 0 || strcmp(mode, "rwupgrade") == 0)
        rw_1_then_2(1);
    if (strncmp(mode, "rw", 2) != 0)
        lock_a_then_b();
    return NULL;
}

static void *order_ba(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "order-ba");
    if (strncmp(mode, "rw", 2) == 0)
        rw_2_then_1(0);
    else if (reversed)
        lock_b_then_a();
    else
        lock_a_then_b();
    return NULL;
}

static void *order_self(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "order-self");
    lock_a_then_b();
    lock_b_then_a();
    return NULL;
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "abba";
    reversed = strcmp(mode, "consistent") != 0;
    pthread_t t;
    if (strcmp(mode, "self") == 0) {
        pthread_create(&t, NULL, order_self, NULL);
        pthread_join(t, NULL);
        printf("done\n");
        return 0;
    }
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
