/*
 * Check suite for symbolizer/, what it keeps between calls: the result
 * cache (the same answer twice, equal strings shared, its cap) and
 * tp_sym_reset(), threads racing to fill an empty cache, and a reset in a
 * child forked with the lock held.  Resolving itself (this program, libc,
 * libstdc++, late libraries, the back ends) is check_symbolizer's.  The
 * addresses are those of functions of this test program and of libc.
 *
 * Fork mode is Check's default; CK_FORK=no runs everything in one process
 * (for valgrind), and no test assumes a fresh process.
 */

#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "symbolizer/symbolizer.h"
#include "symbolizer/symbolizer_internal.h"
#include "tests/testbase.h"

#include "tests/symtest_code.h"

/* ---- tests ---- */

START_TEST(symbolizer_cache_and_reset)
{
    uintptr_t ra = inline_caller(2);
    tp_sym_frame_t a[MAXF], b[MAXF];
    int na = tp_sym_resolve(ra, 1, a, MAXF);
    int nb = tp_sym_resolve(ra, 1, b, MAXF);
    ck_assert_int_eq(na, nb);
    for (int i = 0; i < na; i++) {
        ck_assert_ptr_eq(a[i].function, b[i].function);
        ck_assert_ptr_eq(a[i].file, b[i].file);
        ck_assert_ptr_eq(a[i].module, b[i].module);
        ck_assert_int_eq(a[i].line, b[i].line);
        ck_assert_int_eq(a[i].inlined, b[i].inlined);
        ck_assert_uint_eq(a[i].func_offset, b[i].func_offset);
        ck_assert_uint_eq(a[i].module_offset, b[i].module_offset);
    }
    /* Equal strings of different addresses are shared too. */
    uintptr_t ra2 = inline_caller(3);
    tp_sym_frame_t c[MAXF];
    ck_assert_int_ge(tp_sym_resolve(ra2 + 1, 1, c, MAXF), 1);
    ck_assert_ptr_eq(c[0].module, a[0].module);

    char func[64], file[512];
    snprintf(func, sizeof func, "%s", a[na - 1].function);
    snprintf(file, sizeof file, "%s", a[na - 1].file);
    int line = a[na - 1].line;

    tp_sym_reset();
    tp_sym_frame_t d[MAXF];
    int nd = tp_sym_resolve(ra, 1, d, MAXF);
    ck_assert_int_eq(nd, na);
    ck_assert_str_eq(d[nd - 1].function, func);
    ck_assert_str_eq(d[nd - 1].file, file);
    ck_assert_int_eq(d[nd - 1].line, line);
    ck_assert_str_eq(d[0].function, "inlined_leaf");
}
END_TEST

START_TEST(symbolizer_cache_cap)
{
    tp__sym_cache_t c;
    memset(&c, 0, sizeof c);
    const char *mod = tp__sym_cache_intern(&c, "/lib/libx.so");
    char tmp[] = "/lib/libx.so";
    ck_assert_ptr_eq(tp__sym_cache_intern(&c, tmp), mod);   /* interned */
    ck_assert_ptr_ne(mod, tmp);

    tp_sym_frame_t f[2];
    memset(f, 0, sizeof f);
    f[0].module = mod;
    for (uintptr_t i = 0; i < TP_SYM_CACHE_MAX_ENTRIES; i++) {
        f[0].module_offset = i;
        ck_assert_int_eq(tp__sym_cache_put(&c, 0x10000 + i * 16, (int)(i & 1), f,
                                           1 + (int)(i & 1)), 0);
    }
    f[0].module_offset = 12345;
    ck_assert_int_eq(tp__sym_cache_put(&c, 0x5000000, 0, f, 1), -ENOSPC);

    const tp_sym_frame_t *got;
    ck_assert_int_eq(tp__sym_cache_get(&c, 0x5000000, 0, &got), 0);
    for (uintptr_t i = 0; i < TP_SYM_CACHE_MAX_ENTRIES; i += 997) {
        int n = tp__sym_cache_get(&c, 0x10000 + i * 16, (int)(i & 1), &got);
        ck_assert_int_eq(n, 1 + (int)(i & 1));
        ck_assert_uint_eq(got[0].module_offset, i);
        ck_assert_ptr_eq(got[0].module, mod);
        /* The same pc as the other kind of address is another entry. */
        ck_assert_int_eq(tp__sym_cache_get(&c, 0x10000 + i * 16, !(i & 1), &got), 0);
    }
    tp__sym_cache_free(&c);
    ck_assert_int_eq(tp__sym_cache_get(&c, 0x10000, 0, &got), 0);
}
END_TEST

/* What one address resolved to, copied out of the symbolizer. */
struct expect {
    uintptr_t pc;
    int ret, n, line;
    char function[128], file[512];
    uintptr_t func_offset, module_offset;
};

#define NEXPECT 6
static struct expect expected[NEXPECT];

static void record(struct expect *e, uintptr_t pc, int ret)
{
    tp_sym_frame_t f[MAXF];
    e->pc = pc;
    e->ret = ret;
    e->n = tp_sym_resolve(pc, ret, f, MAXF);
    const tp_sym_frame_t *last = &f[e->n - 1];
    snprintf(e->function, sizeof e->function, "%s", last->function ? last->function : "");
    snprintf(e->file, sizeof e->file, "%s", f[0].file ? f[0].file : "");
    e->line = f[0].line;
    e->func_offset = last->func_offset;
    e->module_offset = f[0].module_offset;
}

static int same(const struct expect *a, const struct expect *b)
{
    return a->n == b->n && a->line == b->line && a->func_offset == b->func_offset &&
           a->module_offset == b->module_offset &&
           strcmp(a->function, b->function) == 0 && strcmp(a->file, b->file) == 0;
}

static void *resolve_many(void *arg)
{
    (void)arg;
    for (int iter = 0; iter < 3000; iter++) {
        const struct expect *e = &expected[iter % NEXPECT];
        struct expect got;
        record(&got, e->pc, e->ret);
        if (!same(&got, e))
            return (void *)1;
    }
    return NULL;
}

START_TEST(symbolizer_threads_agree)
{
    const uintptr_t pcs[NEXPECT] = {
        call_and_return(), inline_caller(1), libc_qsort(),
        (uintptr_t)&symtest_global_fn, 0x1000, (uintptr_t)0xffffffff81000000ull,
    };
    for (int i = 0; i < NEXPECT; i++)
        record(&expected[i], pcs[i], i < 2);
    ck_assert_str_eq(expected[0].function, "call_and_return");
    ck_assert_str_eq(expected[1].function, "inline_caller");

    /* From an empty cache, four threads race to fill it. */
    tp_sym_reset();
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, resolve_many, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *r;
        ck_assert_int_eq(pthread_join(t[i], &r), 0);
        ck_assert_ptr_null(r);
    }
}
END_TEST

START_TEST(symbolizer_reset_in_child_forked_with_lock_held)
{
    tp_sym_frame_t f[MAXF];
    uintptr_t ra = call_and_return();
    ck_assert_int_ge(tp_sym_resolve(ra, 1, f, MAXF), 1);

    tp__sym_lock();
    pid_t pid = fork();
    if (pid == 0) {
        alarm(30);                      /* a deadlock fails instead of hangs */
        tp_sym_reset();
        int n = tp_sym_resolve(ra, 1, f, MAXF);
        int ok = n == 1 && f[0].function != NULL &&
                 strcmp(f[0].function, "call_and_return") == 0 &&
                 f[0].line == call_line;
        n = tp_sym_resolve(libc_qsort(), 0, f, MAXF);
        ok = ok && f[n - 1].function != NULL && strcmp(f[n - 1].function, "qsort") == 0;
        _exit(ok ? 0 : 1);
    }
    tp__sym_unlock();
    ck_assert_int_gt(pid, 0);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child status %#x", status);

    /* The parent still works. */
    ck_assert_int_ge(tp_sym_resolve(ra, 1, f, MAXF), 1);
    ck_assert_str_eq(f[0].function, "call_and_return");
}
END_TEST

static Suite *symbolizer_cache_suite(void)
{
    Suite *s = suite_create("symbolizer_cache");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, symbolizer_cache_and_reset);
    tcase_add_test(tc, symbolizer_cache_cap);
    tcase_add_test(tc, symbolizer_threads_agree);
    tcase_add_test(tc, symbolizer_reset_in_child_forked_with_lock_held);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(symbolizer_cache_suite());
}
