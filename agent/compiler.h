/*
 * compiler: the attributes the agent's hot paths and hooks are written
 * with.
 */
#ifndef TP_COMPILER_H
#define TP_COMPILER_H

#include <stdint.h>

/* Exported: an interposed function (the library is built hidden). */
#define TP_HOOK     __attribute__((visibility("default")))
#define TP_LIKELY(x)   __builtin_expect(!!(x), 1)
#define TP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TP_INLINE   static inline __attribute__((always_inline))
#define TP_COLD     __attribute__((noinline, cold))

/* The host's call site: the return address of the hook.  Expand it in
 * the exported hook itself and pass it down (in a helper it would name
 * the hook, or be whatever inlining made of it). */
#define TP_SITE()   ((uintptr_t)__builtin_return_address(0))

#endif
