/*
 * metrics: the Prometheus text exposition of a tp_metrics_t (see
 * metrics.h).  Each family is its # HELP and # TYPE lines and then its
 * series; the series' label values are escaped here, whatever the
 * symbolizer gave.
 */
#include "output/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/describe.h"
#include "output/stack.h"
#include "output/trends.h"

/* The top locks a trend sample keeps. */
#define NLOCKS (sizeof ((tp_trend_sample_t *)0)->locks / sizeof(tp_trend_count_t))

static void family(tp_sink_t *s, const char *name, const char *type, const char *help)
{
    tp_sink_printf(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void series_u64(tp_sink_t *s, const char *name, uint64_t v)
{
    tp_sink_printf(s, "%s %llu\n", name, (unsigned long long)v);
}

/* ns as seconds, exactly: "0", "3", "1.5", "0.000000042". */
static void format_seconds(uint64_t ns, char *buf, size_t len)
{
    uint64_t sec = ns / 1000000000u, frac = ns % 1000000000u;
    if (frac == 0) {
        snprintf(buf, len, "%llu", (unsigned long long)sec);
        return;
    }
    int digits = 9;
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(buf, len, "%llu.%0*llu", (unsigned long long)sec, digits, (unsigned long long)frac);
}

/* The shortest %g that reads back as v; the exposition's spellings of
 * infinities and NaN. */
static void format_double(double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, len, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void series_seconds(tp_sink_t *s, const char *name, uint64_t ns)
{
    char v[32];
    format_seconds(ns, v, sizeof v);
    tp_sink_printf(s, "%s %s\n", name, v);
}

/* The length of the UTF-8 sequence at p (n bytes left), 0 when p does
 * not start a valid one (overlong forms, surrogates and code points past
 * U+10FFFF are not valid). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len;
    uint32_t cp;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2;
        cp = p[0] & 0x1f;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        cp = p[0] & 0x0f;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* A label value as the exposition format quotes it: backslash, double
 * quote and newline escaped, and each byte that is not part of valid
 * UTF-8 replaced by U+FFFD (the format's text is UTF-8). */
static void label_value(tp_sink_t *s, const char *value)
{
    const unsigned char *p = (const unsigned char *)value;
    size_t n = strlen(value);
    tp_sink_puts(s, "\"");
    while (n > 0) {
        size_t k = utf8_len(p, n);
        if (k == 0) {
            tp_sink_puts(s, "\xef\xbf\xbd");
            k = 1;
        } else if (*p == '\\') {
            tp_sink_puts(s, "\\\\");
        } else if (*p == '"') {
            tp_sink_puts(s, "\\\"");
        } else if (*p == '\n') {
            tp_sink_puts(s, "\\n");
        } else {
            tp_sink_write(s, p, k);
        }
        p += k;
        n -= k;
    }
    tp_sink_puts(s, "\"");
}

/* ---- threads ---- */

/* The word for a state as the thread dump's grouped view has it
 * (output/describe.c), for a thread in that state with nothing else
 * known.  States the dump names by their intercepted call ("read
 * (pipe)", "epoll_wait", "waitpid") get a word of their own here: one
 * series stands for every call. */
static void state_word(int state, char *buf, size_t len)
{
    static const char *const by_call[TP_ST_COUNT] = {
        [TP_ST_FDIO] = "io wait", [TP_ST_POLL] = "poll wait",
        [TP_ST_EPOLL] = "epoll wait", [TP_ST_CHILD] = "child wait",
        [TP_ST_SIGNAL] = "signal wait", [TP_ST_FILELOCK] = "file lock wait",
    };
    if (by_call[state] != NULL) {
        snprintf(buf, len, "%s", by_call[state]);
        return;
    }
    tp_snap_thread_t t;
    memset(&t, 0, sizeof t);
    t.state = state;
    t.syscall_nr = -1;
    tp_describe_group(&t, buf, len);
}

static void write_threads(tp_sink_t *s, const tp_metrics_t *m)
{
    const tp_trend_sample_t *x = m->sample;
    if (x != NULL) {
        family(s, "threadprof_threads", "gauge",
               "Live threads by state (the thread dump's words).");
        for (int st = 0; st < TP_ST_COUNT; st++) {
            char word[64];
            state_word(st, word, sizeof word);
            tp_sink_puts(s, "threadprof_threads{state=");
            label_value(s, word);
            tp_sink_printf(s, "} %u\n", (unsigned)x->by_state[st]);
        }
    }
    family(s, "threadprof_threads_created_total", "counter",
           "Threads created since the process started.");
    series_u64(s, "threadprof_threads_created_total", m->threads_created);
    family(s, "threadprof_threads_exited_total", "counter",
           "Threads exited since the process started.");
    series_u64(s, "threadprof_threads_exited_total", m->threads_exited);
    if (x != NULL) {
        family(s, "threadprof_threads_exited_unjoined", "gauge",
               "Threads that have exited but were not joined yet.");
        series_u64(s, "threadprof_threads_exited_unjoined", x->exited_unjoined);
    }
}

/* ---- locks ---- */

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

/* One top lock: its labels, and its figures summed over the locks whose
 * labels read the same. */
typedef struct lock_series {
    char lock[24];
    const char *kind;
    char site[1024];
    uint64_t contentions, wait_ns;
} lock_series_t;

static size_t top_locks(const tp_metrics_t *m, lock_series_t *out)
{
    const tp_trend_sample_t *x = m->sample;
    size_t n = 0, nlocks = x->nlocks < NLOCKS ? x->nlocks : NLOCKS;
    for (size_t i = 0; i < nlocks; i++) {
        const tp_trend_count_t *c = &x->locks[i];
        if (m->keys == NULL || c->key >= m->nkeys)
            continue;
        const tp_trend_key_t *k = &m->keys[c->key];
        lock_series_t *l = &out[n];
        snprintf(l->lock, sizeof l->lock, "0x%llx", (unsigned long long)k->addr);
        l->kind = lock_kind_name(k->lock_kind);
        tp_stack_site(k->pc, TP_SITE_PAREN, l->site, sizeof l->site);
        size_t j = 0;
        while (j < n && (strcmp(out[j].lock, l->lock) != 0 || strcmp(out[j].kind, l->kind) != 0 ||
                         strcmp(out[j].site, l->site) != 0))
            j++;
        out[j].contentions = (j == n ? 0 : out[j].contentions) + c->v;
        out[j].wait_ns = (j == n ? 0 : out[j].wait_ns) + c->v2;
        n += j == n;
    }
    return n;
}

static void lock_labels(tp_sink_t *s, const char *name, const lock_series_t *l)
{
    tp_sink_printf(s, "%s{lock=", name);
    label_value(s, l->lock);
    tp_sink_puts(s, ",kind=");
    label_value(s, l->kind);
    tp_sink_puts(s, ",site=");
    label_value(s, l->site);
    tp_sink_puts(s, "} ");
}

static void write_locks(tp_sink_t *s, const tp_metrics_t *m)
{
    const tp_trend_sample_t *x = m->sample;
    if (x == NULL || !x->locks_on)
        return;
    family(s, "threadprof_lock_contentions_total", "counter",
           "Contended lock acquisitions (mutex, rwlock, spinlock) since the process "
           "started.");
    series_u64(s, "threadprof_lock_contentions_total", x->contentions);
    family(s, "threadprof_lock_wait_seconds_total", "counter",
           "Time threads waited for contended locks since the process started.");
    series_seconds(s, "threadprof_lock_wait_seconds_total", x->wait_ns);

    lock_series_t locks[NLOCKS];
    size_t n = top_locks(m, locks);
    if (n > 0) {
        const char *name = "threadprof_lock_contentions_by_lock_total";
        family(s, name, "counter",
               "Contended acquisitions of the most contended locks, by lock and waiting site.");
        for (size_t i = 0; i < n; i++) {
            lock_labels(s, name, &locks[i]);
            tp_sink_printf(s, "%llu\n", (unsigned long long)locks[i].contentions);
        }
        name = "threadprof_lock_wait_seconds_by_lock_total";
        family(s, name, "counter",
               "Time waited for the most contended locks, by lock and waiting site.");
        for (size_t i = 0; i < n; i++) {
            char v[32];
            format_seconds(locks[i].wait_ns, v, sizeof v);
            lock_labels(s, name, &locks[i]);
            tp_sink_printf(s, "%s\n", v);
        }
    }
}

static void write_findings(tp_sink_t *s, const tp_metrics_t *m)
{
    family(s, "threadprof_deadlocks_found_total", "counter",
           "Deadlocks (wait-for cycles of threads) found since the process started.");
    series_u64(s, "threadprof_deadlocks_found_total", m->deadlocks);
    family(s, "threadprof_lock_order_inversions_total", "counter",
           "Lock-order inversions found since the process started "
           "(THREADPROF_LOCK_ORDER=1).");
    series_u64(s, "threadprof_lock_order_inversions_total", m->inversions);
}

/* ---- memory, descriptors, the agent ---- */

static void write_heap(tp_sink_t *s, const tp_metrics_t *m)
{
    const tp_trend_sample_t *x = m->sample;
    if (x == NULL || !x->heap_on)
        return;
    family(s, "threadprof_heap_inuse_bytes", "gauge",
           "Heap memory in use: an estimate scaled back from the heap profile's samples.");
    series_u64(s, "threadprof_heap_inuse_bytes", x->heap_inuse);
    family(s, "threadprof_heap_allocated_bytes_total", "counter",
           "Heap memory allocated since the process started: an estimate scaled back from "
           "the heap profile's samples.");
    series_u64(s, "threadprof_heap_allocated_bytes_total", x->heap_alloc);
}

static void write_fds(tp_sink_t *s, const tp_metrics_t *m)
{
    const tp_trend_sample_t *x = m->sample;
    if (x == NULL)
        return;
    family(s, "threadprof_open_fds", "gauge", "Open file descriptors by kind.");
    for (int k = 0; k < TP_FDK_COUNT; k++) {
        tp_sink_puts(s, "threadprof_open_fds{kind=");
        label_value(s, tp_fd_kind_name(k));
        tp_sink_printf(s, "} %u\n", (unsigned)x->fds[k]);
    }
}

static void write_agent(tp_sink_t *s, const tp_metrics_t *m)
{
    if (m->sample != NULL) {
        family(s, "threadprof_dumps_written_total", "counter",
               "Dumps threadprof wrote since the process started.");
        series_u64(s, "threadprof_dumps_written_total", m->sample->dumps);
    }
    family(s, "threadprof_agent_memory_bytes", "gauge",
           "Memory threadprof's agent holds for its own bookkeeping.");
    series_u64(s, "threadprof_agent_memory_bytes", m->agent_bytes);
}

/* The names and meanings of Go's client process collector. */
static void write_process(tp_sink_t *s, const tp_metrics_t *m)
{
    const tp_trend_sample_t *x = m->sample;
    if (m->cpu_ns != 0) {
        family(s, "process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.");
        series_seconds(s, "process_cpu_seconds_total", m->cpu_ns);
    }
    if (x != NULL) {
        family(s, "process_open_fds", "gauge", "Number of open file descriptors.");
        series_u64(s, "process_open_fds", x->fds_total);
    }
    if (x != NULL && x->rss != 0) {
        family(s, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        series_u64(s, "process_resident_memory_bytes", x->rss);
    }
    if (m->start_time_s > 0) {
        char v[32];
        format_double(m->start_time_s, v, sizeof v);
        family(s, "process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.");
        tp_sink_printf(s, "process_start_time_seconds %s\n", v);
    }
}

int tp_metrics_write(tp_sink_t *s, const tp_metrics_t *m)
{
    write_threads(s, m);
    write_locks(s, m);
    write_findings(s, m);
    write_heap(s, m);
    write_fds(s, m);
    write_agent(s, m);
    write_process(s, m);
    return tp_sink_flush(s);
}
