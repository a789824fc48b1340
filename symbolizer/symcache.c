/*
 * symcache: the symbolizer's memory.  Resolved addresses are kept for the
 * life of the process in an open-addressing hash table keyed by
 * (pc, is_return), capped at TP_SYM_CACHE_MAX_ENTRIES; their frames and
 * every string they point to live in a bump arena, and strings are interned
 * so that the thousands of frames of one file or module share one copy.
 * Nothing is freed before tp__sym_cache_free(), which is what lets the
 * public API hand out plain const char * that stay valid until a reset.
 *
 * Memory comes from malloc(): the caller runs with the agent's reentrancy
 * guard set, so these calls go straight to libc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbolizer/symbolizer_internal.h"

#define CHUNK_SIZE (64 * 1024)
#define FIRST_SLOTS 1024
#define FIRST_STR_SLOTS 1024
#define ALIGN 16                    /* >= alignment of tp_sym_frame_t */
#define HDR_SIZE ALIGN              /* chunk header, rounded up to ALIGN */

struct tp__sym_arena_chunk {
    tp__sym_arena_chunk_t *next;
    /* data follows at HDR_SIZE */
};
_Static_assert(sizeof(tp__sym_arena_chunk_t) <= HDR_SIZE, "chunk header");
_Static_assert(_Alignof(tp_sym_frame_t) <= ALIGN, "frame alignment");

struct tp__sym_cache_slot {
    uintptr_t pc;
    uint32_t used_ret_n;      /* bit 0 used, bit 1 is_return, bits 8+ frames */
    uint32_t unused;
    tp_sym_frame_t *frames;
};

#define SLOT_USED 1u
#define SLOT_RET 2u
#define SLOT_N_SHIFT 8

static size_t hash_pc(uintptr_t pc, int is_return)
{
    uint64_t h = ((uint64_t)pc ^ (uint64_t)is_return) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h ^ (h >> 29));
}

static size_t hash_str(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return (size_t)(h ^ (h >> 32));
}

/* Returns size bytes of arena memory aligned to ALIGN, or NULL.  Blocks
 * larger than a quarter chunk get a chunk of their own. */
static void *arena_alloc(tp__sym_cache_t *c, size_t size)
{
    size = (size + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (size > c->left) {
        size_t data = size > CHUNK_SIZE / 4 ? size : CHUNK_SIZE - HDR_SIZE;
        tp__sym_arena_chunk_t *ch = malloc(HDR_SIZE + data);
        if (ch == NULL)
            return NULL;
        ch->next = c->chunks;
        c->chunks = ch;
        if (size > CHUNK_SIZE / 4)
            return (char *)ch + HDR_SIZE;
        c->cur = (char *)ch + HDR_SIZE;
        c->left = data;
    }
    void *p = c->cur;
    c->cur += size;
    c->left -= size;
    return p;
}

/* Grows the string set to nslots (a power of two).  Returns 0 or -ENOMEM. */
static int strs_grow(tp__sym_cache_t *c, size_t nslots)
{
    const char **n = calloc(nslots, sizeof *n);
    if (n == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < c->nstrs_slots; i++) {
        const char *s = c->strs[i];
        if (s == NULL)
            continue;
        size_t j = hash_str(s, strlen(s)) & (nslots - 1);
        while (n[j] != NULL)
            j = (j + 1) & (nslots - 1);
        n[j] = s;
    }
    free(c->strs);
    c->strs = n;
    c->nstrs_slots = nslots;
    return 0;
}

const char *tp__sym_cache_intern(tp__sym_cache_t *c, const char *s)
{
    if (s == NULL)
        return NULL;
    if ((c->nstrs + 1) * 2 > c->nstrs_slots &&
        strs_grow(c, c->nstrs_slots ? c->nstrs_slots * 2 : FIRST_STR_SLOTS) < 0)
        return NULL;
    size_t len = strlen(s);
    size_t mask = c->nstrs_slots - 1;
    size_t j = hash_str(s, len) & mask;
    while (c->strs[j] != NULL) {
        if (strcmp(c->strs[j], s) == 0)
            return c->strs[j];
        j = (j + 1) & mask;
    }
    char *copy = arena_alloc(c, len + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, len + 1);
    c->strs[j] = copy;
    c->nstrs++;
    return copy;
}

static int slot_matches(const tp__sym_cache_slot_t *sl, uintptr_t pc,
                        int is_return)
{
    return sl->pc == pc && ((sl->used_ret_n & SLOT_RET) != 0) == is_return;
}

int tp__sym_cache_get(const tp__sym_cache_t *c, uintptr_t pc, int is_return,
                      const tp_sym_frame_t **frames)
{
    if (c->nslots == 0)
        return 0;
    is_return = is_return != 0;
    size_t mask = c->nslots - 1;
    for (size_t j = hash_pc(pc, is_return) & mask;; j = (j + 1) & mask) {
        const tp__sym_cache_slot_t *sl = &c->slots[j];
        if (!(sl->used_ret_n & SLOT_USED))
            return 0;
        if (slot_matches(sl, pc, is_return)) {
            *frames = sl->frames;
            return (int)(sl->used_ret_n >> SLOT_N_SHIFT);
        }
    }
}

/* Grows the table to nslots (a power of two).  Returns 0 or -ENOMEM. */
static int slots_grow(tp__sym_cache_t *c, size_t nslots)
{
    tp__sym_cache_slot_t *n = calloc(nslots, sizeof *n);
    if (n == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < c->nslots; i++) {
        tp__sym_cache_slot_t *sl = &c->slots[i];
        if (!(sl->used_ret_n & SLOT_USED))
            continue;
        size_t j = hash_pc(sl->pc, (sl->used_ret_n & SLOT_RET) != 0) & (nslots - 1);
        while (n[j].used_ret_n & SLOT_USED)
            j = (j + 1) & (nslots - 1);
        n[j] = *sl;
    }
    free(c->slots);
    c->slots = n;
    c->nslots = nslots;
    return 0;
}

int tp__sym_cache_put(tp__sym_cache_t *c, uintptr_t pc, int is_return,
                      const tp_sym_frame_t *frames, int n)
{
    if (n < 1 || n > TP_SYM_MAX_FRAMES)
        return -EINVAL;
    if (c->nentries >= TP_SYM_CACHE_MAX_ENTRIES)
        return -ENOSPC;
    /* Load factor at most 1/2: the cap of 64k entries means 128k slots. */
    if ((c->nentries + 1) * 2 > c->nslots &&
        slots_grow(c, c->nslots ? c->nslots * 2 : FIRST_SLOTS) < 0)
        return -ENOMEM;
    is_return = is_return != 0;
    size_t mask = c->nslots - 1;
    size_t j = hash_pc(pc, is_return) & mask;
    while (c->slots[j].used_ret_n & SLOT_USED) {
        if (slot_matches(&c->slots[j], pc, is_return))
            return 0;                       /* already there */
        j = (j + 1) & mask;
    }
    tp_sym_frame_t *copy = arena_alloc(c, (size_t)n * sizeof *copy);
    if (copy == NULL)
        return -ENOMEM;
    memcpy(copy, frames, (size_t)n * sizeof *copy);
    c->slots[j].pc = pc;
    c->slots[j].frames = copy;
    c->slots[j].used_ret_n = SLOT_USED | (is_return ? SLOT_RET : 0) |
                             ((uint32_t)n << SLOT_N_SHIFT);
    c->nentries++;
    return 0;
}

void tp__sym_cache_free(tp__sym_cache_t *c)
{
    tp__sym_arena_chunk_t *ch = c->chunks;
    while (ch != NULL) {
        tp__sym_arena_chunk_t *next = ch->next;
        free(ch);
        ch = next;
    }
    free(c->slots);
    free(c->strs);
    memset(c, 0, sizeof *c);
}
