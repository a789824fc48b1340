/*
 * fuzz.h: shared by the libFuzzer targets of tests/fuzz (see tests/fuzz/run,
 * `make fuzz`).  A property that fails calls fuzz_fail(), which aborts so
 * libFuzzer saves the input as a crash.
 */
#ifndef TP_FUZZ_H
#define TP_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define fuzz_check(cond)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* The input as a NUL-terminated string (malloc'd; NULs inside end it
 * early, as they would in an environment variable). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
