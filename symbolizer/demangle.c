/*
 * demangle: C++ (Itanium ABI) names to readable ones with the C++ runtime's
 * own __cxa_demangle.  The agent never links libstdc++: the demangler is
 * found on the first mangled name, in the process when it is a C++ program
 * (dlsym(RTLD_DEFAULT)), or else by loading libstdc++.so.6 privately.  A C
 * program whose stacks hold no mangled name never loads it.
 */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/forkguard.h"
#include "symbolizer/symbolizer_internal.h"

typedef char *cxa_demangle_fn_t(const char *mangled, char *buf, size_t *len,
                                int *status);

/* Set once; a race between two first callers only looks the symbol up
 * twice (dlopen() reference counts), both find the same function. */
static _Atomic(cxa_demangle_fn_t *) demangler;
static atomic_int demangler_searched;

static cxa_demangle_fn_t *get_demangler(void)
{
    if (atomic_load_explicit(&demangler_searched, memory_order_acquire))
        return atomic_load_explicit(&demangler, memory_order_relaxed);
    tp_loader_enter_wait(100);          /* no fork meanwhile (base/forkguard.c) */
    cxa_demangle_fn_t *fn = (cxa_demangle_fn_t *)dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (fn == NULL) {
        /* Kept open for the life of the process. */
        void *h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
        if (h != NULL)
            fn = (cxa_demangle_fn_t *)dlsym(h, "__cxa_demangle");
    }
    tp_loader_leave();
    atomic_store_explicit(&demangler, fn, memory_order_relaxed);
    atomic_store_explicit(&demangler_searched, 1, memory_order_release);
    return fn;
}

static int is_mangled(const char *name)
{
    return name != NULL && name[0] == '_' && name[1] == 'Z';
}

char *tp__sym_demangle_alloc(const char *name)
{
    if (!is_mangled(name))
        return NULL;
    cxa_demangle_fn_t *fn = get_demangler();
    if (fn == NULL)
        return NULL;
    int status = -1;
    char *out = fn(name, NULL, NULL, &status);
    if (status != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/*
 * Writes the demangled name into buf, cut to len - 1 bytes when it does not
 * fit, and returns buf; returns name itself when it is not mangled, no
 * demangler is available or buf is unusable.
 */
const char *tp_sym_demangle(const char *name, char *buf, size_t len)
{
    if (buf == NULL || len == 0)
        return name;
    char *d = tp__sym_demangle_alloc(name);
    if (d == NULL)
        return name;
    size_t n = strlen(d);
    if (n >= len)
        n = len - 1;
    memcpy(buf, d, n);
    buf[n] = '\0';
    free(d);
    return buf;
}

const char *tp__sym_intern_name(tp__sym_cache_t *c, const char *name)
{
    char *d = tp__sym_demangle_alloc(name);
    if (d == NULL)
        return tp__sym_cache_intern(c, name);
    const char *s = tp__sym_cache_intern(c, d);
    free(d);
    return s;
}
