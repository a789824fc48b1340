/*
 * leaks: the heap part of the summary (output/leaks.h).
 */
#include <stdio.h>

#include "output/leaks.h"
#include "output/stack.h"
#include "output/trends.h"
#include "output/units.h"

static void write_site(tp_sink_t *s, int rank, const tp_heap_site_t *site,
                       int exact, const tp_trend_view_t *trends)
{
    char inuse[32], alloc[32];
    tp_format_bytes(site->inuse_bytes, inuse, sizeof inuse);
    tp_format_bytes(site->alloc_bytes, alloc, sizeof alloc);
    tp_sink_printf(s, "  %d. %s%s in %s%llu object%s (of %s in %llu allocated here "
                      "since start)\n",
                   rank, exact ? "" : "~", inuse, exact ? "" : "~",
                   (unsigned long long)site->inuse_objects,
                   site->inuse_objects == 1 ? "" : "s", alloc,
                   (unsigned long long)site->alloc_objects);
    const tp_trend_verdict_t *growing =
        site->npcs > 0 ? tp_trend_growing_site(trends, site->pcs[0]) : NULL;
    if (growing != NULL) {
        char from[32], to[32];
        tp_format_bytes((uint64_t)growing->first, from, sizeof from);
        tp_format_bytes((uint64_t)growing->last, to, sizeof to);
        tp_sink_printf(s, "     leak suspect: its memory in use kept growing, %s \u2192 %s "
                          "(see trends)\n", from, to);
    }
    tp_stack_write_lines(s, site->pcs, site->npcs, "       ", 0);
}

void tp_summary_heap_write(tp_sink_t *s, const tp_heap_view_t *h,
                           const tp_trend_view_t *trends)
{
    if (h == NULL)
        return;
    if (h->rate == 0) {
        tp_sink_puts(s, "heap: not profiled (THREADPROF_HEAP_RATE=0)\n\n");
        return;
    }
    int exact = h->rate == 1;
    char inuse[32], alloc[32], rate[32], table[32];
    tp_format_bytes(h->inuse_bytes, inuse, sizeof inuse);
    tp_format_bytes(h->alloc_bytes, alloc, sizeof alloc);
    tp_format_bytes(h->rate, rate, sizeof rate);
    tp_format_bytes(h->table_bytes, table, sizeof table);
    tp_sink_printf(s, "heap: %s%s in use in %s%llu objects; %s%s in %s%llu objects "
                      "allocated since start\n",
                   exact ? "" : "~", inuse, exact ? "" : "~",
                   (unsigned long long)h->inuse_objects, exact ? "" : "~", alloc,
                   exact ? "" : "~", (unsigned long long)h->alloc_objects);
    tp_sink_puts(s, "  covers: malloc, calloc, realloc, free and the aligned allocators as they "
                    "reach the C library; memory mapped directly or handed out by another "
                    "allocator is not counted\n");
    if (h->foreign == TP_HEAP_FOREIGN_MALLOC)
        tp_sink_printf(s, "  malloc is defined by %s, ahead of the C library: its allocations "
                          "are not counted, so this section shows little of this program\n",
                       h->foreign_where);
    else if (h->foreign == TP_HEAP_FOREIGN_ALLOCATOR)
        tp_sink_printf(s, "  %s (in %s) looks like another allocator: memory it hands out "
                          "without calling malloc is not counted\n",
                       h->foreign_what, h->foreign_where);
    if (exact)
        tp_sink_puts(s, "  every allocation tracked (THREADPROF_HEAP_RATE=1): exact figures\n");
    else
        tp_sink_printf(s, "  sampled: one allocation per %s on average "
                          "(THREADPROF_HEAP_RATE=%llu), figures scaled back from "
                          "samples; set it to 1 for exact figures\n",
                       rate, (unsigned long long)h->rate);
    if (h->nsites == 0) {
        tp_sink_puts(s, h->at_exit ? "still in use at exit: none (no sampled memory)\n"
                                   : "in-use memory by allocation site: none sampled\n");
    } else {
        tp_sink_puts(s, h->at_exit
                            ? "still in use at exit, by allocation site (most first; "
                              "reachable or not: no reachability scan):\n"
                            : "in-use memory by allocation site (most first):\n");
        for (int i = 0; i < h->nsites; i++)
            write_site(s, i + 1, &h->sites[i], exact, trends);
    }
    tp_sink_printf(s, "heap tables: %u/%u stacks, %llu live samples, %llu samples "
                      "dropped (%s reserved)\n\n",
                   (unsigned)h->stacks, (unsigned)h->stack_cap,
                   (unsigned long long)h->live_samples, (unsigned long long)h->dropped,
                   table);
}
