/*
 * endpoint: what each path of the live endpoint serves (agent/httpd.c
 * listens).  Go's net/http/pprof paths with Go's semantics, the delta
 * paths Grafana Pyroscope's scraper asks for (godeltaprof), Prometheus
 * /metrics, and the summary.  Everything is built in memory from the same
 * capture a dump makes (under the dump lock, so a request and a dump never
 * read the registry at once); a request never writes a file.  Like
 * agent/dumpwriter.c, this is an agent file that renders (it includes
 * output/): docs/architecture.md.
 *
 *   /debug/pprof/                       index, with links and descriptions
 *   /debug/pprof/goroutine?debug=2      the thread dump (.threads.txt)
 *   /debug/pprof/goroutine?debug=1      the grouped view
 *   /debug/pprof/goroutine              a profile goroutine/count of threads by stack
 *   /debug/pprof/{mutex,block,heap,allocs,threadcreate}   profiles
 *       ?seconds=N (1-60): the difference over the next N seconds, as Go
 *   /debug/pprof/delta_{heap,mutex,block}   since the previous request of the path
 *   /debug/pprof/profile, /trace        501 until a CPU profile exists
 *   /debug/threadprof/summary           the summary text
 *   /metrics                            Prometheus text exposition format
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/internal.h"
#include "model/dump.h"
#include "model/metrics.h"
#include "output/goroutine.h"
#include "output/metrics.h"
#include "output/outfile.h"
#include "output/profdelta.h"
#include "output/profile.h"
#include "output/sink.h"
#include "output/threaddump.h"

#define MAX_SECONDS 60
#define LOCK_WAIT_NS 2000000000ull
#define PROFILE_TYPE "application/octet-stream"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* --- replies -------------------------------------------------------------- */

static void reply_text(tp_endpoint_reply_t *rep, unsigned status, const char *text)
{
    rep->status = status;
    rep->content_type = TEXT_TYPE;
    rep->len = strlen(text);
    rep->body = malloc(rep->len + 1);
    if (rep->body == NULL)
        rep->len = 0;
    else
        memcpy(rep->body, text, rep->len + 1);
}

void tp_endpoint_reply_text(tp_endpoint_reply_t *rep, unsigned status, const char *text)
{
    reply_text(rep, status, text);
}

/* The memory sink's bytes as the reply's body (r: its sticky error). */
static void reply_sink(tp_endpoint_reply_t *rep, tp_sink_t *s, int r, const char *type,
                       const char *filename)
{
    if (r == 0 && (r = tp_sink_flush(s)) == 0) {
        rep->status = 200;
        rep->content_type = type;
        rep->filename = filename;
        tp_sink_text(s);              /* everything in s->mem, total bytes */
        rep->len = s->total;
        rep->body = s->mem;           /* the reply's now (NULL: empty) */
        s->mem = NULL;
    }
    tp_sink_free(s);
    if (r != 0) {
        char text[160];
        snprintf(text, sizeof text, "threadprof: cannot build this reply: %s\n", strerror(-r));
        reply_text(rep, r == -ETIMEDOUT ? 503 : 500, text);
    }
}

/* --- profiles ------------------------------------------------------------- */

/* A profile with its stacks copied: it outlives the capture it came from
 * (a ?seconds= baseline, a delta path's previous answer). */
typedef struct owned {
    tp_profile_t p;
    tp_profile_sample_t *samples;
    uintptr_t *pcs;
} owned_t;

static void owned_free(owned_t *o)
{
    if (o == NULL)
        return;
    free(o->samples);
    free(o->pcs);
    free(o);
}

static owned_t *owned_copy(const tp_profile_t *p)
{
    owned_t *o = calloc(1, sizeof *o);
    size_t npcs = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        npcs += p->samples[i].npcs;
    if (o == NULL || (o->samples = calloc(p->nsamples + 1, sizeof *o->samples)) == NULL ||
        (o->pcs = calloc(npcs + 1, sizeof *o->pcs)) == NULL) {
        owned_free(o);
        return NULL;
    }
    o->p = *p;
    size_t at = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        o->samples[i] = p->samples[i];
        memcpy(o->pcs + at, p->samples[i].pcs, p->samples[i].npcs * sizeof *o->pcs);
        o->samples[i].pcs = o->pcs + at;
        at += p->samples[i].npcs;
    }
    o->p.samples = o->samples;
    return o;
}

typedef enum which {
    W_GOROUTINE, W_MUTEX, W_BLOCK, W_HEAP, W_ALLOCS, W_THREADCREATE, W_COUNT
} which_t;

static const char *const which_names[W_COUNT] = {
    "goroutine", "mutex", "block", "heap", "allocs", "threadcreate",
};

/* Captures profile w now, copied (the dump lock is held).  0 or -errno. */
static int capture(which_t w, owned_t **out)
{
    static tp_snapshot_t snap;
    tp_profile_t p;
    memset(&p, 0, sizeof p);
    int r, took_snap = 0;
    switch (w) {
    case W_GOROUTINE:
    case W_THREADCREATE:
        if ((r = tp_snapshot_take(&snap, LOCK_WAIT_NS, 0)) != 0)
            return r;
        took_snap = 1;
        r = w == W_GOROUTINE ? tp_goroutine_profile(&snap, &p) : tp_threadcreate_profile(&snap, &p);
        break;
    case W_MUTEX:
        r = tp_lockprof_profile(TP_PROFILE_MUTEX, &p);
        break;
    case W_BLOCK:
        r = tp_lockprof_profile(TP_PROFILE_BLOCK, &p);
        break;
    case W_HEAP:
    case W_ALLOCS:
        r = tp_heapprof_profile(&p);
        if (w == W_ALLOCS)
            p.kind = TP_PROFILE_ALLOCS;
        break;
    default:
        r = -EINVAL;
    }
    if (r == 0) {
        struct timespec wall;
        clock_gettime(CLOCK_REALTIME, &wall);
        p.time_ns = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec;
        p.duration_ns = (int64_t)(tp_now_ns() - tp_start_ns);
        *out = owned_copy(&p);
        if (*out == NULL)
            r = -ENOMEM;
    }
    free((void *)p.samples);
    if (took_snap)
        tp_snapshot_free(&snap);
    return r;
}

/* Whether w is collected at all; else why not, in why. */
static int collected(which_t w, const char **why)
{
    switch (w) {
    case W_MUTEX:
        *why = "the mutex profile is off (THREADPROF_MUTEX_FRACTION=0)";
        return tp_lockprof_enabled(TP_PROFILE_MUTEX);
    case W_BLOCK:
        *why = "the block profile is off (THREADPROF_BLOCK_RATE=0)";
        return tp_lockprof_enabled(TP_PROFILE_BLOCK);
    case W_HEAP:
    case W_ALLOCS:
        *why = "the heap profile is off (THREADPROF_HEAP_RATE=0)";
        return tp_heapprof_enabled();
    default:
        return 1;
    }
}

static void reply_profile(tp_endpoint_reply_t *rep, const tp_profile_t *p, const char *name)
{
    tp_sink_t s;
    tp_sink_init_mem(&s);
    reply_sink(rep, &s, tp_profile_write(&s, p), PROFILE_TYPE, name);
}

/* Takes the dump lock (a capture and a dump never read the registry at
 * once); 0, or the reply is a 503 and the caller returns. */
static int lock_or_busy(tp_endpoint_reply_t *rep)
{
    if (tp_dumper_lock(LOCK_WAIT_NS) == 0)
        return 0;
    reply_text(rep, 503, "threadprof: a dump is being written; try again\n");
    return -EBUSY;
}

/* Profile w now, copied, under the dump lock; NULL when the reply is
 * already an error. */
static owned_t *capture_or_fail(which_t w, tp_endpoint_reply_t *rep)
{
    if (lock_or_busy(rep) != 0)
        return NULL;
    owned_t *o = NULL;
    int r = capture(w, &o);
    tp_dumper_unlock();
    if (r != 0)
        reply_text(rep, 503, "threadprof: cannot capture the profile now\n");
    return r == 0 ? o : NULL;
}

/* 0 when w is collected; else the reply is a 404 saying why not. */
static int collected_or_404(which_t w, tp_endpoint_reply_t *rep)
{
    const char *why;
    if (collected(w, &why))
        return 0;
    char text[160];
    snprintf(text, sizeof text, "threadprof: %s\n", why);
    reply_text(rep, 404, text);
    return -ENOENT;
}

/* The reply: now - before (values in mask kept as they are now). */
static void reply_difference(tp_endpoint_reply_t *rep, const owned_t *now, const owned_t *before,
                             unsigned mask, which_t w)
{
    tp_profile_t diff;
    if (tp_profile_subtract(&now->p, &before->p, mask, &diff) != 0) {
        reply_text(rep, 500, "threadprof: out of memory\n");
        return;
    }
    reply_profile(rep, &diff, which_names[w]);
    free((void *)diff.samples);
}

/* The values of a delta_heap kept as they are (in use now), the rest
 * differences: godeltaprof's rule. */
#define HEAP_INUSE_MASK TP_PROFDELTA_HEAP_INUSE

static int delta_busy;   /* one ?seconds= request at a time */

static void serve_profile(which_t w, tp_endpoint_request_t *req, tp_endpoint_reply_t *rep)
{
    if (collected_or_404(w, rep) != 0)
        return;
    unsigned secs = req->query.seconds;
    if (secs > MAX_SECONDS) {
        reply_text(rep, 400, "threadprof: seconds must be from 1 to 60\n");
        return;
    }
    if (secs != 0 && !req->waited && req->baseline == NULL) {
        if (delta_busy) {
            reply_text(rep, 503, "threadprof: another ?seconds= request is running; "
                                 "one at a time\n");
            return;
        }
        owned_t *base = capture_or_fail(w, rep);
        if (base == NULL)
            return;
        delta_busy = 1;
        req->baseline = base;
        rep->wait_s = secs;
        return;
    }
    owned_t *now = capture_or_fail(w, rep);
    if (now == NULL)
        return;
    if (req->baseline != NULL) {
        req->waited = 1;
        reply_difference(rep, now, req->baseline, 0, w);
    } else {
        reply_profile(rep, &now->p, which_names[w]);
    }
    owned_free(now);
}

/* /debug/pprof/delta_X: since the previous request of the same path. */
static void serve_delta(which_t w, tp_endpoint_reply_t *rep)
{
    static owned_t *previous[W_COUNT];
    if (collected_or_404(w, rep) != 0)
        return;
    owned_t *now = capture_or_fail(w, rep);
    if (now == NULL)
        return;
    if (previous[w] == NULL)
        reply_profile(rep, &now->p, which_names[w]);
    else
        reply_difference(rep, now, previous[w], w == W_HEAP ? HEAP_INUSE_MASK : 0, w);
    owned_free(previous[w]);
    previous[w] = now;
}

/* --- text ----------------------------------------------------------------- */

static void serve_part(int part, tp_endpoint_reply_t *rep)
{
    if (lock_or_busy(rep) != 0)
        return;
    tp_sink_t s;
    tp_sink_init_mem(&s);
    int r = tp_dump_render_now(&s, part);
    tp_dumper_unlock();
    reply_sink(rep, &s, r, TEXT_TYPE, NULL);
}

static void serve_grouped(tp_endpoint_reply_t *rep)
{
    static tp_snapshot_t snap;
    if (lock_or_busy(rep) != 0)
        return;
    tp_sink_t s;
    tp_sink_init_mem(&s);
    int r = tp_snapshot_take(&snap, LOCK_WAIT_NS, 0);
    if (r == 0) {
        snap.reasons = TP_REASON_REQUEST;
        r = tp_threaddump_write_grouped(&s, &snap);
        tp_snapshot_free(&snap);
    }
    tp_dumper_unlock();
    reply_sink(rep, &s, r, TEXT_TYPE, NULL);
}

static void serve_goroutine(tp_endpoint_request_t *req, tp_endpoint_reply_t *rep)
{
    if (req->query.debug > 2) {
        reply_text(rep, 400, "threadprof: debug must be 0 (a profile), 1 (grouped threads) "
                             "or 2 (every thread)\n");
        return;
    }
    if (req->query.debug == 2)
        serve_part(TP_PART_THREADS, rep);
    else if (req->query.debug == 1)
        serve_grouped(rep);
    else
        serve_profile(W_GOROUTINE, req, rep);
}

/* --- /metrics ------------------------------------------------------------- */

static int render_metrics(tp_sink_t *s)
{
    static tp_trend_sample_t sample;
    tp_trend_collect(&sample, TP_COLLECT_ALL);
    tp_metrics_t m;
    memset(&m, 0, sizeof m);
    m.sample = &sample;
    m.keys = tp_trend_keys(&m.nkeys);
    tp_registry_counts(&m.threads_created, &m.threads_exited);
    m.deadlocks = tp_dumper_deadlocks_seen();
    m.inversions = tp_lock_order_inversions();
    m.agent_bytes = tp_agent_memory_bytes();
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    m.start_time_s = (double)wall.tv_sec + wall.tv_nsec / 1e9 -
                     (double)(tp_now_ns() - tp_start_ns) / 1e9;
    return tp_metrics_write(s, &m);
}

static void serve_metrics(tp_endpoint_reply_t *rep)
{
    if (lock_or_busy(rep) != 0)
        return;
    tp_sink_t s;
    tp_sink_init_mem(&s);
    int r = render_metrics(&s);
    tp_dumper_unlock();
    reply_sink(rep, &s, r, METRICS_TYPE, NULL);
}

void tp_endpoint_metrics_file(void)
{
    static int warned;
    const char *path = tp_config.metrics_file;
    if (path[0] == '\0')
        return;
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = dirfd >= 0 ? 0 : -errno;
    if (r == 0) {
        tp_outfile_t f;
        if ((r = tp_outfile_create(&f, dirfd, slash + 1)) == 0) {
            tp_sink_t s;
            tp_sink_init_file(&s, f.fd, f.dev, f.ino);
            int err = render_metrics(&s);
            if (err == 0)
                err = tp_sink_flush(&s);
            r = tp_outfile_finish(&f, err == 0);
            if (err != 0)
                r = err;
        }
        close(dirfd);
    }
    if (r != 0 && !warned++)
        tp_warn("cannot write THREADPROF_METRICS_FILE %s: %s (reported once)", path,
                strerror(-r));
}

/* --- index ---------------------------------------------------------------- */

static void serve_index(tp_endpoint_reply_t *rep)
{
    static const struct {
        const char *path, *what;
    } rows[] = {
        {"allocs", "A sampling of all past memory allocations (the heap profile with "
                   "alloc_space first)"},
        {"block", "Stack traces that led to blocking on synchronization primitives and "
                  "blocking system calls"},
        {"goroutine?debug=2", "Every thread: name, state, how long, what it waits for and "
                              "who holds it, its stack and where it was created"},
        {"goroutine?debug=1", "Threads grouped by state, stack and creation site"},
        {"goroutine", "Threads by stack, as a profile"},
        {"heap", "A sampling of memory allocations of live objects"},
        {"mutex", "Stack traces of holders of contended mutexes"},
        {"threadcreate", "Stack traces that led to the creation of threads"},
        {"delta_heap", "The heap profile since the previous request of this path"},
        {"delta_mutex", "The mutex profile since the previous request of this path"},
        {"delta_block", "The block profile since the previous request of this path"},
        {"profile", "CPU profile (not available yet: 501)"},
    };
    tp_sink_t s;
    tp_sink_init_mem(&s);
    tp_sink_printf(&s, "<!DOCTYPE html><html><head><title>/debug/pprof/</title></head><body>\n"
                       "<h1>/debug/pprof/ (threadprof, pid %d)</h1>\n<table>\n",
                   (int)getpid());
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        tp_sink_printf(&s, "<tr><td><a href=\"%s\">%s</a></td><td>%s</td></tr>\n", rows[i].path,
                       rows[i].path, rows[i].what);
    tp_sink_puts(&s, "</table>\n<p><a href=\"/debug/threadprof/summary\">threadprof summary</a>"
                     " &middot; <a href=\"/metrics\">metrics</a></p>\n</body></html>\n");
    reply_sink(rep, &s, 0, "text/html; charset=utf-8", NULL);
}

static void serve_threadprof_index(tp_endpoint_reply_t *rep)
{
    tp_sink_t s;
    tp_sink_init_mem(&s);
    tp_sink_printf(&s, "<!DOCTYPE html><html><head><title>/debug/threadprof/</title></head>"
                       "<body>\n<h1>threadprof (pid %d)</h1>\n<ul>\n"
                       "<li><a href=\"/debug/threadprof/summary\">summary</a>: the summary of "
                       "a dump taken now</li>\n"
                       "<li><a href=\"/debug/pprof/goroutine?debug=2\">threads</a>: every "
                       "thread, its state and stack</li>\n"
                       "<li><a href=\"/debug/pprof/\">/debug/pprof/</a>: the profiles</li>\n"
                       "<li><a href=\"/metrics\">/metrics</a>: Prometheus metrics</li>\n"
                       "</ul>\n</body></html>\n",
                   (int)getpid());
    reply_sink(rep, &s, 0, "text/html; charset=utf-8", NULL);
}

/* --- routing -------------------------------------------------------------- */

void tp_endpoint_handle(const char *path, tp_endpoint_request_t *req, tp_endpoint_reply_t *rep)
{
    static const struct {
        const char *name;
        which_t w;
        int delta;
    } profiles[] = {
        {"mutex", W_MUTEX, 0}, {"block", W_BLOCK, 0}, {"heap", W_HEAP, 0},
        {"allocs", W_ALLOCS, 0}, {"threadcreate", W_THREADCREATE, 0},
        {"delta_heap", W_HEAP, 1}, {"delta_mutex", W_MUTEX, 1}, {"delta_block", W_BLOCK, 1},
    };
    if (strcmp(path, "/debug/pprof/") == 0 || strcmp(path, "/debug/pprof") == 0) {
        serve_index(rep);
        return;
    }
    if (strcmp(path, "/metrics") == 0) {
        serve_metrics(rep);
        return;
    }
    if (strcmp(path, "/debug/threadprof/summary") == 0) {
        serve_part(TP_PART_SUMMARY, rep);
        return;
    }
    if (strcmp(path, "/debug/threadprof/") == 0 || strcmp(path, "/debug/threadprof") == 0) {
        serve_threadprof_index(rep);
        return;
    }
    if (strncmp(path, "/debug/pprof/", 13) == 0) {
        const char *name = path + 13;
        if (strcmp(name, "goroutine") == 0) {
            serve_goroutine(req, rep);
            return;
        }
        if (strcmp(name, "profile") == 0 || strcmp(name, "trace") == 0) {
            reply_text(rep, 501, "threadprof: no CPU profile or execution trace yet; the "
                                 "thread dump (goroutine?debug=2) shows what runs now\n");
            return;
        }
        for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
            if (strcmp(name, profiles[i].name) != 0)
                continue;
            if (req->query.has_debug && req->query.debug != 0)
                reply_text(rep, 501, "threadprof: text profiles (debug=1) are not served; "
                                     "read the profile with go tool pprof\n");
            else if (profiles[i].delta)
                serve_delta(profiles[i].w, rep);
            else
                serve_profile(profiles[i].w, req, rep);
            return;
        }
    }
    reply_text(rep, 404, "threadprof: no such path; see /debug/pprof/ and /debug/threadprof/\n");
}

void tp_endpoint_request_done(tp_endpoint_request_t *req)
{
    if (req->baseline != NULL) {
        owned_free(req->baseline);
        req->baseline = NULL;
        delta_busy = 0;
    }
}

void tp_endpoint_published(const char *url)
{
    char dir[PATH_MAX], name[64], why[256];
    int dirfd = tp_outdir_open(tp_config.dir, tp_config.dir_is_default, why, sizeof why);
    if (dirfd < 0)
        return;   /* the first dump says what is wrong with the directory */
    snprintf(name, sizeof name, "threadprof.%d.http", (int)getpid());
    tp_outfile_t f;
    if (tp_outfile_create(&f, dirfd, name) == 0) {
        snprintf(dir, sizeof dir, "%s\n", url);
        ssize_t n = write(f.fd, dir, strlen(dir));
        tp_outfile_finish(&f, n == (ssize_t)strlen(dir));
    }
    close(dirfd);
}
