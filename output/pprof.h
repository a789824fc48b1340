/*
 * pprof: a writer of pprof profile.proto files (gzipped, as Go writes
 * them) for the agent's mutex, block, heap and threadcreate profiles.
 *
 * The caller describes the profile (sample types, period, time, comments),
 * adds samples as raw stacks of code addresses with their values and
 * labels, then writes it once into a sink.  At write time every distinct
 * address is symbolized (symbolizer/) into Location and Function entries
 * with file, line and inlined frames, and the executable mappings of
 * /proc/self/maps become Mapping entries with their ELF build ids, so the
 * file reads with `go tool pprof` or any pprof-speaking backend without the
 * binaries at hand.
 *
 * Runs in the dump thread, never on a hot path; allocates with malloc (the
 * caller holds the agent's reentrancy guard).  A profile holds no global
 * state: its size grows with the distinct stacks, labels and strings the
 * caller adds (identical samples are merged) and it is all released by
 * tp_pprof_free.  Not thread-safe: one thread per profile.
 *
 * Errors: every function returns 0 or a negative errno (-EINVAL for a bad
 * argument, -ENOMEM, the sink's sticky error), as everywhere in output/.
 * Nothing here aborts or prints.
 *
 * The agent's profiles are made by output/profile.h, which builds one of
 * these from a model/profile.h; this interface is the general one under
 * it (and what the unit tests exercise).  The implementation is split in
 * pprof.c, pprof_maps.c, pprof_symbolize.c and pprof_encode.c
 * (output/pprof_internal.h).
 *
 * Compression goes through libz.so.1, loaded on first use (output/gzip.h);
 * without it the profile is written uncompressed, which pprof reads too.
 */
#ifndef TP_PPROF_H
#define TP_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "output/sink.h"

typedef struct tp_pprof tp_pprof_t;

/* One sample label: a string label when str != NULL, else the number num
 * with an optional unit (num_unit NULL: none).  key must not be NULL. */
typedef struct tp_pprof_label {
    const char *key;
    const char *str;
    int64_t num;
    const char *num_unit;
} tp_pprof_label_t;

/* An empty profile, or NULL when memory runs out. */
tp_pprof_t *tp_pprof_new(void);
void tp_pprof_free(tp_pprof_t *p);

/* Appends a sample type (e.g. "contentions"/"count", then
 * "delay"/"nanoseconds"): every sample carries one value per type, in this
 * order.  Returns 0, -EINVAL once samples were added or for NULL strings,
 * or -ENOMEM. */
int tp_pprof_sample_type(tp_pprof_t *p, const char *type, const char *unit);

/* The sampling period and what it counts ("space"/"bytes", 524288).  A
 * failure to store the strings (-ENOMEM) is kept and returned by
 * tp_pprof_write. */
void tp_pprof_period(tp_pprof_t *p, const char *type, const char *unit,
                     int64_t period);

/* Wall-clock start of the profile (ns since the epoch) and its length. */
void tp_pprof_time(tp_pprof_t *p, int64_t time_nanos, int64_t duration_nanos);

/* Appends a free-form comment line.  Returns 0, -EINVAL or -ENOMEM. */
int tp_pprof_comment(tp_pprof_t *p, const char *text);

/* The sample type a viewer shows first; type must have been added with
 * tp_pprof_sample_type.  Returns 0, -EINVAL or -ENOMEM. */
int tp_pprof_default_sample_type(tp_pprof_t *p, const char *type);

/*
 * Adds one sample.  pcs: the stack, leaf first; every pc is a return
 * address except pcs[0] when first_exact (a precise pc).  npcs may be 0.
 * values: one per sample type (nvalues must equal their number).  labels:
 * nlabels labels (may be NULL when nlabels is 0); their strings are
 * copied.  A sample with the same stack and the same labels as an earlier
 * one is merged into it (values summed), as Go merges identical stacks.
 * Returns 0, -EINVAL (no sample types, nvalues mismatch, a label without a
 * key, negative counts) or -ENOMEM (the sample is not added; strings and
 * locations it brought may stay, unused, which readers accept).
 */
int tp_pprof_add_sample(tp_pprof_t *p, const uintptr_t *pcs, int npcs,
                        int first_exact, const int64_t *values, int nvalues,
                        const tp_pprof_label_t *labels, int nlabels);

/* Number of distinct samples and locations so far (after merging). */
size_t tp_pprof_nsamples(const tp_pprof_t *p);
size_t tp_pprof_nlocations(const tp_pprof_t *p);

/*
 * Symbolizes the locations, reads the mappings and writes the gzipped
 * profile into sink, then flushes it.  Returns 0, or a negative errno: the
 * sink's sticky error (-EIO, -ENOSPC, ...), -ENOMEM, or an error kept from
 * tp_pprof_period.  On error the sink may hold part of a profile (write
 * into a temporary file and rename it only on success: output/outfile.h).
 * Reads /proc/self/maps; the profile stays usable and may be written
 * again.
 */
int tp_pprof_write(tp_pprof_t *p, tp_sink_t *sink);

#endif
