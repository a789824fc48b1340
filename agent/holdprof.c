/*
 * holdprof: how long locks are held, the measure the Go handbook judges a
 * lock by (an average hold under 100 us is healthy).
 *
 * Timing every hold would put two clock reads (~40 ns) on the
 * uncontended lock and unlock, whose whole cost is ~10 ns.  Instead:
 *   - one acquisition in THREADPROF_HOLD_FRACTION per thread (a countdown
 *     on the held-list push, agent/held.h) is timed precisely, from just
 *     after the lock is taken to just before it is released.  Scaled back
 *     by the fraction, the samples estimate each lock's acquisitions and
 *     total hold time without bias (which acquisition is timed does not
 *     depend on how long it is held);
 *   - every hold during which the thread blocks in an intercepted call
 *     (agent/heldacross.c) is timed from that call on (from its
 *     acquisition when it is also sampled): a lower bound of the hold,
 *     exact when the call comes first, as in "lock; sleep".  Such holds
 *     are counted every one, not sampled: the estimate of a lock's
 *     acquisitions and hold time is those holds, plus the others'
 *     samples scaled back.  The long holds that matter most are then
 *     known from the first one, not once in 256.
 * Only the marked entries' releases come here (tp__held_marked): the
 * unmarked unlock pays one test it paid before.
 *
 * Per lock, in a lock-free table keyed by address (as agent/lockprof.c's
 * lock table): timed samples and their total, the longest hold seen and
 * where it was taken.  A lock destroyed or initialised again is a new
 * lock (tp_holdprof_forget retires its entry).  Never malloc.
 */
#include <errno.h>
#include <string.h>

#include "agent/internal.h"
#include "agent/tablemap.h"
#include "model/locks.h"

#define SLOTS 8192           /* power of two */
#define PROBES 32
#define RETIRED ((uintptr_t)1)

typedef struct hold_entry {
    _Atomic uintptr_t addr;       /* 0: empty; | RETIRED when destroyed */
    _Atomic uint32_t kind;        /* TP_LOCK_*; an rwlock's last kind */
    _Atomic uint64_t samples;     /* sampled holds without a blocking call */
    _Atomic uint64_t sampled_ns;  /* their total */
    _Atomic uint64_t blocked;     /* holds with a blocking call: every one */
    _Atomic uint64_t blocked_ns;  /* their total (at least) */
    _Atomic uint64_t max_ns;      /* the longest hold seen, timed either way */
    _Atomic uintptr_t max_site;   /* where that hold was taken */
} hold_entry_t;

typedef struct hold_table {
    hold_entry_t e[SLOTS];
    _Atomic uint32_t nclaimed;
} hold_table_t;

static void *_Atomic table;
static _Atomic uint64_t dropped;
static uint32_t fraction;        /* THREADPROF_HOLD_FRACTION, 0: off */

void tp_holdprof_init(void)
{
    fraction = (uint32_t)tp_config.hold_fraction;
}

void tp_holdprof_after_fork_child(void)
{
    tp_table_drop(&table, sizeof(hold_table_t));
    atomic_store(&dropped, 0);
}

static uint32_t slot_of(uintptr_t key)
{
    return (uint32_t)((key >> 4) * 0x9e3779b1u) & (SLOTS - 1);
}

/* The live entry of lock, claimed when new; NULL when its probe sequence
 * is full (counted) or the table cannot be mapped. */
static hold_entry_t *entry_of(const void *lock, uint32_t kind)
{
    hold_table_t *t = tp_table_lazy(&table, sizeof(hold_table_t));
    if (t == NULL)
        return NULL;
    uintptr_t key = (uintptr_t)lock;
    uint32_t i = slot_of(key);
    for (int probe = 0; probe < PROBES; probe++, i = (i + 1) & (SLOTS - 1)) {
        hold_entry_t *e = &t->e[i];
        uintptr_t a = atomic_load_explicit(&e->addr, memory_order_relaxed);
        if (a == 0) {
            uintptr_t expected = 0;
            if (atomic_compare_exchange_strong(&e->addr, &expected, key)) {
                atomic_fetch_add_explicit(&t->nclaimed, 1, memory_order_relaxed);
                atomic_store_explicit(&e->kind, kind, memory_order_relaxed);
                return e;
            }
            a = expected;
        }
        if (a == key) {
            atomic_store_explicit(&e->kind, kind, memory_order_relaxed);
            return e;
        }
    }
    atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    return NULL;
}

static hold_entry_t *find(hold_table_t *t, uintptr_t key)
{
    uint32_t i = slot_of(key & ~RETIRED);
    for (int probe = 0; probe < PROBES; probe++, i = (i + 1) & (SLOTS - 1)) {
        uintptr_t a = atomic_load_explicit(&t->e[i].addr, memory_order_relaxed);
        if (a == key)
            return &t->e[i];
        if (a == 0)
            break;
    }
    return NULL;
}

void tp_holdprof_forget(const void *lock)
{
    hold_table_t *t = atomic_load_explicit(&table, memory_order_acquire);
    if (TP_LIKELY(t == NULL))
        return;
    uintptr_t key = (uintptr_t)lock;
    hold_entry_t *e = find(t, key);
    if (e != NULL)
        atomic_compare_exchange_strong(&e->addr, &key, key | RETIRED);
}

uint32_t tp_holdprof_first_countdown(const tp_thread_t *t)
{
    if (fraction == 0)
        return UINT32_MAX;
    /* A random start, so that a thread's first acquisitions are not
     * timed more often than its others (a program of many short threads
     * would otherwise time every thread's first lock). */
    uint64_t x = tp_now_ns() ^ (uint64_t)(uintptr_t)t;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (uint32_t)(x % fraction);
}

void tp__hold_sample(tp_thread_t *t, uint32_t n)
{
    /* Off: the countdown is rearmed to its largest value, so the push
     * comes here once in 4 billion acquisitions. */
    t->hold_countdown = fraction != 0 ? fraction - 1 : UINT32_MAX;
    if (fraction == 0 || tp_in_agent || n >= TP_HELD_MAX)
        return;
    int saved = errno;
    tp_held_t *h = &t->held[n];
    h->t0 = tp_now_ns();
    /* Atomic: a waiter may be marking the entry contended already. */
    __atomic_fetch_or(&h->when_kind, TP_HELD_TIMED | TP_HELD_SAMPLED, __ATOMIC_RELAXED);
    errno = saved;
}

/* A hold of d ns ended: sampled (timed from its acquisition) or a lower
 * bound (timed from a blocking call). */
static void record(const tp_held_t *h, uint64_t wk, uint64_t d)
{
    if (tp_addr_in_agent((uintptr_t)h->lock))
        return;   /* the agent's own, taken on this thread */
    hold_entry_t *e = entry_of(h->lock, (uint32_t)wk & 0x0f);
    if (e == NULL)
        return;
    if (wk & TP_HELD_BLOCKED) {
        atomic_fetch_add_explicit(&e->blocked, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&e->blocked_ns, d, memory_order_relaxed);
    } else if (wk & TP_HELD_SAMPLED) {
        atomic_fetch_add_explicit(&e->samples, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&e->sampled_ns, d, memory_order_relaxed);
    }
    uint64_t max = atomic_load_explicit(&e->max_ns, memory_order_relaxed);
    while (d > max) {
        if (atomic_compare_exchange_weak_explicit(&e->max_ns, &max, d, memory_order_relaxed,
                                                  memory_order_relaxed)) {
            atomic_store_explicit(&e->max_site, h->site, memory_order_relaxed);
            break;
        }
    }
}

uint32_t tp__held_marked(tp_thread_t *t, const tp_held_t *h, uint64_t wk)
{
    (void)t;
    if (wk & TP_HELD_TIMED) {
        int saved = errno;
        uint64_t now = tp_now_ns();
        record(h, wk, now > h->t0 ? now - h->t0 : 0);
        errno = saved;
    }
    return (uint32_t)wk & TP_HELD_CONTENDED;
}

void tp_holdprof_blocked(tp_thread_t *t, uint64_t since)
{
    if (fraction == 0)
        return;
    uint32_t n = t->nheld < TP_HELD_MAX ? t->nheld : TP_HELD_MAX;
    for (uint32_t i = 0; i < n; i++) {
        tp_held_t *h = &t->held[i];
        uint64_t wk = __atomic_load_n(&h->when_kind, __ATOMIC_RELAXED);
        if (wk & TP_HELD_BLOCKED)
            continue;   /* blocked in a call before */
        if (!(wk & TP_HELD_TIMED))
            h->t0 = since;   /* else sampled: timed from its acquisition */
        __atomic_fetch_or(&h->when_kind, TP_HELD_TIMED | TP_HELD_BLOCKED, __ATOMIC_RELAXED);
    }
}

/* --- views ------------------------------------------------------------ */

/* The figures of entry e into l (hold fields only). */
static void fill(tp_lock_stat_t *l, hold_entry_t *e)
{
    uint64_t n = atomic_load_explicit(&e->samples, memory_order_relaxed);
    uint64_t b = atomic_load_explicit(&e->blocked, memory_order_relaxed);
    l->hold_samples = n;
    l->hold_blocked = b;
    l->acquisitions = b + n * fraction;
    l->hold_ns = atomic_load_explicit(&e->blocked_ns, memory_order_relaxed) +
                 atomic_load_explicit(&e->sampled_ns, memory_order_relaxed) * fraction;
    l->hold_max_ns = atomic_load_explicit(&e->max_ns, memory_order_relaxed);
    l->hold_max_site = atomic_load_explicit(&e->max_site, memory_order_relaxed);
}

/* Whether a ranks before b among the locks held longest: more total hold
 * (estimated), then the longer hold. */
static int held_before(const tp_lock_stat_t *a, const tp_lock_stat_t *b)
{
    if (a->hold_ns != b->hold_ns)
        return a->hold_ns > b->hold_ns;
    return a->hold_max_ns > b->hold_max_ns;
}

void tp_holdprof_view(tp_lock_stats_t *st)
{
    st->hold_fraction = fraction;
    st->hold_cap = SLOTS;
    st->hold_dropped = atomic_load(&dropped);
    st->nholds = 0;
    hold_table_t *t = atomic_load_explicit(&table, memory_order_acquire);
    if (t == NULL)
        return;
    st->hold_entries = atomic_load_explicit(&t->nclaimed, memory_order_relaxed);
    /* The contended locks' hold figures. */
    for (size_t k = 0; k < st->nlocks && k < TP_LOCK_STATS_MAX; k++) {
        tp_lock_stat_t *l = &st->locks[k];
        hold_entry_t *e = find(t, l->addr | (l->destroyed ? RETIRED : 0));
        if (e != NULL)
            fill(l, e);
    }
    /* The locks held longest, contended or not. */
    for (uint32_t i = 0; i < SLOTS; i++) {
        hold_entry_t *e = &t->e[i];
        uintptr_t a = atomic_load_explicit(&e->addr, memory_order_relaxed);
        if (a == 0)
            continue;
        tp_lock_stat_t l = {.addr = a & ~RETIRED, .destroyed = (a & RETIRED) != 0,
                            .kind = (tp_lock_kind_t)atomic_load_explicit(
                                &e->kind, memory_order_relaxed)};
        fill(&l, e);
        if (l.acquisitions == 0)
            continue;
        size_t pos = st->nholds;
        while (pos > 0 && held_before(&l, &st->holds[pos - 1]))
            pos--;
        if (pos >= TP_HOLD_STATS_MAX)
            continue;
        if (st->nholds < TP_HOLD_STATS_MAX)
            st->nholds++;
        memmove(&st->holds[pos + 1], &st->holds[pos],
                (st->nholds - 1 - pos) * sizeof st->holds[0]);
        st->holds[pos] = l;
    }
}
