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

void tp__held_remove(tp_thread_t *t, const void *lock)
{
    uint32_t n = t->nheld;
    if (n == 0)
        return;
    if (n > TP_HELD_MAX) {
        /* Overflowed: the untracked locks are the most recent ones. */
        uint32_t stored = TP_HELD_MAX;
        for (uint32_t i = stored; i-- > 0;) {
            if (t->held[i].lock == lock) {
                for (uint32_t j = i; j + 1 < stored; j++)
                    t->held[j] = t->held[j + 1];
                break;
            }
        }
        t->nheld = n - 1;
        return;
    }
    for (uint32_t i = n; i-- > 0;) {
        if (t->held[i].lock == lock) {
            for (uint32_t j = i; j + 1 < n; j++)
                t->held[j] = t->held[j + 1];
            t->nheld = n - 1;
            return;
        }
    }
}
