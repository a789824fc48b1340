/*
 * pprof_symbolize: the Lines and Functions of a profile's locations (see
 * pprof_internal.h), from the symbolizer (symbolizer/), so that the file
 * reads everywhere without the binaries.  Runs at write time, in the dump
 * thread; may load libdw on first use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "output/pprof_internal.h"
#include "symbolizer/symbolizer.h"

/* Frames one address may expand to (inline depth + 1). */
#define MAX_INLINE 32

static uint32_t func_hash(int64_t name, int64_t file)
{
    return tp__pprof_hash_u64(((uint64_t)name << 32) ^ (uint64_t)file);
}

static uint32_t func_hash_of(const void *ctx, uint32_t idx)
{
    const function_t *f = &((const derived_t *)ctx)->funcs[idx];
    return func_hash(f->name, f->file);
}

/* The id of function (name, file), adding it if new; or -ENOMEM. */
static int64_t function_id(derived_t *w, int64_t name, int64_t file)
{
    function_t key = {.name = name, .file = file};
    uint32_t h = func_hash(name, file);
    if (w->nfuncs >= TP_PPROF_MAX_ITEMS ||
        tp__pprof_tab_reserve(&w->func_index, w->nfuncs, func_hash_of, w) != 0)
        return -ENOMEM;
    size_t mask = w->func_index.nslots - 1;
    size_t i = h & mask;
    for (uint32_t v; (v = w->func_index.slots[i]) != 0; i = (i + 1) & mask)
        if (w->funcs[v - 1].name == name && w->funcs[v - 1].file == file)
            return v;
    if (TP_PPROF_GROW(w->funcs, w->funcs_cap, w->nfuncs + 1) != 0)
        return -ENOMEM;
    w->funcs[w->nfuncs] = key;
    w->func_index.slots[i] = (uint32_t)++w->nfuncs;
    return (int64_t)w->nfuncs;
}

/*
 * Turns each location into Lines.  The symbolizer's frames come innermost
 * inlined function first, pprof's order too.  A frame without a function
 * name is named "module+0xoffset" (the call address's offset in the
 * module, what `addr2line -e module` takes), so that `pprof -top` shows
 * something to look up; its mapping does not claim has_functions for it,
 * so pprof still symbolizes such a mapping itself when the binary is at
 * hand.  An address in no module gets no Line: pprof shows its address.
 */
int tp__pprof_symbolize(tp_pprof_t *p, derived_t *w)
{
    if (p->nlocs == 0)
        return 0;
    w->loc_mapping = calloc(p->nlocs, sizeof *w->loc_mapping);
    w->loc_line = calloc(p->nlocs, sizeof *w->loc_line);
    w->loc_nlines = calloc(p->nlocs, sizeof *w->loc_nlines);
    w->loc_gave = calloc(p->nlocs, sizeof *w->loc_gave);
    if (!w->loc_mapping || !w->loc_line || !w->loc_nlines || !w->loc_gave)
        return -ENOMEM;
    tp_sym_frame_t fr[MAX_INLINE];
    for (size_t i = 0; i < p->nlocs; i++) {
        const loc_t *l = &p->locs[i];
        int k = tp_sym_resolve(l->pc, l->is_return, fr, MAX_INLINE);
        if (TP_PPROF_GROW(w->lines, w->lines_cap, w->nlines + (size_t)(k > 0 ? k : 0)) != 0)
            return -ENOMEM;
        w->loc_line[i] = w->nlines;
        unsigned gave = 0;
        for (int j = 0; j < k; j++) {
            const tp_sym_frame_t *f = &fr[j];
            int64_t name;
            if (f->function != NULL) {
                name = tp__pprof_intern(p, f->function);
            } else if (f->module != NULL) {
                char buf[4200];
                uintptr_t off = f->module_offset - (l->is_return && f->module_offset > 0);
                snprintf(buf, sizeof buf, "%s+0x%lx", f->module, (unsigned long)off);
                name = tp__pprof_intern(p, buf);
            } else {
                continue;
            }
            int64_t file = tp__pprof_intern(p, f->file);
            if (name < 0 || file < 0)
                return -ENOMEM;
            int64_t fid = function_id(w, name, file);
            if (fid < 0)
                return (int)fid;
            w->lines[w->nlines++] = (line_t){.function_id = (uint64_t)fid,
                                             .line = f->line > 0 ? f->line : 0};
            gave |= (f->function ? GAVE_FUNCTION : 0) | (f->file ? GAVE_FILENAME : 0) |
                    (f->line > 0 ? GAVE_LINE_NUMBER : 0) | (f->inlined ? GAVE_INLINE : 0);
        }
        w->loc_nlines[i] = (uint32_t)(w->nlines - w->loc_line[i]);
        w->loc_gave[i] = (unsigned char)gave;
    }
    return 0;
}
