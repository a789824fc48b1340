/*
 * symbolizer: the public API of symbolizer.h.  One lock guards the cache
 * (symcache.c) and the back end chosen on the first lookup: libdwfl
 * (dwfl_backend.c) when libdw.so.1 can be loaded, dladdr() (fallback.c)
 * otherwise.  A lookup that hits the cache copies the frames out under the
 * lock; a miss resolves the address, stores the result and copies it out.
 *
 * Not async-signal-safe: it locks and allocates.  Meant for the dump thread.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "symbolizer/symbolizer.h"
#include "symbolizer/symbolizer_internal.h"

enum backend { BACKEND_NONE, BACKEND_DWFL, BACKEND_DLADDR };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static tp__sym_cache_t cache;
static enum backend backend;
static int force_fallback;

/* Chooses the back end on the first lookup after start or a reset.  This is
 * where libdw gets loaded and /proc/self/maps first read. */
static void choose_backend(void)
{
    if (!force_fallback && tp__sym_dw_load() == 0 && tp__sym_dw_begin() == 0)
        backend = BACKEND_DWFL;
    else
        backend = BACKEND_DLADDR;
}

static int copy_out(const tp_sym_frame_t *frames, int n, tp_sym_frame_t *out,
                    int max)
{
    if (n > max)
        n = max;
    memcpy(out, frames, (size_t)n * sizeof *out);
    return n;
}

/*
 * Costs measured on x86-64 (Debian 12, libdw 0.188): a cached lookup is a
 * hash probe and a copy under the mutex, about 20 ns.  The first lookup
 * loads libdw and reads the maps (under 1 ms); the first lookup in a module
 * loads its symbols and DWARF: ~1 ms for a small one, ~60 ms for libc with
 * its compressed separate debuginfo.  Later uncached lookups take ~2 us
 * (symbols only) to ~30 us (DWARF with inlining); with the dladdr()
 * fallback, 10-35 us (dladdr scans the dynamic symbols).
 */
int tp_sym_resolve(uintptr_t pc, int is_return_address, tp_sym_frame_t *out,
                   int max)
{
    if (out == NULL || max < 1)
        return 0;
    int is_ret = is_return_address != 0;
    if (pc < TP_SYM_MIN_PC) {
        memset(out, 0, sizeof *out);
        return 1;
    }
    int saved_errno = errno;
    pthread_mutex_lock(&lock);
    const tp_sym_frame_t *cached;
    int n = tp__sym_cache_get(&cache, pc, is_ret, &cached);
    if (n > 0) {
        n = copy_out(cached, n, out, max);
    } else {
        tp_sym_frame_t frames[TP_SYM_MAX_FRAMES];
        if (backend == BACKEND_NONE)
            choose_backend();
        if (backend == BACKEND_DWFL)
            n = tp__sym_dw_resolve(&cache, pc, is_ret, frames, TP_SYM_MAX_FRAMES);
        else
            n = tp__sym_dladdr_resolve(&cache, pc, is_ret, frames);
        (void)tp__sym_cache_put(&cache, pc, is_ret, frames, n);
        n = copy_out(frames, n, out, max);
    }
    pthread_mutex_unlock(&lock);
    errno = saved_errno;
    return n;
}

/* Frees the cache and the session; the caller holds the lock. */
static void drop_state_locked(void)
{
    tp__sym_dw_end(0);
    tp__sym_cache_free(&cache);
    backend = BACKEND_NONE;
}

/*
 * In the child of a fork() the lock may be held by a thread that does not
 * exist there, with the cache or the libdw session half updated.  Then the
 * old state is abandoned (leaked) and the lock re-initialised instead of
 * unlocked.  When the lock is free the state is freed properly.  Must not
 * race with other calls of this module (in the child there are none).
 */
void tp_sym_reset(void)
{
    if (pthread_mutex_trylock(&lock) == 0) {
        drop_state_locked();
        pthread_mutex_unlock(&lock);
        return;
    }
    tp__sym_dw_end(1);
    memset(&cache, 0, sizeof cache);
    backend = BACKEND_NONE;
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    memcpy(&lock, &fresh, sizeof lock);
}

/* In a crash's dump child, a copy of the process taken at any instant:
 * the libdw session is abandoned untouched (ending it would free into a
 * heap whose lock may be held, or walk structures half updated) and a
 * new one starts on the next miss; the cache, consistent when its lock
 * was free, is kept, so what earlier dumps resolved costs nothing. */
void tp_sym_abandon_session(void)
{
    if (pthread_mutex_trylock(&lock) != 0) {
        tp_sym_reset();   /* leaks it all, the lock made anew */
        return;
    }
    tp__sym_dw_end(1);
    backend = BACKEND_NONE;
    pthread_mutex_unlock(&lock);
}

/* Ends the libdw session, which keeps a descriptor open on every ELF and
 * debug file it read (a daemon that closes or reuses descriptors must not
 * find ours), but keeps the results cache and its strings: the next miss
 * starts a new session.  Called after each dump. */
void tp_sym_release_files(void)
{
    pthread_mutex_lock(&lock);
    if (backend == BACKEND_DWFL) {
        tp__sym_dw_end(0);
        backend = BACKEND_NONE;
    }
    pthread_mutex_unlock(&lock);
}

void tp__sym_force_fallback(int on)
{
    pthread_mutex_lock(&lock);
    drop_state_locked();
    force_fallback = on != 0;
    pthread_mutex_unlock(&lock);
}

void tp__sym_lock(void)
{
    pthread_mutex_lock(&lock);
}

void tp__sym_unlock(void)
{
    pthread_mutex_unlock(&lock);
}
