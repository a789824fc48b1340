/*
 * dwfl_backend: symbolization with elfutils' libdwfl.  libdw.so.1 is
 * loaded with dlopen() on first use and every function is reached through
 * a typed pointer (the headers are included for the types only), so the
 * agent does not link libdw and a program that never dumps never maps it.
 *
 * One session (Dwfl) describes this process: the modules of
 * /proc/self/maps, reported once and again when an address falls outside
 * all of them (a library dlopen'd later).  Per address it gives the ELF
 * symbol (.symtab when there is one, separate debuginfo included; looked
 * up in a per-module index, symindex.c), the line table row, and the DWARF
 * scopes that expand the address into its inlined frames, with the same
 * result as `eu-addr2line -i -f` (checked on 150k addresses of libc, libm,
 * libstdc++ and C++ test code).
 *
 * Everything here runs under the symbolizer lock: libdwfl sessions are not
 * thread-safe.
 */
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <link.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/forkguard.h"
#include "symbolizer/symbolizer_internal.h"

/* Every libdw function used, looked up with dlsym() into p_<name> (the
 * elf_ ones come from libelf, which libdw's handle reaches). */
#define DW_FUNCS(X)                                                          \
    /* session and modules */                                                \
    X(dwfl_begin) X(dwfl_end) X(dwfl_report_begin) X(dwfl_report_end)        \
    X(dwfl_linux_proc_report) X(dwfl_linux_proc_find_elf)                    \
    X(dwfl_standard_find_debuginfo) X(dwfl_build_id_find_debuginfo)          \
    X(dwfl_addrmodule) X(dwfl_module_info) X(dwfl_getmodules)                \
    X(dwfl_module_getelf)                                                    \
    /* symbols */                                                            \
    X(dwfl_module_getsymtab) X(dwfl_module_getsym_info)                      \
    X(elf_getscn) X(gelf_getshdr)                                            \
    /* units, lines and inlined frames */                                    \
    X(dwfl_module_addrdie) X(dwfl_module_nextcu) X(dwarf_ranges)             \
    X(dwarf_getsrc_die) X(dwarf_linesrc) X(dwarf_lineno)                     \
    X(dwarf_child) X(dwarf_siblingof) X(dwarf_haspc) X(dwarf_tag)            \
    X(dwarf_attr) X(dwarf_attr_integrate) X(dwarf_formstring)                \
    X(dwarf_formudata) X(dwarf_formref_die) X(dwarf_diename) X(dwarf_diecu)  \
    X(dwarf_getsrcfiles) X(dwarf_filesrc)

#define DECLARE_PTR(name) static __typeof__(name) *p_##name;
DW_FUNCS(DECLARE_PTR)
#undef DECLARE_PTR

/* Re-read the maps at most this often when nothing was dlopen'd. */
#define REREPORT_INTERVAL_NS 1000000000LL

static int load_state;                  /* 0 not tried, 1 loaded, -1 failed */
static Dwfl *dwfl;
static Dwfl_Callbacks callbacks;
static char *debuginfo_path;            /* NULL: ":.debug:/usr/lib/debug" */
static unsigned long long reported_adds, reported_subs;
static long long reported_at_ns;

/* 1 when the .gnu_debuglink file of file_name is where libdwfl's path
 * search looks with the default debuginfo_path: next to the file, in its
 * .debug directory, or under /usr/lib/debug. */
static int debuglink_exists(const char *file_name, const char *link)
{
    const char *slash = strrchr(file_name, '/');
    int dirlen = slash != NULL ? (int)(slash - file_name) : 0;
    char path[4096];
    for (int i = 0; i < 3; i++) {
        int n;
        if (i == 0)
            n = snprintf(path, sizeof path, "%.*s/%s", dirlen, file_name, link);
        else if (i == 1)
            n = snprintf(path, sizeof path, "%.*s/.debug/%s", dirlen, file_name, link);
        else
            n = snprintf(path, sizeof path, "/usr/lib/debug%.*s/%s", dirlen,
                         file_name, link);
        if (n > 0 && (size_t)n < sizeof path && strcmp(path, file_name) != 0 &&
            access(path, R_OK) == 0)
            return 1;
    }
    return 0;
}

/*
 * Dwfl_Callbacks.find_debuginfo: separate debuginfo from this machine only.
 * dwfl_standard_find_debuginfo() ends, when nothing local matches, by
 * asking debuginfod, which loads libdebuginfod and libcurl into the host
 * (and downloads when DEBUGINFOD_URLS is set).  So: the build-id tree
 * (/usr/lib/debug/.build-id) first, and the standard search only when its
 * .gnu_debuglink file exists locally, where it stops before debuginfod.
 */
static int find_debuginfo_local(Dwfl_Module *mod, void **userdata,
                                const char *modname, GElf_Addr base,
                                const char *file_name, const char *debuglink_file,
                                GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    int fd = p_dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
                                            debuglink_file, debuglink_crc,
                                            debuginfo_file_name);
    if (fd >= 0 || file_name == NULL)
        return fd;
    char deflink[512];
    const char *link = debuglink_file;
    if (link == NULL) {                 /* libdwfl then tries NAME.debug */
        const char *base_name = strrchr(file_name, '/');
        base_name = base_name != NULL ? base_name + 1 : file_name;
        int n = snprintf(deflink, sizeof deflink, "%s.debug", base_name);
        if (n <= 0 || (size_t)n >= sizeof deflink)
            return -1;
        link = deflink;
    }
    if (!debuglink_exists(file_name, link))
        return -1;
    return p_dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
                                          debuglink_file, debuglink_crc,
                                          debuginfo_file_name);
}

int tp__sym_dw_load(void)
{
    if (load_state != 0)
        return load_state > 0 ? 0 : -ENOENT;
    load_state = -1;
    tp_loader_enter_wait(100);          /* no fork meanwhile (base/forkguard.c) */
    void *h = dlopen("libdw.so.1", RTLD_NOW | RTLD_LOCAL);
    tp_loader_leave();
    if (h == NULL)
        return -ENOENT;
#define LOOKUP(name)                                                      \
    if ((p_##name = (__typeof__(name) *)dlsym(h, #name)) == NULL)         \
        goto missing;
    DW_FUNCS(LOOKUP)
#undef LOOKUP
    callbacks.find_elf = p_dwfl_linux_proc_find_elf;
    callbacks.find_debuginfo = find_debuginfo_local;
    callbacks.debuginfo_path = &debuginfo_path;
    load_state = 1;                     /* h stays open for good */
    return 0;
missing:
    dlclose(h);
    return -ENOENT;
}

int tp__sym_dw_loaded(void)
{
    return load_state > 0;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct dl_counts {
    unsigned long long adds, subs;
};

static int read_dl_counts(struct dl_phdr_info *info, size_t size, void *data)
{
    struct dl_counts *counts = data;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
        counts->adds = info->dlpi_adds;
        counts->subs = info->dlpi_subs;
    }
    return 1;                           /* the counters are global: stop */
}

/* Loads and unloads done by the dynamic linker so far. */
static struct dl_counts dl_counts(void)
{
    static struct dl_counts last;
    struct dl_counts counts = { 0, 0 };
    if (!tp_loader_enter())
        return last;                    /* a fork is being prepared */
    dl_iterate_phdr(read_dl_counts, &counts);
    tp_loader_leave();
    last = counts;
    return counts;
}

/*
 * What this file keeps per module, hung off its libdwfl userdata slot,
 * built on the first lookup in the module and freed with it: the symbol
 * index (symindex.c) and, for DWARF without .debug_aranges (clang, rustc),
 * the address ranges of its units.
 */
struct cu_range {
    Dwarf_Addr start, end;              /* run-time addresses */
    Dwarf_Die cudie;
};

struct module_data {
    tp__sym_index_t symbols;
    struct cu_range *cus;               /* sorted by start */
    size_t ncus;
    Dwarf_Addr cu_bias;                 /* DWARF bias, shared by all units */
    int cus_built;
};

static void free_module_data(void *p)
{
    struct module_data *md = p;
    if (md != NULL) {
        tp__sym_index_free(&md->symbols);
        free(md->cus);
        free(md);
    }
}

/* dwfl_report_end() callback: a module went away (dlclose).  Despite the
 * void * in its prototype, libdwfl passes the address of the module's
 * userdata slot, as to every module callback. */
static int drop_removed_module(Dwfl_Module *mod, void *slot, const char *name,
                               Dwarf_Addr base, void *arg)
{
    (void)mod, (void)name, (void)base, (void)arg;
    void **userdata = slot;
    free_module_data(*userdata);
    *userdata = NULL;
    return DWARF_CB_OK;
}

/* dwfl_getmodules() callback: the session ends. */
static int drop_module(Dwfl_Module *mod, void **userdata, const char *name,
                       Dwarf_Addr start, void *arg)
{
    (void)mod, (void)name, (void)start, (void)arg;
    free_module_data(*userdata);
    *userdata = NULL;
    return DWARF_CB_OK;
}

/* Reads the functions and labels of mod's symbol table (.symtab, from
 * separate debuginfo when there is one, else .dynsym) into ix. */
static void build_index(Dwfl_Module *mod, tp__sym_index_t *ix)
{
    int nsyms = p_dwfl_module_getsymtab(mod);
    if (nsyms <= 1)
        return;
    tp__sym_index_entry_t *entries = malloc((size_t)nsyms * sizeof *entries);
    if (entries == NULL)
        return;
    size_t n = 0;
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr value = 0;
        GElf_Word shndx = SHN_UNDEF;
        Elf *elf = NULL;
        Dwarf_Addr bias = 0;
        const char *name = p_dwfl_module_getsym_info(mod, i, &sym, &value, &shndx,
                                                     &elf, &bias);
        int type = GELF_ST_TYPE(sym.st_info);
        if (name == NULL || name[0] == '\0' || shndx == SHN_UNDEF ||
            shndx >= SHN_LORESERVE ||
            (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE))
            continue;
        tp__sym_index_entry_t *e = &entries[n];
        e->addr = value;
        e->name = name;
        e->bind = (uint8_t)GELF_ST_BIND(sym.st_info);
        e->sized = sym.st_size != 0;
        if (e->sized) {
            e->end = value + sym.st_size;
        } else {
            /* A label reaches at most to the end of its section. */
            GElf_Shdr mem;
            Elf_Scn *scn = elf != NULL ? p_elf_getscn(elf, shndx) : NULL;
            GElf_Shdr *sh = scn != NULL ? p_gelf_getshdr(scn, &mem) : NULL;
            if (sh == NULL || !(sh->sh_flags & SHF_ALLOC))
                continue;
            e->end = sh->sh_addr + bias + sh->sh_size;
            if (e->end <= e->addr)
                continue;
        }
        n++;
    }
    (void)tp__sym_index_build(ix, entries, n);
}

/* mod's data, created with its symbol index on first use; NULL when
 * memory runs out. */
static struct module_data *module_data(Dwfl_Module *mod)
{
    void **userdata = NULL;
    if (p_dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL) == NULL ||
        userdata == NULL)
        return NULL;
    if (*userdata == NULL) {
        struct module_data *md = calloc(1, sizeof *md);
        if (md == NULL)
            return NULL;
        build_index(mod, &md->symbols);
        *userdata = md;
    }
    return *userdata;
}

static int cu_range_cmp(const void *pa, const void *pb)
{
    const struct cu_range *a = pa, *b = pb;
    return a->start < b->start ? -1 : a->start > b->start;
}

/* Collects the address ranges of every unit of mod into md->cus. */
static void build_cu_ranges(Dwfl_Module *mod, struct module_data *md)
{
    size_t cap = 0;
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = NULL;
    while ((cu = p_dwfl_module_nextcu(mod, cu, &bias)) != NULL) {
        Dwarf_Addr base, start, end;
        ptrdiff_t off = 0;
        while ((off = p_dwarf_ranges(cu, off, &base, &start, &end)) > 0) {
            if (start >= end)
                continue;
            if (md->ncus == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                struct cu_range *n = realloc(md->cus, ncap * sizeof *n);
                if (n == NULL)
                    goto done;
                md->cus = n;
                cap = ncap;
            }
            md->cus[md->ncus].start = start + bias;   /* bias: run time */
            md->cus[md->ncus].end = end + bias;
            md->cus[md->ncus].cudie = *cu;
            md->ncus++;
        }
        md->cu_bias = bias;
    }
done:
    if (md->ncus > 1)
        qsort(md->cus, md->ncus, sizeof *md->cus, cu_range_cmp);
}

/*
 * The unit holding addr (with the DWARF bias in *dbias), or NULL.  libdwfl
 * finds units through .debug_aranges only, which clang and rustc do not
 * emit by default; for addresses it does not place, the units' own ranges
 * are searched (collected once per module).
 */
static Dwarf_Die *find_cu(Dwfl_Module *mod, struct module_data *md, Dwarf_Addr addr,
                          Dwarf_Addr *dbias)
{
    Dwarf_Die *cudie = p_dwfl_module_addrdie(mod, addr, dbias);
    if (cudie != NULL || md == NULL)
        return cudie;
    if (!md->cus_built) {
        md->cus_built = 1;
        build_cu_ranges(mod, md);
    }
    size_t lo = 0, hi = md->ncus;
    while (lo < hi) {                   /* first range starting above addr */
        size_t mid = lo + (hi - lo) / 2;
        if (md->cus[mid].start <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || addr >= md->cus[lo - 1].end)
        return NULL;
    *dbias = md->cu_bias;
    return &md->cus[lo - 1].cudie;
}

/* (Re)reports the modules of /proc/self/maps.  Modules reported again are
 * kept as they were (with their loaded ELF and DWARF); vanished ones go. */
static void report_modules(void)
{
    struct dl_counts counts = dl_counts();
    p_dwfl_report_begin(dwfl);
    (void)p_dwfl_linux_proc_report(dwfl, getpid());
    (void)p_dwfl_report_end(dwfl, drop_removed_module, NULL);
    reported_adds = counts.adds;
    reported_subs = counts.subs;
    reported_at_ns = now_ns();
}

/*
 * Called for an address outside every known module.  Re-reads the maps
 * when the dynamic linker loaded or unloaded something since the last
 * report, or when the last one is a second old (an ELF mapped without the
 * dynamic linker); otherwise a bad pc costs one dl_iterate_phdr() call.
 * Returns 1 when it re-reported.
 */
static int maybe_rereport(void)
{
    struct dl_counts counts = dl_counts();
    if (counts.adds == reported_adds && counts.subs == reported_subs &&
        now_ns() - reported_at_ns < REREPORT_INTERVAL_NS)
        return 0;
    report_modules();
    return 1;
}

int tp__sym_dw_begin(void)
{
    if (load_state <= 0)
        return -ENOENT;
    if (dwfl != NULL)
        return 0;
    dwfl = p_dwfl_begin(&callbacks);
    if (dwfl == NULL)
        return -ENOMEM;
    report_modules();
    return 0;
}

void tp__sym_dw_end(int leak)
{
    if (dwfl != NULL && !leak) {
        (void)p_dwfl_getmodules(dwfl, drop_module, NULL, 0);
        p_dwfl_end(dwfl);
    }
    dwfl = NULL;
}

/* Name of a subprogram or inlined subroutine: the linkage name (to be
 * demangled) when there is one, else the plain name; both looked up
 * through DW_AT_abstract_origin and DW_AT_specification. */
static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute attr;
    const char *name = p_dwarf_formstring(p_dwarf_attr_integrate(die, DW_AT_linkage_name, &attr));
    if (name == NULL)
        name = p_dwarf_formstring(p_dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &attr));
    if (name == NULL)
        name = p_dwarf_diename(die);
    return name;
}

/* Interns a source file name as an absolute path when the unit says where
 * it was compiled: gcc records "tests/x.c" relative to DW_AT_comp_dir, and
 * readers (and Go's dumps) expect "/src/tests/x.c".  A relative comp_dir
 * (-fdebug-prefix-map builds such as Debian's libc: "./stdlib/msort.c")
 * leaves the name as it is. */
static const char *source_path(tp__sym_cache_t *c, Dwarf_Die *cu, const char *name)
{
    Dwarf_Attribute attr;
    if (name == NULL || name[0] == '/' || cu == NULL)
        return tp__sym_cache_intern(c, name);
    const char *dir = p_dwarf_formstring(p_dwarf_attr(cu, DW_AT_comp_dir, &attr));
    if (dir == NULL || dir[0] != '/')
        return tp__sym_cache_intern(c, name);
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%.*s/%s", (int)dlen, dir, name) >= sizeof path)
        return tp__sym_cache_intern(c, name);
    return tp__sym_cache_intern(c, path);
}

/* Fills f->file and f->line with the call site of an inlined subroutine
 * (DW_AT_call_file, DW_AT_call_line, relative to the die's unit).  Like the
 * line table's, the file name already includes its directory; it is
 * relative only when the unit was compiled with a relative DW_AT_comp_dir
 * (-fdebug-prefix-map builds such as Debian's libc: "./stdlib/msort.c"). */
static void call_site(tp__sym_cache_t *c, Dwarf_Die *die, tp_sym_frame_t *f)
{
    Dwarf_Attribute attr;
    Dwarf_Word val;
    Dwarf_Die cu;
    Dwarf_Files *files;
    if (p_dwarf_formudata(p_dwarf_attr(die, DW_AT_call_line, &attr), &val) == 0)
        f->line = (int)val;
    if (p_dwarf_formudata(p_dwarf_attr(die, DW_AT_call_file, &attr), &val) == 0 &&
        p_dwarf_diecu(die, &cu, NULL, NULL) != NULL &&
        p_dwarf_getsrcfiles(&cu, &files, NULL) == 0)
        f->file = source_path(c, &cu, p_dwarf_filesrc(files, val, NULL, NULL));
}

static int is_function_tag(int tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* Deepest DIE nesting followed (scopes plus namespaces and classes). */
#define MAX_SCOPES 64

/*
 * Finds among the children of parent the scope (function, inlined call,
 * block) whose ranges hold pc, looking into namespaces, classes and
 * imported (dwz) units on the way.  Returns 1 and sets *out when found.
 * Sibling DIEs are skipped whole (DW_AT_sibling), so a lookup reads the
 * top-level DIEs of one unit and the path down to pc, where
 * dwarf_getscopes() plus dwarf_getscopes_die() walk the unit's whole tree
 * two or three times.  Same pruning rule: a DIE without ranges that hold
 * pc is not entered.
 */
static int find_scope_child(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *out,
                            int depth)
{
    Dwarf_Die child;
    if (depth >= MAX_SCOPES || p_dwarf_child(parent, &child) != 0)
        return 0;
    do {
        Dwarf_Attribute attr;
        Dwarf_Die unit;
        switch (p_dwarf_tag(&child)) {
        case DW_TAG_subprogram:
        case DW_TAG_inlined_subroutine:
        case DW_TAG_entry_point:
        case DW_TAG_lexical_block:
        case DW_TAG_try_block:
        case DW_TAG_catch_block:
        case DW_TAG_with_stmt:
            if (p_dwarf_haspc(&child, pc) > 0) {
                *out = child;
                return 1;
            }
            break;
        case DW_TAG_namespace:
        case DW_TAG_module:
        case DW_TAG_class_type:
        case DW_TAG_structure_type:
        case DW_TAG_union_type:
            if (find_scope_child(&child, pc, out, depth + 1))
                return 1;
            break;
        case DW_TAG_imported_unit:
            if (p_dwarf_formref_die(p_dwarf_attr(&child, DW_AT_import, &attr), &unit) != NULL &&
                find_scope_child(&unit, pc, out, depth + 1))
                return 1;
            break;
        default:
            break;
        }
    } while (p_dwarf_siblingof(&child, &child) == 0);
    return 0;
}

/*
 * Collects into funcs the function scopes of unit cudie around pc (a DWARF
 * address: bias removed), innermost first, ending with the real function
 * (the first DW_TAG_subprogram from the inside); scopes[] holds the DIEs
 * they point to.  Returns the number of functions (at most max).
 */
static int function_scopes(Dwarf_Die *cudie, Dwarf_Addr pc,
                           Dwarf_Die scopes[MAX_SCOPES], Dwarf_Die **funcs, int max)
{
    int nscopes = 0;
    Dwarf_Die *parent = cudie;
    while (nscopes < MAX_SCOPES &&
           find_scope_child(parent, pc, &scopes[nscopes], 0)) {
        parent = &scopes[nscopes];
        nscopes++;
    }
    int n = 0;
    for (int i = nscopes - 1; i >= 0 && n < max; i--) {
        int tag = p_dwarf_tag(&scopes[i]);
        if (!is_function_tag(tag))
            continue;
        funcs[n++] = &scopes[i];
        if (tag == DW_TAG_subprogram)
            break;
    }
    return n;
}

/* Interns a symbol table name, demangled and without the symbol version
 * that ld writes into .symtab ("pthread_create@@GLIBC_2.34"). */
static const char *intern_symbol(tp__sym_cache_t *c, const char *name)
{
    const char *at = strchr(name, '@');
    if (at == NULL || at == name)
        return tp__sym_intern_name(c, name);
    char *bare = strndup(name, (size_t)(at - name));
    if (bare == NULL)
        return NULL;
    const char *s = tp__sym_intern_name(c, bare);
    free(bare);
    return s;
}

/* The module whose mapped range holds addr, or NULL; sets *start.
 * dwfl_addrmodule() alone answers the highest module for any address
 * above it (the [vsyscall] page, kernel addresses), hence the range test. */
static Dwfl_Module *find_module(Dwarf_Addr addr, Dwarf_Addr *start)
{
    Dwfl_Module *mod = p_dwfl_addrmodule(dwfl, addr);
    Dwarf_Addr low = 0, high = 0;
    if (mod == NULL ||
        p_dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL) == NULL ||
        addr < low || addr >= high)
        return NULL;
    *start = low;
    return mod;
}

int tp__sym_dw_resolve(tp__sym_cache_t *c, uintptr_t pc, int is_return,
                       tp_sym_frame_t *out, int max)
{
    memset(out, 0, sizeof *out);
    if (pc < TP_SYM_MIN_PC || dwfl == NULL)
        return 1;
    Dwarf_Addr addr = is_return ? pc - 1 : pc;
    Dwarf_Addr start = 0, bias = 0;
    Dwfl_Module *mod = find_module(addr, &start);
    if (mod == NULL && maybe_rereport())
        mod = find_module(addr, &start);
    if (mod == NULL)                    /* the dynamic linker may know it */
        return tp__sym_dladdr_resolve(c, pc, is_return, out);

    /* Module and offset, common to every frame of pc. */
    const char *modname = p_dwfl_module_info(mod, NULL, NULL, NULL, NULL,
                                             NULL, NULL, NULL);
    Elf *elf = p_dwfl_module_getelf(mod, &bias);
    const char *module = modname != NULL && strncmp(modname, "[vdso", 5) == 0
                             ? tp__sym_cache_intern(c, "[vdso]")
                             : tp__sym_cache_intern(c, modname);
    uintptr_t module_offset = pc - (uintptr_t)(elf != NULL ? bias : start);

    /* The ELF symbol: name and entry of the real function. */
    struct module_data *md = elf != NULL ? module_data(mod) : NULL;
    const char *sym_name = NULL;
    uintptr_t func_offset = 0;
    const tp__sym_index_entry_t *sym =
        md != NULL ? tp__sym_index_lookup(&md->symbols, addr) : NULL;
    if (sym != NULL) {
        sym_name = intern_symbol(c, sym->name);
        func_offset = pc - (uintptr_t)sym->addr;
    }

    /* The unit: its line table row gives file:line of the innermost
     * frame, its scopes the inlined frames. */
    const char *file = NULL;
    int line = 0;
    Dwarf_Addr dbias = 0;
    Dwarf_Die *cudie = elf != NULL ? find_cu(mod, md, addr, &dbias) : NULL;
    Dwarf_Line *row = cudie != NULL ? p_dwarf_getsrc_die(cudie, addr - dbias) : NULL;
    if (row != NULL) {
        file = source_path(c, cudie, p_dwarf_linesrc(row, NULL, NULL));
        if (file != NULL && p_dwarf_lineno(row, &line) != 0)
            line = 0;
    }
    Dwarf_Die scopes[MAX_SCOPES];
    Dwarf_Die *funcs[TP_SYM_MAX_FRAMES];
    int limit = max < TP_SYM_MAX_FRAMES ? max : TP_SYM_MAX_FRAMES;
    int nfuncs = cudie != NULL ? function_scopes(cudie, addr - dbias, scopes, funcs, limit) : 0;
    int n = nfuncs > 0 ? nfuncs : 1;
    for (int i = 0; i < n; i++) {
        tp_sym_frame_t *f = &out[i];
        memset(f, 0, sizeof *f);
        f->module = module;
        f->module_offset = module_offset;
        if (i == 0) {
            f->file = file;
            f->line = line;
        } else {
            call_site(c, funcs[i - 1], f);
        }
        if (nfuncs > 0 && p_dwarf_tag(funcs[i]) == DW_TAG_inlined_subroutine) {
            /* The last frame is inlined too only when the chain was cut. */
            f->inlined = 1;
            f->function = tp__sym_intern_name(c, die_name(funcs[i]));
        } else {
            /* The real function: the symbol table name keeps function and
             * func_offset consistent (foo.cold, foo.part.0, C++ signature). */
            f->function = sym_name;
            f->func_offset = func_offset;
            if (f->function == NULL && nfuncs > 0)
                f->function = tp__sym_intern_name(c, die_name(funcs[i]));
        }
    }
    return n;
}
