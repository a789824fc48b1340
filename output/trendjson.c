/*
 * trendjson: the trend file's records (output/trendjson.h).
 */
#include <stdio.h>
#include <string.h>

#include "output/describe.h"
#include "output/dump.h"
#include "output/trendjson.h"
#include "output/trends.h"

/* A JSON string: quotes, backslashes and control bytes escaped; other
 * bytes as they are (names are the program's, not always UTF-8: a reader
 * must cope, as with any file name). */
static void json_string(tp_sink_t *s, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    tp_sink_puts(s, "\"");
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            tp_sink_write(s, e, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            tp_sink_write(s, e, 6);
        } else {
            tp_sink_write(s, p, 1);
        }
    }
    tp_sink_puts(s, "\"");
}

static void json_time(tp_sink_t *s, const struct timespec *wall, uint64_t t_ns)
{
    struct tm tm;
    gmtime_r(&wall->tv_sec, &tm);
    tp_sink_printf(s, "\"t\":%llu.%03llu,\"wall\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"",
                   (unsigned long long)(t_ns / 1000000000u),
                   (unsigned long long)(t_ns % 1000000000u / 1000000u), tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   wall->tv_nsec / 1000000);
}

void tp_trend_json_start(tp_sink_t *s, const tp_snapshot_t *ident, pid_t pid,
                         const struct timespec *wall, uint64_t t_ns, uint64_t interval_ns)
{
    const char *slash = strrchr(ident->program, '/');
    tp_sink_printf(s, "{\"type\":\"start\",\"version\":1,\"pid\":%d,\"program\":", (int)pid);
    json_string(s, slash != NULL ? slash + 1 : ident->program);
    tp_sink_puts(s, ",\"cmdline\":");
    json_string(s, ident->cmdline);
    tp_sink_puts(s, ",");
    json_time(s, wall, t_ns);
    tp_sink_printf(s, ",\"trend_interval\":%g}\n", (double)interval_ns / 1e9);
}

static void key_counts(tp_sink_t *s, const char *field, const tp_trend_count_t *c, unsigned n,
                       const tp_trend_key_t *keys, int pair)
{
    tp_sink_printf(s, ",\"%s\":{", field);
    for (unsigned i = 0; i < n; i++) {
        const tp_trend_key_t *k = &keys[c[i].key];
        if (pair)
            tp_sink_printf(s, "%s\"%c%u\":[%llu,%llu]", i ? "," : "", k->family, k->id,
                           (unsigned long long)c[i].v, (unsigned long long)c[i].v2);
        else
            tp_sink_printf(s, "%s\"%c%u\":%llu", i ? "," : "", k->family, k->id,
                           (unsigned long long)c[i].v);
    }
    tp_sink_puts(s, "}");
}

void tp_trend_json_sample(tp_sink_t *s, const tp_trend_sample_t *x, const tp_trend_key_t *keys)
{
    tp_sink_puts(s, "{\"type\":\"sample\",");
    json_time(s, &x->wall, x->t_ns);
    tp_sink_printf(s, ",\"threads\":%llu,\"exited_unjoined\":%llu",
                   (unsigned long long)x->threads, (unsigned long long)x->exited_unjoined);
    key_counts(s, "threads_by_site", x->sites, x->nsites, keys, 0);
    key_counts(s, "threads_by_group", x->groups, x->ngroups, keys, 0);
    key_counts(s, "unjoined_by_site", x->unjoined, x->nunjoined, keys, 0);
    tp_sink_puts(s, ",\"states\":{");
    int any = 0;
    for (int st = 0; st < TP_ST_COUNT; st++) {
        if (x->by_state[st] == 0)
            continue;
        tp_snap_thread_t t;
        char name[96];
        memset(&t, 0, sizeof t);
        t.state = st;
        tp_describe_group(&t, name, sizeof name);
        tp_sink_puts(s, any ? "," : "");
        json_string(s, name);
        tp_sink_printf(s, ":%u", x->by_state[st]);
        any = 1;
    }
    tp_sink_puts(s, "}");
    if (x->heap_on) {
        tp_sink_printf(s, ",\"heap_inuse\":%llu,\"heap_alloc\":%llu",
                       (unsigned long long)x->heap_inuse, (unsigned long long)x->heap_alloc);
        key_counts(s, "heap_by_site", x->heap, x->nheap, keys, 1);
    }
    if (x->rss != 0)
        tp_sink_printf(s, ",\"rss\":%llu,\"hwm\":%llu", (unsigned long long)x->rss,
                       (unsigned long long)x->hwm);
    tp_sink_puts(s, ",\"fds\":{");
    any = 0;
    for (int k = 0; k < TP_FDK_COUNT; k++) {
        if (x->fds[k] == 0)
            continue;
        tp_sink_printf(s, "%s\"%s\":%u", any ? "," : "", tp_fd_kind_name(k), x->fds[k]);
        any = 1;
    }
    tp_sink_printf(s, "},\"fds_total\":%u", x->fds_total);
    if (x->locks_on) {
        tp_sink_printf(s, ",\"contentions\":%llu,\"wait_ns\":%llu",
                       (unsigned long long)x->contentions, (unsigned long long)x->wait_ns);
        key_counts(s, "locks", x->locks, x->nlocks, keys, 1);
    }
    tp_sink_printf(s, ",\"dumps\":%u}\n", x->dumps);
}

void tp_trend_json_names(tp_sink_t *s, const tp_trend_key_t *keys, unsigned from, unsigned to)
{
    if (from >= to)
        return;
    tp_sink_puts(s, "{\"type\":\"names\",\"names\":{");
    for (unsigned i = from; i < to; i++) {
        char name[600];
        tp_trend_key_name(&keys[i], name, sizeof name);
        tp_sink_printf(s, "%s\"%c%u\":", i > from ? "," : "", keys[i].family, keys[i].id);
        json_string(s, name);
    }
    tp_sink_puts(s, "}}\n");
}

void tp_trend_json_dump(tp_sink_t *s, const tp_dump_t *d)
{
    static const struct {
        unsigned bit;
        const char *name;
    } reasons[] = {
        {TP_REASON_SIGNAL, "signal"}, {TP_REASON_INTERVAL, "interval"},
        {TP_REASON_EXIT, "exit"}, {TP_REASON_DEADLOCK, "deadlock"},
        {TP_REASON_THRESHOLD, "threshold"},
    };
    static const char *const parts[TP_PART_COUNT] = {
        [TP_PART_THREADS] = "threads", [TP_PART_MUTEX] = "mutex", [TP_PART_BLOCK] = "block",
        [TP_PART_HEAP] = "heap", [TP_PART_SUMMARY] = "summary",
    };
    const tp_snapshot_t *snap = d->snap;
    tp_sink_puts(s, "{\"type\":\"dump\",");
    json_time(s, &snap->wall, snap->uptime_ns);
    tp_sink_printf(s, ",\"seq\":%u,\"reasons\":[", snap->seq);
    int any = 0;
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        if (!(snap->reasons & reasons[i].bit))
            continue;
        tp_sink_printf(s, "%s\"%s\"", any ? "," : "", reasons[i].name);
        any = 1;
    }
    tp_sink_puts(s, "]");
    if (snap->reasons & TP_REASON_THRESHOLD) {
        char detail[128];
        tp_describe_threshold(snap, detail, sizeof detail);
        tp_sink_puts(s, ",\"detail\":");
        json_string(s, detail);
    }
    tp_sink_puts(s, ",\"files\":{");
    any = 0;
    for (int p = 0; p < TP_PART_COUNT; p++) {
        if (d->files[p] == NULL)
            continue;
        tp_sink_printf(s, "%s\"%s\":", any ? "," : "", parts[p]);
        json_string(s, d->files[p]);
        any = 1;
    }
    tp_sink_puts(s, "}}\n");
}

void tp_trend_json_verdicts(tp_sink_t *s, const tp_trend_view_t *v, uint64_t t_ns)
{
    static const char *const kinds[] = {
        [TP_VERDICT_THREAD_LEAK] = "thread leak", [TP_VERDICT_UNJOINED] = "exited but not joined",
        [TP_VERDICT_MEMORY] = "memory growth", [TP_VERDICT_RSS] = "rss growth",
        [TP_VERDICT_FDS] = "fd growth", [TP_VERDICT_STUCK] = "stuck",
    };
    char text[1400];
    tp_sink_printf(s, "{\"type\":\"verdicts\",\"t\":%llu.%03llu,\"samples\":%llu,\"verdicts\":[",
                   (unsigned long long)(t_ns / 1000000000u),
                   (unsigned long long)(t_ns % 1000000000u / 1000000u),
                   (unsigned long long)v->taken);
    for (unsigned i = 0; i < v->nverdicts; i++) {
        const tp_trend_verdict_t *vd = &v->verdicts[i];
        tp_sink_printf(s, "%s{\"kind\":\"%s\"", i ? "," : "", kinds[vd->kind]);
        if (vd->key >= 0)
            tp_sink_printf(s, ",\"key\":\"%c%u\"", v->keys[vd->key].family,
                           v->keys[vd->key].id);
        tp_trend_verdict_text(v, vd, text, sizeof text);
        tp_sink_puts(s, ",\"text\":");
        json_string(s, text);
        tp_sink_printf(s, ",\"confidence\":\"%s\"}", vd->high ? "high" : "medium");
    }
    tp_sink_puts(s, "]");
    tp_trend_pending_text(v, text, sizeof text);
    if (text[0] != '\0') {
        tp_sink_puts(s, ",\"pending\":");
        json_string(s, text);
    }
    tp_sink_puts(s, "}\n");
}
