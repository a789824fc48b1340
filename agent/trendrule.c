/*
 * trendrule: the growth rule of the trend verdicts.
 *
 * A series keeps growing when, over its points with a value (at least
 * rule->min_points of them):
 *   - the Mann-Kendall test finds a rising trend over the whole run at the
 *     1% level (z >= 2.33) and over its last half at the 5% level
 *     (z >= 1.64): growth sustained over most of the window, robust to
 *     outliers and to the shape of the curve (it ranks, it fits no line);
 *   - the last quarter of the points (at least 3) set a new maximum,
 *     above the earlier one by a quarter of the material rise: a series
 *     that rose and then levelled off (a cache warming up, a pool growing
 *     to its size) stops being flagged once it has been flat for a
 *     quarter of the run;
 *   - the rise from first to last is material: at least rule->min_rise,
 *     and rule->min_ratio of the starting value.
 * Confidence is high with 16 points or more and z >= 3.5 over the run and
 * >= 2.33 over its last half; medium otherwise.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent/trendrule.h"

#define MAX_POINTS 1024

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

double tp_mann_kendall_z(const float *v, unsigned n)
{
    if (n < 3 || n > MAX_POINTS)
        return 0;
    long s = 0;
    for (unsigned i = 0; i + 1 < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            s += (v[j] > v[i]) - (v[j] < v[i]);
    /* Ties (a thread count that stays put) shrink the variance. */
    float sorted[MAX_POINTS];
    memcpy(sorted, v, n * sizeof *v);
    qsort(sorted, n, sizeof *sorted, cmp_float);
    double var = (double)n * (n - 1) * (2.0 * n + 5) / 18.0;
    for (unsigned i = 0; i < n;) {
        unsigned k = i;
        while (k < n && sorted[k] == sorted[i])
            k++;
        double t = k - i;
        var -= t * (t - 1) * (2 * t + 5) / 18.0;
        i = k;
    }
    if (var <= 0 || s == 0)
        return 0;
    return (s > 0 ? s - 1 : s + 1) / sqrt(var);
}

int tp_trend_growing(const uint64_t *t_ns, const float *v, unsigned n,
                     const tp_growth_rule_t *rule, tp_growth_t *g)
{
    float x[MAX_POINTS];
    uint64_t t[MAX_POINTS];
    unsigned m = 0;
    memset(g, 0, sizeof *g);
    for (unsigned i = 0; i < n && m < MAX_POINTS; i++) {
        if (isnan(v[i]))
            continue;
        x[m] = v[i];
        t[m] = t_ns[i];
        m++;
    }
    g->n = m;
    if (m < 2)
        return 0;
    g->first = x[0];
    g->last = x[m - 1];
    g->span_ns = t[m - 1] - t[0];
    for (unsigned i = 1; i < m; i++) {
        g->intervals++;
        g->up += x[i] > x[i - 1];
    }
    if (m < rule->min_points || m < 8)
        return 0;
    g->z = tp_mann_kendall_z(x, m);
    g->z_recent = tp_mann_kendall_z(x + m / 2, m - m / 2);
    unsigned q = m / 4 > 3 ? m / 4 : 3;
    float before = x[0], recent = x[m - q];
    for (unsigned i = 0; i < m - q; i++)
        before = x[i] > before ? x[i] : before;
    for (unsigned i = m - q; i < m; i++)
        recent = x[i] > recent ? x[i] : recent;
    g->new_high = recent > before + rule->min_rise / 4;
    double rise = g->last - g->first;
    int material = rise >= rule->min_rise &&
                   (g->first <= 0 || rise >= rule->min_ratio * g->first);
    int growing = g->z >= 2.33 && g->z_recent >= 1.64 && g->new_high && material;
    g->high = growing && m >= 16 && g->z >= 3.5 && g->z_recent >= 2.33;
    return growing;
}
