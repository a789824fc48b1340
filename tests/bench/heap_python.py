# Heap workload for scripts/bench:
#     PYTHONMALLOC=malloc /usr/bin/python3 tests/bench/heap_python.py
#
# Creates 400,000 small dicts, each in a small list, and drops them again:
# a window of the last 100,000 stays alive, so the heap churns as in a
# program with a working set rather than reusing one block.  With
# PYTHONMALLOC=malloc every object goes to malloc (no pymalloc arenas).
# ~0.3 s natively on the 2-core development VM (Debian 12's Python 3.11).
#
# Allocator calls (Debian 12, counted once with a counting LD_PRELOAD and
# with heaptrack): ~6.4 million: 2.62 million malloc, 0.40 million calloc,
# 0.40 million realloc, 3.02 million free; heaptrack: "calls to allocation
# functions: 3421008".  Python start-up alone makes ~46,000 of them.

N = 400000
WINDOW = 100000


def churn(n, window):
    keep = [None] * window
    total = 0
    for i in range(n):
        d = {"id": i, "name": "item%d" % i, "parity": i & 1}
        lst = [d, i]
        old = keep[i % window]
        if old is not None:
            total += len(old[0]["name"])
        keep[i % window] = lst
    return total


print(churn(N, WINDOW))
