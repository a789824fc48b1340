/*
 * Fuzz target: tp_maps_parse_line (base/procparse.c), one line of
 * /proc/self/maps ("55d0c0a00000-55d0c0a04000 r-xp 00002000 fd:01 1234
 * /usr/bin/prog (deleted)").  A kept line's file name lies inside the line.
 */
#include "base/procparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = fuzz_cstr(data, size);
    tp_maps_line_t m;
    if (tp_maps_parse_line(line, &m)) {
        size_t n = strlen(line);
        fuzz_check(m.file >= line && m.file <= line + n);
        fuzz_check(m.file_len <= strlen(m.file));
    }
    free(line);
    return 0;
}
