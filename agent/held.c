/*
 * held: the slow path of the per-thread list of locks held (held.h).
 *
 * Locks are usually released in the reverse order of taking them, which
 * the inline pop handles; anything else (hand-over-hand locking, a lock
 * taken before the list overflowed, a lock this thread never took
 * through us) lands here.  The list stays consistent whatever the host
 * does: an unknown lock is ignored, an overflowed list only counts.
 */
#include "agent/internal.h"

volatile uint32_t tp_tick;

/* The entry h leaves the list: its timed hold ends, and its contended
 * mark is returned. */
static uint32_t mark_of(tp_thread_t *t, const tp_held_t *h)
{
    uint64_t wk = __atomic_load_n(&h->when_kind, __ATOMIC_RELAXED);
    if (wk & TP_HELD_TIMED)
        return tp__held_marked(t, h, wk);
    return (uint32_t)wk & TP_HELD_CONTENDED;
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
                mark = mark_of(t, &t->held[i]);
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
            uint32_t mark = mark_of(t, &t->held[i]);
            for (uint32_t j = i; j + 1 < n; j++)
                t->held[j] = t->held[j + 1];
            t->nheld = n - 1;
            return mark;
        }
    }
    return 0;
}
