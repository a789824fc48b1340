/*
 * trends: the words of the soak-test trends (output/trends.h).
 */
#include <stdio.h>
#include <string.h>

#include "output/describe.h"
#include "output/stack.h"
#include "output/trends.h"
#include "output/units.h"

static const char *const fd_kinds[TP_FDK_COUNT] = {
    [TP_FDK_SOCKET] = "socket", [TP_FDK_PIPE] = "pipe", [TP_FDK_FILE] = "file",
    [TP_FDK_EVENTFD] = "eventfd", [TP_FDK_EPOLL] = "epoll", [TP_FDK_TIMERFD] = "timerfd",
    [TP_FDK_SIGNALFD] = "signalfd", [TP_FDK_INOTIFY] = "inotify",
    [TP_FDK_DEVICE] = "device", [TP_FDK_OTHER] = "other",
};

const char *tp_fd_kind_name(int kind)
{
    return kind >= 0 && kind < TP_FDK_COUNT ? fd_kinds[kind] : "other";
}

static const char *lock_kind_name(tp_lock_kind_t kind)
{
    switch (kind) {
    case TP_LOCK_READ:
    case TP_LOCK_WRITE:
        return "rwlock";
    case TP_LOCK_SPIN:
        return "spinlock";
    default:
        return "mutex";
    }
}

void tp_trend_key_name(const tp_trend_key_t *key, char *buf, size_t len)
{
    char site[256], created[256], state[96];
    switch (key->family) {
    case TP_TREND_SITE:
    case TP_TREND_HEAP:
        tp_stack_site(key->pc, TP_SITE_PAREN, buf, len);
        return;
    case TP_TREND_GROUP: {
        tp_snap_thread_t t;
        memset(&t, 0, sizeof t);
        t.state = key->state;
        t.wait.call = key->call;
        tp_describe_group(&t, state, sizeof state);
        if (key->pc2 != 0)
            tp_stack_site(key->pc2, TP_SITE_PAREN, created, sizeof created);
        if (key->pc != 0) {
            tp_stack_site(key->pc, TP_SITE_PAREN, site, sizeof site);
            snprintf(buf, len, "%s at %s%s%s", state, site, key->pc2 ? ", created at " : "",
                     key->pc2 ? created : "");
        } else {
            snprintf(buf, len, "%s%s%s", state, key->pc2 ? ", created at " : "",
                     key->pc2 ? created : "");
        }
        return;
    }
    case TP_TREND_LOCK:
        tp_stack_site(key->pc, TP_SITE_PAREN, site, sizeof site);
        snprintf(buf, len, "%s %#lx, waited for at %s", lock_kind_name(key->lock_kind),
                 (unsigned long)key->addr, site);
        return;
    }
    snprintf(buf, len, "?");
}

/* "+19.8/s", "+33/min", "+2.1/h" (or bytes: "+1.0 MiB/s"): per second
 * over a couple of minutes, per minute over a couple of hours, ...; a
 * larger unit when the rate would be below 1. */
static void format_rate(double per_ns, uint64_t span_ns, int bytes, char *buf, size_t len)
{
    static const struct {
        double ns;
        const char *name;
    } units[] = {{1e9, "s"}, {60e9, "min"}, {3600e9, "h"}, {86400e9, "day"}};
    size_t u = 0, last = sizeof units / sizeof units[0] - 1;
    while (u < last && (double)span_ns >= 2 * units[u + 1].ns)
        u++;
    while (u < last && per_ns * units[u].ns < 1)
        u++;
    double r = per_ns * units[u].ns;
    if (bytes) {
        char b[32];
        tp_format_bytes((uint64_t)(r + 0.5), b, sizeof b);
        snprintf(buf, len, "+%s/%s", b, units[u].name);
    } else {
        snprintf(buf, len, r < 10 ? "+%.1f/%s" : "+%.0f/%s", r, units[u].name);
    }
}

static void format_value(double v, int bytes, char *buf, size_t len)
{
    if (bytes)
        tp_format_bytes((uint64_t)(v + 0.5), buf, len);
    else
        snprintf(buf, len, "%.0f", v);
}

/* "3 → 240 in 12s (+19.8/s), growing in 11 of 12 intervals" */
static void growth_text(const tp_trend_verdict_t *vd, int bytes, char *buf, size_t len)
{
    char a[32], b[32], span[32], rate[48];
    format_value(vd->first, bytes, a, sizeof a);
    format_value(vd->last, bytes, b, sizeof b);
    tp_format_duration(vd->span_ns, span, sizeof span);
    format_rate(vd->span_ns ? (vd->last - vd->first) / (double)vd->span_ns : 0, vd->span_ns,
                bytes, rate, sizeof rate);
    snprintf(buf, len, "%s \u2192 %s in %s (%s), growing in %u of %u intervals", a, b, span,
             rate, vd->up, vd->intervals);
}

void tp_trend_verdict_text(const tp_trend_view_t *v, const tp_trend_verdict_t *vd,
                           char *buf, size_t len)
{
    char what[512], growth[256], group[512], sure[96];
    const tp_trend_key_t *key = vd->key >= 0 ? &v->keys[vd->key] : NULL;
    if (key != NULL)
        tp_trend_key_name(key, what, sizeof what);
    snprintf(sure, sizeof sure, "; confidence %s (trend test z = %.1f)",
             vd->high ? "high" : "medium", vd->z);
    switch (vd->kind) {
    case TP_VERDICT_THREAD_LEAK:
        growth_text(vd, 0, growth, sizeof growth);
        group[0] = '\0';
        if (vd->group_key >= 0) {
            char g[400];
            tp_trend_key_name(&v->keys[vd->group_key], g, sizeof g);
            char *created = strstr(g, ", created at ");
            if (created != NULL)
                *created = '\0';   /* the verdict names the creation site already */
            snprintf(group, sizeof group, "; %llu of them in %s",
                     (unsigned long long)vd->group_count, g);
        }
        if (key != NULL)
            snprintf(buf, len, "thread leak: threads created at %s %s%s%s", what, growth,
                     group, sure);
        else
            snprintf(buf, len, "thread leak: live threads %s%s", growth, sure);
        return;
    case TP_VERDICT_UNJOINED:
        growth_text(vd, 0, growth, sizeof growth);
        snprintf(buf, len, "exited but not joined: threads %s%s %s (each keeps its stack "
                           "and thread record until joined or detached)%s",
                 key != NULL ? "created at " : "", key != NULL ? what : "", growth, sure);
        return;
    case TP_VERDICT_MEMORY:
        growth_text(vd, 1, growth, sizeof growth);
        snprintf(buf, len, "memory growth: %s in use %s%s", key != NULL ? what : "heap",
                 growth, sure);
        return;
    case TP_VERDICT_RSS:
        growth_text(vd, 1, growth, sizeof growth);
        snprintf(buf, len, "rss growth: resident memory %s%s", growth, sure);
        return;
    case TP_VERDICT_FDS:
        growth_text(vd, 0, growth, sizeof growth);
        snprintf(buf, len, "fd growth: %s descriptors %s%s", tp_fd_kind_name(vd->fd_kind),
                 growth, sure);
        return;
    case TP_VERDICT_STUCK: {
        char wait[32];
        tp_format_duration(vd->wait_ns, wait, sizeof wait);
        snprintf(buf, len, "stuck: %.0f thread%s waiting more than %s in %s", vd->last,
                 vd->last == 1 ? "" : "s", wait, key != NULL ? what : "the same wait");
        return;
    }
    }
    snprintf(buf, len, "?");
}

void tp_trend_pending_text(const tp_trend_view_t *v, char *buf, size_t len)
{
    buf[0] = '\0';
    if (v->points >= v->min_points)
        return;
    char every[32], span[32];
    tp_format_duration(v->interval_ns, every, sizeof every);
    tp_format_duration(v->span_ns, span, sizeof span);
    snprintf(buf, len, "no growth verdict before %u samples (one every %s); %u so far over %s",
             v->min_points, every, v->points, span);
}

const tp_trend_verdict_t *tp_trend_growing_site(const tp_trend_view_t *v, uintptr_t pc)
{
    for (unsigned i = 0; v != NULL && i < v->nverdicts; i++) {
        const tp_trend_verdict_t *vd = &v->verdicts[i];
        if (vd->kind == TP_VERDICT_MEMORY && vd->key >= 0 && v->keys[vd->key].pc == pc)
            return vd;
    }
    return NULL;
}

void tp_summary_trends_write(tp_sink_t *s, const tp_trend_view_t *v)
{
    if (v == NULL)
        return;
    if (!v->enabled) {
        tp_sink_puts(s, "trends: off (THREADPROF_TREND=off)\n\n");
        return;
    }
    char every[32], span[32], bytes[32], text[1400];
    tp_format_duration(v->interval_ns, every, sizeof every);
    tp_format_duration(v->span_ns, span, sizeof span);
    tp_format_bytes(v->bytes, bytes, sizeof bytes);
    if (v->taken == 0) {
        tp_sink_printf(s, "trends: no sample yet (one every %s, THREADPROF_TREND)\n\n", every);
        return;
    }
    tp_sink_printf(s, "trends: %llu sample%s, one every %s, over %s (kept: %u points per "
                      "series, at most %u: ",
                   (unsigned long long)v->taken, v->taken == 1 ? "" : "s", every, span,
                   v->points, v->capacity);
    if (v->stride <= 1)
        tp_sink_puts(s, "every sample");
    else
        tp_sink_printf(s, "every %u%s sample of the older ones, halved each time full", v->stride,
                       v->stride == 2 ? "nd" : "th");
    tp_sink_printf(s, "; %s for the series)\n", bytes);
    char mean[32], max[32];
    tp_format_wait(v->cost_ns / v->taken, mean, sizeof mean);
    tp_format_wait(v->max_cost_ns, max, sizeof max);
    tp_sink_printf(s, "  cost: %s of the dump thread per sample on average, %s at most\n",
                   mean, max);
    for (unsigned i = 0; i < v->nverdicts; i++) {
        tp_trend_verdict_text(v, &v->verdicts[i], text, sizeof text);
        tp_sink_printf(s, "  %s\n", text);
    }
    tp_trend_pending_text(v, text, sizeof text);
    if (text[0] != '\0')
        tp_sink_printf(s, "  %s\n", text);
    else if (v->nverdicts == 0)
        tp_sink_puts(s, "  nothing keeps growing: threads, heap, resident memory and "
                        "descriptors are flat or levelled off\n");
    tp_sink_puts(s, "\n");
}
