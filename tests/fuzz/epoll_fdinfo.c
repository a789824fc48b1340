/*
 * Fuzz target: tp_epoll_parse_tfds (base/procparse.c), the reading of
 * /proc/self/fdinfo/<epoll fd> ("tfd:        5 events:       19 data: ..."
 * lines).  The count must be the number of "tfd:" occurrences and never
 * more than max entries written.
 */
#include "base/procparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int max = data[0] % 8;
    char *text = fuzz_cstr(data + 1, size - 1);
    int *fds = malloc(sizeof(int) * (size_t)(max ? max : 1));
    if (fds == NULL)
        abort();
    int n = tp_epoll_parse_tfds(text, fds, max);
    int want = 0;
    for (const char *p = strstr(text, "tfd:"); p; p = strstr(p + 4, "tfd:"))
        want++;
    fuzz_check(n == want);
    free(fds);
    free(text);
    return 0;
}
