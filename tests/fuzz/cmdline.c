/*
 * Fuzz target: tp_cmdline_clean (base/procparse.c), the reading of
 * /proc/self/cmdline (arguments separated by NUL bytes, any bytes in
 * them).  The text left has no NUL, newline or trailing space inside its
 * length.
 */
#include "base/procparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);   /* exactly the room the contract asks */
    if (buf == NULL)
        abort();
    memcpy(buf, data, size);
    size_t n = tp_cmdline_clean(buf, size);
    fuzz_check(n <= size && buf[n] == '\0');
    fuzz_check(strlen(buf) == n);
    fuzz_check(n == 0 || buf[n - 1] != ' ');
    fuzz_check(strchr(buf, '\n') == NULL);
    free(buf);
    return 0;
}
