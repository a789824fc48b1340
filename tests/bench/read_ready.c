/*
 * Benchmark: the cost of read(fd, buf, 1) on a descriptor that is always
 * ready (/dev/zero), the hot path of the agent's syscall hooks.  Run it
 * natively and under LD_PRELOAD; scripts/bench prints the difference.
 *
 * Usage: read_ready [ITERATIONS]   (default 2,000,000)
 */
#include <fcntl.h>

#include "tests/bench/bench.h"

static int fd;

static void read_one(long i)
{
    char c;
    (void)i;
    if (read(fd, &c, 1) != 1)
        bench_die("read", errno);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? bench_parse_count(argv[1]) : 2000000;
    fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        bench_die("open /dev/zero", errno);
    bench_start_parked_thread();
    bench_run(read_one, iters, 1, "ns");
    return 0;
}
