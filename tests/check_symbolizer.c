/*
 * Check suite for symbolizer/: addresses of this very test program, of
 * libc, libstdc++ and a library dlopen'd late are resolved and compared
 * with what the compiler says they are (__LINE__, function addresses,
 * load biases from dl_iterate_phdr()).  Also covers the symbol index, the
 * demangler, the dladdr() fallback and bad pcs; the cache, resets, threads
 * and a reset in a child forked with the lock held are in
 * check_symbolizer_cache.
 *
 * Fork mode is Check's default; CK_FORK=no runs everything in one process
 * (for valgrind), which is why the first test is the one that looks at a
 * fresh process and the others do not assume one.
 */

#include <check.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
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

/* ---- helpers ---- */

static void assert_unknown(const tp_sym_frame_t *f)
{
    ck_assert_ptr_null(f->function);
    ck_assert_ptr_null(f->file);
    ck_assert_int_eq(f->line, 0);
    ck_assert_int_eq(f->inlined, 0);
}

struct object_query {
    uintptr_t addr;            /* in: an address inside the object */
    uintptr_t bias;            /* out: dlpi_addr */
    const ElfW(Phdr) *phdr;
    int phnum;
    int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct object_query *q = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && q->addr >= lo && q->addr < lo + ph->p_memsz) {
            q->bias = info->dlpi_addr;
            q->phdr = info->dlpi_phdr;
            q->phnum = info->dlpi_phnum;
            q->found = 1;
            return 1;
        }
    }
    return 0;
}

/* Load bias of the object holding addr, from the dynamic linker. */
static struct object_query object_of(uintptr_t addr)
{
    struct object_query q = { .addr = addr };
    dl_iterate_phdr(find_object, &q);
    ck_assert_msg(q.found, "no object holds %#lx", (unsigned long)addr);
    return q;
}

/* Path of the separate debuginfo of the object holding addr, by build-id. */
static int debuginfo_path(uintptr_t addr, char *path, size_t len)
{
    struct object_query q = object_of(addr);
    for (int i = 0; i < q.phnum; i++) {
        if (q.phdr[i].p_type != PT_NOTE)
            continue;
        const char *p = (const char *)(q.bias + q.phdr[i].p_vaddr);
        const char *end = p + q.phdr[i].p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const char *name = p + sizeof *nh;
            const unsigned char *desc =
                (const unsigned char *)name + ((nh->n_namesz + 3) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0 && nh->n_descsz > 1) {
                int n = snprintf(path, len, "/usr/lib/debug/.build-id/%02x/", desc[0]);
                for (unsigned j = 1; j < nh->n_descsz; j++)
                    n += snprintf(path + n, len - (size_t)n, "%02x", desc[j]);
                snprintf(path + n, len - (size_t)n, ".debug");
                return 0;
            }
            p = (const char *)desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
    return -1;
}

static int is_loaded(const char *soname)
{
    void *h = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD);
    if (h != NULL)
        dlclose(h);
    return h != NULL;
}

/* ---- tests ---- */

/* Runs first, so that even with CK_FORK=no it sees a fresh process. */
START_TEST(symbolizer_loads_libdw_lazily)
{
    int dw_before = tp__sym_dw_loaded();
    int cxx_before = is_loaded("libstdc++.so.6");
    if (!dw_before)
        ck_assert(!is_loaded("libdw.so.1"));

    char buf[64];
    ck_assert_str_eq(tp_sym_demangle("main", buf, sizeof buf), "main");
    ck_assert(dw_before || !is_loaded("libdw.so.1"));

    tp_sym_frame_t f[MAXF];
    ck_assert_int_ge(tp_sym_resolve(call_and_return(), 1, f, MAXF), 1);
    ck_assert_str_eq(f[0].function, "call_and_return");
    ck_assert_int_ge(tp_sym_resolve(libc_qsort(), 0, f, MAXF), 1);
    ck_assert(tp__sym_dw_loaded());
    ck_assert(is_loaded("libdw.so.1"));
    /* C names never pull in the C++ runtime, nor libdw its debuginfod. */
    if (!cxx_before)
        ck_assert(!is_loaded("libstdc++.so.6"));
    ck_assert(!is_loaded("libdebuginfod.so.1"));
}
END_TEST

START_TEST(symbolizer_global_and_static_functions)
{
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve((uintptr_t)&symtest_global_fn, 0, f, MAXF);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(f[0].function, "symtest_global_fn");
    ck_assert_msg(tu_ends_with(f[0].file, SYMTEST_CODE_FILE), "file %s", f[0].file);
    ck_assert_int_eq(f[0].line, GLOBAL_FN_LINE);
    ck_assert_int_eq(f[0].inlined, 0);
    ck_assert_uint_eq(f[0].func_offset, 0);

    int (*volatile fp)(int) = static_fn;
    ck_assert_int_eq(fp(1), 5 - sink);
    n = tp_sym_resolve((uintptr_t)fp, 0, f, MAXF);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(f[0].function, "static_fn");
    ck_assert_msg(tu_ends_with(f[0].file, SYMTEST_CODE_FILE), "file %s", f[0].file);
    ck_assert_int_eq(f[0].line, STATIC_FN_LINE);
    ck_assert_uint_eq(f[0].func_offset, 0);

    /* Module: this program, offset from its load bias. */
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(len, 0);
    exe[len] = '\0';
    ck_assert_str_eq(f[0].module, exe);
    ck_assert_uint_eq(f[0].module_offset,
                      (uintptr_t)fp - object_of((uintptr_t)fp).bias);
}
END_TEST

START_TEST(symbolizer_return_address_gives_call_line)
{
    uintptr_t ra = call_and_return();
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve(ra, 1, f, MAXF);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(f[0].function, "call_and_return");
    ck_assert_msg(tu_ends_with(f[0].file, SYMTEST_CODE_FILE), "file %s", f[0].file);
    ck_assert_int_eq(f[0].line, call_line);
    ck_assert_int_eq(f[0].inlined, 0);
    /* func_offset is pc - entry, not (pc - 1) - entry. */
    ck_assert_uint_eq(f[0].func_offset, ra - (uintptr_t)&call_and_return);
    ck_assert_uint_eq(f[0].module_offset, ra - object_of(ra).bias);
}
END_TEST

START_TEST(symbolizer_inlined_frames)
{
    uintptr_t ra = inline_caller(1);
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve(ra, 1, f, MAXF);
    ck_assert_int_ge(n, 2);
    ck_assert_str_eq(f[0].function, "inlined_leaf");
    ck_assert_int_eq(f[0].inlined, 1);
    ck_assert_int_eq(f[0].line, leaf_line);
    ck_assert_msg(tu_ends_with(f[0].file, SYMTEST_CODE_FILE), "file %s", f[0].file);
    ck_assert_uint_eq(f[0].func_offset, 0);

    ck_assert_str_eq(f[n - 1].function, "inline_caller");
    ck_assert_int_eq(f[n - 1].inlined, 0);
    ck_assert_int_eq(f[n - 1].line, caller_line);
    ck_assert_msg(tu_ends_with(f[n - 1].file, SYMTEST_CODE_FILE), "file %s", f[n - 1].file);
    ck_assert_uint_eq(f[n - 1].func_offset, ra - (uintptr_t)&inline_caller);
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_eq(f[i].module, f[0].module);
        ck_assert_uint_eq(f[i].module_offset, ra - object_of(ra).bias);
    }

    /* max cuts from the outside: the innermost frame stays. */
    tp_sym_frame_t one[1];
    ck_assert_int_eq(tp_sym_resolve(ra, 1, one, 1), 1);
    ck_assert_str_eq(one[0].function, "inlined_leaf");
    ck_assert_int_eq(one[0].inlined, 1);
}
END_TEST

START_TEST(symbolizer_demangles_cxx_names)
{
    char buf[256];
    const char *r = tp_sym_demangle("_ZNSt6vectorIiSaIiEE9push_backERKi", buf, sizeof buf);
    ck_assert_ptr_eq(r, buf);
    ck_assert_str_eq(buf, "std::vector<int, std::allocator<int> >::push_back(int const&)");

    const char *plain = "not_mangled";
    ck_assert_ptr_eq(tp_sym_demangle(plain, buf, sizeof buf), plain);
    const char *bad = "_Z!!garbage";
    ck_assert_ptr_eq(tp_sym_demangle(bad, buf, sizeof buf), bad);

    char small[8];
    ck_assert_ptr_eq(tp_sym_demangle("_ZSt9terminatev", small, sizeof small), small);
    ck_assert_str_eq(small, "std::te");
}
END_TEST

START_TEST(symbolizer_resolves_libstdcxx_function)
{
    void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(h);
    void *fn = dlsym(h, "_ZSt9terminatev");
    ck_assert_ptr_nonnull(fn);
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve((uintptr_t)fn, 0, f, MAXF);
    ck_assert_int_ge(n, 1);
    ck_assert_msg(f[n - 1].function != NULL &&
                  strncmp(f[n - 1].function, "std::terminate", 14) == 0,
                  "function %s", f[n - 1].function);
    ck_assert_msg(strstr(f[0].module, "libstdc++.so.6") != NULL, "module %s", f[0].module);
    /* libstdc++ has a .gnu_debuglink but no debuginfo here: libdw must not
     * go and ask debuginfod (which would load libdebuginfod and libcurl). */
    ck_assert(!is_loaded("libdebuginfod.so.1"));
    ck_assert_uint_eq(f[0].module_offset, (uintptr_t)fn - object_of((uintptr_t)fn).bias);
}
END_TEST

START_TEST(symbolizer_libc_module_and_offset)
{
    uintptr_t pc = libc_qsort();
    uintptr_t bias = object_of(pc).bias;
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve(pc, 0, f, MAXF);
    ck_assert_int_ge(n, 1);
    ck_assert_str_eq(f[n - 1].function, "qsort");
    ck_assert_uint_eq(f[n - 1].func_offset, 0);
    ck_assert_msg(tu_ends_with(f[0].module, "libc.so.6"), "module %s", f[0].module);
    ck_assert_uint_eq(f[0].module_offset, pc - bias);

    /* Inside a function: func_offset from its entry. */
    n = tp_sym_resolve(pc + 5, 0, f, MAXF);
    ck_assert_str_eq(f[n - 1].function, "qsort");
    ck_assert_uint_eq(f[n - 1].func_offset, 5);

    /* Versioned .symtab names ("pthread_create@@GLIBC_2.34" in libc's
     * debuginfo) come without the version. */
    void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(h);
    uintptr_t pcreate = (uintptr_t)dlsym(h, "pthread_create");
    dlclose(h);
    n = tp_sym_resolve(pcreate, 0, f, MAXF);
    ck_assert_str_eq(f[n - 1].function, "pthread_create");

    /* The ELF header of libc: mapped, covered by no symbol. */
    n = tp_sym_resolve(bias + 0x10, 0, f, MAXF);
    ck_assert_int_eq(n, 1);
    assert_unknown(&f[0]);
    ck_assert_msg(tu_ends_with(f[0].module, "libc.so.6"), "module %s", f[0].module);
    ck_assert_uint_eq(f[0].module_offset, 0x10);
}
END_TEST

START_TEST(symbolizer_vdso_function)
{
    void *h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
    void *fn = h != NULL ? dlsym(h, "__vdso_clock_gettime") : NULL;
    if (fn == NULL)
        tu_skip("no vDSO (as under valgrind)");
    uintptr_t pc = (uintptr_t)fn + 3;
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve(pc, 0, f, MAXF);
    ck_assert_int_eq(n, 1);
    ck_assert_msg(f[0].function != NULL && strstr(f[0].function, "clock_gettime") != NULL,
                  "function %s", f[0].function);
    ck_assert_uint_eq(f[0].func_offset, 3);
    ck_assert_str_eq(f[0].module, "[vdso]");
    ck_assert_uint_eq(f[0].module_offset, pc - object_of(pc).bias);
}
END_TEST

START_TEST(symbolizer_separate_debuginfo)
{
    char path[256];
    uintptr_t pc = libc_qsort();
    if (debuginfo_path(pc, path, sizeof path) != 0 || access(path, R_OK) != 0)
        tu_skip("no separate debuginfo of libc (libc6-dbg)");
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve(pc, 0, f, MAXF);
    ck_assert_int_ge(n, 1);
    ck_assert_msg(tu_ends_with(f[0].file, ".c"), "file %s", f[0].file);
    ck_assert_int_gt(f[0].line, 0);
    ck_assert_str_eq(f[n - 1].function, "qsort");
}
END_TEST

/* Entry for the index tests; names are static strings. */
static tp__sym_index_entry_t ent(uint64_t addr, uint64_t end, int sized, int bind,
                                 const char *name)
{
    tp__sym_index_entry_t e = { addr, end, name, (uint8_t)sized, (uint8_t)bind };
    return e;
}

static const char *lookup_name(const tp__sym_index_t *ix, uint64_t addr)
{
    const tp__sym_index_entry_t *e = tp__sym_index_lookup(ix, addr);
    return e != NULL ? e->name : "(none)";
}

START_TEST(symbolizer_symbol_index_choice)
{
    enum { N = 9 };
    tp__sym_index_entry_t *v = malloc(N * sizeof *v);
    ck_assert_ptr_nonnull(v);
    /* Given out of order on purpose. */
    v[0] = ent(0x2000, 0x2100, 1, STB_LOCAL, "__GI_alias");
    v[1] = ent(0x1000, 0x1100, 1, STB_GLOBAL, "first");
    v[2] = ent(0x2000, 0x2100, 1, STB_WEAK, "weak_alias");
    v[3] = ent(0x2000, 0x2100, 1, STB_GLOBAL, "__real");
    v[4] = ent(0x2000, 0x2100, 1, STB_GLOBAL, "real");
    v[5] = ent(0x2040, 0x3000, 0, STB_LOCAL, "inner_label");   /* inside real */
    v[6] = ent(0x2200, 0x3000, 0, STB_GLOBAL, "asm_label");    /* section ends 0x3000 */
    v[7] = ent(0x1800, 0x1900, 1, STB_GLOBAL, "outer");        /* holds nested */
    v[8] = ent(0x1820, 0x1840, 1, STB_GLOBAL, "nested");
    tp__sym_index_t ix;
    ck_assert_int_eq(tp__sym_index_build(&ix, v, N), 0);

    ck_assert_str_eq(lookup_name(&ix, 0xfff), "(none)");
    ck_assert_str_eq(lookup_name(&ix, 0x1000), "first");
    ck_assert_str_eq(lookup_name(&ix, 0x10ff), "first");
    ck_assert_str_eq(lookup_name(&ix, 0x1100), "(none)");      /* gap */
    ck_assert_str_eq(lookup_name(&ix, 0x1810), "outer");
    ck_assert_str_eq(lookup_name(&ix, 0x1830), "nested");      /* closest sized */
    ck_assert_str_eq(lookup_name(&ix, 0x1850), "outer");       /* walks back */
    ck_assert_str_eq(lookup_name(&ix, 0x2000), "real");        /* alias choice */
    ck_assert_str_eq(lookup_name(&ix, 0x2080), "real");        /* sized beats label */
    ck_assert_str_eq(lookup_name(&ix, 0x2100), "(none)");      /* label under real */
    ck_assert_str_eq(lookup_name(&ix, 0x2200), "asm_label");
    ck_assert_str_eq(lookup_name(&ix, 0x2fff), "asm_label");
    ck_assert_str_eq(lookup_name(&ix, 0x3000), "(none)");      /* past its section */
    ck_assert_uint_eq(tp__sym_index_lookup(&ix, 0x2080)->addr, 0x2000);
    tp__sym_index_free(&ix);

    tp__sym_index_t empty;
    ck_assert_int_eq(tp__sym_index_build(&empty, NULL, 0), 0);
    ck_assert_ptr_null(tp__sym_index_lookup(&empty, 0x1000));
    tp__sym_index_free(&empty);
}
END_TEST

START_TEST(symbolizer_bad_pcs)
{
    const uintptr_t bad[] = {
        0, 1, 4095, 0x1000, (uintptr_t)0x100000000000ull,
        (uintptr_t)0xffffffffff600000ull, (uintptr_t)0xffffffff81000000ull,
        UINTPTR_MAX,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int ret = 0; ret <= 1; ret++) {
            tp_sym_frame_t f[MAXF];
            memset(f, 0xa5, sizeof f);
            int n = tp_sym_resolve(bad[i], ret, f, MAXF);
            ck_assert_int_eq(n, 1);
            assert_unknown(&f[0]);
            ck_assert_ptr_null(f[0].module);
        }
    }
    tp_sym_frame_t f[1];
    ck_assert_int_eq(tp_sym_resolve(0, 0, f, 0), 0);
    ck_assert_int_eq(tp_sym_resolve(0, 0, NULL, 1), 0);
}
END_TEST

struct late_lib {
    const char *soname, *function;
};

START_TEST(symbolizer_finds_library_dlopened_later)
{
    static const struct late_lib libs[] = {
        { "libgmp.so.10", "__gmpz_init" },
        { "libcrypt.so.1", "crypt" },
        { "libexpat.so.1", "XML_ParserCreate" },
        { "libffi.so.8", "ffi_call" },
        { "libacl.so.1", "acl_init" },
        { "libz.so.1", "zlibVersion" },
    };
    tp_sym_frame_t f[MAXF];
    /* The module list is read now... */
    ck_assert_int_ge(tp_sym_resolve(call_and_return(), 1, f, MAXF), 1);
    ck_assert_str_eq(f[0].function, "call_and_return");

    /* ...and a library loaded afterwards must still be found. */
    const struct late_lib *lib = NULL;
    void *h = NULL;
    for (size_t i = 0; i < sizeof libs / sizeof libs[0] && h == NULL; i++) {
        if (is_loaded(libs[i].soname))
            continue;
        h = dlopen(libs[i].soname, RTLD_NOW | RTLD_LOCAL);
        lib = &libs[i];
    }
    ck_assert_msg(h != NULL, "no library left to dlopen");
    void *fn = dlsym(h, lib->function);
    ck_assert_ptr_nonnull(fn);
    int n = tp_sym_resolve((uintptr_t)fn, 0, f, MAXF);
    ck_assert_int_ge(n, 1);
    ck_assert_str_eq(f[n - 1].function, lib->function);
    char stem[64];
    snprintf(stem, sizeof stem, "%.*s", (int)(strstr(lib->soname, ".so") - lib->soname),
             lib->soname);
    ck_assert_msg(f[0].module != NULL && strstr(f[0].module, stem) != NULL,
                  "module %s for %s", f[0].module, lib->soname);
    ck_assert_uint_eq(f[0].module_offset, (uintptr_t)fn - object_of((uintptr_t)fn).bias);

    /* Unloaded again: the next re-report drops the module (and what the
     * symbolizer keeps for it); cached results stay valid. */
    const char *function = f[n - 1].function;
    ck_assert_int_eq(dlclose(h), 0);
    ck_assert_int_eq(tp_sym_resolve((uintptr_t)0x100000000000ull, 0, f, MAXF), 1);
    ck_assert_ptr_null(f[0].function);
    n = tp_sym_resolve((uintptr_t)fn, 0, f, MAXF);
    ck_assert_ptr_eq(f[n - 1].function, function);
    ck_assert_str_eq(function, lib->function);
    n = tp_sym_resolve(call_and_return(), 1, f, MAXF);
    ck_assert_str_eq(f[0].function, "call_and_return");
}
END_TEST

START_TEST(symbolizer_fallback_without_libdw)
{
    int dw_before = tp__sym_dw_loaded();
    tp__sym_force_fallback(1);

    uintptr_t pc = libc_qsort();
    tp_sym_frame_t f[MAXF];
    int n = tp_sym_resolve(pc, 0, f, MAXF);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(f[0].function, "qsort");
    ck_assert_ptr_null(f[0].file);
    ck_assert_int_eq(f[0].line, 0);
    ck_assert_uint_eq(f[0].func_offset, 0);
    ck_assert_msg(tu_ends_with(f[0].module, "libc.so.6"), "module %s", f[0].module);
    ck_assert_uint_eq(f[0].module_offset, pc - object_of(pc).bias);

    /* Return address: func_offset counts from pc, the lookup uses pc - 1. */
    n = tp_sym_resolve(pc + 1, 1, f, MAXF);
    ck_assert_str_eq(f[0].function, "qsort");
    ck_assert_uint_eq(f[0].func_offset, 1);

    /* Not exported from this program: no name, but module+offset. */
    uintptr_t ra = call_and_return();
    n = tp_sym_resolve(ra, 1, f, MAXF);
    ck_assert_int_eq(n, 1);
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(len, 0);
    exe[len] = '\0';
    ck_assert_str_eq(f[0].module, exe);
    ck_assert_uint_eq(f[0].module_offset, ra - object_of(ra).bias);

    /* C++ names are demangled here too. */
    void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
    ck_assert_ptr_nonnull(h);
    void *fn = dlsym(h, "_ZSt9terminatev");
    ck_assert_int_eq(tp_sym_resolve((uintptr_t)fn, 0, f, MAXF), 1);
    ck_assert_str_eq(f[0].function, "std::terminate()");

    n = tp_sym_resolve((uintptr_t)0xffffffffff600000ull, 0, f, MAXF);
    ck_assert_int_eq(n, 1);
    assert_unknown(&f[0]);

    if (!dw_before)
        ck_assert(!tp__sym_dw_loaded() && !is_loaded("libdw.so.1"));
    tp__sym_force_fallback(0);
    n = tp_sym_resolve(ra, 1, f, MAXF);
    ck_assert_str_eq(f[0].function, "call_and_return");
    ck_assert_int_eq(f[0].line, call_line);
}
END_TEST

static Suite *symbolizer_suite(void)
{
    Suite *s = suite_create("symbolizer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, symbolizer_loads_libdw_lazily);
    tcase_add_test(tc, symbolizer_global_and_static_functions);
    tcase_add_test(tc, symbolizer_return_address_gives_call_line);
    tcase_add_test(tc, symbolizer_inlined_frames);
    tcase_add_test(tc, symbolizer_demangles_cxx_names);
    tcase_add_test(tc, symbolizer_resolves_libstdcxx_function);
    tcase_add_test(tc, symbolizer_libc_module_and_offset);
    tcase_add_test(tc, symbolizer_vdso_function);
    tcase_add_test(tc, symbolizer_separate_debuginfo);
    tcase_add_test(tc, symbolizer_symbol_index_choice);
    tcase_add_test(tc, symbolizer_bad_pcs);
    tcase_add_test(tc, symbolizer_finds_library_dlopened_later);
    tcase_add_test(tc, symbolizer_fallback_without_libdw);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(symbolizer_suite());
}
