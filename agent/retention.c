/*
 * retention: THREADPROF_KEEP, how many periodic dumps of this process stay
 * on disk.  A soak test at 30 s for a day would otherwise leave 2,880
 * dumps; past the limit, each new periodic dump makes one older one go,
 * chosen so that the first, the latest and an even spread in between
 * remain: the interior dump whose neighbours are closest together (the
 * densest part of the series) is removed.  Dumps with any other reason
 * (signal, deadlock, exit, and a periodic dump that coincided with one)
 * are never listed here, so never removed.  The dump writer does the
 * removing (it knows the file names); this file only chooses.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"

/* The periodic dumps on disk, oldest first: room for THREADPROF_KEEP
 * and the one just written, allocated with the first. */
static unsigned *kept;
static size_t nkept;
static unsigned thinned;

/* The position whose removal keeps the spread most even: the interior
 * dump with the smallest distance between its two neighbours (the
 * earliest on a tie). */
static size_t densest(void)
{
    size_t best = 1;
    unsigned best_gap = kept[2] - kept[0];
    for (size_t i = 2; i + 1 < nkept; i++) {
        unsigned gap = kept[i + 1] - kept[i - 1];
        if (gap < best_gap) {
            best_gap = gap;
            best = i;
        }
    }
    return best;
}

void tp_retention_periodic(unsigned seq, void (*remove)(unsigned seq, void *arg), void *arg)
{
    unsigned keep = tp_config.keep;
    if (keep == 0)
        return;   /* keep them all */
    if (kept == NULL) {
        tp_in_agent++;
        kept = malloc(((size_t)keep + 1) * sizeof *kept);
        tp_in_agent--;
        if (kept == NULL)
            return;   /* cannot list it: it stays */
    }
    kept[nkept++] = seq;
    if (nkept > keep) {   /* keep >= 2 (config.c): there is an interior dump */
        size_t i = densest();
        remove(kept[i], arg);
        memmove(&kept[i], &kept[i + 1], (nkept - i - 1) * sizeof *kept);
        nkept--;
        thinned++;
    }
}

void tp_retention_counts(unsigned *on_disk, unsigned *removed)
{
    *on_disk = (unsigned)nkept;
    *removed = thinned;
}

void tp_retention_after_fork_child(void)
{
    /* The parent's dumps are the parent's: the child starts its own. */
    nkept = 0;
    thinned = 0;
}
