/*
 * symbolizer internals shared by the files of symbolizer/: the result cache
 * and string arena (symcache.c), the per-module symbol index (symindex.c),
 * the libdw back end (dwfl_backend.c), the dladdr() back end (fallback.c),
 * the demangler (demangle.c) and the hooks of symbolizer.c for tests and
 * fork handling.  Nothing here is part of the module's API.
 *
 * Every function below that takes a tp__sym_cache_t runs under the lock of
 * symbolizer.c; none of them locks anything itself.
 */
#ifndef TP_SYMBOLIZER_INTERNAL_H
#define TP_SYMBOLIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "symbolizer/symbolizer.h"

/* Most frames one address expands to (inline depth + 1); deeper inline
 * chains lose their outermost frames. */
#define TP_SYM_MAX_FRAMES 32

/* Most addresses cached; past this, lookups are answered but not stored. */
#define TP_SYM_CACHE_MAX_ENTRIES 65536

/* Lowest address ever looked up: pcs below the first page are garbage. */
#define TP_SYM_MIN_PC 4096

/* ---- symcache.c: per-pc results and interned strings ---- */

typedef struct tp__sym_cache_slot tp__sym_cache_slot_t;
typedef struct tp__sym_arena_chunk tp__sym_arena_chunk_t;

typedef struct tp__sym_cache {
    tp__sym_arena_chunk_t *chunks; /* arena: strings and frame arrays */
    char *cur;                     /* free space of the newest chunk */
    size_t left;
    tp__sym_cache_slot_t *slots;   /* open addressing, power-of-two size */
    size_t nslots, nentries;
    const char **strs;             /* interned strings, open addressing */
    size_t nstrs_slots, nstrs;
} tp__sym_cache_t;

/* Copies s into the arena once and returns the shared copy, so equal
 * strings are one pointer.  Returns NULL when s is NULL or memory runs out. */
const char *tp__sym_cache_intern(tp__sym_cache_t *c, const char *s);

/* Looks up (pc, is_return).  Returns the number of frames and sets *frames,
 * or 0 when the address is not cached. */
int tp__sym_cache_get(const tp__sym_cache_t *c, uintptr_t pc, int is_return,
                      const tp_sym_frame_t **frames);

/* Stores n frames (their strings must already be interned).  Returns 0,
 * -ENOSPC past TP_SYM_CACHE_MAX_ENTRIES or -ENOMEM. */
int tp__sym_cache_put(tp__sym_cache_t *c, uintptr_t pc, int is_return,
                      const tp_sym_frame_t *frames, int n);

/* Frees everything and leaves an empty cache. */
void tp__sym_cache_free(tp__sym_cache_t *c);

/* ---- symindex.c: one module's symbols sorted by address ---- */

typedef struct tp__sym_index_entry {
    uint64_t addr;          /* run-time address (load bias applied) */
    uint64_t end;           /* sized: addr + st_size; else its section's end */
    const char *name;       /* libdw's string, valid while the module is */
    uint8_t sized;          /* st_size != 0 */
    uint8_t bind;           /* STB_GLOBAL, STB_WEAK, STB_LOCAL */
} tp__sym_index_entry_t;

typedef struct tp__sym_index {
    tp__sym_index_entry_t *entries;
    uint64_t *max_end;      /* max_end[i]: highest end of sized entries 0..i */
    size_t n;
} tp__sym_index_t;

/* Sorts n malloc'd entries (taking them over) into ix.  Returns 0, or -1
 * when memory runs out (ix is then empty and entries freed). */
int tp__sym_index_build(tp__sym_index_t *ix, tp__sym_index_entry_t *entries,
                        size_t n);

/* The symbol addr lies in (rules at the top of symindex.c), or NULL. */
const tp__sym_index_entry_t *tp__sym_index_lookup(const tp__sym_index_t *ix,
                                                  uint64_t addr);

void tp__sym_index_free(tp__sym_index_t *ix);

/* ---- demangle.c ---- */

/* Returns a malloc'd demangled copy of an Itanium-mangled name, or NULL
 * when name is not mangled or no demangler could be found. */
char *tp__sym_demangle_alloc(const char *name);

/* Demangles name when it is mangled and interns the result. */
const char *tp__sym_intern_name(tp__sym_cache_t *c, const char *name);

/* ---- dwfl_backend.c: libdw, loaded with dlopen() ---- */

/* Loads libdw.so.1 and looks up every function used.  Returns 0, or
 * -ENOENT when libdw or one of its functions is missing; the outcome is
 * remembered and later calls return it at once. */
int tp__sym_dw_load(void);

/* 1 once tp__sym_dw_load() has succeeded, 0 otherwise (tests). */
int tp__sym_dw_loaded(void);

/* Starts a libdwfl session and reports the modules of /proc/self/maps.
 * Returns 0 or -ENOMEM.  Requires tp__sym_dw_load() == 0. */
int tp__sym_dw_begin(void);

/* Ends the session.  leak != 0 forgets it without calling into libdw (in a
 * child forked while the session was in use). */
void tp__sym_dw_end(int leak);

/* Resolves pc into at most max (>= 1) frames with interned strings.
 * Returns the number written, always >= 1. */
int tp__sym_dw_resolve(tp__sym_cache_t *c, uintptr_t pc, int is_return,
                       tp_sym_frame_t *out, int max);

/* ---- fallback.c: dladdr() ---- */

/* Resolves pc with dladdr1(): dynamic symbol name (demangled), module path
 * and module offset.  Writes exactly one frame and returns 1. */
int tp__sym_dladdr_resolve(tp__sym_cache_t *c, uintptr_t pc, int is_return,
                           tp_sym_frame_t *out);

/* ---- symbolizer.c: hooks for tests and fork handling ---- */

/* on != 0 makes every later lookup use the dladdr() back end, as if libdw
 * were missing; on == 0 goes back to libdw.  Drops the cache either way. */
void tp__sym_force_fallback(int on);

/* Takes / releases the symbolizer lock: for tests that need it held across
 * fork(), or as pthread_atfork() prepare / parent handlers (the child then
 * calls tp_sym_reset(), which re-initialises it). */
void tp__sym_lock(void);
void tp__sym_unlock(void);

#endif
