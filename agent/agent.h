/*
 * agent.h: the one header the interposed functions in hooks/ talk to.
 *
 * A hook does four things: make sure the real function is known, call it,
 * report what the thread was doing through the inline helpers below, and
 * return the real result with errno untouched.  Everything else (registry,
 * dump thread, stacks, output) lives behind this header.
 *
 * The blocking-call protocol (tp_wait_begin / tp_wait_end) is the hot path
 * of every intercepted read, lock wait and sleep.  Its cost: two TLS loads,
 * a handful of stores into the thread's own cache line, one vDSO coarse
 * clock read (~7 ns) and one uncontended CAS on return (~6 ns).  It never
 * allocates, locks or enters the kernel.
 */
#ifndef TP_AGENT_H
#define TP_AGENT_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "agent/stacktab.h"

#define TP_HOOK     __attribute__((visibility("default")))
#define TP_LIKELY(x)   __builtin_expect(!!(x), 1)
#define TP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TP_INLINE   static inline __attribute__((always_inline))
#define TP_COLD     __attribute__((noinline, cold))

/* What a thread is blocked in.  The order is part of no format. */
typedef enum tp_state {
    TP_ST_RUNNING = 0,
    TP_ST_MUTEX,
    TP_ST_RWLOCK_RD,
    TP_ST_RWLOCK_WR,
    TP_ST_COND,
    TP_ST_SEM,
    TP_ST_BARRIER,
    TP_ST_JOIN,
    TP_ST_SLEEP,
    TP_ST_FDIO,        /* read/write/recv/send/accept/connect on one fd */
    TP_ST_POLL,        /* poll/ppoll/select/pselect */
    TP_ST_EPOLL,       /* epoll_wait family, on the epoll fd */
    TP_ST_CHILD,       /* wait/waitpid/waitid */
    TP_ST_SIGNAL,      /* sigwait*, sigsuspend, pause */
    TP_ST_FILELOCK,    /* flock, fcntl(F_SETLKW) */
    TP_ST_SPIN,        /* pthread_spin_lock */
    TP_ST_COUNT
} tp_state_t;

/* Saved at a call boundary inside a hook: enough for libunwind to walk
 * the frames above it (callee-saved registers, stack and instruction
 * pointer).  The layout is read by agent/unwind.c. */
typedef struct tp_regs {
    uintptr_t rip, rsp, rbp, rbx, r12, r13, r14, r15;
} tp_regs_t;

/* park: whether the dump thread may read the wait record and walk the
 * stack.  The owner publishes PARKED after filling the record; the dump
 * thread claims PARKED -> READING, and the owner, returning, swaps
 * PARKED -> IDLE or waits out a READING claim (rare, microseconds). */
enum { TP_PARK_IDLE = 0, TP_PARK_PARKED = 1, TP_PARK_READING = 2 };

enum {
    TP_TF_MAIN      = 1u << 0,  /* the process's initial thread */
    TP_TF_DETACHED  = 1u << 1,
    TP_TF_EXITED    = 1u << 2,
    TP_TF_ADOPTED   = 1u << 3,  /* not created through our pthread_create */
};

#define TP_CREATE_FRAMES 24
#define TP_SCACHE 8
#define TP_HCACHE 128  /* power of two */
#define TP_OCACHE 64   /* power of two */

/* Locks a thread holds, in acquisition order: what it took, where (the
 * call site) and when (tp_tick).  Beyond TP_HELD_MAX nested locks only
 * the count is kept. */
#define TP_HELD_MAX 16
enum { TP_LOCK_MUTEX = 1, TP_LOCK_READ = 2, TP_LOCK_WRITE = 3, TP_LOCK_SPIN = 4 };
typedef struct tp_held {
    const void *lock;
    uintptr_t site;      /* return address of the lock call */
    uint64_t when_kind;  /* tp_tick when taken << 8 | TP_LOCK_* (one store),
                            | TP_HELD_CONTENDED (set by other threads) */
} tp_held_t;
/* Someone waits (or may wait) for this lock: its release notes the
 * releasing stack for the mutex profile (see tp_mutex_mark_holder). */
#define TP_HELD_CONTENDED 0x80u
#define TP_HELD_KIND(h) ((uint32_t)((h)->when_kind & 0x7f))
#define TP_HELD_TICK(h) ((uint32_t)((h)->when_kind >> 8))

typedef struct tp_thread {
    /* Written by the owner thread only, read by the dump thread under the
     * park protocol.  Kept on their own cache line. */
    _Atomic uint32_t park;
    volatile uint32_t depth;    /* > 0 while inside a wait (signal-handler nesting) */
    uint32_t state;             /* tp_state_t */
    const char *call;           /* name of the intercepted function */
    const void *obj;            /* mutex, cond, sem, pthread_t of join target… */
    const void *obj2;           /* the mutex of a cond wait */
    long arg;                   /* fd, pid, nfds, requested sleep in ms… */
    uint64_t since_ns;          /* CLOCK_MONOTONIC_COARSE at entry */
    tp_regs_t regs;
    /* Written by the owner on every lock and unlock; read by the dump
     * thread (consistently while the owner is parked, best effort while
     * it runs: entries hold no pointers the reader follows). */
    uint32_t nheld;
    tp_held_t held[TP_HELD_MAX];

    /* Set at creation, changed only under the registry lock. */
    __attribute__((aligned(64))) pid_t tid;
    pid_t parent_tid;
    uint32_t flags;
    pthread_t pthread;
    uint64_t start_ns;
    int ncreate;
    uintptr_t create_pcs[TP_CREATE_FRAMES];
    struct tp_thread *next, *prev;

    /* Owner only (agent/lockprof.c, contended paths): a small cache from
     * (call site, stack pointer) to an interned stack, so a contended
     * lock in a loop is unwound once, not every time; and the state of
     * the sampling generator. */
    __attribute__((aligned(64))) struct {
        uintptr_t site, sp;
        uint32_t id, hits;
    } scache[TP_SCACHE];
    uint64_t rng;
    /* The same for sampled allocations (agent/heapprof.c). */
    tp_stack_cache_t hcache[TP_HCACHE];

    /* Owner only: blocking system calls for the block profile.  One call
     * in TP_SYSCALL_TIMED_EVERY is timed precisely (timed_ns != 0). */
    uint32_t syscall_countdown;
    uint64_t timed_ns;

    /* Owner only (agent/lockorder.c, THREADPROF_LOCK_ORDER): lock-order
     * edges (held lock -> lock taken) this thread already knows are in
     * the global graph, direct-mapped; valid while epoch matches the
     * global one (a destroyed lock bumps it, flushing every cache). */
    __attribute__((aligned(64))) uint32_t ocache_epoch;
    struct {
        uintptr_t from, to;
    } ocache[TP_OCACHE];
} tp_thread_t;

/* Thread-local state, initial-exec so reaching it never enters ld.so;
 * one struct so a hook finds both with one TLS offset. */
typedef struct tp_tls {
    tp_thread_t *self;   /* this thread's record, NULL when untracked */
    int in_agent;        /* > 0: nested calls go straight to libc */
    /* Heap sampling (agent/heapprof.c): bytes this thread may still
     * allocate before the next sampled allocation (0 until seeded). */
    uint64_t heap_left;
    uint64_t heap_rng;   /* the gaps' random generator, 0 until seeded */
} tp_tls_t;
extern __thread tp_tls_t tp_tls;
#define tp_self (tp_tls.self)
#define tp_in_agent (tp_tls.in_agent)

/* --- resolving the real functions ---------------------------------- */

/* dlsym(RTLD_NEXT, name), or dlvsym when version is given.  A missing
 * symbol is fatal with a clear message: the host called a function that
 * its libc does not have. */
void *tp__real(const char *name, const char *version);

#define TP_REAL_DECL(name) static __typeof__(name) *real_##name
#define TP_REAL_V(name, version)                                              \
    __extension__({                                                           \
        __typeof__(name) *tp_fn_ = __atomic_load_n(&real_##name, __ATOMIC_RELAXED); \
        if (TP_UNLIKELY(tp_fn_ == NULL)) {                                    \
            tp_fn_ = (__typeof__(name) *)tp__real(#name, version);            \
            __atomic_store_n(&real_##name, tp_fn_, __ATOMIC_RELAXED);         \
        }                                                                     \
        tp_fn_;                                                               \
    })
#define TP_REAL(name) TP_REAL_V(name, NULL)

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
                tp_w_->since_ns = tp_now_coarse();                            \
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
 * Usage: TP_WAIT_SCOPE(state, "call", obj, obj2, arg); return real(...); */
#define TP_WAIT_SCOPE(st, callname, o, o2, a)                                 \
    tp_thread_t *tp_wait_ __attribute__((cleanup(tp_wait_cleanup))) =         \
        tp_wait_begin(st, callname, o, o2, a)

/* --- locks held -------------------------------------------------------- */

/* Seconds since the agent started, advanced by the dump thread when it
 * wakes (about once a second): a timestamp that costs one load. */
extern volatile uint32_t tp_tick;

/* THREADPROF_LOCK_ORDER (agent/lockorder.c): set once at start, then
 * only read.  Off, the held-list push pays one predictable branch on it. */
extern int tp__lock_order_on;
/* Out of line: lock (a TP_LOCK_* kind) was just acquired with n > 0 locks
 * already on t's held list; records the lock-order edges. */
void tp__lock_order_acquire(tp_thread_t *t, uint32_t n, const void *lock,
                            uint32_t kind, uintptr_t site);
/* Out of line: lock is being destroyed; forget its edges, so that the
 * same address initialised again is a new lock.  errno is preserved. */
void tp__lock_order_forget(const void *lock);

/* A lock is being destroyed or initialised (pthread_mutex_destroy,
 * pthread_mutex_init and their rwlock twins): whatever was known about
 * the address belonged to another lock.  One predictable branch when
 * lock-order checking is off. */
TP_INLINE void tp_lock_destroyed(const void *lock)
{
    if (TP_UNLIKELY(tp__lock_order_on))
        tp__lock_order_forget(lock);
}

/* A lock was acquired (fast path: one TLS load, four stores, and one
 * predictable branch on tp__lock_order_on).  Locks the agent itself takes
 * on a host thread go on the list too (checking would cost more): they are
 * released before any snapshot can see them, or filtered out by address
 * (tp_addr_in_agent).  order: 0 for a trylock, which cannot block and so
 * cannot be half of a deadlock (TSan leaves such edges out too: code
 * takes locks out of order with trylock precisely to avoid one). */
TP_INLINE void tp_held_push_order(const void *lock, uint32_t kind,
                                  uintptr_t site, int order)
{
    tp_thread_t *t = tp_self;
    if (TP_UNLIKELY(t == NULL))
        return;
    uint32_t n = t->nheld;
    if (TP_UNLIKELY(tp__lock_order_on) && order && n != 0)
        tp__lock_order_acquire(t, n, lock, kind, site);
    if (TP_LIKELY(n < TP_HELD_MAX)) {
        t->held[n].lock = lock;
        t->held[n].site = site;
        /* Atomic (a plain store on x86): other threads OR in a mark. */
        __atomic_store_n(&t->held[n].when_kind, (uint64_t)tp_tick << 8 | kind,
                         __ATOMIC_RELAXED);
    }
    t->nheld = n + 1;
}

TP_INLINE void tp_held_push(const void *lock, uint32_t kind, uintptr_t site)
{
    tp_held_push_order(lock, kind, site, 1);
}

/* A lock is about to be waited for (the hook's slow path, before the
 * blocking call): its lock-order edges are recorded now, so that a wait
 * that never ends (a real deadlock) still leaves them in the graph.  The
 * acquisition, if it comes, then finds them in the thread's cache. */
TP_INLINE void tp_lock_order_attempt(const void *lock, uint32_t kind, uintptr_t site)
{
    if (TP_LIKELY(!tp__lock_order_on))
        return;
    tp_thread_t *t = tp_self;
    if (t != NULL && t->nheld != 0)
        tp__lock_order_acquire(t, t->nheld, lock, kind, site);
}

/* Out of line: the lock released is not the last one taken.  Returns
 * its entry's TP_HELD_CONTENDED mark (0 if not found). */
uint32_t tp__held_remove(tp_thread_t *t, const void *lock);

/* A lock was released (fast path: it is the last one taken).  Returns
 * the TP_HELD_CONTENDED mark of its entry: nonzero when a thread started
 * waiting for it while this one held it. */
TP_INLINE uint32_t tp_held_pop(const void *lock)
{
    tp_thread_t *t = tp_self;
    if (TP_UNLIKELY(t == NULL))
        return 0;
    uint32_t n = t->nheld;
    if (TP_LIKELY(n - 1 < TP_HELD_MAX && t->held[n - 1].lock == lock)) {
        uint64_t wk = __atomic_load_n(&t->held[n - 1].when_kind, __ATOMIC_RELAXED);
        t->nheld = n - 1;
        return (uint32_t)wk & TP_HELD_CONTENDED;
    }
    return tp__held_remove(t, lock);
}

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

/* --- heap profile (agent/heapprof.c) ------------------------------------
 *
 * The allocation hooks' fast path is the countdown below: a compare, a
 * subtraction and a store in this thread's TLS.  Only an allocation that
 * exhausts it goes out of line, where it is sampled (Go's rule: gaps
 * exponentially distributed with mean THREADPROF_HEAP_RATE bytes) and
 * remembered in the live table until freed.  A free looks at one byte of
 * filter indexed by the pointer's 512-byte granule, nonzero only where
 * some sampled block lies; before the first sample it is one load of a
 * NULL pointer. */

/* The real allocation of n bytes at p just succeeded; out of line when
 * the countdown ran out.  site: the host's call site. */
void tp__heap_allocated(void *p, size_t n, uintptr_t site);
/* p, a block the filter says may be sampled, is about to be freed (or
 * moved by realloc: then its size is returned through old_size, else
 * untouched).  Returns 1 when it was a sampled block, now forgotten. */
int tp__heap_forget(const void *p, size_t *old_size);
/* realloc failed after tp__heap_forget: p is live again, as before. */
void tp__heap_restore(const void *p, size_t size, uintptr_t site);
extern const uint8_t *tp__heap_filter;   /* read and set with __atomic builtins */

#define TP_HEAP_FILTER_BITS 16
/* The filter byte of p: its 512-byte granule, direct-mapped (the heap
 * wraps around the filter every 32 MiB).  Not hashed, so frees of blocks
 * near each other read the same filter line: a hash scattered them over
 * 1,024 lines, and that load was most of free()'s cost in the agent. */
TP_INLINE uint32_t tp_heap_filter_slot(const void *p)
{
    return (uint32_t)((uintptr_t)p >> 9) & ((1u << TP_HEAP_FILTER_BITS) - 1);
}

TP_INLINE void tp_heap_allocated(void *p, size_t n, uintptr_t site)
{
    uint64_t left = tp_tls.heap_left;
    if (TP_LIKELY(n < left))
        tp_tls.heap_left = left - n;
    else if (p != NULL)
        tp__heap_allocated(p, n, site);
}

/* The countdown taken before the real call, so that the hook can then
 * tail-call it: 1 when n bytes do not reach the next sample (the
 * countdown went down by n), 0 when they do (nothing changed: the hook
 * calls the real function and then tp_heap_allocated). */
TP_INLINE int tp_heap_unsampled(size_t n)
{
    uint64_t left = tp_tls.heap_left;
    if (TP_LIKELY(n < left)) {
        tp_tls.heap_left = left - n;
        return 1;
    }
    return 0;
}

TP_INLINE int tp_heap_maybe_sampled(const void *p)
{
    const uint8_t *f = __atomic_load_n(&tp__heap_filter, __ATOMIC_RELAXED);
    if (TP_LIKELY(f == NULL) || p == NULL)
        return 0;
    return f[tp_heap_filter_slot(p)] != 0;
}

/* --- thread lifecycle (hooks/threads.c) -------------------------------- */

typedef struct tp_start {
    void *(*fn)(void *);
    void *arg;
    tp_thread_t *thread;
    int host_blocks_trigger;
} tp_start_t;

/* Prepares the record of a thread about to be created by the caller;
 * returns NULL when the agent is not tracking (then create it untouched). */
tp_start_t *tp_thread_prepare(void *(*fn)(void *), void *arg, int detached);
/* The creation failed: forget the prepared record. */
void tp_thread_abandon(tp_start_t *s);
/* Runs in the new thread: registers it and calls the host's routine. */
void *tp_thread_trampoline(void *start);
void tp_thread_joined(pthread_t th);
void tp_thread_detached(pthread_t th);

/* pipe2 called from inside the agent (libunwind): the pipe is moved to
 * high descriptor numbers (agent/privfd.c). */
int tp_private_pipe2(int fds[2], int flags, int (*real_pipe2)(int[2], int));
/* A read or close from inside the agent on one of those pipes: 1 when the
 * program has since put its own file at either number (dup2, or closed it
 * and opened another), so the call must not touch that descriptor. */
int tp_private_fd_taken(int fd);
/* close from inside the agent: forgets fd; 0 when it must not be closed
 * (the number is the program's now). */
int tp_private_fd_closing(int fd);
/* open from inside the agent, with flags, returned fd: made close-on-exec
 * (if flags lack O_CLOEXEC) and remembered (as the pipes above); returns
 * the number to use. */
int tp_private_fd_opened(int fd, int flags);
/* In a snapshot child: closes the child's copies of libunwind's pipe (the
 * program still uses the pipe; libunwind makes itself a new one). */
void tp_private_fds_drop(void);
/* In a snapshot child: malloc and friends serve from a private arena
 * that never frees (hooks/malloc.c); the program's heap is not touched. */
void tp_malloc_private_arena(void);

/* main() is about to run (hooks/start.c). */
void tp_main_starting(void);

/* --- the trigger signal (agent/trigger.c) ------------------------------ */

/* 0 when the trigger signal is disabled or was given up to the host. */
extern volatile int tp_trigger_signo;
/* Host-facing views used by hooks/signals.c; each returns the real
 * function's result and sets errno like it. */
int tp_trigger_sigaction(int sig, const struct sigaction *act,
                         struct sigaction *old);
int tp_trigger_sigmask(int how, const sigset_t *set, sigset_t *old,
                       int use_pthread);
/* The mask to hand to a call that replaces the thread mask while it waits
 * (sigsuspend, ppoll, pselect, epoll_pwait): the host's mask with the
 * trigger kept blocked.  Returns set itself when nothing needs changing. */
const sigset_t *tp_trigger_wait_mask(const sigset_t *set, sigset_t *buf);
/* The host waits for these signals synchronously (sigwait, signalfd):
 * if the trigger is among them the agent gives it up. */
void tp_trigger_host_waits_for(const sigset_t *set);
/* Around exec and spawn: the new program gets the mask the host meant. */
void tp_trigger_release_for_exec(sigset_t *saved);
void tp_trigger_restore_after_exec(const sigset_t *saved);
/* For posix_spawn without POSIX_SPAWN_SETSIGMASK: fills mask with the
 * mask the child should start with; returns 0 when no change is needed. */
int tp_trigger_child_mask(sigset_t *mask);

#endif
