/*
 * Fuzz target: every THREADPROF_* value parser of agent/config.c.  The
 * first byte picks the parser, the rest is the value.  Beyond not
 * crashing, each accepted value must be within the documented range and a
 * refused one must leave the output untouched.
 */
#include <limits.h>
#include <signal.h>

#include "agent/config.h"
#include "base/signame.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *s = fuzz_cstr(data + 1, size - 1);
    switch (data[0] % 7) {
    case 0: {
        int v = 42;
        if (tp_parse_bool(s, &v) == 0)
            fuzz_check(v == 0 || v == 1);
        else
            fuzz_check(v == 42);
        break;
    }
    case 1: {
        int v = -7;
        if (tp_parse_signal(s, &v) == 0) {
            fuzz_check(v == 0 || (v > 0 && v < NSIG));
            fuzz_check(v != SIGKILL && v != SIGSTOP && v != SIGSEGV && v != SIGBUS);
            if (v != 0) {
                char name[32];
                tp_signal_name(v, name, sizeof name);
                int back = -1;
                if (strncmp(name, "SIG", 3) == 0) {
                    fuzz_check(tp_parse_signal(name, &back) == 0);
                    fuzz_check(back == v);
                }
            }
        } else {
            fuzz_check(v == -7);
        }
        break;
    }
    case 2: {
        uint64_t ns = 7;
        if (tp_parse_duration(s, &ns) == 0)
            fuzz_check(ns == 0 || (ns >= 10000000ull && ns <= 366ull * 86400 * 1000000000ull));
        else
            fuzz_check(ns == 7);
        break;
    }
    case 3: {
        char out[PATH_MAX];
        size_t len = (size_t)(data[0] / 7) % 64 + 1;   /* small buffers too */
        if (len == 64)
            len = sizeof out;
        memcpy(out, "untouched", 10);
        if (tp_parse_dir(s, out, len) == 0) {
            size_t n = strlen(out);
            fuzz_check(n < len && out[0] == '/');
            fuzz_check(n == 1 || out[n - 1] != '/');
            for (size_t i = 0; i < n; i++)
                fuzz_check((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
        } else {
            fuzz_check(strcmp(out, "untouched") == 0);
        }
        break;
    }
    case 4: {
        long v = -3;
        if (tp_parse_fraction(s, &v) == 0)
            fuzz_check(v >= 0 && v <= 1000000000L);
        else
            fuzz_check(v == -3);
        break;
    }
    case 5: {
        uint64_t ns = 5;
        if (tp_parse_rate_ns(s, &ns) == 0)
            fuzz_check(ns <= 3600ull * 1000000000ull);
        else
            fuzz_check(ns == 5);
        break;
    }
    case 6: {
        uint64_t b = 9;
        if (tp_parse_bytes(s, &b) == 0)
            fuzz_check(b <= (1ull << 30));
        else
            fuzz_check(b == 9);
        break;
    }
    }
    free(s);
    return 0;
}
