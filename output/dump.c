/*
 * dump: one part of a dump into a sink (output/dump.h).
 */
#include "output/dump.h"

#include <errno.h>
#include <stddef.h>

#include "output/profile.h"
#include "output/summary.h"
#include "output/threaddump.h"

static const tp_profile_t *profile_of(const tp_dump_t *d, tp_dump_part_t part)
{
    switch (part) {
    case TP_PART_MUTEX: return d->mutex;
    case TP_PART_BLOCK: return d->block;
    case TP_PART_HEAP: return d->heap_profile;
    default: return NULL;
    }
}

int tp_dump_has(const tp_dump_t *d, tp_dump_part_t part)
{
    if (d == NULL || d->snap == NULL)
        return 0;
    switch (part) {
    case TP_PART_THREADS:
    case TP_PART_SUMMARY:
        return 1;
    case TP_PART_MUTEX:
    case TP_PART_BLOCK:
    case TP_PART_HEAP:
        return profile_of(d, part) != NULL;
    default:
        return 0;
    }
}

int tp_dump_render(tp_sink_t *s, const tp_dump_t *d, tp_dump_part_t part)
{
    if (!tp_dump_has(d, part))
        return -EINVAL;
    if (part == TP_PART_THREADS)
        return tp_threaddump_write(s, d->snap);
    if (part != TP_PART_SUMMARY)
        return tp_profile_write(s, profile_of(d, part));
    tp_summary_t sum = {
        .snap = d->snap, .locks = d->locks, .order = d->order, .heap = d->heap,
        .trends = d->trends,
        .threads_file = d->files[TP_PART_THREADS],
        .mutex_file = d->files[TP_PART_MUTEX],
        .block_file = d->files[TP_PART_BLOCK],
        .heap_file = d->files[TP_PART_HEAP],
        .keep = d->keep, .periodic_kept = d->periodic_kept,
        .periodic_thinned = d->periodic_thinned,
    };
    return tp_summary_write(s, &sum);
}

const char *tp_dump_part_suffix(tp_dump_part_t part)
{
    static const char *const suffix[TP_PART_COUNT] = {
        [TP_PART_THREADS] = "threads.txt", [TP_PART_MUTEX] = "mutex.pb.gz",
        [TP_PART_BLOCK] = "block.pb.gz", [TP_PART_HEAP] = "heap.pb.gz",
        [TP_PART_SUMMARY] = "summary.txt",
    };
    return (unsigned)part < TP_PART_COUNT ? suffix[part] : "";
}
