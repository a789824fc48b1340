/*
 * Fuzz target: tp_parse_task_syscall (base/procparse.c), the reading of
 * /proc/self/task/<tid>/syscall ("202 0x7f... 0x80 ... 0x7ffd... 0x7f...",
 * "-1 0x7ffd... 0x7f...", "running").
 */
#include "base/procparse.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    long nr = -99;
    unsigned long sp = 0, pc = 0;
    if (tp_parse_task_syscall(text, &nr, &sp, &pc))
        fuzz_check(nr >= 0);
    free(text);
    return 0;
}
