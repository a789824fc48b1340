/*
 * real: resolving the real functions the hooks call.
 */
#ifndef TP_REAL_H
#define TP_REAL_H

#include <stddef.h>

#include "agent/compiler.h"

/* --- resolving the real functions ---------------------------------- */

/* dlsym(RTLD_NEXT, name), or dlvsym when version is given.  A missing
 * symbol is fatal with a clear message: the host called a function that
 * its libc does not have. */
void *tp__real(const char *name, const char *version);

#define TP_REAL_DECL(name) static __typeof__(name) *real_##name
#define TP_REAL_V(name, version)                                              \
    __extension__({                                                           \
        __typeof__(name) *tp_fn_ = __atomic_load_n(&real_##name, __ATOMIC_RELAXED); \
        if (TP_UNLIKELY(tp_fn_ == NULL)) {                                    \
            tp_fn_ = (__typeof__(name) *)tp__real(#name, version);            \
            __atomic_store_n(&real_##name, tp_fn_, __ATOMIC_RELAXED);         \
        }                                                                     \
        tp_fn_;                                                               \
    })
#define TP_REAL(name) TP_REAL_V(name, NULL)


#endif
