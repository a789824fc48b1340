/*
 * memory: how much of a mapping is really in memory.
 *
 * The agent's tables are large anonymous mappings (MAP_NORESERVE, zero
 * pages) touched only as they fill, so what they reserve says little about
 * what they cost; the summary shows both (agent/lockprof.c, lockorder.c;
 * the heap profiler's tables too).
 *
 * mincore() alone overstates it: a page that was only read maps the
 * kernel's shared zero page and counts as resident, and the summary's own
 * scans read every slot of the tables at every dump (measured: 1000 pages
 * read, 10 written, mincore says 1000).  /proc/self/pagemap tells them
 * apart: a page this process wrote is present and mapped by it alone (bits
 * 63 and 56), the zero page is never exclusive.  mincore() is the fallback
 * when pagemap cannot be read (some sandboxes); a page shared with a forked
 * child that has written neither copy counts for neither process.
 *
 * Newer kernels (seen on 6.18) report a read-only zero page as present
 * and exclusive in pagemap too.  There the PAGEMAP_SCAN ioctl (Linux 6.7)
 * answers exactly: present pages that are not the zero page
 * (PAGE_IS_PFNZERO).  It is tried first; the bits, then mincore(), are
 * the fallbacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/internal.h"

#define CHUNK 256                        /* pages per read: no allocation */
#define PM_PRESENT (1ull << 63)
#define PM_EXCLUSIVE (1ull << 56)

/* PAGEMAP_SCAN's ABI (linux/fs.h since 6.7; Debian 12's headers are
 * older). */
#define TP_PAGE_IS_PRESENT (1u << 3)
#define TP_PAGE_IS_PFNZERO (1u << 5)
struct tp_page_region {
    uint64_t start, end, categories;
};
struct tp_pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define TP_PAGEMAP_SCAN _IOWR('f', 16, struct tp_pm_scan_arg)

/* Present pages of [start, start + n pages) that are not the zero page,
 * or -1 when the kernel has no PAGEMAP_SCAN. */
static long from_pagemap_scan(int fd, uintptr_t start, size_t n, size_t page)
{
    struct tp_page_region vec[32];
    uint64_t at = start, end = start + n * page;
    long count = 0;
    while (at < end) {
        struct tp_pm_scan_arg a = {
            .size = sizeof a, .start = at, .end = end,
            .vec = (uintptr_t)vec, .vec_len = sizeof vec / sizeof *vec,
            .category_inverted = TP_PAGE_IS_PFNZERO,
            .category_mask = TP_PAGE_IS_PRESENT | TP_PAGE_IS_PFNZERO,
            .return_mask = TP_PAGE_IS_PRESENT,
        };
        long r = ioctl(fd, TP_PAGEMAP_SCAN, &a);
        if (r < 0)
            return -1;
        for (long i = 0; i < r; i++)
            count += (long)((vec[i].end - vec[i].start) / page);
        if (a.walk_end <= at)
            return -1;   /* no progress: do not loop */
        at = a.walk_end;
    }
    return count;
}

/* Pages of [start, start + n pages) written by this process, or -1 when
 * pagemap cannot say. */
static long from_pagemap(uintptr_t start, size_t n, size_t page)
{
    int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long count = from_pagemap_scan(fd, start, n, page);
    if (count >= 0) {
        close(fd);
        return count;
    }
    count = 0;
    uint64_t e[CHUNK];
    for (size_t i = 0; i < n;) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        off_t off = (off_t)((start / page + i) * sizeof e[0]);
        if (pread(fd, e, k * sizeof e[0], off) != (ssize_t)(k * sizeof e[0])) {
            count = -1;
            break;
        }
        for (size_t j = 0; j < k; j++)
            count += (e[j] & (PM_PRESENT | PM_EXCLUSIVE)) == (PM_PRESENT | PM_EXCLUSIVE);
        i += k;
    }
    close(fd);
    return count;
}

/* Pages of the range in core (read-only zero pages included), or -1. */
static long from_mincore(uintptr_t start, size_t n, size_t page)
{
    long count = 0;
    unsigned char vec[CHUNK];
    for (size_t i = 0; i < n;) {
        size_t k = n - i < CHUNK ? n - i : CHUNK;
        if (mincore((void *)(start + i * page), k * page, vec) != 0)
            return -1;
        for (size_t j = 0; j < k; j++)
            count += vec[j] & 1;
        i += k;
    }
    return count;
}

size_t tp_resident_bytes(const void *addr, size_t len)
{
    long ps = sysconf(_SC_PAGESIZE);
    if (addr == NULL || len == 0 || ps <= 0 || (uintptr_t)addr + len < (uintptr_t)addr)
        return 0;
    int saved = errno;
    size_t page = (size_t)ps;
    uintptr_t start = (uintptr_t)addr & ~(uintptr_t)(page - 1);
    size_t n = ((uintptr_t)addr + len - start + page - 1) / page;
    long count = from_pagemap(start, n, page);
    if (count < 0)
        count = from_mincore(start, n, page);
    errno = saved;
    return count > 0 ? (size_t)count * page : 0;
}

size_t tp_agent_memory_bytes(void)
{
    static tp_lock_stats_t st;
    tp_lockprof_stats_light(&st);
    return st.tables_bytes + tp_heapprof_table_bytes() + tp_trend_bytes();
}
