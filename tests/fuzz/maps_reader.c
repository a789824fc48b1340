/*
 * Fuzz target: tp_maps_each_line (base/procparse.c), the line splitter that
 * reads /proc/self/maps through a fixed 8 KiB buffer, fed from a memfd
 * holding the input.  Every line handed out is NUL-terminated without a
 * newline, at most 8 KiB, and parses (or not) without harm; a callback
 * error stops the reading and is returned.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "base/procparse.h"
#include "tests/fuzz/fuzz.h"

static int stop_at, lines;

static int each(void *arg, char *line)
{
    (void)arg;
    size_t n = strlen(line);
    fuzz_check(n <= 8192);
    fuzz_check(strchr(line, '\n') == NULL);
    tp_maps_line_t m;
    (void)tp_maps_parse_line(line, &m);
    return ++lines == stop_at ? -5 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0 && (fd = memfd_create("maps", MFD_CLOEXEC)) < 0)
        abort();
    if (size < 1)
        return 0;
    stop_at = data[0] % 16;      /* 0: never stop */
    lines = 0;
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1) ||
        lseek(fd, 0, SEEK_SET) != 0)
        abort();
    int rc = tp_maps_each_line(fd, each, NULL);
    int newlines = 0;
    for (size_t i = 1; i < size; i++)
        newlines += data[i] == '\n';
    fuzz_check(lines <= newlines + 1);
    if (stop_at != 0 && lines == stop_at)
        fuzz_check(rc == -5);
    else
        fuzz_check(rc == 0);
    return 0;
}
