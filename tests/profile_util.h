/*
 * profile_util.h: a tp_profile_t rendered by output/profile.c into memory,
 * for the suites that decode it again (tests/pprof_decode.h).
 * Header-only, like the other test helpers.
 */
#ifndef TP_TESTS_PROFILE_UTIL_H
#define TP_TESTS_PROFILE_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/profile.h"
#include "output/sink.h"
#include "tests/pprof_decode.h"

/* The bytes tp_profile_write gives p in a memory sink. */
static inline pd_bytes_t render(const tp_profile_t *p)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    int rc = tp_profile_write(s, p);
    ck_assert_msg(rc == 0, "tp_profile_write: %d (%s)", rc, strerror(-rc));
    pd_bytes_t b = {malloc(s->total + 1), s->total};
    ck_assert_ptr_nonnull(b.data);
    memcpy(b.data, tp_sink_text(s), s->total);
    tp_sink_free(s);
    free(s);
    return b;
}

/* "type/unit" of the ValueType message f. */
static inline void value_type(const pd_field_t *f, const pd_strtab_t *t, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", pd_str(t, pd_number(f->data, f->len, 1, 0)),
             pd_str(t, pd_number(f->data, f->len, 2, 0)));
}

#endif
