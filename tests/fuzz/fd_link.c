/*
 * Fuzz target: tp_fd_classify (base/procparse.c), the reading of a
 * /proc/self/fd link target ("pipe:[123]", "socket:[456]",
 * "anon_inode:[eventpoll]", a path, anything a file name can be).  The
 * first byte sets the size of the kind buffer (1 to 64 bytes).
 */
#include "base/procparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = data[0] % 64 + 1;
    char *target = fuzz_cstr(data + 1, size - 1);
    char *kind = malloc(len);   /* exact size: ASan sees any overflow */
    if (kind == NULL)
        abort();
    int sock = tp_fd_classify(target, kind, len);
    fuzz_check(strlen(kind) < len);
    fuzz_check(sock == (strncmp(target, "socket:", 7) == 0));
    free(kind);
    free(target);
    return 0;
}
