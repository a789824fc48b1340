/*
 * lockorder: lock-order inversions, the deadlocks that can happen
 * (THREADPROF_LOCK_ORDER; what helgrind and TSan call lock-order
 * violations).
 *
 * Every acquisition made while other locks are held adds, for each held
 * lock A, the edge A -> B (B taken while A held) to a global graph, with
 * both call sites, the thread and the stack of B's acquisition, as first
 * seen.  An edge is one per pair and per way each end was taken, for
 * reading or not (rwlocks): the same pair taken for reading and later for
 * writing is two edges, so the read-read rule below never hides the
 * writing one.  A contended lock records its edges before it blocks
 * (tp_lock_order_attempt), so a wait that never ends, a real deadlock,
 * leaves them too.  A new edge A -> B that closes a path B -> ... -> A (at most
 * MAX_DEPTH edges) is a cycle: the run did not need to hang for the
 * locks to be taken in orders that can deadlock.  Each cycle is recorded
 * once (by its set of locks) and the summary of every dump lists it.
 *
 * Cost.  Off (the default, see config.h): the held-list push tests one
 * read-mostly global, nothing else.  On: an acquisition with no other
 * lock held costs the same test plus nheld's compare; one with locks held
 * looks each edge up in the thread's direct-mapped cache (TP_OCACHE
 * entries, agent.h), a few ns per held lock when known.  Only an edge the
 * thread has not seen goes out of line: a lock-free lookup in the global
 * table, and for an edge new to the process a stack capture (1-3 us), an
 * insert under an internal lock and the bounded search for a cycle.
 * Measured on the build host (bench/mutex_uncontended, lock+unlock pair,
 * no other lock held, pinned, median of 15, two runs): on and off alike
 * (27.7/27.7 ns, 23.3/23.4 ns); with one other lock held, 1.0 to 4.3 ns
 * more on (24.2/23.2 ns, 30.7/26.4 ns), over the ~1 ns budget.
 * Hence off by default (config.h); README.md says the same.
 *
 * Identity.  A destroyed or initialised lock (pthread_mutex_destroy,
 * pthread_mutex_init and their rwlock twins) loses its edges (tombstoned)
 * and every thread's cache is flushed (a global epoch), so the same
 * address initialised again is a new lock, destroyed before or not.  A
 * lock whose memory is reused with neither (a static initializer assigned,
 * legal for a default mutex) stays the old lock: its edges may join edges
 * of the new object's lock and report a cycle that is not there.
 *
 * Storage: one lazily mmap'd block, never malloc, so host threads never
 * allocate.  Edges: open addressing on (A, B), EDGE_CAP at most (live and
 * tombstoned: slots are not reused, which keeps lookups lock-free);
 * edges beyond are dropped and counted.  Nodes: per lock address, the
 * number of live edges out of and into it, so that a destroy of a lock
 * with no edges (almost all of them) and the cycle search from a lock
 * with no way out return at once.  All changes are made under one
 * internal mutex taken with tp_in_agent raised (agent/registry.c): its own
 * acquisition then adds no edge and cannot recurse.
 *
 * Readers.  A cycle is a deadlock only if at each of its locks the
 * thread waiting excludes the thread holding: a lock held for reading
 * and wanted for reading (glibc's default rwlock lets a reader in while
 * other readers hold it, even with a writer waiting) blocks nobody, so
 * the search does not pass through it.  The search keeps the first path
 * that reaches each lock; when that path reached it for reading and
 * leaves it for reading, a second path reaching it for writing is not
 * tried, and a cycle through it can be missed.
 *
 * Limits: trylocks add no edge (they cannot block); the read-read rule is
 * glibc's default (PTHREAD_RWLOCK_PREFER_READER_NP): an rwlock set to
 * prefer writers can deadlock readers with a waiting writer, and such a
 * cycle is not reported; cond-wait re-acquisitions count as acquisitions
 * (hooks/cond.c pushes them); beyond TP_HELD_MAX nested locks the outer
 * ones only are known.  An inversion whose edges were all recorded by one
 * thread is reported (the same code run by two threads deadlocks) and
 * labelled so in the summary.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "agent/internal.h"
#include "agent/tablemap.h"
#include "base/procparse.h"

#define FRAMES 24
#define EDGE_SLOTS 8192          /* power of two */
#define EDGE_CAP 4096            /* at most half full: short probes */
#define NODE_SLOTS 8192          /* power of two, as many as edge ends */
#define NODE_PROBES 64
#define MAX_DEPTH 8              /* longest path searched, in edges */
#define MAX_VISIT 128            /* locks reached by one search */
#define MAX_INVERSIONS 16

enum { E_EMPTY = 0, E_LIVE = 1, E_DEAD = 2 };

typedef struct edge {
    _Atomic uint32_t state;      /* published (LIVE) when complete */
    uint32_t kind_from, kind_to;
    uintptr_t from, to;
    uintptr_t site_from, site_to;
    pid_t tid;
    char name[16];
    uint32_t npcs;
    uintptr_t pcs[FRAMES];       /* stack of the acquisition of to */
} edge_t;

typedef struct node {
    _Atomic uintptr_t addr;      /* 0: empty; never removed */
    uint32_t nout, nin;          /* live edges; under graph_lock */
} node_t;

typedef struct inversion {
    int nedges;
    edge_t edges[TP_ORDER_CYCLE_EDGES];   /* copies: edges may die later */
} inversion_t;

typedef struct graph {
    edge_t edges[EDGE_SLOTS];
    node_t nodes[NODE_SLOTS];
    uint32_t used[EDGE_CAP];     /* slots in insertion order: the search's list */
    uint32_t nused;              /* under graph_lock */
    uint32_t nlive;
    inversion_t inv[MAX_INVERSIONS];
    _Atomic uint32_t ninv;       /* published after the entry is written */
} graph_t;

int tp__lock_order_on;
static void *_Atomic graph;                     /* graph_t, mapped on first use */
static pthread_mutex_t graph_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint32_t epoch = 1;               /* bumped by a destroy */
static _Atomic uint64_t dropped_edges;           /* table full */
static _Atomic uint64_t inversions_found;        /* shown or not */

void tp_lock_order_init(void)
{
    tp__lock_order_on = tp_config.lock_order;
}

static graph_t *get_graph(void)
{
    return tp_table_lazy(&graph, sizeof(graph_t));
}

void tp_lock_order_unlock_forced(void)
{
    pthread_mutex_init(&graph_lock, NULL);
}

void tp_lock_order_after_fork_child(void)
{
    /* The child is a new process: its graph starts empty, and the lock
     * is reset whatever state the vanished threads left it in. */
    tp_table_drop(&graph, sizeof(graph_t));
    pthread_mutex_init(&graph_lock, NULL);
    atomic_store(&dropped_edges, 0);
    atomic_store(&inversions_found, 0);
    atomic_fetch_add(&epoch, 1);
}

/* Which ends of an edge were taken for reading: bit 0 from, bit 1 to. */
static uint32_t read_ends(uint32_t kind_from, uint32_t kind_to)
{
    return (kind_from == TP_LOCK_READ) | (uint32_t)(kind_to == TP_LOCK_READ) << 1;
}

static uint32_t edge_hash(uintptr_t a, uintptr_t b, uint32_t rd)
{
    uint64_t h = ((uint64_t)a >> 3) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)b >> 3) ^ rd;
    h *= 0xff51afd7ed558ccdull;
    return (uint32_t)(h >> 32);
}

static int is_edge(const edge_t *e, uintptr_t a, uintptr_t b, uint32_t rd)
{
    return e->from == a && e->to == b && read_ends(e->kind_from, e->kind_to) == rd;
}

static uint32_t cache_index(uintptr_t a, uintptr_t b)
{
    return (uint32_t)(((a >> 4) ^ (b >> 3) ^ (b >> 11)) & (TP_OCACHE - 1));
}

/* The slot of live edge a -> b with read ends rd, or -1.  Lock-free:
 * slots are claimed only under graph_lock and never emptied again. */
static int find_edge(graph_t *g, uintptr_t a, uintptr_t b, uint32_t rd)
{
    uint32_t i = edge_hash(a, b, rd) & (EDGE_SLOTS - 1);
    for (uint32_t probe = 0; probe < EDGE_SLOTS; probe++, i = (i + 1) & (EDGE_SLOTS - 1)) {
        edge_t *e = &g->edges[i];
        uint32_t st = atomic_load_explicit(&e->state, memory_order_acquire);
        if (st == E_EMPTY)
            return -1;
        if (st == E_LIVE && is_edge(e, a, b, rd))
            return (int)i;
    }
    return -1;
}

/* The node of lock address a; with create, claimed when new (under
 * graph_lock).  NULL when absent or the probe sequence is full. */
static node_t *find_node(graph_t *g, uintptr_t a, int create)
{
    uint32_t i = (uint32_t)((a >> 4) * 0x9e3779b1u) & (NODE_SLOTS - 1);
    for (int probe = 0; probe < NODE_PROBES; probe++, i = (i + 1) & (NODE_SLOTS - 1)) {
        node_t *n = &g->nodes[i];
        uintptr_t k = atomic_load_explicit(&n->addr, memory_order_acquire);
        if (k == a)
            return n;
        if (k == 0) {
            if (!create)
                return NULL;
            atomic_store_explicit(&n->addr, a, memory_order_release);
            return n;
        }
    }
    return NULL;
}

/* A canonical key of a cycle: its lock addresses, sorted. */
static int same_locks(const inversion_t *inv, const uintptr_t *sorted, int n)
{
    if (inv->nedges != n)
        return 0;
    uintptr_t mine[TP_ORDER_CYCLE_EDGES];
    for (int i = 0; i < n; i++) {
        uintptr_t v = inv->edges[i].from;
        int j = i;
        while (j > 0 && mine[j - 1] > v) {
            mine[j] = mine[j - 1];
            j--;
        }
        mine[j] = v;
    }
    return memcmp(mine, sorted, (size_t)n * sizeof *sorted) == 0;
}

/* Whether a lock wanted for `wanted` and held for `held` (TP_LOCK_*)
 * lets the wanting thread in: readers share. */
static int shared(uint32_t wanted, uint32_t held)
{
    return wanted == TP_LOCK_READ && held == TP_LOCK_READ;
}

/* Under graph_lock: edge slot s (a -> b) is new; is there a path
 * b -> ... -> a?  A breadth-first search over the live edges, one pass of
 * the insertion list per level, at most MAX_DEPTH levels and MAX_VISIT
 * locks, passing through no lock that readers share (the edge arriving
 * wants it for reading, the edge leaving holds it for reading; b arrives
 * by the new edge, and a closes the cycle into it).  Each lock is reached
 * once, by the first path found.  A cycle found and not already known is
 * recorded. */
static void search_cycle(graph_t *g, uint32_t s)
{
    const edge_t *ne = &g->edges[s];
    uintptr_t a = ne->from, b = ne->to;
    node_t *nb = find_node(g, b, 0);
    if (nb == NULL || nb->nout == 0)
        return;     /* nothing leaves b: the common case, at once */
    struct { uintptr_t lock; int parent; uint32_t edge; } v[MAX_VISIT];
    int nv = 1, level_lo = 0, found = -1;
    v[0].lock = b;
    v[0].parent = -1;
    for (int depth = 0; depth < MAX_DEPTH - 1 && found < 0; depth++) {
        int level_hi = nv;
        if (level_lo == level_hi)
            break;
        for (uint32_t k = 0; k < g->nused && found < 0; k++) {
            uint32_t i = g->used[k];
            const edge_t *e = &g->edges[i];
            if (i == s || atomic_load_explicit(&e->state, memory_order_relaxed) != E_LIVE)
                continue;
            int from = -1;
            for (int j = level_lo; j < level_hi; j++)
                if (v[j].lock == e->from) {
                    from = j;
                    break;
                }
            if (from < 0)
                continue;
            uint32_t in = v[from].parent < 0 ? ne->kind_to : g->edges[v[from].edge].kind_to;
            if (shared(in, e->kind_from))
                continue;
            if (e->to == a && shared(e->kind_to, ne->kind_from))
                continue;
            int seen = 0;
            for (int j = 0; j < nv && !seen; j++)
                seen = v[j].lock == e->to;
            if (seen || nv == MAX_VISIT)
                continue;
            v[nv].lock = e->to;
            v[nv].parent = from;
            v[nv].edge = i;
            if (e->to == a)
                found = nv;
            nv++;
        }
        level_lo = level_hi;
    }
    if (found < 0)
        return;
    /* The path b -> ... -> a, in order, then the new edge a -> b. */
    uint32_t path[TP_ORDER_CYCLE_EDGES];
    int n = 0;
    for (int j = found; v[j].parent >= 0; j = v[j].parent)
        n++;
    if (n + 1 > TP_ORDER_CYCLE_EDGES)
        return;
    int k = n;
    for (int j = found; v[j].parent >= 0; j = v[j].parent)
        path[--k] = v[j].edge;
    path[n++] = s;
    uintptr_t sorted[TP_ORDER_CYCLE_EDGES];
    for (int i = 0; i < n; i++) {
        uintptr_t x = g->edges[path[i]].from;
        int j = i;
        while (j > 0 && sorted[j - 1] > x) {
            sorted[j] = sorted[j - 1];
            j--;
        }
        sorted[j] = x;
    }
    uint32_t ninv = atomic_load_explicit(&g->ninv, memory_order_relaxed);
    for (uint32_t i = 0; i < ninv; i++)
        if (same_locks(&g->inv[i], sorted, n))
            return;
    atomic_fetch_add_explicit(&inversions_found, 1, memory_order_relaxed);
    if (ninv >= MAX_INVERSIONS)
        return;
    inversion_t *inv = &g->inv[ninv];
    inv->nedges = n;
    for (int i = 0; i < n; i++)
        inv->edges[i] = g->edges[path[i]];
    atomic_store_explicit(&g->ninv, ninv + 1, memory_order_release);
}

/* Out of line and cold: held -> lock is not in this thread's cache.
 * Finds it in the global graph or adds it (stack, sites, cycle search),
 * then caches it.  errno is preserved. */
static TP_COLD void new_edge(tp_thread_t *t, uintptr_t a, uint32_t kind_a,
                             uintptr_t site_a, uintptr_t b, uint32_t kind_b,
                             uintptr_t site_b)
{
    int saved = errno;
    uint32_t rd = read_ends(kind_a, kind_b);
    graph_t *g = get_graph();
    if (g == NULL)
        goto out;
    int cached = find_edge(g, a, b, rd) >= 0;
    if (!cached) {
        /* Captured before the lock, and only for edges new to the
         * process (rare: a program has few distinct lock pairs). */
        uintptr_t pcs[FRAMES];
        int np = tp_backtrace(pcs, FRAMES);
        char name[16] = "";
        prctl(PR_GET_NAME, name, 0, 0, 0);
        tp_in_agent++;
        pthread_mutex_lock(&graph_lock);
        uint32_t i = edge_hash(a, b, rd) & (EDGE_SLOTS - 1);
        int slot = -1;
        for (uint32_t probe = 0; probe < EDGE_SLOTS; probe++, i = (i + 1) & (EDGE_SLOTS - 1)) {
            edge_t *e = &g->edges[i];
            uint32_t st = atomic_load_explicit(&e->state, memory_order_relaxed);
            if (st == E_EMPTY) {
                slot = (int)i;
                break;
            }
            if (st == E_LIVE && is_edge(e, a, b, rd))
                break;      /* another thread added it meanwhile */
        }
        node_t *na = NULL, *nb = NULL;
        if (slot >= 0 && g->nused < EDGE_CAP &&
            (na = find_node(g, a, 1)) != NULL && (nb = find_node(g, b, 1)) != NULL) {
            edge_t *e = &g->edges[slot];
            e->from = a;
            e->to = b;
            e->kind_from = kind_a;
            e->kind_to = kind_b;
            e->site_from = site_a;
            e->site_to = site_b;
            e->tid = t->tid;
            memcpy(e->name, name, sizeof e->name);
            e->name[sizeof e->name - 1] = '\0';
            e->npcs = np > 0 ? (uint32_t)np : 0;
            memcpy(e->pcs, pcs, e->npcs * sizeof *pcs);
            atomic_store_explicit(&e->state, E_LIVE, memory_order_release);
            g->used[g->nused++] = (uint32_t)slot;
            g->nlive++;
            na->nout++;
            nb->nin++;
            search_cycle(g, (uint32_t)slot);
            cached = 1;
        } else if (slot >= 0) {
            atomic_fetch_add_explicit(&dropped_edges, 1, memory_order_relaxed);
        } else {
            cached = 1;
        }
        pthread_mutex_unlock(&graph_lock);
        tp_in_agent--;
    }
    /* A dropped edge stays uncached: it is tried again (and counted)
     * each time, which the full table makes cheap (no stack, no search)
     * apart from the stack capture. */
    if (cached) {
        uint32_t c = cache_index(a, b);
        t->ocache[c].from = a | (rd & 1);
        t->ocache[c].to = b | rd >> 1;
    }
out:
    errno = saved;
}

void tp__lock_order_acquire(tp_thread_t *t, uint32_t n, const void *lock,
                            uint32_t kind, uintptr_t site)
{
    if (tp_in_agent)
        return;     /* the agent's own locks, and locks taken inside it */
    uint32_t ep = atomic_load_explicit(&epoch, memory_order_relaxed);
    if (TP_UNLIKELY(t->ocache_epoch != ep)) {
        memset(t->ocache, 0, sizeof t->ocache);
        t->ocache_epoch = ep;
    }
    uintptr_t b = (uintptr_t)lock;
    uint32_t m = n < TP_HELD_MAX ? n : TP_HELD_MAX;
    for (uint32_t i = 0; i < m; i++) {
        const tp_held_t *h = &t->held[i];
        uintptr_t a = (uintptr_t)h->lock;
        if (a == b)
            continue;   /* a recursive mutex taken again */
        /* Cached with the read ends in the addresses' low bits (locks are
         * aligned): each way of taking the pair is its own edge. */
        uint32_t ka = TP_HELD_KIND(h), c = cache_index(a, b);
        if (TP_LIKELY(t->ocache[c].from == (a | (ka == TP_LOCK_READ)) &&
                      t->ocache[c].to == (b | (kind == TP_LOCK_READ))))
            continue;
        new_edge(t, a, ka, h->site, b, kind, site);
    }
}

void tp__lock_order_forget(const void *lock)
{
    if (tp_in_agent)
        return;
    graph_t *g = atomic_load_explicit(&graph, memory_order_acquire);
    if (g == NULL)
        return;
    uintptr_t a = (uintptr_t)lock;
    node_t *n = find_node(g, a, 0);
    /* Lock-free peek: most destroyed locks never had an edge.  An edge
     * being added concurrently to a lock being destroyed is the host's
     * own use-during-destroy. */
    if (n == NULL || (__atomic_load_n(&n->nout, __ATOMIC_RELAXED) == 0 &&
                      __atomic_load_n(&n->nin, __ATOMIC_RELAXED) == 0))
        return;
    int saved = errno;
    tp_in_agent++;
    pthread_mutex_lock(&graph_lock);
    for (uint32_t k = 0; k < g->nused; k++) {
        edge_t *e = &g->edges[g->used[k]];
        if (atomic_load_explicit(&e->state, memory_order_relaxed) != E_LIVE ||
            (e->from != a && e->to != a))
            continue;
        atomic_store_explicit(&e->state, E_DEAD, memory_order_release);
        g->nlive--;
        node_t *nf = find_node(g, e->from, 0), *nt = find_node(g, e->to, 0);
        if (nf != NULL)
            nf->nout--;
        if (nt != NULL)
            nt->nin--;
    }
    /* Every thread's cache may name the dead edges: flush them all. */
    atomic_fetch_add_explicit(&epoch, 1, memory_order_relaxed);
    pthread_mutex_unlock(&graph_lock);
    tp_in_agent--;
    errno = saved;
}

/* --- the summary (dump thread) ----------------------------------------- */

size_t tp_lock_order_inversions(void)
{
    return (size_t)atomic_load(&inversions_found);
}

void tp_lock_order_view(tp_lock_order_t *o)
{
    memset(o, 0, sizeof *o);
    o->enabled = tp__lock_order_on;
    o->found = atomic_load(&inversions_found);
    o->edge_cap = EDGE_CAP;
    o->dropped = atomic_load(&dropped_edges);
    graph_t *g = atomic_load_explicit(&graph, memory_order_acquire);
    o->bytes = g != NULL ? sizeof *g : 0;
    o->resident = g != NULL ? tp_resident_bytes(g, sizeof *g) : 0;
    if (g == NULL)
        return;
    o->edges = __atomic_load_n(&g->nlive, __ATOMIC_RELAXED);
    uint32_t n = atomic_load_explicit(&g->ninv, memory_order_acquire);
    for (uint32_t i = 0; i < n && i < TP_ORDER_INVERSIONS; i++) {
        const inversion_t *inv = &g->inv[i];
        tp_order_inversion_t *out = &o->inversions[i];
        out->nedges = inv->nedges < TP_ORDER_CYCLE_EDGES ? inv->nedges : TP_ORDER_CYCLE_EDGES;
        for (int k = 0; k < out->nedges; k++) {
            const edge_t *e = &inv->edges[k];
            tp_order_edge_t *oe = &out->edges[k];
            oe->kind_a = (tp_lock_kind_t)e->kind_from;
            oe->kind_b = (tp_lock_kind_t)e->kind_to;
            oe->a = e->from;
            oe->b = e->to;
            oe->site_a = e->site_from;
            oe->site_b = e->site_to;
            oe->tid = (int)e->tid;
            tp_thread_name_clean(e->name, sizeof e->name, oe->name, sizeof oe->name);
            oe->npcs = e->npcs < TP_ORDER_EDGE_FRAMES ? e->npcs : TP_ORDER_EDGE_FRAMES;
            memcpy(oe->pcs, e->pcs, oe->npcs * sizeof oe->pcs[0]);
        }
        o->ninversions++;
    }
}
