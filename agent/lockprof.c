/*
 * lockprof: Go's mutex and block profiles for pthread programs.
 *
 * Events come only from slow paths (agent.h): a lock hook whose try
 * failed, a cond/sem/barrier/join wait, an unlock whose held-list entry
 * is marked contended (agent.h) and whose mutex word confirms that others
 * wait.  Each wait is timed with CLOCK_MONOTONIC around the real
 * call; the waiter's stack goes to the block profile (Go: the code that
 * waited) and, for mutexes, the stacks that released the mutex while
 * others waited go to the mutex profile (Go: the code that held the
 * lock), each with the part of the waiter's delay during which it held
 * the mutex (blame_holders; Go gives it all to the release that woke the
 * waiter).
 *
 * Storage, never malloc:
 *   - stacks: the interned call stacks (agent/stacktab.h), each with the
 *     cumulative counters of both profiles; events whose stack finds no
 *     room are counted as dropped.  The thread's cache
 *     (tp_thread_t.scache) makes a contended lock in a loop unwind once.
 *   - locks: mutex address -> its last HISTORY contended releases (time
 *     and stack)
 *     and the summary's statistics of its contended acquisitions (count,
 *     total and max delay, most recent waiter's stack; every one, not
 *     sampled, updated with relaxed atomics in tp_lockwait_end), lock-free
 *     (CAS on the address), never deleted, capped, in a lazily mapped
 *     table whose claimed slots are also listed densely for the dump.  A
 *     wait still in progress (a deadlock) is counted only once it
 *     acquires.  A mutex destroyed or initialised again is a new lock: its
 *     entry is retired (tp_lockprof_forget: the key gets RETIRED, lookups
 *     probe past it, the summary still shows it) and its next contention
 *     makes a new one.
 *
 * Sampling follows Go's runtime (mprof.go, go1.19): the mutex profile
 * keeps 1 in THREADPROF_MUTEX_FRACTION events and scales count and delay
 * back by the fraction; the block profile keeps every wait of at least
 * THREADPROF_BLOCK_RATE ns and a shorter wait of d ns with probability
 * d/rate, counting it as rate/d events of rate ns in total.  Both files
 * carry period_type contentions/count and period 1, as Go writes them
 * (the values are already scaled; runtime/pprof printCountCycleProfile).
 * Values are cumulative since start; a forked child starts empty.
 *
 * Limits: the mutex profile covers pthread mutexes only (rwlocks, whose
 * glibc word says nothing cheap about waiters, appear in the block
 * profile only); releases done inside glibc where no hook sees them
 * (pthread_cond_wait's unlock is seen, see hooks/cond.c) leave the older
 * release stack in place.  Blocking system calls (fd I/O, poll, epoll,
 * wait, sigwait, file locks) are in the block profile through
 * tp__syscall_wait_done(): every one that lasts a coarse clock tick (4 ms)
 * or more, and one in 64 of the shorter ones, timed precisely and
 * weighted by 64 (an unbiased estimate that keeps the precise clock off
 * most calls).
 */
#include <errno.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/internal.h"
#include "agent/stacktab.h"
#include "agent/tablemap.h"
#include "model/locks.h"
#include "model/profile.h"

#define STACK_SLOTS 8192          /* power of two; at most half used */
#define LOCK_SLOTS 16384          /* power of two */
#define LOCK_PROBES 32
/* Contended releases remembered per lock, to share a wait among the
 * holders that made it (blame_holders). */
#define HISTORY 8
/* Block counts are fractional (rate/d) and kept in thousandths. */
#define MILLI 1000u

/* The counters of a stack (tp_stack_t.v). */
enum { V_MUTEX_COUNT, V_MUTEX_DELAY, V_BLOCK_MCOUNT, V_BLOCK_DELAY };

/* Per-lock statistics count contended acquisitions only (the hooks call
 * in on the slow path alone), all of them, unsampled. */
typedef struct lock_entry {
    _Atomic uintptr_t addr;       /* 0: empty */
    _Atomic uint32_t release;     /* stack id of the last contended release */
    _Atomic uint32_t waiter;      /* stack id of the most recent waiter */
    /* Stack id of the release the most recent waiter was blamed on: the
     * summary's "held at".  Not `release`, which glibc's word can make the
     * waiter's own later unlock (it leaves 2 after a contended lock). */
    _Atomic uint32_t blamed;
    _Atomic uint64_t contentions;
    _Atomic uint64_t delay;       /* ns, total */
    _Atomic uint64_t max_delay;   /* ns */
    /* The last HISTORY contended releases (a ring; nrel counts them all):
     * when, and the releasing stack.  Writers are the mutex's successive
     * holders and the reader a waiter that now holds it, so the mutex
     * itself orders every access. */
    _Atomic uint32_t nrel;
    struct {
        _Atomic uint64_t at;      /* CLOCK_MONOTONIC ns */
        _Atomic uint32_t stack;
    } hist[HISTORY];
} lock_entry_t;

/* The low bit of a retired entry's key.  Mutexes are aligned, so no live
 * key has it. */
#define RETIRED ((uintptr_t)1)

/* The lock table, and the slots claimed in claim order (slot + 1; 0 while
 * a claim is being listed) so a dump reads only entries that exist. */
typedef struct lock_table {
    lock_entry_t locks[LOCK_SLOTS];
    _Atomic uint32_t nclaimed;
    _Atomic uint32_t claimed[LOCK_SLOTS];
} lock_table_t;

static tp_stacktab_t stacks = TP_STACKTAB_INIT(STACK_SLOTS);
static void *_Atomic locks;                /* lock_table_t, mapped on first use */
static _Atomic uint64_t dropped_events;    /* no room for their stack */
static _Atomic uint64_t dropped_locks;     /* lock table full */

static long mutex_fraction;                /* 0: mutex profile off */
static uint64_t block_rate;                /* 0: block profile off */
/* glibc's mutex word layout is known (>= 2.34): unlockers are blamed. */
static int layout_ok;

uint64_t tp_block_rate_ns;

void tp_lockprof_init(void)
{
    mutex_fraction = tp_config.mutex_fraction;
    block_rate = tp_config.block_rate_ns;
    tp_block_rate_ns = block_rate;
    /* The waiters hint of agent.h reads __data.__lock, whose meaning is
     * glibc's, not an API.  It has been the same for a long time; it is
     * trusted from 2.34 (the release that merged libpthread into libc, the
     * one this was checked on: 2.36).  Elsewhere nobody is blamed as
     * unlocker and the mutex profile names the waiter's stack instead. */
    const char *v = gnu_get_libc_version();
    int major = 0, minor = 0;
    if (v != NULL && sscanf(v, "%d.%d", &major, &minor) == 2 && major == 2 &&
        minor >= 34)
        layout_ok = 1;
}

static lock_table_t *get_locks(void)
{
    return tp_table_lazy(&locks, sizeof(lock_table_t));
}

void tp_lockprof_unlock_forced(void)
{
    tp_stacktab_after_fork_child(&stacks);
}

void tp_lockprof_after_fork_child(void)
{
    /* Only this thread survives; whatever the others were doing to the
     * tables is dropped with them.  The parent's counts are not the
     * child's: unmap, and map afresh on first use. */
    tp_stacktab_reset(&stacks);
    tp_table_drop(&locks, sizeof(lock_table_t));
    atomic_store(&dropped_events, 0);
    atomic_store(&dropped_locks, 0);
    if (tp_self != NULL)
        memset(tp_self->scache, 0, sizeof tp_self->scache);
}

/* The calling host code's stack, interned; the thread's cache answers
 * repeated (site, sp) pairs.  0 when there is no room. */
static uint32_t stack_id(uintptr_t site, uintptr_t sp)
{
    tp_thread_t *self = tp_self;
    return tp_stacktab_capture(&stacks, self != NULL ? self->scache : NULL, TP_SCACHE,
                               site, sp);
}

static tp_stack_t *stack_of(uint32_t id)
{
    return tp_stacktab_get(&stacks, id);
}

/* Adds one sampled wait of d ns, standing for `weight` waits like it, to
 * a stack's block counters, scaled back as Go's saveblockevent() does: a
 * wait shorter than the rate stands for rate/d waits of rate ns in all. */
static void add_block(uint32_t id, uint64_t d, uint64_t weight)
{
    tp_stack_t *e = stack_of(id);
    if (e == NULL)
        return;
    if (d >= block_rate) {
        atomic_fetch_add_explicit(&e->v[V_BLOCK_MCOUNT], MILLI * weight, memory_order_relaxed);
        atomic_fetch_add_explicit(&e->v[V_BLOCK_DELAY], d * weight, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&e->v[V_BLOCK_MCOUNT], block_rate * MILLI / d * weight,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&e->v[V_BLOCK_DELAY], block_rate * weight,
                                  memory_order_relaxed);
    }
}

static uint64_t random64(void)
{
    tp_thread_t *self = tp_self;
    uint64_t x = self != NULL ? self->rng : 0;
    if (x == 0)
        x = tp_now_ns() ^ ((uint64_t)(uintptr_t)&x << 16) ^ 0x9e3779b97f4a7c15ull;
    /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    if (self != NULL)
        self->rng = x;
    return x * 2685821657736338717ull;
}

/* The lock table entry of mutex m, claimed (lock-free, by a CAS on the
 * address) when new; NULL, counted in dropped_locks, when its probe
 * sequence is full. */
static lock_entry_t *lock_entry(lock_table_t *t, const void *m)
{
    uintptr_t key = (uintptr_t)m;
    uint32_t i = (uint32_t)((key >> 4) * 0x9e3779b1u) & (LOCK_SLOTS - 1);
    for (int probe = 0; probe < LOCK_PROBES; probe++, i = (i + 1) & (LOCK_SLOTS - 1)) {
        lock_entry_t *e = &t->locks[i];
        uintptr_t a = atomic_load_explicit(&e->addr, memory_order_relaxed);
        if (a == 0) {
            uintptr_t expected = 0;
            if (atomic_compare_exchange_strong(&e->addr, &expected, key)) {
                uint32_t k = atomic_fetch_add_explicit(&t->nclaimed, 1, memory_order_relaxed);
                atomic_store_explicit(&t->claimed[k], i + 1, memory_order_release);
                return e;
            }
            if (expected != key)
                continue;
            a = key;
        }
        if (a == key)
            return e;
    }
    atomic_fetch_add_explicit(&dropped_locks, 1, memory_order_relaxed);
    return NULL;
}

/* Adds one contended acquisition of d ns to the lock's statistics: three
 * relaxed atomic adds and a store, plus a CAS loop that runs only while d
 * beats the maximum (rarely, once the maximum has settled). */
static void count_contention(lock_table_t *t, const void *m, uint64_t d, uint32_t waiter,
                             uint32_t blamed)
{
    lock_entry_t *e = lock_entry(t, m);
    if (e == NULL)
        return;
    atomic_fetch_add_explicit(&e->contentions, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->delay, d, memory_order_relaxed);
    uint64_t max = atomic_load_explicit(&e->max_delay, memory_order_relaxed);
    while (d > max && !atomic_compare_exchange_weak_explicit(
                          &e->max_delay, &max, d, memory_order_relaxed,
                          memory_order_relaxed))
        ;
    if (waiter != 0)
        atomic_store_explicit(&e->waiter, waiter, memory_order_relaxed);
    if (blamed != 0)
        atomic_store_explicit(&e->blamed, blamed, memory_order_relaxed);
}

/* --- the hooks' entry points ----------------------------------------- */

void tp__mutex_release_contended(const pthread_mutex_t *m, uintptr_t site)
{
    if (tp_in_agent || mutex_fraction == 0 || !layout_ok)
        return;
    int saved = errno;
    int word = __atomic_load_n(&m->__data.__lock, __ATOMIC_RELAXED);
    int kind = m->__data.__kind;
    /* PTHREAD_MUTEX_PRIO_INHERIT_NP | PTHREAD_MUTEX_ROBUST_NORMAL_NP: the
     * word is the owner's tid; waiters are FUTEX_WAITERS only. */
    if ((kind & (32 | 16)) ? word >= 0 : word != 2)
        goto out;
    tp_thread_t *self = tp_self;
    if (self != NULL && m->__data.__owner != self->tid)
        goto out;   /* not ours to release (EPERM), or a recursive inner unlock of another */
    lock_table_t *t = get_locks();
    if (t == NULL)
        goto out;
    uint32_t id = stack_id(site, (uintptr_t)__builtin_frame_address(0));
    if (id == 0) {
        atomic_fetch_add_explicit(&dropped_events, 1, memory_order_relaxed);
        goto out;
    }
    lock_entry_t *e = lock_entry(t, m);
    /* Published before the real unlock: the waiter that takes the mutex
     * next sees it (the mutex orders the two). */
    if (e != NULL) {
        atomic_store_explicit(&e->release, id, memory_order_relaxed);
        uint32_t k = atomic_load_explicit(&e->nrel, memory_order_relaxed);
        atomic_store_explicit(&e->hist[k % HISTORY].at, tp_now_ns(), memory_order_relaxed);
        atomic_store_explicit(&e->hist[k % HISTORY].stack, id, memory_order_relaxed);
        atomic_store_explicit(&e->nrel, k + 1, memory_order_relaxed);
    }
out:
    errno = saved;
}

/* The live entry of mutex m, or NULL; never claims one. */
static lock_entry_t *find_lock(lock_table_t *t, const void *m)
{
    uintptr_t key = (uintptr_t)m;
    uint32_t i = (uint32_t)((key >> 4) * 0x9e3779b1u) & (LOCK_SLOTS - 1);
    for (int probe = 0; probe < LOCK_PROBES; probe++, i = (i + 1) & (LOCK_SLOTS - 1)) {
        uintptr_t a = atomic_load_explicit(&t->locks[i].addr, memory_order_relaxed);
        if (a == key)
            return &t->locks[i];
        if (a == 0)
            break;
    }
    return NULL;
}

/* A holder to blame for part of a wait: its release stack and the part. */
typedef struct blame {
    uint32_t stack;
    uint64_t ns;
} blame_t;

/* Who made a waiter wait, and for how long each: the holders of the
 * mutex during the wait [t0, t1].  The contended releases remembered in
 * that window cut it into spans; the span that ends at a release is its
 * holder's (who held the mutex since the release before, give or take
 * the hand-over), and the last span, from the last release to this
 * acquisition, is the hand-over to this waiter, charged to the last
 * release.  The spans add up to t1 - t0.  Returns the number of holders
 * (distinct release stacks, at most HISTORY; the largest share first),
 * 0 when no release fell within the wait. */
static int blame_holders(lock_entry_t *e, uint64_t t0, uint64_t t1, blame_t *out)
{
    uint32_t n = atomic_load_explicit(&e->nrel, memory_order_relaxed);
    uint64_t prev = 0;    /* the release before: 0 unknown */
    int nb = 0, last = -1;
    for (uint32_t k = n > HISTORY ? n - HISTORY : 0; k < n; k++) {
        uint64_t at = atomic_load_explicit(&e->hist[k % HISTORY].at, memory_order_relaxed);
        uint32_t id = atomic_load_explicit(&e->hist[k % HISTORY].stack, memory_order_relaxed);
        if (at <= t0 || at > t1) {
            if (at <= t0)
                prev = at;
            continue;
        }
        uint64_t from = prev > t0 ? prev : t0;
        prev = at;
        int j = 0;
        while (j < nb && out[j].stack != id)
            j++;
        if (j == nb)
            out[nb++] = (blame_t){.stack = id, .ns = 0};
        out[j].ns += at - from;
        last = j;
    }
    if (last < 0)
        return 0;
    out[last].ns += t1 - prev;
    for (int j = 1; j < nb; j++)
        if (out[j].ns > out[0].ns) {
            blame_t b = out[0];
            out[0] = out[j];
            out[j] = b;
        }
    return nb;
}

void tp_lockprof_forget(const void *lock)
{
    tp_holdprof_forget(lock);
    lock_table_t *t = atomic_load_explicit(&locks, memory_order_acquire);
    if (TP_LIKELY(t == NULL))
        return;
    lock_entry_t *e = find_lock(t, lock);
    uintptr_t key = (uintptr_t)lock;
    /* A CAS: two threads retiring the same mutex (the host's own race)
     * leave one retired entry, never a key with other bits changed. */
    if (e != NULL)
        atomic_compare_exchange_strong(&e->addr, &key, key | RETIRED);
}

void tp_lockwait_begin(tp_lockwait_t *w, uintptr_t site)
{
    w->t0 = 0;
    w->stack = 0;
    if (tp_in_agent || (mutex_fraction == 0 && block_rate == 0))
        return;
    int saved = errno;
    if (get_locks() != NULL) {
        w->stack = stack_id(site, (uintptr_t)__builtin_frame_address(0));
        w->t0 = tp_now_ns();    /* after the unwinding: it is not the wait */
    }
    errno = saved;
}

void tp_lockwait_end(tp_lockwait_t *w, int kind, const void *obj)
{
    if (w->t0 == 0)
        return;
    int saved = errno;
    uint64_t now = tp_now_ns();
    uint64_t d = now > w->t0 ? now - w->t0 : 1;
    lock_table_t *t = atomic_load_explicit(&locks, memory_order_acquire);
    if (t == NULL)
        goto out;
    if (w->stack == 0)
        atomic_fetch_add_explicit(&dropped_events, 1, memory_order_relaxed);
    /* The holders that made this waiter wait (read before anything else
     * can release the mutex: this thread holds it now), or, when no
     * release was seen during the wait, the last one known. */
    blame_t blame[HISTORY];
    int nb = 0;
    uint32_t rel = 0;
    if (kind == TP_LW_MUTEX && obj != NULL && layout_ok) {
        lock_entry_t *le = find_lock(t, obj);
        if (le != NULL) {
            nb = blame_holders(le, w->t0, now > w->t0 ? now : w->t0 + 1, blame);
            rel = nb > 0 ? blame[0].stack
                         : atomic_load_explicit(&le->release, memory_order_relaxed);
        }
    }
    /* The summary's per-lock statistics: every contended acquisition. */
    if (kind == TP_LW_MUTEX && obj != NULL)
        count_contention(t, obj, d, w->stack, rel);

    /* Mutex profile: Go's rule, 1 in fraction, scaled back.  The wait's
     * delay is shared among the holders in proportion to how long each
     * held the mutex during it; the contention counts once, for the
     * largest share.  Go instead gives the whole delay to the unlock that
     * woke the waiter, which blames a short holder that happened to hand
     * over a lock a long holder kept. */
    if (kind == TP_LW_MUTEX && mutex_fraction > 0 &&
        (mutex_fraction == 1 || random64() % (uint64_t)mutex_fraction == 0)) {
        if (nb == 0) {
            blame[0] = (blame_t){.stack = rel != 0 ? rel : w->stack, .ns = d};
            nb = 1;   /* releaser unknown: blame the waiter's stack */
        }
        for (int j = 0; j < nb; j++) {
            tp_stack_t *e = stack_of(blame[j].stack);
            if (e == NULL)
                continue;
            if (j == 0)
                atomic_fetch_add_explicit(&e->v[V_MUTEX_COUNT], (uint64_t)mutex_fraction,
                                          memory_order_relaxed);
            atomic_fetch_add_explicit(&e->v[V_MUTEX_DELAY],
                                      blame[j].ns * (uint64_t)mutex_fraction,
                                      memory_order_relaxed);
        }
    }
    /* Block profile: Go's blocksampled() and saveblockevent(). */
    if (block_rate > 0 && w->stack != 0 &&
        (d >= block_rate || random64() % block_rate <= d))
        add_block(w->stack, d, 1);
out:
    errno = saved;
}

/* A blocking system call ended (agent.h, tp_wait_end): it lasted a coarse
 * clock tick or more (coarse_ns != 0, every such call comes here), or it
 * was the one call in TP_SYSCALL_TIMED_EVERY timed precisely, which then
 * stands for that many calls.  Go's rule and scaling as for lock waits. */
void tp__syscall_wait_done(tp_thread_t *th, uint64_t coarse_ns, uintptr_t site,
                           uintptr_t sp)
{
    uint64_t timed = th->timed_ns;
    th->timed_ns = 0;
    if (tp_in_agent || block_rate == 0)
        return;
    int saved = errno;
    uint64_t d = coarse_ns;
    uint64_t weight = 1;
    if (timed != 0) {
        uint64_t now = tp_now_ns();
        d = now > timed ? now - timed : 1;
        if (coarse_ns == 0)
            weight = TP_SYSCALL_TIMED_EVERY;
    }
    if (d >= block_rate || random64() % block_rate <= d) {
        uint32_t id = stack_id(site, sp);
        if (id != 0)
            add_block(id, d, weight);
        else
            atomic_fetch_add_explicit(&dropped_events, 1, memory_order_relaxed);
    }
    errno = saved;
}

/* --- views ------------------------------------------------------------ */

int tp_lockprof_enabled(tp_profile_kind_t kind)
{
    return kind == TP_PROFILE_MUTEX ? mutex_fraction > 0
         : kind == TP_PROFILE_BLOCK ? block_rate > 0 : 0;
}

int tp_lockprof_profile(tp_profile_kind_t kind, tp_profile_t *p)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->period = 1;
    snprintf(p->comment, sizeof p->comment, "threadprof: mutex fraction %ld, block rate "
             "%llu ns; dropped: %llu events (stack table full), %llu locks (lock table "
             "full); %llu events before stacks were available",
             mutex_fraction, (unsigned long long)block_rate,
             (unsigned long long)atomic_load(&dropped_events),
             (unsigned long long)atomic_load(&dropped_locks),
             (unsigned long long)atomic_load(&stacks.unstacked));
    uint32_t n = tp_stacktab_used(&stacks);
    if (n == 0)
        return 0;
    tp_profile_sample_t *out = calloc(n, sizeof *out);
    if (out == NULL)
        return -ENOMEM;
    size_t used = 0;
    for (uint32_t k = 0; k < n; k++) {
        tp_stack_t *e = stack_of(tp_stacktab_nth(&stacks, k));
        if (e == NULL)
            continue;
        tp_profile_sample_t *o = &out[used];
        if (kind == TP_PROFILE_MUTEX) {
            o->v[0] = (int64_t)atomic_load_explicit(&e->v[V_MUTEX_COUNT], memory_order_relaxed);
            o->v[1] = (int64_t)atomic_load_explicit(&e->v[V_MUTEX_DELAY], memory_order_relaxed);
            if (o->v[0] <= 0)
                continue;
        } else {
            uint64_t mc = atomic_load_explicit(&e->v[V_BLOCK_MCOUNT], memory_order_relaxed);
            if (mc == 0)
                continue;
            o->v[0] = (int64_t)((mc + MILLI / 2) / MILLI);
            o->v[1] = (int64_t)atomic_load_explicit(&e->v[V_BLOCK_DELAY], memory_order_relaxed);
        }
        o->pcs = e->pcs;
        o->npcs = e->npcs;
        used++;
    }
    p->samples = out;
    p->nsamples = used;
    return 0;
}

/* The call site (innermost frame) of interned stack id, or 0. */
static uintptr_t site_of(uint32_t id)
{
    const tp_stack_t *e = stack_of(id);
    return e != NULL && e->npcs > 0 ? e->pcs[0] : 0;
}

static void lock_stats(tp_lock_stats_t *st, int with_memory);

/* The per-lock figures of the other lock bookkeeping join the
 * contention statistics: hold times, locks held across blocking calls. */
void tp_lockprof_stats(tp_lock_stats_t *st)
{
    lock_stats(st, 1);
    tp_holdprof_view(st);
    tp_held_across_view(st);
}

void tp_lockprof_stats_light(tp_lock_stats_t *st)
{
    lock_stats(st, 0);
    tp_holdprof_view(st);
    tp_held_across_view(st);
}

/* with_memory: also what the tables hold in memory (mincore: slow). */
static void lock_stats(tp_lock_stats_t *st, int with_memory)
{
    memset(st, 0, sizeof *st);
    st->enabled = mutex_fraction != 0 || block_rate != 0;
    st->stack_cap = STACK_SLOTS / 2;
    st->lock_cap = LOCK_SLOTS;
    st->dropped_events = atomic_load(&dropped_events) + atomic_load(&dropped_locks);
    st->stacks = tp_stacktab_used(&stacks);
    lock_table_t *t = atomic_load_explicit(&locks, memory_order_acquire);
    st->tables_bytes = tp_stacktab_bytes(&stacks) + (t != NULL ? sizeof *t : 0);
    if (with_memory)
        st->tables_resident = tp_stacktab_resident(&stacks) +
                              (t != NULL ? tp_resident_bytes(t, sizeof *t) : 0);
    if (t == NULL)
        return;
    /* Keep the most delayed, sorted (insertion into a short array); the
     * counters move while they are read, which only blurs the last digits
     * of a live process's figures. */
    uint32_t ids[TP_LOCK_STATS_MAX];
    size_t n = 0;
    uint32_t nclaimed = atomic_load_explicit(&t->nclaimed, memory_order_acquire);
    for (uint32_t k = 0; k < nclaimed && k < LOCK_SLOTS; k++) {
        uint32_t slot = atomic_load_explicit(&t->claimed[k], memory_order_acquire);
        if (slot == 0)
            continue;   /* being listed right now */
        uint32_t i = slot - 1;
        lock_entry_t *e = &t->locks[i];
        uintptr_t a = atomic_load_explicit(&e->addr, memory_order_relaxed);
        if (a == 0)
            continue;
        st->lock_entries++;
        uint64_t c = atomic_load_explicit(&e->contentions, memory_order_relaxed);
        if (c == 0)
            continue;
        st->contended_locks++;
        st->total_contentions += c;
        tp_lock_stat_t l = {
            .addr = a & ~RETIRED, .destroyed = (a & RETIRED) != 0,
            .kind = TP_LOCK_MUTEX, .contentions = c,
            .total_ns = atomic_load_explicit(&e->delay, memory_order_relaxed),
            .max_ns = atomic_load_explicit(&e->max_delay, memory_order_relaxed),
        };
        st->total_ns += l.total_ns;
        size_t pos = n;
        while (pos > 0 && l.total_ns > st->locks[pos - 1].total_ns)
            pos--;
        if (pos >= TP_LOCK_STATS_MAX)
            continue;
        if (n < TP_LOCK_STATS_MAX)
            n++;
        memmove(&st->locks[pos + 1], &st->locks[pos], (n - 1 - pos) * sizeof st->locks[0]);
        memmove(&ids[pos + 1], &ids[pos], (n - 1 - pos) * sizeof *ids);
        st->locks[pos] = l;
        ids[pos] = i;
    }
    for (size_t k = 0; k < n; k++) {
        lock_entry_t *e = &t->locks[ids[k]];
        st->locks[k].waiter_site =
            site_of(atomic_load_explicit(&e->waiter, memory_order_relaxed));
        st->locks[k].holder_site =
            site_of(atomic_load_explicit(&e->blamed, memory_order_relaxed));
    }
    st->nlocks = n;
}
