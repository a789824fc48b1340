/*
 * fallback: symbolization without libdw.  dladdr1() knows the objects the
 * dynamic linker loaded and their dynamic symbols only (no static
 * functions, no file:line, no inlining), which is still enough for
 * "module+offset" that addr2line can finish offline.  Used when libdw.so.1
 * cannot be loaded, and by the libdw back end for addresses outside every
 * module it knows.
 */
#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "base/forkguard.h"
#include "symbolizer/symbolizer_internal.h"

/* Path of the main program: its link map has the empty name. */
static const char *main_program_path(tp__sym_cache_t *c)
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    return tp__sym_cache_intern(c, path);
}

int tp__sym_dladdr_resolve(tp__sym_cache_t *c, uintptr_t pc, int is_return,
                           tp_sym_frame_t *out)
{
    memset(out, 0, sizeof *out);
    uintptr_t addr = is_return ? pc - 1 : pc;
    Dl_info info;
    struct link_map *lm = NULL;
    if (addr < TP_SYM_MIN_PC)
        return 1;
    tp_loader_enter_wait(100);          /* no fork meanwhile (base/forkguard.c) */
    int found = dladdr1((void *)addr, &info, (void **)&lm, RTLD_DL_LINKMAP);
    tp_loader_leave();
    if (found == 0 || lm == NULL)
        return 1;
    /* For the main program dladdr reports argv[0], which may be relative
     * or not a path at all; its link map has the empty name. */
    if (lm->l_name != NULL && lm->l_name[0] != '\0')
        out->module = tp__sym_cache_intern(c, lm->l_name);
    else
        out->module = main_program_path(c);
    out->module_offset = pc - (uintptr_t)lm->l_addr;
    if (info.dli_sname != NULL && info.dli_saddr != NULL) {
        out->function = tp__sym_intern_name(c, info.dli_sname);
        out->func_offset = pc - (uintptr_t)info.dli_saddr;
    }
    return 1;
}
