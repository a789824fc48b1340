/*
 * trendrule: when a series "keeps growing" (agent/trendrule.c).  Pure
 * arithmetic on a series, so the unit tests can feed it leaks, plateaus
 * and noise; the rule itself is documented in docs/trends.md.
 */
#ifndef TP_TRENDRULE_H
#define TP_TRENDRULE_H

#include <stdint.h>

typedef struct tp_growth_rule {
    unsigned min_points;   /* no verdict on fewer points */
    double min_rise;       /* growth smaller than this is no verdict */
    double min_ratio;      /* nor growth below this fraction of the start */
} tp_growth_rule_t;

typedef struct tp_growth {
    unsigned n;            /* points with a value */
    double first, last;
    uint64_t span_ns;
    unsigned up, intervals;     /* consecutive pairs that grew, of all pairs */
    double z, z_recent;         /* Mann-Kendall statistic: whole run, last half */
    int new_high;               /* the last quarter set a new maximum */
    int high;                   /* confidence high, else medium */
} tp_growth_t;

/* The Mann-Kendall trend statistic of v[0..n) (ties corrected): about
 * normal under "no trend"; above 2.33 a rise at the 1% level. */
double tp_mann_kendall_z(const float *v, unsigned n);

/* Whether series v (times t_ns; NAN marks a point without a value)
 * keeps growing by the rule; g is filled either way. */
int tp_trend_growing(const uint64_t *t_ns, const float *v, unsigned n,
                     const tp_growth_rule_t *rule, tp_growth_t *g);

#endif
