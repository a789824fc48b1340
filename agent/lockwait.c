/*
 * lockwait: the profiled wait (agent/lockwait.h), out of line.
 *
 * Every blocking lock-like hook waits through TP_WAIT_FOR and tp_waited,
 * which run here the protocol each hook used to run itself: lock-order
 * edges before blocking, the waiter's stack and the wait's timing for the
 * mutex and block profiles (agent/lockprof.c), the marks that tell an
 * unlock that others wait, and the held list afterwards.  Only the
 * parking itself (agent/wait.h) stays inline in the hook, whose frame it
 * describes.  All of it is on slow paths: the uncontended lock never
 * comes here.
 */
#include "agent/internal.h"

/* The lock kind a thread waiting in state takes, TP_LOCK_NONE for the
 * waits that take no lock. */
static uint32_t lock_kind(uint32_t state)
{
    switch (state) {
    case TP_ST_MUTEX:     return TP_LOCK_MUTEX;
    case TP_ST_RWLOCK_RD: return TP_LOCK_READ;
    case TP_ST_RWLOCK_WR: return TP_LOCK_WRITE;
    case TP_ST_SPIN:      return TP_LOCK_SPIN;
    default:              return TP_LOCK_NONE;
    }
}

/* The holder's entry of m is marked (lockwait.h): the oldest entry of the
 * lock, which with a recursive mutex is the outermost acquisition, whose
 * unlock really releases it.  The holder may be popping entries
 * meanwhile; a mark that lands on a stale or reused entry costs one
 * needless look at a mutex word, nothing else. */
static void mark_holder(const pthread_mutex_t *m)
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

/* Marks the last lock this thread took: it waited for it, and others may
 * wait still (glibc assumes as much after a wait, and so do we). */
static void mark_last(void)
{
    tp_thread_t *t = tp_self;
    if (t == NULL || tp_config.mutex_fraction == 0)
        return;
    uint32_t n = t->nheld;
    if (n - 1 < TP_HELD_MAX)
        __atomic_fetch_or(&t->held[n - 1].when_kind, TP_HELD_CONTENDED, __ATOMIC_RELAXED);
}

void tp__wait_for_enter(tp_waitfor_t *w)
{
    int saved = errno;
    uint32_t kind = lock_kind(w->state);
    w->parked = NULL;
    w->lw.t0 = 0;
    w->lw.stack = 0;
    if (kind != TP_LOCK_NONE)
        tp_lock_order_attempt(w->obj, kind, w->site);
    /* While it waits the thread does not hold the cond's mutex: the real
     * call releases it inside glibc, where the unlock hook does not see
     * it, so this call site is the release when others wait for it
     * (mutex profile). */
    if (w->state == TP_ST_COND && tp_held_pop(w->obj2))
        tp__mutex_release_contended(w->obj2, w->site);
    if (w->state != TP_ST_SPIN)
        tp_lockwait_begin(&w->lw, w->site);
    if (w->state == TP_ST_MUTEX)
        mark_holder(w->obj);
    errno = saved;
}

void tp__wait_for_abandon(tp_waitfor_t *w)
{
    int saved = errno;
    tp_wait_end(w->parked);
    w->parked = NULL;
    errno = saved;
}

int tp_waited(tp_waitfor_t *w, int r)
{
    int saved = errno;
    tp_wait_end(w->parked);
    w->parked = NULL;
    uint32_t kind = lock_kind(w->state);
    int acquired = kind != TP_LOCK_NONE && tp_lock_result_held(kind, r);
    /* A mutex taken: the mutex profile blames its last contended release;
     * anything else (a timed lock that gave up included) is a plain wait
     * of the block profile. */
    tp_lockwait_end(&w->lw, acquired && kind == TP_LOCK_MUTEX ? TP_LW_MUTEX : TP_LW_OTHER,
                    w->obj);
    if (acquired) {
        tp_held_push(w->obj, kind, w->site);
        if (kind == TP_LOCK_MUTEX)
            mark_last();
    } else if (w->state == TP_ST_COND) {
        /* The real call has re-taken the mutex, whatever it returns: it
         * comes back on the held list with a fresh time.  The whole wait,
         * re-taking included, was the block profile's, as Go counts
         * sync.Cond.Wait. */
        tp_held_push(w->obj2, TP_LOCK_MUTEX, w->site);
        mark_last();
    }
    errno = saved;
    return r;
}
