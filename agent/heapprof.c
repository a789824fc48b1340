/*
 * heapprof: Go's heap profile for any glibc program.
 *
 * Sampling follows Go's runtime (malloc.go, mprof.go): each thread counts
 * down the bytes it allocates (tp_tls.heap_left, agent.h) and samples the
 * allocation that exhausts the count; the next gap is drawn from an
 * exponential distribution of mean THREADPROF_HEAP_RATE bytes, so a block
 * of n bytes is sampled with probability 1 - exp(-n/rate) whatever the
 * pattern of sizes.  Each sample stands for 1/(1 - exp(-n/rate)) blocks
 * like it (Go's scaleHeapSample); rate 1 samples every allocation and
 * scales nothing (exact figures, for leak hunts and tests); rate 0 is off.
 *
 * A sampled block is remembered until freed (or moved by realloc) in the
 * live table (agent/livetab.h), which a free consults only when the
 * filter says the block may be there.  Its stack (tp_stacktab) counts
 * the allocations (objects in 1/1024ths, so the scaling stays exact
 * enough, and bytes); what is in use is summed from the live table at
 * each dump, so a free updates no counter at all.
 *
 * The agent's own allocations (tp_in_agent) are never sampled; early
 * allocations, before the constructor has read the settings, neither
 * (the countdown is seeded afterwards).  Memory: the tables grow with
 * live samples (32 bytes each at most) and distinct stacks, never with
 * events.
 */
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "agent/internal.h"
#include "agent/livetab.h"

#define OBJ_UNIT 1024                  /* objects counted in 1/1024ths */

enum { V_ALLOC_OBJ, V_ALLOC_BYTES };

static uint64_t heap_rate;             /* 0: off (set once at start) */
static int heap_ready;                 /* settings read: sampling may start */
/* Interpreters reach malloc through many distinct stacks (a Python run
 * of the benchmark makes ~7,000): room for 32 Ki, 10 MB if all used. */
static tp_stacktab_t stacks = TP_STACKTAB_INIT(65536);
static _Atomic uint64_t dropped_samples;   /* no stack room or no memory */

/* --- small pieces ----------------------------------------------------- */

static uint64_t next_random(void)
{
    /* xorshift64*, per thread */
    uint64_t x = tp_tls.heap_rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    tp_tls.heap_rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Bytes to the next sample: exponential with mean heap_rate (Go's
 * fastexprand), 0 with rate 1 (every allocation). */
static uint64_t next_gap(void)
{
    if (heap_rate <= 1)
        return 0;
    double u = (double)((next_random() >> 11) + 1) * (1.0 / 9007199254740992.0);
    double gap = -log(u) * (double)heap_rate;
    return gap >= 1e18 ? (uint64_t)1e18 : (uint64_t)gap;
}

/* How many blocks one sample of n bytes stands for, in 1/OBJ_UNIT. */
static uint64_t scaled_objects(uint64_t n)
{
    if (heap_rate <= 1)
        return OBJ_UNIT;
    double p = -expm1(-(double)n / (double)heap_rate);
    if (!(p > 0))
        return OBJ_UNIT;
    return (uint64_t)llround((double)OBJ_UNIT / p);
}

static uint64_t scaled_bytes(uint64_t n, uint64_t objects)
{
    if (heap_rate <= 1)
        return n;
    return (uint64_t)((double)n * (double)objects / OBJ_UNIT + 0.5);
}

/* --- sampling ----------------------------------------------------------- */

static void count_allocation(uint32_t stack, uint64_t size)
{
    tp_stack_t *e = tp_stacktab_get(&stacks, stack);
    if (e == NULL)
        return;
    uint64_t obj = scaled_objects(size);
    atomic_fetch_add_explicit(&e->v[V_ALLOC_OBJ], obj, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->v[V_ALLOC_BYTES], scaled_bytes(size, obj),
                              memory_order_relaxed);
}

static void record(uintptr_t p, uint64_t n, uintptr_t site, uintptr_t sp)
{
    tp_thread_t *self = tp_self;
    uint32_t stack = tp_stacktab_capture(&stacks, self ? self->hcache : NULL,
                                         TP_HCACHE, site, sp);
    if (stack == 0 || tp_live_insert(p, n, stack) != 0) {
        atomic_fetch_add_explicit(&dropped_samples, 1, memory_order_relaxed);
        return;
    }
    count_allocation(stack, n);
}

void tp__heap_allocated(void *p, size_t n, uintptr_t site)
{
    if (!__atomic_load_n(&heap_ready, __ATOMIC_ACQUIRE))
        return;     /* before the settings: come back later, unseeded */
    if (heap_rate == 0) {
        tp_tls.heap_left = UINT64_MAX;   /* off: never again out of line */
        return;
    }
    int saved = errno;
    if (tp_tls.heap_rng == 0) {
        /* First time in this thread: seed, draw a first gap. */
        uint64_t seed = ((uint64_t)tp_gettid() << 32) ^ tp_now_ns() ^ (uintptr_t)&seed;
        tp_tls.heap_rng = seed | 1;
        uint64_t gap = next_gap();
        if (n < gap) {
            tp_tls.heap_left = gap - n;
            errno = saved;
            return;
        }
    }
    tp_tls.heap_left = next_gap();
    if (tp_in_agent == 0) {
        tp_in_agent++;
        record((uintptr_t)p, n, site, (uintptr_t)__builtin_frame_address(0));
        tp_in_agent--;
    }
    errno = saved;
}

int tp__heap_forget(const void *p, size_t *old_size)
{
    if (tp_in_agent)
        return 0;
    uint64_t size;
    uint32_t stack;
    tp_in_agent++;
    int found = tp_live_remove((uintptr_t)p, &size, &stack);
    tp_in_agent--;
    if (found && old_size != NULL)
        *old_size = size;
    return found;
}

void tp__heap_restore(const void *p, size_t size, uintptr_t site)
{
    /* The block is live again: sampled again, at its old size and the
     * failed realloc's stack (the original one is gone). */
    if (heap_rate == 0 || tp_in_agent)
        return;
    int saved = errno;
    tp_in_agent++;
    record((uintptr_t)p, size, site, (uintptr_t)__builtin_frame_address(0));
    tp_in_agent--;
    errno = saved;
}

/* --- set-up, fork --------------------------------------------------------- */

/* A program that brings its own allocator and exports it (or links one
 * in statically next to its exported API) never calls the C library's
 * malloc for most of its memory: say so once on stderr, and in every
 * summary and heap profile, rather than write a silently empty profile. */
static tp_heap_foreign_t foreign;
static char foreign_what[32], foreign_where[160];

static void check_allocator(void)
{
    static const char *const others[] = {
        "mallocx", "je_malloc", "tc_malloc", "mi_malloc", "rpmalloc", "snmalloc_malloc",
    };
    void *def = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    /* A non-PIE program that calls malloc may make dlsym return its PLT
     * slot (an undefined symbol with a value, for function pointer
     * equality): only a real definition counts. */
    if (def != NULL && dladdr1(def, &di, (void **)&sym, RTLD_DL_SYMENT) != 0 &&
        di.dli_fname != NULL && sym != NULL && sym->st_shndx != SHN_UNDEF &&
        strstr(di.dli_fname, "libthreadprof") == NULL) {
        foreign = TP_HEAP_FOREIGN_MALLOC;
        snprintf(foreign_where, sizeof foreign_where, "%s", di.dli_fname);
        tp_warn("malloc is defined by %s, ahead of the C library and threadprof: "
                "its allocations are not in the heap profile", di.dli_fname);
        return;
    }
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        void *f = dlsym(RTLD_DEFAULT, others[i]);
        if (f != NULL) {
            const char *where = dladdr(f, &di) != 0 && di.dli_fname ? di.dli_fname : "?";
            foreign = TP_HEAP_FOREIGN_ALLOCATOR;
            snprintf(foreign_what, sizeof foreign_what, "%s", others[i]);
            snprintf(foreign_where, sizeof foreign_where, "%s", where);
            tp_warn("%s (in %s) looks like an allocator other than the C library's: "
                    "memory it hands out without calling malloc is not in the heap "
                    "profile", others[i], where);
            return;
        }
    }
}

void tp_heapprof_init(void)
{
    heap_rate = tp_config.heap_rate;
    if (heap_rate != 0)
        check_allocator();
    __atomic_store_n(&heap_ready, 1, __ATOMIC_RELEASE);
}

void tp_heapprof_fork_prepare(void)
{
    tp_live_fork_prepare();
}

void tp_heapprof_fork_parent(void)
{
    tp_live_fork_parent();
}

/* The child keeps the parent's samples: the blocks are live in it too,
 * and its frees of them must find them. */
void tp_heapprof_fork_child(void)
{
    tp_live_fork_child();
    tp_stacktab_after_fork_child(&stacks);
}

/* --- dump ------------------------------------------------------------------ */

/* What is in use, per stack slot: objects (1/OBJ_UNIT) and bytes. */
typedef struct inuse {
    uint64_t objects, bytes;
} inuse_t;

static void add_inuse(void *arg, uint64_t size, uint32_t stack)
{
    inuse_t *u = arg;
    if (stack == 0 || stack > stacks.slots)
        return;
    uint64_t obj = scaled_objects(size);
    u[stack - 1].objects += obj;
    u[stack - 1].bytes += scaled_bytes(size, obj);
}

/* Sums the live table per stack into one buffer of stacks.slots entries,
 * mapped at first use and cleared only where stacks are: every trend
 * sample comes here, and a 1 MiB calloc each time was most of its cost.
 * Its users (dumps, trend samples, the endpoint) hold the dump lock.
 * NULL without memory. */
static inuse_t *sum_inuse(void)
{
    static inuse_t *u;
    if (u == NULL) {
        void *p = mmap(NULL, stacks.slots * sizeof *u, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        u = p;
    }
    uint32_t nstacks = tp_stacktab_used(&stacks);
    for (uint32_t k = 0; k < nstacks; k++) {
        uint32_t id = tp_stacktab_nth(&stacks, k);
        if (id != 0 && id <= stacks.slots)
            u[id - 1] = (inuse_t){0, 0};
    }
    tp_live_foreach(add_inuse, u);
    return u;
}

/* The figures of the stack in slot i. */
static void values_of(const tp_stack_t *e, const inuse_t *u, uint32_t i, tp_heap_values_t *v)
{
    uint64_t ao = atomic_load_explicit(&e->v[V_ALLOC_OBJ], memory_order_relaxed);
    v->alloc_objects = (ao + OBJ_UNIT / 2) / OBJ_UNIT;
    v->alloc_bytes = atomic_load_explicit(&e->v[V_ALLOC_BYTES], memory_order_relaxed);
    v->inuse_objects = u != NULL ? (u[i].objects + OBJ_UNIT / 2) / OBJ_UNIT : 0;
    v->inuse_bytes = u != NULL ? u[i].bytes : 0;
}

/* Calls each(arg, e, v) for every stack with its figures (in-use figures
 * 0 when there was no memory to sum them: then -ENOMEM, else 0). */
static int each_stack(void (*each)(void *arg, const tp_stack_t *e, const tp_heap_values_t *v),
                      void *arg)
{
    inuse_t *u = sum_inuse();
    uint32_t nstacks = tp_stacktab_used(&stacks);
    for (uint32_t k = 0; k < nstacks; k++) {
        uint32_t id = tp_stacktab_nth(&stacks, k);
        const tp_stack_t *e = tp_stacktab_get(&stacks, id);
        if (e == NULL)
            continue;
        tp_heap_values_t v;
        values_of(e, u, id - 1, &v);
        each(arg, e, &v);
    }
    return u != NULL ? 0 : -ENOMEM;
}

int tp_heapprof_enabled(void)
{
    return heap_rate != 0;
}

typedef struct profile_fill {
    tp_profile_sample_t *out;
    size_t used;
} profile_fill_t;

static void add_profile_sample(void *arg, const tp_stack_t *e, const tp_heap_values_t *hv)
{
    profile_fill_t *f = arg;
    if (hv->alloc_objects == 0 && hv->inuse_bytes == 0)
        return;
    tp_profile_sample_t *o = &f->out[f->used++];
    o->pcs = e->pcs;
    o->npcs = e->npcs;
    o->v[0] = (int64_t)hv->alloc_objects;
    o->v[1] = (int64_t)hv->alloc_bytes;
    o->v[2] = (int64_t)hv->inuse_objects;
    o->v[3] = (int64_t)hv->inuse_bytes;
}

int tp_heapprof_profile(tp_profile_t *p)
{
    memset(p, 0, sizeof *p);
    p->kind = TP_PROFILE_HEAP;
    p->period = (int64_t)heap_rate;
    char seen[200];
    if (foreign == TP_HEAP_FOREIGN_MALLOC)
        snprintf(seen, sizeof seen, "malloc is defined by %.120s: its allocations are "
                 "not seen", foreign_where);
    else if (foreign == TP_HEAP_FOREIGN_ALLOCATOR)
        snprintf(seen, sizeof seen, "%s (%.100s) hands out memory not seen", foreign_what,
                 foreign_where);
    else
        snprintf(seen, sizeof seen, "covers malloc-family calls reaching the C library");
    snprintf(p->comment, sizeof p->comment, "threadprof: heap rate %llu bytes; %s; %llu "
             "samples dropped (stack table or memory full), %llu taken before stacks "
             "were available", (unsigned long long)heap_rate, seen,
             (unsigned long long)atomic_load(&dropped_samples),
             (unsigned long long)atomic_load(&stacks.unstacked));
    uint32_t nstacks = tp_stacktab_used(&stacks);
    if (nstacks == 0)
        return 0;
    profile_fill_t f = {.out = calloc(nstacks, sizeof *f.out)};
    if (f.out == NULL || each_stack(add_profile_sample, &f) != 0) {
        free(f.out);
        return -ENOMEM;
    }
    p->samples = f.out;
    p->nsamples = f.used;
    return 0;
}

typedef struct tp_heap_stats {
    uint64_t rate;                  /* bytes; 0 off, 1 every allocation */
    uint64_t live_samples, dropped;
    uint32_t stacks, stack_cap;
    size_t table_bytes;             /* reserved by the profiler's tables */
} tp_heap_stats_t;

typedef struct stack_visit {
    void (*each)(void *arg, const uintptr_t *pcs, uint32_t npcs, const tp_heap_values_t *v);
    void *arg;
} stack_visit_t;

static void visit_stack(void *arg, const tp_stack_t *e, const tp_heap_values_t *v)
{
    const stack_visit_t *sv = arg;
    sv->each(sv->arg, e->pcs, e->npcs, v);
}

void tp_heapprof_each_stack(void (*each)(void *arg, const uintptr_t *pcs, uint32_t npcs,
                                          const tp_heap_values_t *v),
                            void *arg)
{
    if (heap_rate == 0)
        return;
    stack_visit_t sv = {.each = each, .arg = arg};
    each_stack(visit_stack, &sv);
}

static void heap_stats(tp_heap_stats_t *st)
{
    memset(st, 0, sizeof *st);
    st->rate = heap_rate;
    st->live_samples = tp_live_count();
    st->dropped = atomic_load(&dropped_samples);
    st->stacks = tp_stacktab_used(&stacks);
    st->stack_cap = stacks.slots / 2;
    st->table_bytes = tp_stacktab_bytes(&stacks);
    st->table_bytes += tp_live_bytes();
}

size_t tp_heapprof_table_bytes(void)
{
    return heap_rate == 0 ? 0 : tp_stacktab_bytes(&stacks) + tp_live_bytes();
}

/* The view's totals, and its sites with the most in-use bytes (sorted,
 * by insertion into a short array). */
typedef struct view_fill {
    tp_heap_view_t *h;
    int n;
    const tp_stack_t *top[TP_HEAP_SITES];
    tp_heap_values_t topv[TP_HEAP_SITES];
} view_fill_t;

static void add_view_stack(void *arg, const tp_stack_t *e, const tp_heap_values_t *v)
{
    view_fill_t *f = arg;
    f->h->inuse_bytes += v->inuse_bytes;
    f->h->inuse_objects += v->inuse_objects;
    f->h->alloc_bytes += v->alloc_bytes;
    f->h->alloc_objects += v->alloc_objects;
    if (v->inuse_bytes == 0)
        return;
    int pos = f->n;
    while (pos > 0 && v->inuse_bytes > f->topv[pos - 1].inuse_bytes)
        pos--;
    if (pos >= TP_HEAP_SITES)
        return;
    if (f->n < TP_HEAP_SITES)
        f->n++;
    memmove(&f->top[pos + 1], &f->top[pos], (size_t)(f->n - 1 - pos) * sizeof f->top[0]);
    memmove(&f->topv[pos + 1], &f->topv[pos], (size_t)(f->n - 1 - pos) * sizeof f->topv[0]);
    f->top[pos] = e;
    f->topv[pos] = *v;
}

/* Fills the heap section of a summary: totals over every stack, and the
 * sites with the most in-use bytes, symbolized.  Dump thread. */
void tp_heapprof_view(tp_heap_view_t *h, int at_exit)
{
    memset(h, 0, sizeof *h);
    h->rate = heap_rate;
    h->at_exit = at_exit;
    h->foreign = foreign;
    snprintf(h->foreign_what, sizeof h->foreign_what, "%s", foreign_what);
    snprintf(h->foreign_where, sizeof h->foreign_where, "%s", foreign_where);
    if (heap_rate == 0)
        return;
    tp_heap_stats_t st;
    heap_stats(&st);
    h->live_samples = st.live_samples;
    h->dropped = st.dropped;
    h->stacks = st.stacks;
    h->stack_cap = st.stack_cap;
    h->table_bytes = st.table_bytes;
    view_fill_t f = {.h = h};
    each_stack(add_view_stack, &f);
    int n = f.n;
    const tp_stack_t *const *top = f.top;
    const tp_heap_values_t *topv = f.topv;
    h->nsites = n;
    for (int i = 0; i < n; i++) {
        tp_heap_site_t *site = &h->sites[i];
        site->inuse_bytes = topv[i].inuse_bytes;
        site->inuse_objects = topv[i].inuse_objects;
        site->alloc_bytes = topv[i].alloc_bytes;
        site->alloc_objects = topv[i].alloc_objects;
        uint32_t nf = top[i]->npcs < TP_HEAP_SITE_FRAMES ? top[i]->npcs
                                                         : TP_HEAP_SITE_FRAMES;
        memcpy(site->pcs, top[i]->pcs, nf * sizeof site->pcs[0]);
        site->npcs = nf;
    }
}
