/*
 * Fuzz target: the symbol index (symbolizer/symindex.c), built from the
 * symbol table of a module, which is data from a file the program loaded
 * (any ELF file can say anything).  The input is a list of 12-byte
 * symbols (address, size, binding, name choice) followed by the
 * addresses to look up; an answer must hold the address it was asked
 * for.
 */
#include <elf.h>

#include "symbolizer/symbolizer_internal.h"
#include "tests/fuzz/fuzz.h"

static const char *const names[] = {
    "main", "_start", "__GI_memcpy", "memcpy", "foo.localalias", "_IO_printf",
    "printf", "__printf", "", "x", "_Z3fooi", "a.b.c",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t nsym = data[0] % 64;
    data++;
    size--;
    if (nsym * 12 > size)
        nsym = size / 12;
    tp__sym_index_entry_t *e = calloc(nsym ? nsym : 1, sizeof *e);
    if (e == NULL)
        abort();
    for (size_t i = 0; i < nsym; i++) {
        const uint8_t *d = data + 12 * i;
        uint32_t addr, len;
        memcpy(&addr, d, 4);
        memcpy(&len, d + 4, 4);
        e[i].addr = addr % 4096;         /* dense, so lookups hit */
        e[i].sized = d[8] & 1;
        /* sized: st_size != 0; a label: its section's end, anywhere */
        e[i].end = e[i].addr + len % 256 + e[i].sized;
        e[i].bind = d[9] % 3 == 0 ? STB_GLOBAL : d[9] % 3 == 1 ? STB_WEAK : STB_LOCAL;
        e[i].name = names[d[10] % (sizeof names / sizeof *names)];
    }
    tp__sym_index_t ix;
    memset(&ix, 0, sizeof ix);
    if (tp__sym_index_build(&ix, e, nsym) != 0)
        return 0;
    for (size_t off = 12 * nsym; off + 2 <= size; off += 2) {
        uint64_t addr = (uint64_t)(data[off] | data[off + 1] << 8) % 4400;
        const tp__sym_index_entry_t *hit = tp__sym_index_lookup(&ix, addr);
        if (hit != NULL)
            fuzz_check(hit->addr <= addr && addr < hit->end);
    }
    tp__sym_index_free(&ix);
    return 0;
}
