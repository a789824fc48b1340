/*
 * stacktab: interned call stacks (agent/stacktab.h).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "agent/internal.h"
#include "agent/stacktab.h"
#include "agent/tablemap.h"

#define REFRESH_HITS 256

static size_t table_bytes(const tp_stacktab_t *t)
{
    return (size_t)t->slots * sizeof(tp_stack_t) + (size_t)(t->slots / 2) * sizeof(uint32_t);
}

static tp_stack_t *table_of(tp_stacktab_t *t)
{
    return tp_table_lazy(&t->table, table_bytes(t));
}

/* The dense list of ids, behind the slots. */
static uint32_t *ids_of(tp_stack_t *s, const tp_stacktab_t *t)
{
    return (uint32_t *)(void *)(s + t->slots);
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
                uint32_t used = atomic_load_explicit(&t->used, memory_order_relaxed);
                if (used >= t->slots / 2) {
                    pthread_mutex_unlock(&t->insert_lock);
                    return 0;
                }
                e->npcs = (uint32_t)n;
                memcpy(e->pcs, pcs, (size_t)n * sizeof *pcs);
                atomic_store_explicit(&e->hash, h, memory_order_release);
                ids_of(s, t)[used] = i + 1;
                atomic_store_explicit(&t->used, used + 1, memory_order_release);
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

uint32_t tp_stacktab_nth(tp_stacktab_t *t, uint32_t k)
{
    tp_stack_t *s = __atomic_load_n(&t->table, __ATOMIC_ACQUIRE);
    if (s == NULL || k >= atomic_load_explicit(&t->used, memory_order_acquire))
        return 0;
    return ids_of(s, t)[k];
}

uint32_t tp_stacktab_used(const tp_stacktab_t *t)
{
    return atomic_load_explicit(&t->used, memory_order_acquire);
}

size_t tp_stacktab_bytes(const tp_stacktab_t *t)
{
    return __atomic_load_n(&t->table, __ATOMIC_ACQUIRE) == NULL ? 0 : table_bytes(t);
}

size_t tp_stacktab_resident(const tp_stacktab_t *t)
{
    void *s = __atomic_load_n(&t->table, __ATOMIC_ACQUIRE);
    return s == NULL ? 0 : tp_resident_bytes(s, table_bytes(t));
}

void tp_stacktab_after_fork_child(tp_stacktab_t *t)
{
    pthread_mutex_init(&t->insert_lock, NULL);
}

void tp_stacktab_reset(tp_stacktab_t *t)
{
    tp_table_drop(&t->table, table_bytes(t));
    pthread_mutex_init(&t->insert_lock, NULL);
    atomic_store(&t->used, 0);
    atomic_store(&t->dropped, 0);
    atomic_store(&t->unstacked, 0);
}
