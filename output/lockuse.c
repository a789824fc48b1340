/*
 * lockuse: the summary's sections on lock use (lockuse.h).
 *
 *   locks held across blocking calls (by total time blocked since start):
 *     1. mutex 0x55d0c0a0 (taken in flush_stats at /src/stats.c:20) held
 *        across usleep in flush_stats at /src/stats.c:21: 140 times, 2.90s
 *        total, max 21.1ms                                    (one line)
 */
#include "output/lockuse.h"

#include "output/stack.h"
#include "output/units.h"

static const char *lock_kind_text(tp_lock_kind_t kind)
{
    return kind == TP_LOCK_WRITE ? "rwlock (write)" : "mutex";
}

static void write_row(tp_sink_t *s, size_t rank, const tp_held_across_t *a)
{
    char taken[256] = "??", blocked[256] = "??", total[32], max[32];
    if (a->taken_site != 0)
        tp_stack_site(a->taken_site, TP_SITE_AT, taken, sizeof taken);
    if (a->block_site != 0)
        tp_stack_site(a->block_site, TP_SITE_AT, blocked, sizeof blocked);
    tp_format_wait(a->total_ns, total, sizeof total);
    tp_format_wait(a->max_ns, max, sizeof max);
    tp_sink_printf(s, "  %zu. %s %#lx (taken in %s) held across %s in %s: %llu time%s, "
                      "%s total, max %s\n",
                   rank, lock_kind_text(a->kind), (unsigned long)a->lock, taken,
                   a->call != NULL ? a->call : "a blocking call", blocked,
                   (unsigned long long)a->count, a->count == 1 ? "" : "s", total, max);
}

void tp_summary_held_across_write(tp_sink_t *s, const tp_lock_stats_t *st)
{
    tp_sink_puts(s, "locks held across blocking calls (by total time blocked since "
                    "start; a mutex or write lock held while the thread sleeps, does "
                    "I/O or blocks on something else):\n");
    if (st == NULL) {
        tp_sink_puts(s, "  not collected\n\n");
        return;
    }
    if (st->nacross == 0)
        tp_sink_puts(s, "  none\n");
    for (size_t i = 0; i < st->nacross && i < TP_HELD_ACROSS_MAX; i++)
        write_row(s, i + 1, &st->across[i]);
    if (st->across_rows > st->nacross)
        tp_sink_printf(s, "  (%zu of %zu shown)\n", st->nacross, st->across_rows);
    if (st->across_dropped != 0)
        tp_sink_printf(s, "  (%llu calls not counted: table full)\n",
                       (unsigned long long)st->across_dropped);
    tp_sink_puts(s, "\n");
}
