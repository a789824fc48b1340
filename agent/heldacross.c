/*
 * heldacross: locks held across blocking calls, the misuse the Go
 * handbook's table of dangerous patterns puts first ("an HTTP call or
 * time.Sleep inside the lock").
 *
 * A blocking call begun while the thread holds locks is timed precisely
 * (agent/wait.h: tp_wait_begin reads the clock only then, and never for
 * a lock wait).  When it ends, each mutex and write-locked rwlock on the
 * thread's held list is charged with it, in a row of its own per (lock,
 * where it was taken, where the thread blocked): count, total and
 * longest time blocked.  Read locks are left out (readers do not exclude
 * each other; holding one across a call delays writers only), and so is
 * a cond wait's own mutex, which the wait releases (it is off the held
 * list during the wait).  Trylocked locks are on the held list, so they
 * count.
 *
 * The rows live in a lock-free, lazily mapped table (a CAS claims a row
 * for its key; the row is published when filled), never malloc: the
 * caller is a host thread just back from its call.  Rows are never
 * deleted; a full probe sequence counts the event as dropped.
 */
#include <errno.h>
#include <string.h>

#include "agent/internal.h"
#include "agent/tablemap.h"
#include "model/locks.h"

#define SLOTS 1024            /* power of two */
#define PROBES 16

typedef struct row {
    _Atomic uint64_t key;     /* 0: empty; hash of the three addresses | 1 */
    _Atomic uint32_t ready;   /* the fields below the key are written */
    uint32_t kind;            /* TP_LOCK_MUTEX or TP_LOCK_WRITE */
    uintptr_t lock, taken, blocked;
    const char *call;         /* the hook's name for the call: static text */
    _Atomic uint64_t count, total_ns, max_ns;
} row_t;

typedef struct table {
    row_t rows[SLOTS];
} table_t;

static void *_Atomic table;
static _Atomic uint64_t dropped;

void tp_held_across_after_fork_child(void)
{
    tp_table_drop(&table, sizeof(table_t));
    atomic_store(&dropped, 0);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

/* The row of (lock, taken, blocked), claimed when new; NULL when the
 * table is full there (counted) or cannot be mapped. */
static row_t *row_of(const void *lock, uint32_t kind, uintptr_t taken, uintptr_t blocked,
                     const char *call)
{
    table_t *t = tp_table_lazy(&table, sizeof(table_t));
    if (t == NULL)
        return NULL;
    uint64_t key = mix(mix(mix(0, (uintptr_t)lock), taken), blocked) | 1;
    uint32_t i = (uint32_t)(key >> 32) & (SLOTS - 1);
    for (int probe = 0; probe < PROBES; probe++, i = (i + 1) & (SLOTS - 1)) {
        row_t *r = &t->rows[i];
        uint64_t k = atomic_load_explicit(&r->key, memory_order_acquire);
        if (k == 0) {
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong(&r->key, &expected, key)) {
                r->kind = kind;
                r->lock = (uintptr_t)lock;
                r->taken = taken;
                r->blocked = blocked;
                r->call = call;
                atomic_store_explicit(&r->ready, 1, memory_order_release);
                return r;
            }
            k = expected;
        }
        if (k == key)
            return r;   /* counted even before it is ready: a reader waits for ready */
    }
    atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    return NULL;
}

static void charge(row_t *r, uint64_t d)
{
    atomic_fetch_add_explicit(&r->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->total_ns, d, memory_order_relaxed);
    uint64_t max = atomic_load_explicit(&r->max_ns, memory_order_relaxed);
    while (d > max && !atomic_compare_exchange_weak_explicit(
                          &r->max_ns, &max, d, memory_order_relaxed, memory_order_relaxed))
        ;
}

void tp__held_across_done(tp_thread_t *t)
{
    uint64_t t0 = t->held_t0;
    t->held_t0 = 0;
    int saved = errno;
    uint64_t now = tp_now_ns();
    uint64_t d = now > t0 ? now - t0 : 0;
    tp_holdprof_blocked(t, t0);
    uint32_t n = t->nheld < TP_HELD_MAX ? t->nheld : TP_HELD_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const tp_held_t *h = &t->held[i];
        uint32_t kind = TP_HELD_KIND(h);
        if (kind != TP_LOCK_MUTEX && kind != TP_LOCK_WRITE)
            continue;
        if (tp_addr_in_agent((uintptr_t)h->lock))
            continue;   /* the agent's own, taken on this thread */
        row_t *r = row_of(h->lock, kind, h->site, t->site, t->call);
        if (r != NULL)
            charge(r, d);
    }
    errno = saved;
}

/* Whether row a ranks before row b: more total time, then more calls. */
static int ranks_before(const tp_held_across_t *a, const tp_held_across_t *b)
{
    if (a->total_ns != b->total_ns)
        return a->total_ns > b->total_ns;
    return a->count > b->count;
}

void tp_held_across_view(tp_lock_stats_t *st)
{
    st->across_dropped = atomic_load(&dropped);
    st->nacross = 0;
    st->across_rows = 0;
    table_t *t = atomic_load_explicit(&table, memory_order_acquire);
    if (t == NULL)
        return;
    for (uint32_t i = 0; i < SLOTS; i++) {
        row_t *r = &t->rows[i];
        if (!atomic_load_explicit(&r->ready, memory_order_acquire))
            continue;
        tp_held_across_t a = {
            .lock = r->lock, .kind = (tp_lock_kind_t)r->kind, .taken_site = r->taken,
            .block_site = r->blocked, .call = r->call,
            .count = atomic_load_explicit(&r->count, memory_order_relaxed),
            .total_ns = atomic_load_explicit(&r->total_ns, memory_order_relaxed),
            .max_ns = atomic_load_explicit(&r->max_ns, memory_order_relaxed),
        };
        if (a.count == 0)
            continue;
        st->across_rows++;
        size_t pos = st->nacross;
        while (pos > 0 && ranks_before(&a, &st->across[pos - 1]))
            pos--;
        if (pos >= TP_HELD_ACROSS_MAX)
            continue;
        if (st->nacross < TP_HELD_ACROSS_MAX)
            st->nacross++;
        memmove(&st->across[pos + 1], &st->across[pos],
                (st->nacross - 1 - pos) * sizeof st->across[0]);
        st->across[pos] = a;
    }
}
