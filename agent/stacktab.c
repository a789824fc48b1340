/*
 * stacktab: interned call stacks (agent/stacktab.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "agent/internal.h"
#include "agent/stacktab.h"

#define REFRESH_HITS 256

static tp_stack_t *table_of(tp_stacktab_t *t)
{
    tp_stack_t *s = __atomic_load_n(&t->table, __ATOMIC_ACQUIRE);
    if (s != NULL)
        return s;
    /* Zero pages, touched only as entries are used. */
    void *m = mmap(NULL, (size_t)t->slots * sizeof *s, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    tp_stack_t *expected = NULL;
    if (!__atomic_compare_exchange_n(&t->table, &expected, (tp_stack_t *)m, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        munmap(m, (size_t)t->slots * sizeof *s);
        return expected;
    }
    return (tp_stack_t *)m;
}

static uint64_t hash_pcs(const uintptr_t *pcs, int n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)n;
    for (int i = 0; i < n; i++)
        h = (h ^ pcs[i]) * 1099511628211ull;
    h ^= h >> 29;
    return h | 1;   /* never 0 (empty) */
}

/* Caller has tp_in_agent raised (insert_lock goes through our own mutex
 * hook, which must pass straight through). */
static uint32_t intern(tp_stacktab_t *t, tp_stack_t *s, const uintptr_t *pcs, int n)
{
    uint64_t h = hash_pcs(pcs, n);
    uint32_t mask = t->slots - 1;
    int locked = 0;
    for (;;) {
        uint32_t i = (uint32_t)h & mask;
        for (uint32_t probe = 0; probe <= mask; probe++, i = (i + 1) & mask) {
            tp_stack_t *e = &s[i];
            uint64_t eh = atomic_load_explicit(&e->hash, memory_order_acquire);
            if (eh == 0) {
                if (!locked)
                    break;    /* not there: insert under the lock */
                if (t->used >= t->slots / 2) {
                    pthread_mutex_unlock(&t->insert_lock);
                    return 0;
                }
                e->npcs = (uint32_t)n;
                memcpy(e->pcs, pcs, (size_t)n * sizeof *pcs);
                atomic_store_explicit(&e->hash, h, memory_order_release);
                t->used++;
                pthread_mutex_unlock(&t->insert_lock);
                return i + 1;
            }
            if (eh == h && e->npcs == (uint32_t)n &&
                memcmp(e->pcs, pcs, (size_t)n * sizeof *pcs) == 0) {
                if (locked)
                    pthread_mutex_unlock(&t->insert_lock);
                return i + 1;
            }
        }
        if (locked) {     /* cannot happen below the cap; be safe */
            pthread_mutex_unlock(&t->insert_lock);
            return 0;
        }
        pthread_mutex_lock(&t->insert_lock);
        locked = 1;       /* probe again: another thread may have added it */
    }
}

uint32_t tp_stacktab_capture(tp_stacktab_t *t, tp_stack_cache_t *cache,
                             unsigned ncache, uintptr_t site, uintptr_t sp)
{
    tp_stack_cache_t *c = NULL;
    if (cache != NULL) {
        c = &cache[((site >> 4) ^ (sp >> 4) ^ (sp >> 10)) & (ncache - 1)];
        if (c->id != 0 && c->site == site && c->sp == sp &&
            ++c->hits % REFRESH_HITS != 0)
            return c->id;
    }
    int saved = errno;
    uint32_t id = 0;
    tp_in_agent++;
    tp_stack_t *s = table_of(t);
    if (s != NULL) {
        uintptr_t pcs[TP_STACK_FRAMES];
        int n = tp_backtrace_nowait(pcs, TP_STACK_FRAMES);
        if (n < 0) {
            /* Before libunwind is loaded: an empty stack keeps the totals
             * right; never cached. */
            atomic_fetch_add_explicit(&t->unstacked, 1, memory_order_relaxed);
            c = NULL;
            n = 0;
        }
        id = intern(t, s, pcs, n);
        if (id == 0)
            atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
    }
    tp_in_agent--;
    errno = saved;
    if (c != NULL && id != 0) {
        c->site = site;
        c->sp = sp;
        c->id = id;
        c->hits = 0;
    }
    return id;
}

tp_stack_t *tp_stacktab_get(tp_stacktab_t *t, uint32_t id)
{
    tp_stack_t *s = __atomic_load_n(&t->table, __ATOMIC_ACQUIRE);
    if (s == NULL || id == 0 || id > t->slots)
        return NULL;
    return &s[id - 1];
}

tp_stack_t *tp_stacktab_slot(tp_stacktab_t *t, uint32_t i)
{
    tp_stack_t *s = __atomic_load_n(&t->table, __ATOMIC_ACQUIRE);
    if (s == NULL || i >= t->slots ||
        atomic_load_explicit(&s[i].hash, memory_order_acquire) == 0)
        return NULL;
    return &s[i];
}

uint32_t tp_stacktab_used(const tp_stacktab_t *t)
{
    return __atomic_load_n(&t->used, __ATOMIC_RELAXED);
}

size_t tp_stacktab_bytes(const tp_stacktab_t *t)
{
    return __atomic_load_n(&t->table, __ATOMIC_ACQUIRE) == NULL
               ? 0 : (size_t)t->slots * sizeof(tp_stack_t);
}

void tp_stacktab_after_fork_child(tp_stacktab_t *t)
{
    pthread_mutex_init(&t->insert_lock, NULL);
}
