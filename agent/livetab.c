/*
 * livetab: sampled blocks still allocated (agent/livetab.h).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "agent/agent.h"
#include "agent/livetab.h"
#include "agent/tablemap.h"

#define STRIPE_BITS 10
#define NSTRIPES (1u << STRIPE_BITS)
#define FILTER_SLOTS (1u << TP_HEAP_FILTER_BITS)
#define MIN_BITS 3                  /* 8 slots */
#define MAX_BITS 28
#define REGION (1u << 20)           /* small chunks are carved from these */
#define STACK_BITS 24
#define SIZE_MAX40 ((1ull << 40) - 1)

/* meta: size (at most 2^40 - 1: a terabyte block is not a case for
 * precision) << 24 | stack id (the stack table has fewer slots). */
typedef struct slot {
    uintptr_t ptr;                  /* 0: empty */
    uint64_t meta;
} slot_t;

typedef struct stripe {
    _Atomic int lock;
    uint32_t bits;                  /* log2 of the capacity, 0: no table */
    uint32_t used;
    slot_t *slots;
} __attribute__((aligned(64))) stripe_t;

static stripe_t stripes[NSTRIPES];
static uint8_t filter[FILTER_SLOTS];
const uint8_t *tp__heap_filter;

/* Chunks of 2^bits slots, recycled by size class under arena_lock. */
static _Atomic int arena_lock;
static slot_t *free_chunks[MAX_BITS + 1];
static char *region, *region_end;
static _Atomic size_t reserved;

static void spin_lock(_Atomic int *l)
{
    unsigned spins = 0;
    while (atomic_exchange_explicit(l, 1, memory_order_acquire)) {
        while (atomic_load_explicit(l, memory_order_relaxed)) {
            if (++spins % 256 == 0)
                sched_yield();   /* the holder may be descheduled */
            else
                __builtin_ia32_pause();
        }
    }
}

static void spin_unlock(_Atomic int *l)
{
    atomic_store_explicit(l, 0, memory_order_release);
}

/* A zeroed chunk of 2^bits slots, or NULL. */
static slot_t *chunk_get(uint32_t bits)
{
    size_t bytes = sizeof(slot_t) << bits;
    slot_t *c;
    spin_lock(&arena_lock);
    c = free_chunks[bits];
    if (c != NULL) {
        free_chunks[bits] = *(slot_t **)(void *)c;
        spin_unlock(&arena_lock);
        memset(c, 0, bytes);
        return c;
    }
    if (bytes < REGION / 16) {
        if (region == NULL || (size_t)(region_end - region) < bytes) {
            void *m = tp_table_map(REGION, 0);
            if (m == NULL) {
                spin_unlock(&arena_lock);
                return NULL;
            }
            atomic_fetch_add(&reserved, REGION);
            region = m;     /* the old region's tail is left unused */
            region_end = region + REGION;
        }
        c = (slot_t *)(void *)region;   /* fresh mmap memory: zero */
        region += bytes;
        spin_unlock(&arena_lock);
        return c;
    }
    spin_unlock(&arena_lock);
    void *m = tp_table_map(bytes, 0);
    if (m == NULL)
        return NULL;
    atomic_fetch_add(&reserved, bytes);
    return m;
}

static void chunk_put(slot_t *c, uint32_t bits)
{
    size_t bytes = sizeof(slot_t) << bits;
    if (bytes >= REGION / 16) {
        /* Mapped for itself: given back, not kept for a table that may
         * never need that size again. */
        tp_table_unmap(c, bytes);
        atomic_fetch_sub(&reserved, bytes);
        return;
    }
    spin_lock(&arena_lock);
    *(slot_t **)(void *)c = free_chunks[bits];
    free_chunks[bits] = c;
    spin_unlock(&arena_lock);
}

/* A block's first slot: its 512-byte neighbourhood lands at a random
 * place in the stripe's table (a hash of the neighbourhood), and the
 * block at its 16-byte offset within: blocks freed one after another,
 * mostly neighbours, then touch the same few cache lines of the table
 * instead of one each. */
static uint32_t home(const stripe_t *s, uintptr_t p)
{
    uint64_t h = (uint64_t)(p >> 9) * 0x9e3779b97f4a7c15ull;
    return ((uint32_t)(h >> 20) + (uint32_t)((p >> 4) & 31)) & ((1u << s->bits) - 1);
}

/* Under s->lock: the table doubled (or made); 0, or -ENOMEM. */
static int grow(stripe_t *s)
{
    uint32_t bits = s->bits == 0 ? MIN_BITS : s->bits + 1;
    if (bits > MAX_BITS)
        return -ENOMEM;
    slot_t *n = chunk_get(bits);
    if (n == NULL)
        return -ENOMEM;
    slot_t *old = s->slots;
    uint32_t old_bits = s->bits;
    s->slots = n;
    s->bits = bits;
    uint32_t mask = (1u << bits) - 1;
    for (uint32_t i = 0; old != NULL && i < (1u << old_bits); i++) {
        if (old[i].ptr == 0)
            continue;
        uint32_t j = home(s, old[i].ptr);
        while (n[j].ptr != 0)
            j = (j + 1) & mask;
        n[j] = old[i];
    }
    if (old != NULL)
        chunk_put(old, old_bits);
    return 0;
}

/* A filter byte is read-modify-written under its stripe's lock, so each
 * byte must belong to one stripe: the stripe is a hash of the filter
 * slot (neighbouring granules still spread over the stripes). */
static stripe_t *stripe_of(uint32_t filter_slot)
{
    return &stripes[(filter_slot * 0x9e3779b1u) >> (32 - STRIPE_BITS)];
}

int tp_live_insert(uintptr_t p, uint64_t size, uint32_t stack)
{
    uint32_t f = tp_heap_filter_slot((const void *)p);
    stripe_t *s = stripe_of(f);
    int r = 0;
    spin_lock(&s->lock);
    /* At most three quarters full: linear probing's runs stay short, and
     * a live block costs 21 to 43 bytes. */
    if ((s->used + 1) * 4 > (s->bits ? 3u << s->bits : 0))
        r = grow(s);
    if (r == 0) {
        uint32_t mask = (1u << s->bits) - 1, i = home(s, p);
        while (s->slots[i].ptr != 0 && s->slots[i].ptr != p)
            i = (i + 1) & mask;
        if (s->slots[i].ptr == 0) {
            s->used++;
            uint8_t c = filter[f];
            if (c != 255)
                __atomic_store_n(&filter[f], (uint8_t)(c + 1), __ATOMIC_RELAXED);
        }
        /* else the same address again (a free we never saw): replaced */
        s->slots[i].ptr = p;
        s->slots[i].meta = (size > SIZE_MAX40 ? SIZE_MAX40 : size) << STACK_BITS |
                           (stack & ((1u << STACK_BITS) - 1));
    }
    spin_unlock(&s->lock);
    if (__atomic_load_n(&tp__heap_filter, __ATOMIC_RELAXED) == NULL)
        __atomic_store_n(&tp__heap_filter, filter, __ATOMIC_RELEASE);
    return r;
}

int tp_live_remove(uintptr_t p, uint64_t *size, uint32_t *stack)
{
    uint32_t f = tp_heap_filter_slot((const void *)p);
    stripe_t *s = stripe_of(f);
    int found = 0;
    spin_lock(&s->lock);
    if (s->bits != 0) {
        uint32_t mask = (1u << s->bits) - 1, i = home(s, p);
        while (s->slots[i].ptr != 0 && s->slots[i].ptr != p)
            i = (i + 1) & mask;
        if (s->slots[i].ptr == p) {
            found = 1;
            *size = s->slots[i].meta >> STACK_BITS;
            *stack = (uint32_t)(s->slots[i].meta & ((1u << STACK_BITS) - 1));
            /* Backward shift: later entries of the run whose home is not
             * between the hole and them move into the hole. */
            for (uint32_t j = (i + 1) & mask; s->slots[j].ptr != 0; j = (j + 1) & mask) {
                uint32_t k = home(s, s->slots[j].ptr);
                int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
                if (!stays) {
                    s->slots[i] = s->slots[j];
                    i = j;
                }
            }
            s->slots[i].ptr = 0;
            s->used--;
            uint8_t c = filter[f];
            if (c != 255 && c != 0)
                __atomic_store_n(&filter[f], (uint8_t)(c - 1), __ATOMIC_RELAXED);
        }
    }
    spin_unlock(&s->lock);
    return found;
}

void tp_live_foreach(void (*fn)(void *arg, uint64_t size, uint32_t stack), void *arg)
{
    for (uint32_t si = 0; si < NSTRIPES; si++) {
        stripe_t *s = &stripes[si];
        spin_lock(&s->lock);
        for (uint32_t i = 0; s->bits != 0 && i < (1u << s->bits); i++)
            if (s->slots[i].ptr != 0)
                fn(arg, s->slots[i].meta >> STACK_BITS,
                   (uint32_t)(s->slots[i].meta & ((1u << STACK_BITS) - 1)));
        spin_unlock(&s->lock);
    }
}

/* The stripes' counts, read without their locks: a figure for the
 * summary, which a shared counter would have cost every insert and
 * remove an atomic operation to keep. */
uint64_t tp_live_count(void)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < NSTRIPES; i++)
        n += __atomic_load_n(&stripes[i].used, __ATOMIC_RELAXED);
    return n;
}

size_t tp_live_bytes(void)
{
    return atomic_load(&reserved);
}

/* Stripes in order, then the arena (grow nests them so). */
void tp_live_fork_prepare(void)
{
    for (unsigned i = 0; i < NSTRIPES; i++)
        spin_lock(&stripes[i].lock);
    spin_lock(&arena_lock);
}

void tp_live_fork_parent(void)
{
    spin_unlock(&arena_lock);
    for (unsigned i = NSTRIPES; i-- > 0;)
        spin_unlock(&stripes[i].lock);
}

/* The child keeps every block: they are allocated in it too. */
void tp_live_fork_child(void)
{
    tp_live_fork_parent();
}
