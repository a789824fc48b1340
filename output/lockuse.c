/*
 * lockuse: the summary's sections on lock use (lockuse.h).
 *
 *   locks held longest (by estimated total hold since start; ...):
 *     1. mutex 0x55d0c0a0: held ~86% of the time: ~7700 acquisitions, avg
 *        7.10ms, max 20.12ms (timed: 140 with a blocking call, 30 sampled)
 *        (longest taken in flush_stats at /src/stats.c:20)
 *                                                             (one line)
 *
 *   locks held across blocking calls (by total time blocked since start):
 *     1. mutex 0x55d0c0a0 (taken in flush_stats at /src/stats.c:20) held
 *        across usleep in flush_stats at /src/stats.c:21: 140 times, 2.90s
 *        total, max 21.1ms                                    (one line)
 */
#include "output/lockuse.h"

#include <stdio.h>

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

static const char *hold_kind_text(tp_lock_kind_t kind)
{
    switch (kind) {
    case TP_LOCK_READ:
    case TP_LOCK_WRITE: return "rwlock";
    case TP_LOCK_SPIN: return "spinlock";
    default: return "mutex";
    }
}

void tp_describe_hold(const tp_lock_stat_t *l, uint64_t uptime_ns, char *buf, size_t len)
{
    char avg[32], max[32];
    buf[0] = '\0';
    tp_format_wait(l->hold_max_ns, max, sizeof max);
    if (l->acquisitions == 0)
        return;
    tp_format_wait(l->hold_ns / l->acquisitions, avg, sizeof avg);
    double share = uptime_ns != 0 ? 100.0 * (double)l->hold_ns / (double)uptime_ns : 0;
    snprintf(buf, len, "held ~%.*f%% of the time: ~%llu acquisitions, avg %s, max %s "
                       "(timed: %llu with a blocking call, %llu sampled)",
             share < 10 ? 1 : 0, share, (unsigned long long)l->acquisitions, avg, max,
             (unsigned long long)l->hold_blocked, (unsigned long long)l->hold_samples);
}

void tp_summary_held_longest_write(tp_sink_t *s, const tp_lock_stats_t *st,
                                   uint64_t uptime_ns)
{
    if (st == NULL || st->hold_fraction == 0) {
        tp_sink_puts(s, "locks held longest: not measured (THREADPROF_HOLD_FRACTION=0)\n\n");
        return;
    }
    tp_sink_printf(s, "locks held longest (by estimated total hold since start: every "
                      "hold with a blocking call in it timed from that call, and one "
                      "other acquisition in %u per thread, scaled back):\n",
                   (unsigned)st->hold_fraction);
    if (st->nholds == 0)
        tp_sink_puts(s, "  none timed yet\n");
    for (size_t i = 0; i < st->nholds && i < TP_HOLD_STATS_MAX; i++) {
        const tp_lock_stat_t *l = &st->holds[i];
        char hold[160], site[256] = "??";
        tp_describe_hold(l, uptime_ns, hold, sizeof hold);
        if (l->hold_max_site != 0)
            tp_stack_site(l->hold_max_site, TP_SITE_AT, site, sizeof site);
        tp_sink_printf(s, "  %zu. %s %#lx%s: %s (longest taken in %s)\n", i + 1,
                       hold_kind_text(l->kind), (unsigned long)l->addr,
                       l->destroyed ? " (destroyed)" : "", hold, site);
    }
    tp_sink_printf(s, "hold table: %u/%u locks, %llu holds dropped\n\n",
                   (unsigned)st->hold_entries, (unsigned)st->hold_cap,
                   (unsigned long long)st->hold_dropped);
}
