/*
 * symtest_code.h: the code the symbolizer suites (check_symbolizer,
 * check_symbolizer_cache) resolve: functions one line each, a call whose
 * line is recorded, an inlined leaf, and libc's qsort.  Their file is
 * this header (SYMTEST_CODE_FILE).
 */
#ifndef TP_SYMTEST_CODE_H
#define TP_SYMTEST_CODE_H

#include <check.h>
#include <dlfcn.h>
#include <stdint.h>

#define SYMTEST_CODE_FILE "tests/symtest_code.h"

#define MAXF 8

static volatile int sink;

/* ---- code to symbolize ---- */

/* Not inlined, cloned, merged or tail-called: the names and lines stay
 * those of the source. */
#if defined(__clang__)
#define NOIPA __attribute__((noinline, optnone))
#else
#define NOIPA __attribute__((noipa))
#endif

/* One line each, so that every address in them maps to that line. */
int symtest_global_fn(int x);
enum { GLOBAL_FN_LINE = __LINE__ + 1 };
NOIPA int symtest_global_fn(int x) { return x * 3 + sink; }
enum { STATIC_FN_LINE = __LINE__ + 1 };
static NOIPA __attribute__((unused)) int static_fn(int x) { return x * 5 - sink; }

/* Lines of the calls below, set when they run. */
static int call_line __attribute__((unused)), leaf_line __attribute__((unused)),
    caller_line __attribute__((unused));

static NOIPA __attribute__((unused)) uintptr_t return_address(void)
{
    return (uintptr_t)__builtin_return_address(0);
}

/* Returns the return address of a call made on line call_line. */
static NOIPA __attribute__((unused)) uintptr_t call_and_return(void)
{
    uintptr_t ra = return_address(); call_line = __LINE__;
    sink++;
    return ra;
}

static inline __attribute__((always_inline, unused)) uintptr_t inlined_leaf(int x)
{
    uintptr_t ra = return_address(); leaf_line = __LINE__;
    sink += x;
    return ra;
}

/* Returns a return address inside the inlined copy of inlined_leaf(). */
static NOIPA __attribute__((unused)) uintptr_t inline_caller(int x)
{
    uintptr_t ra = inlined_leaf(x); caller_line = __LINE__;
    sink += 2;
    return ra;
}

/* libc's own qsort (RTLD_DEFAULT would find ASan's interceptor). */
static __attribute__((unused)) uintptr_t libc_qsort(void)
{
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(h);
    void *p = dlsym(h, "qsort");
    dlclose(h);
    ck_assert_ptr_nonnull(p);
    return (uintptr_t)p;
}

#endif
