/*
 * Check suite for agent/memory.c: tp_resident_bytes on a private anonymous
 * mapping counts the pages written, whole pages, whatever the range's
 * alignment; pages only read (the shared zero page) do not count; bad
 * ranges give 0 and errno is left alone.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/internal.h"
#include "agent/tablemap.h"

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

/* Reading every page maps the shared zero page where nothing was
 * written: it costs no memory, and does not count (mincore would count
 * it; pagemap is what tells, when this process may read it). */
START_TEST(memory_pages_only_read_do_not_count)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        return;   /* the mincore fallback counts them: nothing to check */
    close(fd);
    size_t page;
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
    SRunner *sr = srunner_create(memory_suite());
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
