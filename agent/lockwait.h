/*
 * lockwait: the mutex and block profiles' entry points for the hooks' slow paths.
 */
#ifndef TP_LOCKWAIT_H
#define TP_LOCKWAIT_H

#include <pthread.h>
#include <stdint.h>

#include "agent/thread.h"

/* --- mutex and block profiles (agent/lockprof.c) ------------------------
 *
 * Only slow paths call in here: a lock hook that found the lock taken, a
 * cond/sem/barrier/join wait, and an unlock whose held-list entry is
 * marked contended.  The uncontended lock and unlock pay one load and a
 * test in the unlock (the TP_HELD_CONTENDED mark), nothing else. */

/* A wait in progress: when it started, and the waiter's stack. */
typedef struct tp_lockwait {
    uint64_t t0;        /* 0: not profiled */
    uint32_t stack;     /* interned stack id, 0 unknown */
} tp_lockwait_t;

/* The waits the block profile covers (a sample names no kind; these
 * only decide whether the mutex profile hears of it too). */
enum { TP_LW_MUTEX = 1, TP_LW_OTHER = 2 };

/* Starts timing a wait at the host's call site.  Out of line and cold:
 * captures (or finds in the thread's cache) the waiter's stack before
 * the wait, so nothing is unwound while the lock is held afterwards. */
void tp_lockwait_begin(tp_lockwait_t *w, uintptr_t site);
/* The wait is over.  obj is the mutex for TP_LW_MUTEX (its last contended
 * release is what the mutex profile blames); ok: the wait acquired what it
 * waited for (a timed-out or failed wait still counts in the block
 * profile, as Go counts a wait however it ends). */
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
 * that woke them first. */
void tp__mutex_mark_holder(const pthread_mutex_t *m);
/* Marks the last lock this thread took (it waited for it). */
void tp__held_mark_last(void);


#endif
