/*
 * Fuzz target: tp_thread_name_clean (base/procparse.c), the quoting of a
 * thread name the program chose (/proc/<pid>/task/<tid>/comm) in dumps.
 * Properties: the output fits, is NUL-terminated, and holds no control
 * byte, DEL, quote or newline; a backslash only starts a \xNN escape.
 */
#include "base/procparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The output size comes from the input too, so tight buffers (where
     * an escape must not be cut) get exercised. */
    size_t outlen = size > 0 ? (size_t)data[0] % 80 : 64;
    const char *raw = size > 0 ? (const char *)data + 1 : "";
    size_t n = size > 0 ? size - 1 : 0;
    char *out = malloc(outlen + 1);
    if (out == NULL)
        abort();
    size_t len = tp_thread_name_clean(raw, n, out, outlen);
    if (outlen == 0) {
        fuzz_check(len == 0);
    } else {
        fuzz_check(len < outlen && out[len] == '\0' && strlen(out) == len);
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)out[i];
            fuzz_check(c >= 0x20 && c != 0x7f && c != '"');
            if (c == '\\') {
                fuzz_check(i + 3 < len && out[i + 1] == 'x' &&
                           strchr("0123456789abcdef", out[i + 2]) != NULL &&
                           strchr("0123456789abcdef", out[i + 3]) != NULL);
                i += 3;
            }
        }
    }
    free(out);
    return 0;
}
