/*
 * lockwait: the profiled wait, the one primitive through which every
 * blocking lock-like hook (mutex, rwlock, spin, cond, sem, barrier, join)
 * waits, and the mutex and block profiles' entries behind it.
 */
#ifndef TP_LOCKWAIT_H
#define TP_LOCKWAIT_H

#include <pthread.h>
#include <stdint.h>

#include "agent/compiler.h"
#include "agent/held.h"
#include "agent/thread.h"
#include "agent/wait.h"

/* --- the profiled wait (agent/lockwait.c) --------------------------------
 *
 * A lock hook tries first and keeps the uncontended case inline
 * (tp_lock_acquired, agent/held.h).  When it must wait, or for a call that
 * always blocks, it writes:
 *
 *     TP_WAIT_FOR(w, TP_ST_MUTEX, "pthread_mutex_lock", m, NULL, site);
 *     return tp_waited(&w, TP_REAL(pthread_mutex_lock)(m));
 *
 * TP_WAIT_FOR declares the wait w of the enclosing block and begins it:
 * out of line, what must happen before the thread blocks; then, inline,
 * the thread parks (tp_wait_begin: the saved registers must be those of
 * the hook's own frame, which stays alive during the real call).
 * tp_waited ends it once the real call has returned r, out of line, and
 * returns r with errno as the real call left it.  What happens depends on
 * the state, which is what the thread waits in:
 *
 *   state            before the wait              after it
 *   TP_ST_MUTEX      lock-order edges, stack,     timed (mutex profile when
 *                    the holder's entry marked    acquired, else block), held
 *                                                 push marked contended
 *   TP_ST_RWLOCK_RD  lock-order edges, stack      timed (block), held push
 *   TP_ST_RWLOCK_WR  the same
 *   TP_ST_SPIN       lock-order edges             held push (a spin is not
 *                                                 a block-profile wait)
 *   TP_ST_COND       obj2 (the mutex) leaves the  timed (block), obj2 back on
 *                    held list, its release       the held list, marked
 *                    noted if others wait; stack
 *   TP_ST_SEM, TP_ST_BARRIER, TP_ST_JOIN
 *                    stack                        timed (block)
 *
 * "held push": when the lock was acquired (tp_lock_result_held).  A block
 * left without tp_waited (pthread_cancel unwinding through the real call:
 * hooks are built with -fexceptions) runs w's cleanup, which only unparks
 * the thread; a cancelled wait is in no profile.  No macro here returns
 * from the hook: the hook's own return statement is always visible. */

/* A wait's timing for the profiles: when it started, and the waiter's
 * stack. */
typedef struct tp_lockwait {
    uint64_t t0;        /* 0: not profiled */
    uint32_t stack;     /* interned stack id, 0 unknown */
} tp_lockwait_t;

typedef struct tp_waitfor {
    tp_thread_t *parked;   /* tp_wait_begin's; NULL: not tracked, or over */
    uint32_t state;        /* TP_ST_*: what the thread waits in */
    const void *obj;       /* the lock, cond, sem, barrier, pthread_t */
    const void *obj2;      /* a cond wait's mutex */
    uintptr_t site;        /* the hook's TP_SITE() */
    tp_lockwait_t lw;
} tp_waitfor_t;

/* Out of line: the set-up before the wait (table above); errno is
 * preserved.  Called by TP_WAIT_FOR only. */
void tp__wait_for_enter(tp_waitfor_t *w);
/* Out of line: unparks a wait left without tp_waited. */
void tp__wait_for_abandon(tp_waitfor_t *w);

/* The wait is over: the real call returned r.  Returns r; errno is the
 * one the real call left. */
int tp_waited(tp_waitfor_t *w, int r);

TP_INLINE void tp_waitfor_cleanup(tp_waitfor_t *w)
{
    if (TP_UNLIKELY(w->parked != NULL))
        tp__wait_for_abandon(w);
}

/* Declares and begins the wait w of the enclosing block (see above).
 * st: a TP_ST_* lock-like state; callname: the intercepted function, for
 * the thread dump; o, o2: what is waited for (o2: a cond wait's mutex);
 * at: the hook's TP_SITE().  Must be expanded in the function that
 * makes the real call. */
#define TP_WAIT_FOR(w, st, callname, o, o2, at)                               \
    tp_waitfor_t w __attribute__((cleanup(tp_waitfor_cleanup))) =             \
        __extension__({                                                       \
            tp_waitfor_t tp_f_ = {.state = (st), .obj = (o), .obj2 = (o2),    \
                                  .site = (at)};                              \
            tp__wait_for_enter(&tp_f_);                                       \
            tp_f_.parked = tp_wait_begin(st, callname, tp_f_.obj,             \
                                         tp_f_.obj2, 0);                      \
            tp_f_;                                                            \
        })

/* --- behind the profiled wait: the mutex and block profiles
 * (agent/lockprof.c) -------------------------------------------------------
 *
 * Only slow paths call in here: tp_waited's set-up and end, and an unlock
 * whose held-list entry is marked contended.  The uncontended lock and
 * unlock pay one load and a test in the unlock (the TP_HELD_CONTENDED
 * mark), nothing else. */

/* The waits the block profile covers (a sample names no kind; these
 * only decide whether the mutex profile hears of it too). */
enum { TP_LW_MUTEX = 1, TP_LW_OTHER = 2 };

/* Starts timing a wait at the host's call site.  Out of line and cold:
 * captures (or finds in the thread's cache) the waiter's stack before
 * the wait, so nothing is unwound while the lock is held afterwards. */
void tp_lockwait_begin(tp_lockwait_t *w, uintptr_t site);
/* The wait is over.  obj is the mutex for TP_LW_MUTEX (its last contended
 * release is what the mutex profile blames); a timed-out or failed wait
 * still counts in the block profile, as Go counts a wait however it
 * ends. */
void tp_lockwait_end(tp_lockwait_t *w, int kind, const void *obj);
/* A lock is being destroyed or initialised: its per-lock statistics are
 * retired (the summary still lists them, marked destroyed) and its next
 * contention starts new ones.  One load when nothing was ever contended;
 * errno is preserved. */
void tp_lockprof_forget(const void *lock);

/* Out of line: m is being released while others wait for it; remember
 * the releasing stack as its last contended release. */
void tp__mutex_release_contended(const pthread_mutex_t *m, uintptr_t site);

/* Contended releases are found without touching the mutex word on the
 * fast path: loading the word an instant before the real unlock's atomic
 * exchange on it costs ~3 ns on the machines measured, more than the rest
 * of both hooks together.  Instead, a thread about to wait for a mutex
 * marks the holder's held-list entry (the holder is the tid glibc keeps
 * in the mutex), and a thread that took a mutex after waiting marks its
 * own (others may still wait, as glibc itself assumes); the unlock reads
 * the mark from the entry it pops anyway, and only then looks at the
 * mutex word (tp__mutex_release_contended).  A thread that barges in
 * while others wait is not marked; their delay then goes to the release
 * that woke them first.  Both marks are set by tp_waited's set-up and
 * end (agent/lockwait.c). */


#endif
