/*
 * held: the slow path of the per-thread list of locks held (agent.h).
 *
 * Locks are usually released in the reverse order of taking them, which
 * the inline pop handles; anything else (hand-over-hand locking, a lock
 * taken before the list overflowed, a lock this thread never took
 * through us) lands here.  The list stays consistent whatever the host
 * does: an unknown lock is ignored, an overflowed list only counts.
 */
#include "agent/internal.h"

volatile uint32_t tp_tick;

static uint32_t mark_of(const tp_held_t *h)
{
    return (uint32_t)__atomic_load_n(&h->when_kind, __ATOMIC_RELAXED) & TP_HELD_CONTENDED;
}

uint32_t tp__held_remove(tp_thread_t *t, const void *lock)
{
    uint32_t n = t->nheld;
    if (n == 0)
        return 0;
    if (n > TP_HELD_MAX) {
        /* Overflowed: the untracked locks are the most recent ones. */
        uint32_t stored = TP_HELD_MAX, mark = 0;
        for (uint32_t i = stored; i-- > 0;) {
            if (t->held[i].lock == lock) {
                mark = mark_of(&t->held[i]);
                for (uint32_t j = i; j + 1 < stored; j++)
                    t->held[j] = t->held[j + 1];
                break;
            }
        }
        t->nheld = n - 1;
        return mark;
    }
    for (uint32_t i = n; i-- > 0;) {
        if (t->held[i].lock == lock) {
            uint32_t mark = mark_of(&t->held[i]);
            for (uint32_t j = i; j + 1 < n; j++)
                t->held[j] = t->held[j + 1];
            t->nheld = n - 1;
            return mark;
        }
    }
    return 0;
}

/* The oldest entry of the lock is marked: with a recursive mutex it is
 * the outermost acquisition, whose unlock really releases it.  The
 * holder may be popping entries meanwhile; a mark that lands on a stale
 * or reused entry costs one needless look at a mutex word, nothing else. */
void tp__mutex_mark_holder(const pthread_mutex_t *m)
{
    if (tp_config.mutex_fraction == 0)
        return;
    /* glibc keeps the owner's tid here for every mutex type; a robust
     * mutex whose owner died holds a flag value no thread has. */
    pid_t owner = __atomic_load_n(&m->__data.__owner, __ATOMIC_RELAXED);
    tp_thread_t *h = tp_registry_lookup_tid(owner);
    if (h == NULL)
        return;
    uint32_t n = __atomic_load_n(&h->nheld, __ATOMIC_RELAXED);
    if (n > TP_HELD_MAX)
        n = TP_HELD_MAX;
    for (uint32_t i = 0; i < n; i++) {
        if (__atomic_load_n(&h->held[i].lock, __ATOMIC_RELAXED) == (const void *)m) {
            __atomic_fetch_or(&h->held[i].when_kind, TP_HELD_CONTENDED, __ATOMIC_RELAXED);
            return;
        }
    }
}

void tp__held_mark_last(void)
{
    tp_thread_t *t = tp_self;
    if (t == NULL || tp_config.mutex_fraction == 0)
        return;
    uint32_t n = t->nheld;
    if (n - 1 < TP_HELD_MAX)
        __atomic_fetch_or(&t->held[n - 1].when_kind, TP_HELD_CONTENDED, __ATOMIC_RELAXED);
}
