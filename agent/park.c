/*
 * park: the returning side of the park protocol (agent.h).
 *
 * A thread leaving a blocking call normally swaps PARKED -> IDLE with one
 * CAS.  If the dump thread is walking its stack at that moment (READING),
 * the thread must not return and overwrite the frames being read: it
 * yields until the dump thread hands the word back (tens of microseconds,
 * once per dump at most), then completes the swap.
 */
#include <sched.h>

#include "agent/internal.h"

void tp__wait_end_slow(tp_thread_t *t)
{
    int saved = errno;
    for (;;) {
        uint32_t expected = TP_PARK_PARKED;
        if (atomic_compare_exchange_weak_explicit(&t->park, &expected,
                                                  TP_PARK_IDLE,
                                                  memory_order_acq_rel,
                                                  memory_order_relaxed))
            break;
        if (expected == TP_PARK_IDLE)
            break;
        sched_yield();
    }
    errno = saved;
}
