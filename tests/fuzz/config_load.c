/*
 * Fuzz target: tp_config_load with a fuzzed environment.  The input is a
 * list of entries separated by NUL bytes; each entry's first byte picks a
 * THREADPROF_* variable (or, 0xff, a name of its own), the rest is its
 * value.  Properties: at most one warning per variable, each one line of
 * printable text under 1024 bytes naming the variable; the resulting
 * configuration within range.
 */
#include <limits.h>
#include <signal.h>

#include "agent/config.h"
#include "tests/fuzz/fuzz.h"

static const char *const names[] = {
    "THREADPROF_DIR", "THREADPROF_SIGNAL", "THREADPROF_ON_EXIT",
    "THREADPROF_INTERVAL", "THREADPROF_QUIET", "THREADPROF_DEADLOCK_CHECK",
    "THREADPROF_MUTEX_FRACTION", "THREADPROF_BLOCK_RATE",
    "THREADPROF_LOCK_ORDER", "THREADPROF_HEAP_RATE", "THREADPROF_DUMP_THREAD",
};
#define NNAMES (sizeof names / sizeof *names)

static const char *values[NNAMES];
static int warned[NNAMES];
static int nwarnings;

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (strcmp(name, names[i]) == 0)
            return values[i];
    return NULL;
}

static void collect(const char *line)
{
    size_t n = strlen(line);
    fuzz_check(n > 0 && n < 1024);
    for (size_t i = 0; i < n; i++)
        fuzz_check((unsigned char)line[i] >= 0x20 && line[i] != 0x7f);
    int which = -1;
    for (size_t i = 0; i < NNAMES; i++) {
        size_t k = strlen(names[i]);
        if (strncmp(line, names[i], k) == 0 && line[k] == '=')
            which = (int)i;
    }
    fuzz_check(which >= 0);
    fuzz_check(values[which] != NULL);
    fuzz_check(warned[which]++ == 0);
    nwarnings++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (buf == NULL)
        abort();
    memcpy(buf, data, size);
    buf[size] = '\0';
    memset(values, 0, sizeof values);
    memset(warned, 0, sizeof warned);
    nwarnings = 0;
    for (size_t i = 0; i < size;) {
        size_t n = strlen(buf + i);
        if (n > 0)
            values[(unsigned char)buf[i] % NNAMES] = buf + i + 1;
        i += n + 1;
    }
    unsigned uid = size > 0 ? (unsigned)data[0] * 16777619u : 0;
    tp_config_t c;
    tp_config_load(&c, fake_getenv, collect, uid);
    fuzz_check(nwarnings <= (int)NNAMES);
    fuzz_check(c.dir[0] == '/' && strlen(c.dir) < sizeof c.dir);
    if (c.dir_is_default) {
        char want[64];
        snprintf(want, sizeof want, "/tmp/threadprof-%u", uid);
        fuzz_check(strcmp(c.dir, want) == 0);
    }
    fuzz_check(c.signo >= 0 && c.signo < NSIG);
    fuzz_check(c.on_exit == TP_ON_EXIT_OFF || c.on_exit == TP_ON_EXIT_ON ||
               c.on_exit == TP_ON_EXIT_ALL);
    fuzz_check(c.quiet == 0 || c.quiet == 1);
    fuzz_check(c.deadlock_check == 0 || c.deadlock_check == 1);
    fuzz_check(c.lock_order == 0 || c.lock_order == 1);
    fuzz_check(c.lazy_dump_thread == 0 || c.lazy_dump_thread == 1);
    fuzz_check(c.mutex_fraction >= 0 && c.mutex_fraction <= 1000000000L);
    fuzz_check(c.block_rate_ns <= 3600ull * 1000000000ull);
    fuzz_check(c.heap_rate <= (1ull << 30));
    fuzz_check(c.interval_ns == 0 || c.interval_ns >= 10000000ull);
    free(buf);
    return 0;
}
