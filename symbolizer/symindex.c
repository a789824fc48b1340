/*
 * symindex: the symbol table of one module sorted by address, for
 * O(log n) address-to-symbol lookups.  libdwfl's own dwfl_module_addrinfo()
 * scans every symbol on every call (tens of thousands in libc's
 * separate debuginfo, a third of a millisecond per address); the libdw
 * back end reads a module's symbols once into this index instead.
 *
 * The choice follows dwfl_module_addrinfo(): the closest symbol whose
 * [value, value + size) holds the address; failing that, the closest
 * sizeless symbol (an assembly label) in the same section that no sized
 * symbol lies over.  Among aliases at one address: global, then weak, then
 * local, then no "__GI_" or ".suffix", the fewest leading underscores and
 * the shortest name ("printf" over "_IO_printf" and "__printf").
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "symbolizer/symbolizer_internal.h"

static int underscores(const char *s)
{
    int n = 0;
    while (s[n] == '_')
        n++;
    return n;
}

/* Internal aliases and compiler clones lose against a plain alias:
 * glibc's "__GI_" names, "foo.localalias". */
static int alias_penalty(const char *s)
{
    return strncmp(s, "__GI_", 5) == 0 || strchr(s, '.') != NULL;
}

static int bind_rank(int bind)
{
    return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
}

/* Address order; at one address the preferred symbol first. */
static int entry_cmp(const void *pa, const void *pb)
{
    const tp__sym_index_entry_t *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->sized != b->sized)
        return a->sized ? -1 : 1;
    if (bind_rank(a->bind) != bind_rank(b->bind))
        return bind_rank(a->bind) - bind_rank(b->bind);
    if (alias_penalty(a->name) != alias_penalty(b->name))
        return alias_penalty(a->name) - alias_penalty(b->name);
    int ua = underscores(a->name), ub = underscores(b->name);
    if (ua != ub)
        return ua - ub;
    size_t la = strlen(a->name), lb = strlen(b->name);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a->name, b->name);
}

int tp__sym_index_build(tp__sym_index_t *ix, tp__sym_index_entry_t *entries,
                        size_t n)
{
    memset(ix, 0, sizeof *ix);
    if (n == 0) {
        free(entries);
        return 0;
    }
    uint64_t *max_end = malloc(n * sizeof *max_end);
    if (max_end == NULL) {
        free(entries);
        return -1;
    }
    qsort(entries, n, sizeof *entries, entry_cmp);
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (entries[i].sized && entries[i].end > m)
            m = entries[i].end;
        max_end[i] = m;
    }
    ix->entries = entries;
    ix->max_end = max_end;
    ix->n = n;
    return 0;
}

/* Index of the first entry at the address of entry i. */
static size_t group_start(const tp__sym_index_t *ix, size_t i)
{
    while (i > 0 && ix->entries[i - 1].addr == ix->entries[i].addr)
        i--;
    return i;
}

const tp__sym_index_entry_t *tp__sym_index_lookup(const tp__sym_index_t *ix,
                                                  uint64_t addr)
{
    if (ix->n == 0 || addr < ix->entries[0].addr)
        return NULL;
    /* last: the last entry at or below addr. */
    size_t lo = 0, hi = ix->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->entries[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    size_t last = lo;

    /* The closest sized symbol holding addr.  max_end bounds the walk back:
     * below j nothing sized reaches addr once max_end[j] <= addr. */
    for (size_t j = last + 1; j-- > 0 && ix->max_end[j] > addr;) {
        const tp__sym_index_entry_t *e = &ix->entries[j];
        if (e->sized && addr < e->end) {
            /* The preferred sized alias at this address comes first. */
            for (size_t k = group_start(ix, j); k <= j; k++)
                if (ix->entries[k].sized && addr < ix->entries[k].end)
                    return &ix->entries[k];
        }
    }

    /* A label: sizeless, at or above the end of every sized symbol below
     * addr, and in addr's section. */
    uint64_t floor = ix->max_end[last];
    for (size_t j = last + 1; j-- > 0 && ix->entries[j].addr >= floor;) {
        const tp__sym_index_entry_t *e = &ix->entries[j];
        if (!e->sized && addr < e->end) {
            for (size_t k = group_start(ix, j); k <= j; k++)
                if (!ix->entries[k].sized && addr < ix->entries[k].end)
                    return &ix->entries[k];
        }
        if (!e->sized)
            break;                      /* the closest label decides */
    }
    return NULL;
}

void tp__sym_index_free(tp__sym_index_t *ix)
{
    free(ix->entries);
    free(ix->max_end);
    memset(ix, 0, sizeof *ix);
}
