/*
 * pprof_encode: tp_pprof_write, the profile encoded as profile.proto into
 * a gzip stream (see pprof.h and pprof_internal.h).
 *
 * The encoder streams: each top-level field is encoded into a small
 * protobuf buffer that is handed to the gzip stream whenever it passes
 * 64 KB, so writing needs no second copy of the whole profile.
 */
#include <stdlib.h>
#include <string.h>

#include "output/gzip.h"
#include "output/pprof_internal.h"
#include "output/protobuf.h"

/* profile.proto field numbers. */
enum {
    PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3,
    PROFILE_LOCATION = 4, PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6,
    PROFILE_TIME_NANOS = 9, PROFILE_DURATION_NANOS = 10,
    PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
    PROFILE_DEFAULT_SAMPLE_TYPE = 14,
    VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
    SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
    LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3, LABEL_NUM_UNIT = 4,
    MAPPING_ID = 1, MAPPING_MEMORY_START = 2, MAPPING_MEMORY_LIMIT = 3,
    MAPPING_FILE_OFFSET = 4, MAPPING_FILENAME = 5, MAPPING_BUILD_ID = 6,
    MAPPING_HAS_FUNCTIONS = 7, MAPPING_HAS_FILENAMES = 8,
    MAPPING_HAS_LINE_NUMBERS = 9, MAPPING_HAS_INLINE_FRAMES = 10,
    LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3,
    LOCATION_LINE = 4,
    LINE_FUNCTION_ID = 1, LINE_LINE = 2,
    FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
    FUNCTION_FILENAME = 4,
};

/* Hand encoded bytes to the gzip stream in pieces of about this size. */
#define FLUSH_BYTES 65536

static void derived_free(derived_t *w)
{
    free(w->maps);
    free(w->loc_mapping);
    free(w->loc_line);
    free(w->loc_nlines);
    free(w->loc_gave);
    free(w->lines);
    free(w->funcs);
    free(w->func_index.slots);
}

/* Hands the encoded bytes to the gzip stream once they are many. */
static void maybe_flush(tp_pb_t *b, tp_gzip_t *gz, int force)
{
    if (b->err || b->len == 0 || (!force && b->len < FLUSH_BYTES))
        return;
    tp_gzip_write(gz, b->data, b->len);
    tp_pb_reset(b);
}

static void value_type(tp_pb_t *b, int tag, const int64_t vt[2])
{
    size_t start = tp_pb_start_message(b);
    tp_pb_int64_opt(b, VALUETYPE_TYPE, vt[0]);
    tp_pb_int64_opt(b, VALUETYPE_UNIT, vt[1]);
    tp_pb_end_message(b, tag, start);
}

static void encode_sample(tp_pb_t *b, const tp_pprof_t *p, const sample_t *s)
{
    size_t start = tp_pb_start_message(b);
    size_t nkey = tp__pprof_sample_key_words(s);
    /* Location ids are positive: their int64 words are the uint64s. */
    tp_pb_int64s(b, SAMPLE_LOCATION_ID, s->d, s->nlocs);
    tp_pb_int64s(b, SAMPLE_VALUE, s->d + nkey, p->ntypes);
    for (uint32_t i = 0; i < s->nlabels; i++) {
        const int64_t *l = s->d + s->nlocs + 4 * (size_t)i;
        size_t ls = tp_pb_start_message(b);
        tp_pb_int64_opt(b, LABEL_KEY, l[0]);
        if (l[1] >= 0) {
            tp_pb_int64_opt(b, LABEL_STR, l[1]);
        } else {
            tp_pb_int64_opt(b, LABEL_NUM, l[2]);
            tp_pb_int64_opt(b, LABEL_NUM_UNIT, l[3]);
        }
        tp_pb_end_message(b, SAMPLE_LABEL, ls);
    }
    tp_pb_end_message(b, PROFILE_SAMPLE, start);
}

static void encode_mapping(tp_pb_t *b, const mapping_t *m, uint64_t id)
{
    size_t start = tp_pb_start_message(b);
    tp_pb_uint64(b, MAPPING_ID, id);
    tp_pb_uint64_opt(b, MAPPING_MEMORY_START, m->start);
    tp_pb_uint64_opt(b, MAPPING_MEMORY_LIMIT, m->limit);
    tp_pb_uint64_opt(b, MAPPING_FILE_OFFSET, m->offset);
    tp_pb_int64_opt(b, MAPPING_FILENAME, m->file);
    tp_pb_int64_opt(b, MAPPING_BUILD_ID, m->build_id);
    tp_pb_bool_opt(b, MAPPING_HAS_FUNCTIONS, m->has_functions);
    tp_pb_bool_opt(b, MAPPING_HAS_FILENAMES, m->has_filenames);
    tp_pb_bool_opt(b, MAPPING_HAS_LINE_NUMBERS, m->has_line_numbers);
    tp_pb_bool_opt(b, MAPPING_HAS_INLINE_FRAMES, m->has_inline_frames);
    tp_pb_end_message(b, PROFILE_MAPPING, start);
}

static void encode_location(tp_pb_t *b, const tp_pprof_t *p, const derived_t *w,
                            size_t i)
{
    size_t start = tp_pb_start_message(b);
    tp_pb_uint64(b, LOCATION_ID, i + 1);
    tp_pb_uint64_opt(b, LOCATION_MAPPING_ID, w->loc_mapping[i]);
    tp_pb_uint64_opt(b, LOCATION_ADDRESS, p->locs[i].addr);
    for (uint32_t j = 0; j < w->loc_nlines[i]; j++) {
        const line_t *ln = &w->lines[w->loc_line[i] + j];
        size_t ls = tp_pb_start_message(b);
        tp_pb_uint64_opt(b, LINE_FUNCTION_ID, ln->function_id);
        tp_pb_int64_opt(b, LINE_LINE, ln->line);
        tp_pb_end_message(b, LOCATION_LINE, ls);
    }
    tp_pb_end_message(b, PROFILE_LOCATION, start);
}

static void encode_function(tp_pb_t *b, const function_t *f, uint64_t id)
{
    size_t start = tp_pb_start_message(b);
    tp_pb_uint64(b, FUNCTION_ID, id);
    tp_pb_int64_opt(b, FUNCTION_NAME, f->name);
    tp_pb_int64_opt(b, FUNCTION_SYSTEM_NAME, f->name);
    tp_pb_int64_opt(b, FUNCTION_FILENAME, f->file);
    tp_pb_end_message(b, PROFILE_FUNCTION, start);
}

/* Encodes the whole profile into gz.  Every string is interned before
 * this runs, so the string table goes last.  Returns 0 or -ENOMEM; the
 * stream's own errors stay in gz for tp_gzip_end. */
static int encode(const tp_pprof_t *p, const derived_t *w, tp_gzip_t *gz)
{
    tp_pb_t b;
    tp_pb_init(&b);
    for (size_t i = 0; i < p->ntypes; i++)
        value_type(&b, PROFILE_SAMPLE_TYPE, p->types[i]);
    for (size_t i = 0; i < p->nsamples && !b.err && !gz->err; i++) {
        encode_sample(&b, p, p->samples[i]);
        maybe_flush(&b, gz, 0);
    }
    for (size_t i = 0; i < w->nmaps && !b.err && !gz->err; i++) {
        encode_mapping(&b, &w->maps[i], i + 1);
        maybe_flush(&b, gz, 0);
    }
    for (size_t i = 0; i < p->nlocs && !b.err && !gz->err; i++) {
        encode_location(&b, p, w, i);
        maybe_flush(&b, gz, 0);
    }
    for (size_t i = 0; i < w->nfuncs && !b.err && !gz->err; i++) {
        encode_function(&b, &w->funcs[i], i + 1);
        maybe_flush(&b, gz, 0);
    }
    tp_pb_int64_opt(&b, PROFILE_TIME_NANOS, p->time_nanos);
    tp_pb_int64_opt(&b, PROFILE_DURATION_NANOS, p->duration_nanos);
    if (p->has_period_type)
        value_type(&b, PROFILE_PERIOD_TYPE, p->period_type);
    tp_pb_int64_opt(&b, PROFILE_PERIOD, p->period);
    tp_pb_int64s(&b, PROFILE_COMMENT, p->comments, p->ncomments);
    tp_pb_int64_opt(&b, PROFILE_DEFAULT_SAMPLE_TYPE, p->default_type);
    for (size_t i = 0; i < p->nstrs && !b.err && !gz->err; i++) {
        tp_pb_bytes(&b, PROFILE_STRING_TABLE, p->chars + p->strs[i].off, p->strs[i].len);
        maybe_flush(&b, gz, 0);
    }
    maybe_flush(&b, gz, 1);
    int err = b.err;
    tp_pb_free(&b);
    return err;
}

int tp_pprof_write(tp_pprof_t *p, tp_sink_t *sink)
{
    if (p->err)
        return p->err;
    if (sink->err)
        return sink->err;
    /* Symbolizing may load libdw and its libraries, and the gzip stream
     * libz: both come before /proc/self/maps is read, so that the mappings
     * of a first profile are those of the next ones. */
    derived_t w;
    memset(&w, 0, sizeof w);
    int rc = tp__pprof_symbolize(p, &w);
    tp_gzip_t gz;
    if (rc == 0)
        rc = tp_gzip_begin(&gz, sink);
    if (rc != 0) {
        derived_free(&w);
        return rc;
    }
    int enc = tp__pprof_read_maps(p, &w);
    if (enc == 0)
        enc = tp__pprof_add_build_ids(p, &w);
    if (enc == 0) {
        tp__pprof_assign_mappings(p, &w);
        enc = encode(p, &w, &gz);
    }
    rc = tp_gzip_end(&gz);
    derived_free(&w);
    return enc ? enc : rc;
}
