/*
 * lockprof: Go's mutex and block profiles for pthread programs.
 *
 * Events come only from slow paths (agent.h): a lock hook whose try
 * failed, a cond/sem/barrier/join wait, an unlock whose held-list entry
 * is marked contended (agent.h) and whose mutex word confirms that others
 * wait.  Each wait is timed with CLOCK_MONOTONIC around the real
 * call; the waiter's stack goes to the block profile (Go: the code that
 * waited) and, for mutexes, the stack that last released the mutex while
 * others waited goes to the mutex profile with the waiter's delay (Go:
 * the code that held the lock; the waiter was woken by that release).
 *
 * Storage is two fixed open-addressing tables in one lazily mmap'd block,
 * never malloc:
 *   - stacks: interned call stacks (up to 32 frames), each with the
 *     cumulative counters of both profiles.  Lookups are lock-free (an
 *     entry is published by a release store of its hash once complete);
 *     inserting takes a small internal mutex.  At most STACK_CAP stacks;
 *     events whose stack finds no room are counted as dropped.
 *   - locks: mutex address -> id of its last contended release stack
 *     and the summary's statistics of its contended acquisitions (count,
 *     total and max delay, most recent waiter's stack; every one, not
 *     sampled, updated with relaxed atomics in tp_lockwait_end), lock-free
 *     (CAS on the address), never deleted, capped likewise.  A wait still
 *     in progress (a deadlock) is counted only once it acquires.  A mutex
 *     destroyed or initialised again is a new lock: its entry is retired
 *     (tp_lockprof_forget: the key gets RETIRED, lookups probe past it,
 *     the summary still shows it) and its next contention makes a new one.
 * A per-thread cache (tp_thread_t.scache) maps (call site, stack pointer)
 * to a stack id so a contended lock in a loop is unwound once: unwinding
 * costs 1-3 us, the cache a few ns.  Two different call chains reaching
 * the same call site at the same stack depth in the same thread would
 * share an entry; every 256th hit unwinds again, which bounds how long a
 * wrong stack can be reported.
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
#include "agent/tablemap.h"
#include "output/outfile.h"
#include "output/pprof.h"
#include "output/summary.h"

#define FRAMES 32
#define STACK_SLOTS 8192          /* power of two */
#define STACK_CAP 4096            /* at most half full: short probes */
#define LOCK_SLOTS 16384          /* power of two */
#define LOCK_PROBES 32
#define REFRESH_HITS 256
/* Block counts are fractional (rate/d) and kept in thousandths. */
#define MILLI 1000u

typedef struct stack_entry {
    _Atomic uint64_t hash;        /* 0: empty; published when complete */
    uint32_t npcs;
    uintptr_t pcs[FRAMES];
    _Atomic uint64_t mutex_count;
    _Atomic uint64_t mutex_delay;
    _Atomic uint64_t block_mcount; /* thousandths of events */
    _Atomic uint64_t block_delay;
} stack_entry_t;

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
} lock_entry_t;

/* The low bit of a retired entry's key.  Mutexes are aligned, so no live
 * key has it. */
#define RETIRED ((uintptr_t)1)

typedef struct tables {
    stack_entry_t stacks[STACK_SLOTS];
    lock_entry_t locks[LOCK_SLOTS];
} tables_t;

static void *_Atomic tables;   /* tables_t, mapped on first use */
static pthread_mutex_t insert_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t nstacks;                   /* under insert_lock */
static _Atomic uint64_t dropped_events;    /* no room for their stack */
static _Atomic uint64_t dropped_locks;     /* lock table full */
static _Atomic uint64_t unstacked;         /* libunwind not loaded yet */

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

static tables_t *get_tables(void)
{
    return tp_table_lazy(&tables, sizeof(tables_t));
}

void tp_lockprof_after_fork_child(void)
{
    /* Only this thread survives; whatever the others were doing to the
     * tables (or to insert_lock) is dropped with them.  The parent's
     * counts are not the child's: unmap, and map afresh on first use. */
    tp_table_drop(&tables, sizeof(tables_t));
    pthread_mutex_init(&insert_lock, NULL);
    nstacks = 0;
    atomic_store(&dropped_events, 0);
    atomic_store(&dropped_locks, 0);
    atomic_store(&unstacked, 0);
    if (tp_self != NULL)
        memset(tp_self->scache, 0, sizeof tp_self->scache);
}

static uint64_t hash_stack(const uintptr_t *pcs, int n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++)
        h = (h ^ pcs[i]) * 1099511628211ull;
    h ^= h >> 29;
    return h | 1;   /* never 0 (empty) */
}

/* The id (slot + 1) of the stack, interned if new; 0 when the table is
 * full.  Caller has tp_in_agent raised (insert_lock goes through our own
 * mutex hook, which must pass straight through). */
static uint32_t intern(tables_t *t, const uintptr_t *pcs, int n)
{
    uint64_t h = hash_stack(pcs, n);
    int locked = 0;
    for (;;) {
        uint32_t i = (uint32_t)h & (STACK_SLOTS - 1);
        for (uint32_t probe = 0; probe < STACK_SLOTS; probe++,
             i = (i + 1) & (STACK_SLOTS - 1)) {
            stack_entry_t *e = &t->stacks[i];
            uint64_t eh = atomic_load_explicit(&e->hash, memory_order_acquire);
            if (eh == 0) {
                if (!locked)
                    break;    /* not there: insert under the lock */
                if (nstacks >= STACK_CAP) {
                    pthread_mutex_unlock(&insert_lock);
                    return 0;
                }
                e->npcs = (uint32_t)n;
                memcpy(e->pcs, pcs, (size_t)n * sizeof *pcs);
                atomic_store_explicit(&e->hash, h, memory_order_release);
                nstacks++;
                pthread_mutex_unlock(&insert_lock);
                return i + 1;
            }
            if (eh == h && e->npcs == (uint32_t)n &&
                memcmp(e->pcs, pcs, (size_t)n * sizeof *pcs) == 0) {
                if (locked)
                    pthread_mutex_unlock(&insert_lock);
                return i + 1;
            }
        }
        if (locked) {     /* cannot happen below the cap; be safe */
            pthread_mutex_unlock(&insert_lock);
            return 0;
        }
        pthread_mutex_lock(&insert_lock);
        locked = 1;       /* probe again: another thread may have added it */
    }
}

/* The calling host code's stack, interned; the thread's cache answers
 * repeated (site, sp) pairs.  0 when there is no room. */
static uint32_t stack_id(tables_t *t, uintptr_t site, uintptr_t sp)
{
    tp_thread_t *self = tp_self;
    __typeof__(&self->scache[0]) c = NULL;
    if (self != NULL) {
        c = &self->scache[((site >> 4) ^ (sp >> 4) ^ (sp >> 10)) & (TP_SCACHE - 1)];
        if (c->id != 0 && c->site == site && c->sp == sp &&
            ++c->hits % REFRESH_HITS != 0)
            return c->id;
    }
    uintptr_t pcs[FRAMES];
    int n = tp_backtrace_nowait(pcs, FRAMES);
    uint32_t id;
    tp_in_agent++;
    if (n < 0) {
        /* Early events, before libunwind is loaded: kept under an empty
         * stack so the totals stay right; never cached. */
        atomic_fetch_add_explicit(&unstacked, 1, memory_order_relaxed);
        id = intern(t, pcs, 0);
        tp_in_agent--;
        return id;
    }
    id = intern(t, pcs, n);
    tp_in_agent--;
    if (c != NULL && id != 0) {
        c->site = site;
        c->sp = sp;
        c->id = id;
        c->hits = 0;
    }
    return id;
}

/* Adds one sampled wait of d ns, standing for `weight` waits like it, to
 * a stack's block counters, scaled back as Go's saveblockevent() does: a
 * wait shorter than the rate stands for rate/d waits of rate ns in all. */
static void add_block(tables_t *t, uint32_t id, uint64_t d, uint64_t weight)
{
    stack_entry_t *e = &t->stacks[id - 1];
    if (d >= block_rate) {
        atomic_fetch_add_explicit(&e->block_mcount, MILLI * weight, memory_order_relaxed);
        atomic_fetch_add_explicit(&e->block_delay, d * weight, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&e->block_mcount, block_rate * MILLI / d * weight,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&e->block_delay, block_rate * weight,
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
static lock_entry_t *lock_entry(tables_t *t, const void *m)
{
    uintptr_t key = (uintptr_t)m;
    uint32_t i = (uint32_t)((key >> 4) * 0x9e3779b1u) & (LOCK_SLOTS - 1);
    for (int probe = 0; probe < LOCK_PROBES; probe++, i = (i + 1) & (LOCK_SLOTS - 1)) {
        lock_entry_t *e = &t->locks[i];
        uintptr_t a = atomic_load_explicit(&e->addr, memory_order_relaxed);
        if (a == 0) {
            uintptr_t expected = 0;
            if (!atomic_compare_exchange_strong(&e->addr, &expected, key) &&
                expected != key)
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
static void count_contention(tables_t *t, const void *m, uint64_t d, uint32_t waiter,
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
    tables_t *t = get_tables();
    if (t == NULL)
        goto out;
    uint32_t id = stack_id(t, site, (uintptr_t)__builtin_frame_address(0));
    if (id == 0) {
        atomic_fetch_add_explicit(&dropped_events, 1, memory_order_relaxed);
        goto out;
    }
    lock_entry_t *e = lock_entry(t, m);
    /* Published before the real unlock: the waiter that takes the mutex
     * next sees it (the mutex orders the two). */
    if (e != NULL)
        atomic_store_explicit(&e->release, id, memory_order_relaxed);
out:
    errno = saved;
}

/* The live entry of mutex m, or NULL; never claims one. */
static lock_entry_t *find_lock(tables_t *t, const void *m)
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

static uint32_t last_release(tables_t *t, const void *m)
{
    lock_entry_t *e = find_lock(t, m);
    return e != NULL ? atomic_load_explicit(&e->release, memory_order_relaxed) : 0;
}

void tp_lockprof_forget(const void *lock)
{
    tables_t *t = atomic_load_explicit(&tables, memory_order_acquire);
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
    tables_t *t = get_tables();
    if (t != NULL) {
        w->stack = stack_id(t, site, (uintptr_t)__builtin_frame_address(0));
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
    tables_t *t = atomic_load_explicit(&tables, memory_order_acquire);
    if (t == NULL)
        goto out;
    if (w->stack == 0)
        atomic_fetch_add_explicit(&dropped_events, 1, memory_order_relaxed);
    /* The release that woke this waiter (read before anything else can
     * release the mutex: this thread holds it now). */
    uint32_t rel = kind == TP_LW_MUTEX && obj != NULL && layout_ok ? last_release(t, obj) : 0;
    /* The summary's per-lock statistics: every contended acquisition. */
    if (kind == TP_LW_MUTEX && obj != NULL)
        count_contention(t, obj, d, w->stack, rel);

    /* Mutex profile: Go's rule, 1 in fraction, scaled back. */
    if (kind == TP_LW_MUTEX && mutex_fraction > 0 &&
        (mutex_fraction == 1 || random64() % (uint64_t)mutex_fraction == 0)) {
        uint32_t id = rel;
        if (id == 0)
            id = w->stack;   /* releaser unknown: blame the waiter's stack */
        if (id != 0) {
            stack_entry_t *e = &t->stacks[id - 1];
            atomic_fetch_add_explicit(&e->mutex_count, (uint64_t)mutex_fraction,
                                      memory_order_relaxed);
            atomic_fetch_add_explicit(&e->mutex_delay, d * (uint64_t)mutex_fraction,
                                      memory_order_relaxed);
        }
    }
    /* Block profile: Go's blocksampled() and saveblockevent(). */
    if (block_rate > 0 && w->stack != 0 &&
        (d >= block_rate || random64() % block_rate <= d))
        add_block(t, w->stack, d, 1);
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
    tables_t *t = get_tables();
    if (t != NULL && (d >= block_rate || random64() % block_rate <= d)) {
        uint32_t id = stack_id(t, site, sp);
        if (id != 0)
            add_block(t, id, d, weight);
        else
            atomic_fetch_add_explicit(&dropped_events, 1, memory_order_relaxed);
    }
    errno = saved;
}

/* --- writing ---------------------------------------------------------- */

static tp_pprof_t *new_profile(void)
{
    tp_pprof_t *p = tp_pprof_new();
    if (p == NULL)
        return NULL;
    if (tp_pprof_sample_type(p, "contentions", "count") != 0 ||
        tp_pprof_sample_type(p, "delay", "nanoseconds") != 0) {
        tp_pprof_free(p);
        return NULL;
    }
    tp_pprof_period(p, "contentions", "count", 1);
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    uint64_t since = tp_now_ns() - tp_start_ns;
    int64_t now_ns = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec;
    tp_pprof_time(p, now_ns - (int64_t)since, (int64_t)since);
    return p;
}

static int write_one(tp_pprof_t *p, int dirfd, const char *name)
{
    tp_outfile_t f;
    int r = tp_outfile_create(&f, dirfd, name);
    if (r != 0)
        return r;
    static tp_sink_t sink;
    tp_sink_init_file(&sink, f.fd, f.dev, f.ino);
    int err = tp_pprof_write(p, &sink);
    r = tp_outfile_finish(&f, err == 0);
    return err != 0 ? -err : r;
}

/* The call site (innermost frame) of interned stack id, or "". */
static void site_of(const tables_t *t, uint32_t id, char *buf, size_t len)
{
    buf[0] = '\0';
    if (id == 0 || id > STACK_SLOTS)
        return;
    const stack_entry_t *e = &t->stacks[id - 1];
    if (atomic_load_explicit(&e->hash, memory_order_acquire) != 0 && e->npcs > 0)
        tp_summary_site(e->pcs[0], buf, len);
}

void tp_lockprof_summary(tp_summary_t *sum, tp_summary_lock_t *locks, size_t max)
{
    sum->lock_stats = mutex_fraction != 0 || block_rate != 0;
    sum->locks = locks;
    sum->nlocks = 0;
    sum->contended_locks = 0;
    sum->stacks = 0;
    sum->stack_cap = STACK_CAP;
    sum->lock_entries = 0;
    sum->lock_cap = LOCK_SLOTS;
    sum->dropped_events = atomic_load(&dropped_events) + atomic_load(&dropped_locks);
    tables_t *t = atomic_load_explicit(&tables, memory_order_acquire);
    sum->tables_bytes = t != NULL ? sizeof *t : 0;
    sum->tables_resident = t != NULL ? tp_resident_bytes(t, sizeof *t) : 0;
    if (t == NULL || max == 0)
        return;
    for (uint32_t i = 0; i < STACK_SLOTS; i++)
        sum->stacks += atomic_load_explicit(&t->stacks[i].hash, memory_order_relaxed) != 0;
    /* Keep the max most delayed, sorted (insertion into a short array);
     * the counters move while they are read, which only blurs the last
     * digits of a live process's figures. */
    uint32_t ids[TP_SUMMARY_TOP_LOCKS * 4];
    if (max > sizeof ids / sizeof *ids)
        max = sizeof ids / sizeof *ids;
    size_t n = 0;
    for (uint32_t i = 0; i < LOCK_SLOTS; i++) {
        lock_entry_t *e = &t->locks[i];
        uintptr_t a = atomic_load_explicit(&e->addr, memory_order_relaxed);
        if (a == 0)
            continue;
        sum->lock_entries++;
        uint64_t c = atomic_load_explicit(&e->contentions, memory_order_relaxed);
        if (c == 0)
            continue;
        sum->contended_locks++;
        tp_summary_lock_t l = {
            .addr = a & ~RETIRED, .destroyed = (a & RETIRED) != 0,
            .kind = "mutex", .contentions = c,
            .total_ns = atomic_load_explicit(&e->delay, memory_order_relaxed),
            .max_ns = atomic_load_explicit(&e->max_delay, memory_order_relaxed),
        };
        size_t pos = n;
        while (pos > 0 && l.total_ns > locks[pos - 1].total_ns)
            pos--;
        if (pos >= max)
            continue;
        if (n < max)
            n++;
        memmove(&locks[pos + 1], &locks[pos], (n - 1 - pos) * sizeof *locks);
        memmove(&ids[pos + 1], &ids[pos], (n - 1 - pos) * sizeof *ids);
        locks[pos] = l;
        ids[pos] = i;
    }
    /* Symbolized only for the locks shown. */
    for (size_t k = 0; k < n; k++) {
        lock_entry_t *e = &t->locks[ids[k]];
        site_of(t, atomic_load_explicit(&e->waiter, memory_order_relaxed),
                locks[k].waiter, sizeof locks[k].waiter);
        site_of(t, atomic_load_explicit(&e->blamed, memory_order_relaxed),
                locks[k].holder, sizeof locks[k].holder);
    }
    sum->nlocks = n;
}

unsigned tp_lockprof_write(int dirfd, const char *dir, pid_t pid, unsigned seq,
                           int report)
{
    static int warned;
    unsigned written = 0;
    if (mutex_fraction == 0 && block_rate == 0)
        return 0;
    tp_pprof_t *mp = mutex_fraction > 0 ? new_profile() : NULL;
    tp_pprof_t *bp = block_rate > 0 ? new_profile() : NULL;
    int r = 0;
    const char *what = "profiles";
    if ((mutex_fraction > 0 && mp == NULL) || (block_rate > 0 && bp == NULL))
        r = -ENOMEM;
    char note[256];
    snprintf(note, sizeof note, "threadprof: mutex fraction %ld, block rate %llu ns; "
             "dropped: %llu events (stack table full), %llu locks (lock table "
             "full); %llu events before stacks were available",
             mutex_fraction, (unsigned long long)block_rate,
             (unsigned long long)atomic_load(&dropped_events),
             (unsigned long long)atomic_load(&dropped_locks),
             (unsigned long long)atomic_load(&unstacked));
    if (mp != NULL)
        tp_pprof_comment(mp, note);
    if (bp != NULL)
        tp_pprof_comment(bp, note);
    tables_t *t = atomic_load_explicit(&tables, memory_order_acquire);
    for (uint32_t i = 0; r == 0 && t != NULL && i < STACK_SLOTS; i++) {
        stack_entry_t *e = &t->stacks[i];
        if (atomic_load_explicit(&e->hash, memory_order_acquire) == 0)
            continue;
        int64_t v[2];
        v[0] = (int64_t)atomic_load_explicit(&e->mutex_count, memory_order_relaxed);
        v[1] = (int64_t)atomic_load_explicit(&e->mutex_delay, memory_order_relaxed);
        if (mp != NULL && v[0] > 0)
            r = tp_pprof_add_sample(mp, e->pcs, (int)e->npcs, 0, v, 2, NULL, 0);
        uint64_t mc = atomic_load_explicit(&e->block_mcount, memory_order_relaxed);
        v[0] = (int64_t)((mc + MILLI / 2) / MILLI);
        v[1] = (int64_t)atomic_load_explicit(&e->block_delay, memory_order_relaxed);
        if (r == 0 && bp != NULL && mc > 0)
            r = tp_pprof_add_sample(bp, e->pcs, (int)e->npcs, 0,
                                    v, 2, NULL, 0);
    }
    char name[NAME_MAX + 1];
    if (r == 0 && mp != NULL) {
        snprintf(name, sizeof name, "threadprof.%d.%u.mutex.pb.gz", (int)pid, seq);
        what = name;
        r = write_one(mp, dirfd, name);
        written |= r == 0 ? TP_LOCKPROF_MUTEX_FILE : 0;
    }
    if (r == 0 && bp != NULL) {
        snprintf(name, sizeof name, "threadprof.%d.%u.block.pb.gz", (int)pid, seq);
        what = name;
        r = write_one(bp, dirfd, name);
        written |= r == 0 ? TP_LOCKPROF_BLOCK_FILE : 0;
    }
    tp_pprof_free(mp);
    tp_pprof_free(bp);
    if (r != 0 && report && !warned++)
        tp_warn("cannot write the mutex/block %s of dump %u in %s: %s "
                "(the thread dump is not affected; reported once)",
                what, seq, dir, strerror(-r));
    return written;
}
