/*
 * Check suite for agent/memory.c: tp_resident_bytes on a private anonymous
 * mapping counts the pages written, whole pages, whatever the range's
 * alignment; pages only read (the shared zero page) do not count; bad
 * ranges give 0 and errno is left alone.  The zero-page test is skipped
 * where its premise does not hold (no pagemap, or a kernel that gives a
 * page of its own to a read fault).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "agent/internal.h"
#include "agent/tablemap.h"
#include "tests/testbase.h"

#define PAGES 64

static char *map_pages(size_t *page)
{
    *page = (size_t)sysconf(_SC_PAGESIZE);
    /* Mapped as the agent maps its tables: without transparent huge
     * pages, which would make a written byte fault in a whole huge page
     * (on kernels where THP is "always"). */
    void *m = tp_table_map(PAGES * *page, 1);
    ck_assert(m != NULL);
    return m;
}

START_TEST(memory_counts_written_pages)
{
    size_t page;
    char *m = map_pages(&page);
    ck_assert_uint_eq(tp_resident_bytes(m, PAGES * page), 0);
    m[0] = 1;
    m[5 * page + 100] = 1;
    m[(PAGES - 1) * page] = 1;
    ck_assert_uint_eq(tp_resident_bytes(m, PAGES * page), 3 * page);
    /* Whole pages: a byte of page 5, or a range from page 4 into page 6. */
    ck_assert_uint_eq(tp_resident_bytes(m + 5 * page + 10, 1), page);
    ck_assert_uint_eq(tp_resident_bytes(m + 4 * page + 1, 2 * page), page);
    ck_assert_uint_eq(tp_resident_bytes(m + 6 * page, 10 * page), 0);
    munmap(m, PAGES * page);
}
END_TEST

/* RssAnon of this process in kB, -1 when /proc/self/status has none. */
static long rss_anon_kb(void)
{
    char *status = tu_read_file("/proc/self/status");
    ck_assert_ptr_nonnull(status);
    char kb[32];
    long v = tu_match(status, "^RssAnon:[[:space:]]*([0-9]+) kB$", kb, sizeof kb)
                 ? atol(kb) : -1;
    free(status);
    return v;
}

/* Whether reading an untouched page of a private anonymous mapping gives
 * the process a page of its own instead of mapping the shared zero page
 * (seen on a 6.18 Firecracker guest).  Told apart independently of
 * tp_resident_bytes: RssAnon before and after reading every page of a
 * fresh mapping made as the tables are.  Some kernels update RssAnon in
 * per-CPU batches of a few dozen pages, so the mapping is large and half
 * of it is enough to say yes.  0 when RssAnon cannot be read. */
static int read_fault_allocates(size_t page)
{
    enum { ORACLE_PAGES = 4096 };
    char *m = tp_table_map(ORACLE_PAGES * page, 1);
    ck_assert(m != NULL);
    long before = rss_anon_kb();
    volatile char sum = 0;
    for (size_t i = 0; i < ORACLE_PAGES; i++)
        sum += ((volatile char *)m)[i * page];
    long after = rss_anon_kb();
    munmap(m, ORACLE_PAGES * page);
    (void)sum;
    return before >= 0 && after >= 0 &&
           after - before >= (long)(ORACLE_PAGES / 2 * page / 1024);
}

/* Reading every page maps the shared zero page where nothing was
 * written: it costs no memory, and does not count (mincore would count
 * it; pagemap is what tells, when this process may read it). */
START_TEST(memory_pages_only_read_do_not_count)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        tu_skip("/proc/self/pagemap cannot be read (%s): tp_resident_bytes falls "
                "back to mincore(), which counts pages only read", strerror(errno));
    close(fd);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (read_fault_allocates(page))
        tu_skip("this kernel gives a read fault a page of its own, not the shared "
                "zero page (RssAnon grew by the pages read)");
    char *m = map_pages(&page);
    m[7 * page] = 1;
    volatile char sum = 0;
    for (size_t i = 0; i < PAGES; i++)
        sum += ((volatile char *)m)[i * page];
    ck_assert_int_eq(sum, 1);
    ck_assert_uint_eq(tp_resident_bytes(m, PAGES * page), page);
    munmap(m, PAGES * page);
}
END_TEST

START_TEST(memory_bad_ranges_give_zero)
{
    size_t page;
    char *m = map_pages(&page);
    m[0] = 1;
    errno = EILSEQ;
    ck_assert_uint_eq(tp_resident_bytes(NULL, page), 0);
    ck_assert_uint_eq(tp_resident_bytes(m, 0), 0);
    ck_assert_uint_eq(tp_resident_bytes(m + page, (size_t)-1), 0);   /* wraps */
    munmap(m, PAGES * page);
    ck_assert_uint_eq(tp_resident_bytes(m, PAGES * page), 0);       /* unmapped */
    ck_assert_int_eq(errno, EILSEQ);
}
END_TEST

static Suite *memory_suite(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("resident");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, memory_counts_written_pages);
    tcase_add_test(tc, memory_pages_only_read_do_not_count);
    tcase_add_test(tc, memory_bad_ranges_give_zero);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite_fork(memory_suite(), CK_FORK);
}
