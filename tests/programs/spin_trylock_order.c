/*
 * spin_trylock_order: spinlocks taken out of order only with a trylock,
 * a legal pattern that can never deadlock.  "order-ab" takes spinlock a
 * then b and finishes; then "order-ba" takes b, then tries a, backing off
 * (releasing b and starting over) whenever a is busy.  The lock-order
 * check must see a -> b only: the trylock of a while b is held is no
 * edge, so there is no inversion.  Exits 0 after printing "done".
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_spinlock_t a, b;

static __attribute__((noinline)) void lock_a_then_b(void)
{
    pthread_spin_lock(&a); /* LINE:ab_first */
    pthread_spin_lock(&b); /* LINE:ab_second */
    pthread_spin_unlock(&b);
    pthread_spin_unlock(&a);
}

static __attribute__((noinline)) void lock_b_then_try_a(void)
{
    for (;;) {
        pthread_spin_lock(&b); /* LINE:ba_first */
        if (pthread_spin_trylock(&a) == 0) /* LINE:ba_try */
            break;
        pthread_spin_unlock(&b);   /* a is busy: back off */
        sched_yield();
    }
    pthread_spin_unlock(&a);
    pthread_spin_unlock(&b);
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
    lock_b_then_try_a();
    return NULL;
}

int main(void)
{
    pthread_spin_init(&a, PTHREAD_PROCESS_PRIVATE);
    pthread_spin_init(&b, PTHREAD_PROCESS_PRIVATE);
    pthread_t t;
    pthread_create(&t, NULL, order_ab, NULL);
    pthread_join(t, NULL);
    pthread_create(&t, NULL, order_ba, NULL);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
