/*
 * wait: the blocking-call protocol: what a thread records when it enters and
 * leaves an intercepted blocking call.
 */
#ifndef TP_WAIT_H
#define TP_WAIT_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "agent/thread.h"

/* --- the blocking-call protocol ---------------------------------------- */

/* Out of line: registers a thread we have not seen (created before the
 * agent started, or not through pthread_create), or returns NULL when the
 * caller must not be tracked (agent thread, exiting thread, early start). */
tp_thread_t *tp__self_slow(void);
/* Out of line: the dump thread is reading this thread's stack; wait. */
void tp__wait_end_slow(tp_thread_t *t);
/* Out of line: start the dump thread in a forked child on first use. */
extern volatile int tp__need_dump_thread;
void tp__start_dump_thread_lazily(void);

/* Records the registers of the calling frame.  Must be expanded inside the
 * hook itself: the frame it describes has to stay alive while the thread
 * is parked in the real call. */
#define TP_SAVE_REGS(r)                                                       \
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"                               \
                     "movq %%rax, 0(%0)\n\t"                                  \
                     "movq %%rsp, 8(%0)\n\t"                                  \
                     "movq %%rbp, 16(%0)\n\t"                                 \
                     "movq %%rbx, 24(%0)\n\t"                                 \
                     "movq %%r12, 32(%0)\n\t"                                 \
                     "movq %%r13, 40(%0)\n\t"                                 \
                     "movq %%r14, 48(%0)\n\t"                                 \
                     "movq %%r15, 56(%0)\n\t"                                 \
                     "1:\n\t"                                                 \
                     : : "r"(r) : "rax", "memory")

TP_INLINE uint64_t tp_now_coarse(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

TP_INLINE uint64_t tp_now_ns_inline(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- locks held across blocking calls (agent/heldacross.c) ------------
 *
 * A wait begun while the thread holds locks is timed precisely (one more
 * clock read, on a call that blocks anyway) unless it is itself a lock
 * wait, whose held locks are lock order's business, not this misuse.  A
 * cond wait's own mutex is off the held list by then (agent/lockwait.c),
 * so only the other locks it holds count.  When the wait ends, every
 * mutex and write-locked rwlock held is charged with it. */
TP_INLINE int tp_state_blocks_holding(uint32_t st)
{
    return st != TP_ST_RUNNING && st != TP_ST_MUTEX && st != TP_ST_RWLOCK_RD &&
           st != TP_ST_RWLOCK_WR && st != TP_ST_SPIN;
}
/* Out of line: the wait of t, begun holding locks, is over. */
void tp__held_across_done(tp_thread_t *t);

/* Returns the thread to pass to tp_wait_end, or NULL when this call is not
 * tracked (then tp_wait_end(NULL) is a no-op).  Must be a macro-like
 * always-inline so that TP_SAVE_REGS captures the hook's own frame. */
#define tp_wait_begin(st, callname, o, o2, a)                                 \
    __extension__({                                                           \
        tp_thread_t *tp_w_ = tp_self;                                         \
        if (TP_UNLIKELY(tp_w_ == NULL || tp_in_agent))                        \
            tp_w_ = tp_in_agent ? NULL : tp__self_slow();                     \
        if (tp_w_ != NULL) {                                                  \
            if (TP_UNLIKELY(tp__need_dump_thread))                            \
                tp__start_dump_thread_lazily(); /* first wait after fork */   \
            if (TP_UNLIKELY(tp_w_->depth != 0)) {                             \
                tp_w_ = NULL; /* nested: a signal handler inside a wait */    \
            } else {                                                          \
                tp_w_->depth = 1;                                             \
                atomic_signal_fence(memory_order_seq_cst);                    \
                TP_SAVE_REGS(&tp_w_->regs);                                   \
                tp_w_->state = (st);                                          \
                tp_w_->call = (callname);                                     \
                tp_w_->obj = (o);                                             \
                tp_w_->obj2 = (o2);                                           \
                tp_w_->arg = (long)(a);                                       \
                tp_w_->site = (uintptr_t)__builtin_return_address(0);         \
                tp_w_->since_ns = tp_now_coarse();                            \
                if (TP_UNLIKELY(tp_w_->nheld != 0) &&                         \
                    tp_state_blocks_holding(st))                              \
                    tp_w_->held_t0 = tp_now_ns_inline();                      \
                tp_syscall_wait_begin(tp_w_, (st));                           \
                atomic_store_explicit(&tp_w_->park, TP_PARK_PARKED,           \
                                      memory_order_release);                  \
            }                                                                 \
        }                                                                     \
        tp_w_;                                                                \
    })

/* Blocking system calls in the block profile (agent/lockprof.c).  Every
 * such wait reads the coarse clock again when it ends (~7 ns): one that
 * lasted a clock tick (4 ms) or more is recorded with that length.  One
 * in TP_SYSCALL_TIMED_EVERY is also timed precisely and, when shorter,
 * sampled by Go's rule and weighted by TP_SYSCALL_TIMED_EVERY: short
 * waits are estimated, long ones never missed, and the precise clock's
 * cost (~20 ns) is paid by one call in 64. */
#define TP_SYSCALL_TIMED_EVERY 64
extern uint64_t tp_block_rate_ns;     /* 0: block profile off */
void tp__syscall_wait_done(tp_thread_t *t, uint64_t coarse_ns, uintptr_t site,
                           uintptr_t sp);

TP_INLINE int tp_state_is_syscall(uint32_t st)
{
    return st >= TP_ST_FDIO && st <= TP_ST_FILELOCK;
}

/* Called when a wait begins (tp_wait_begin): picks the calls timed
 * precisely. */
TP_INLINE void tp_syscall_wait_begin(tp_thread_t *t, uint32_t st)
{
    if (tp_state_is_syscall(st) && tp_block_rate_ns != 0 &&
        TP_UNLIKELY(t->syscall_countdown-- == 0)) {
        t->syscall_countdown = TP_SYSCALL_TIMED_EVERY - 1;
        t->timed_ns = tp_now_ns_inline();
    }
}

#define tp_wait_end(tw_)                                                      \
    do {                                                                      \
        tp_thread_t *tp_e_ = (tw_);                                           \
        if (tp_e_ == NULL)                                                    \
            break;                                                            \
        uint32_t tp_x_ = TP_PARK_PARKED;                                      \
        if (TP_UNLIKELY(!atomic_compare_exchange_strong_explicit(             \
                &tp_e_->park, &tp_x_, TP_PARK_IDLE, memory_order_acq_rel,     \
                memory_order_relaxed)))                                       \
            tp__wait_end_slow(tp_e_);                                         \
        if (tp_state_is_syscall(tp_e_->state) && tp_block_rate_ns != 0) {     \
            uint64_t tp_c_ = tp_now_coarse() - tp_e_->since_ns;               \
            if (TP_UNLIKELY(tp_c_ != 0 || tp_e_->timed_ns != 0))              \
                tp__syscall_wait_done(tp_e_, tp_c_,                           \
                    (uintptr_t)__builtin_return_address(0),                   \
                    (uintptr_t)__builtin_frame_address(0));                   \
        }                                                                     \
        if (TP_UNLIKELY(tp_e_->held_t0 != 0))                                 \
            tp__held_across_done(tp_e_);                                      \
        tp_e_->state = TP_ST_RUNNING;                                         \
        atomic_signal_fence(memory_order_seq_cst);                            \
        tp_e_->depth = 0;                                                     \
    } while (0)

TP_INLINE void tp_wait_cleanup(tp_thread_t **w)
{
    tp_wait_end(*w);
}

/* Declares the wait of the enclosing block: begun here, ended when the
 * block is left, whether by return or by the forced unwinding of
 * pthread_cancel (hooks are built with -fexceptions so that the cleanup
 * runs then too; otherwise a cancelled thread would stay "parked" on
 * frames that no longer exist while the dump thread reads them).
 * Usage: TP_WAIT_SCOPE(state, "call", obj, obj2, arg); return real(...);
 * The blocking system calls use it as it is; the lock-like waits (mutex,
 * rwlock, spin, cond, sem, barrier, join) use TP_WAIT_FOR
 * (agent/lockwait.h), which begins and ends it around the profiles. */
#define TP_WAIT_SCOPE(st, callname, o, o2, a)                                 \
    tp_thread_t *tp_wait_ __attribute__((cleanup(tp_wait_cleanup))) =         \
        tp_wait_begin(st, callname, o, o2, a)


#endif
