/*
 * dumpwriter: one dump, from the request to the files.  The one place that
 * knows the files of a dump: it opens the output directory, takes the
 * snapshot, asks the bookkeeping modules for their views, picks the
 * renderers (output/), names each file and writes it through an outfile
 * and a sink, and reports a failure once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/internal.h"
#include "model/dump.h"
#include "output/dump.h"
#include "output/outfile.h"
#include "output/threaddump.h"
#include "output/trendjson.h"
#include "symbolizer/symbolizer.h"

/* The configured directory, else the per-user default (each failure said
 * once); -errno when neither can be used. */
static int open_dir(char *used, size_t used_len)
{
    static int warned_config, warned_default;
    char why[256];
    int fd = tp_outdir_open(tp_config.dir, tp_config.dir_is_default, why, sizeof why);
    snprintf(used, used_len, "%s", tp_config.dir);
    if (fd >= 0 || tp_config.dir_is_default) {
        if (fd < 0 && !warned_default++)
            tp_warn("cannot write dumps to %s: %s; dumps are lost until it "
                    "is fixed", tp_config.dir, why);
        return fd;
    }
    char fallback[64];
    snprintf(fallback, sizeof fallback, "/tmp/threadprof-%u", (unsigned)getuid());
    if (!warned_config++)
        tp_warn("THREADPROF_DIR %s is unusable (%s); writing to %s instead",
                tp_config.dir, why, fallback);
    fd = tp_outdir_open(fallback, 1, why, sizeof why);
    snprintf(used, used_len, "%s", fallback);
    if (fd < 0 && !warned_default++)
        tp_warn("cannot write dumps to %s either: %s; dumps are lost until "
                "it is fixed", fallback, why);
    return fd;
}

/* The output directory (its path in used), and in *st what it is, so that
 * it is closed only while it still is: the host may dup2 onto its number
 * meanwhile (tp_close_own). */
static int open_output_dir(char *used, size_t used_len, struct stat *st)
{
    int fd = open_dir(used, used_len);
    if (fd >= 0 && fstat(fd, st) != 0)
        st->st_ino = 0;
    return fd;
}

/* Writes one part of the dump to its file, through a temporary file
 * renamed into place only when complete.  0 or a negative errno. */
static int write_part(int dirfd, const char *name, const tp_dump_t *d, tp_dump_part_t part)
{
    static tp_sink_t sink;
    tp_outfile_t f;
    int r = tp_outfile_create(&f, dirfd, name);
    if (r != 0)
        return r;
    tp_sink_init_file(&sink, f.fd, f.dev, f.ino);
    int err = tp_dump_render(&sink, d, part);
    r = tp_outfile_finish(&f, err == 0);
    return err != 0 ? err : r;
}

/* threadprof.<pid>.<seq>.<part>, the number zero-padded to six digits
 * so that a listing sorts the dumps in order. */
static void part_name(char *buf, size_t len, pid_t pid, unsigned seq, tp_dump_part_t part)
{
    snprintf(buf, len, "threadprof.%d.%06u.%s", (int)pid, seq, tp_dump_part_suffix(part));
}

/* What the dump shows besides the threads, read from the bookkeeping
 * modules right after the snapshot.  The profiles' samples are calloc'd
 * (dump thread), released by release_views. */
typedef struct views {
    tp_trend_view_t trends;
    tp_lock_stats_t locks;
    tp_lock_order_t *order;
    tp_heap_view_t heap;
    tp_profile_t mutex, block, heap_profile;
    int mutex_err, block_err, heap_err;   /* 0, or the capture's -errno */
} views_t;

/* A profile the view r (0 or -errno) filled: stamped and offered to
 * the dump, or its error kept for the warning. */
static void take_profile(tp_profile_t *p, int r, int *err, const tp_profile_t **out,
                         const tp_snapshot_t *snap)
{
    if (r != 0) {
        *err = r;
        return;
    }
    /* One time for every file of the dump: when it was taken; the counts
     * cover the process's life. */
    p->time_ns = (int64_t)snap->wall.tv_sec * 1000000000 + snap->wall.tv_nsec;
    p->duration_ns = (int64_t)snap->uptime_ns;
    *out = p;
}

static void capture_views(views_t *v, tp_dump_t *d, const tp_snapshot_t *snap,
                          unsigned reasons)
{
    memset(v, 0, sizeof *v);
    tp_trend_view(&v->trends);
    d->trends = &v->trends;
    tp_lockprof_stats(&v->locks);
    d->locks = &v->locks;
    /* Large and needed only now: the dump thread's heap, not the host's
     * threads'. */
    v->order = calloc(1, sizeof *v->order);
    if (v->order != NULL)
        tp_lock_order_view(v->order);
    d->order = v->order;
    tp_heapprof_view(&v->heap, (reasons & TP_REASON_EXIT) != 0);   /* rate 0: off */
    d->heap = &v->heap;
    if (tp_lockprof_enabled(TP_PROFILE_MUTEX))
        take_profile(&v->mutex, tp_lockprof_profile(TP_PROFILE_MUTEX, &v->mutex),
                     &v->mutex_err, &d->mutex, snap);
    if (tp_lockprof_enabled(TP_PROFILE_BLOCK))
        take_profile(&v->block, tp_lockprof_profile(TP_PROFILE_BLOCK, &v->block),
                     &v->block_err, &d->block, snap);
    if (tp_heapprof_enabled())
        take_profile(&v->heap_profile, tp_heapprof_profile(&v->heap_profile),
                     &v->heap_err, &d->heap_profile, snap);
}

static void release_views(views_t *v)
{
    free(v->order);
    free((void *)v->mutex.samples);
    free((void *)v->block.samples);
    free((void *)v->heap_profile.samples);
}

/* The mutex and block profiles: a failure of one (reported once) leaves
 * the other unwritten and the rest of the dump as it is.  When the thread
 * dump itself was lost its warning has said so: this failure (most likely
 * the same full disk) stays quiet. */
static void write_lock_profiles(int dirfd, const char *dir, tp_dump_t *d, views_t *v,
                                pid_t pid, unsigned seq, char names[][NAME_MAX + 1],
                                int report)
{
    static int warned;
    if (!tp_lockprof_enabled(TP_PROFILE_MUTEX) && !tp_lockprof_enabled(TP_PROFILE_BLOCK))
        return;
    int r = v->mutex_err != 0 ? v->mutex_err : v->block_err;
    const char *what = "profiles";
    for (tp_dump_part_t part = TP_PART_MUTEX; r == 0 && part <= TP_PART_BLOCK; part++) {
        if (!tp_dump_has(d, part))
            continue;
        part_name(names[part], NAME_MAX + 1, pid, seq, part);
        what = names[part];
        r = write_part(dirfd, names[part], d, part);
        if (r == 0)
            d->files[part] = names[part];
    }
    if (r != 0 && report && !warned++)
        tp_warn("cannot write the mutex/block %s of dump %u in %s: %s "
                "(the thread dump is not affected; reported once)",
                what, seq, dir, strerror(-r));
}

static void write_heap_profile(int dirfd, const char *dir, tp_dump_t *d, views_t *v,
                               pid_t pid, unsigned seq, char *name, int report)
{
    static int warned;
    if (!tp_heapprof_enabled())
        return;
    part_name(name, NAME_MAX + 1, pid, seq, TP_PART_HEAP);
    int r = v->heap_err != 0 ? v->heap_err : write_part(dirfd, name, d, TP_PART_HEAP);
    if (r == 0)
        d->files[TP_PART_HEAP] = name;
    else if (report && !warned++)
        tp_warn("cannot write %s in %s: %s (the thread dump is not affected; "
                "reported once)", name, dir, strerror(-r));
}

/* Removes every file of periodic dump seq (THREADPROF_KEEP thins it out). */
typedef struct removal {
    int dirfd;
    pid_t pid;
} removal_t;

static void remove_dump(unsigned seq, void *arg)
{
    const removal_t *r = arg;
    char name[NAME_MAX + 1];
    for (tp_dump_part_t part = 0; part < TP_PART_COUNT; part++) {
        part_name(name, sizeof name, r->pid, seq, part);
        unlinkat(r->dirfd, name, 0);   /* the name itself, never a link's target */
    }
}

/* The summary comes last, so the files it names are already there.  Its
 * failure is reported once and touches no other file of the dump. */
static int write_summary(int dirfd, const char *dir, tp_dump_t *d, pid_t pid,
                         unsigned seq, char *name, int report)
{
    static int warned;
    part_name(name, NAME_MAX + 1, pid, seq, TP_PART_SUMMARY);
    int r = write_part(dirfd, name, d, TP_PART_SUMMARY);
    if (r != 0 && report && !warned++)
        tp_warn("cannot write %s in %s: %s (the other files of the dump are "
                "not affected; reported once)", name, dir, strerror(-r));
    return r;
}

/* --- the trend file (docs/trends.md) ------------------------------------ */

static pid_t trend_started;   /* the process that wrote its start record */
static unsigned trend_named;  /* keys named in the file so far */

/* Appends records to threadprof.<pid>.trend.jsonl: the start record
 * first in each process image, then what fill writes.  A failure is
 * reported once; the series in memory are not affected. */
static void trend_write(void (*fill)(tp_sink_t *s, const void *arg), const void *arg)
{
    static int warned;
    static tp_sink_t sink;
    static tp_snapshot_t ident;
    if (getpid() != tp_dump_pid())
        return;   /* a snapshot child: the program's trends are not its own */
    char dir[PATH_MAX], name[NAME_MAX + 1];
    struct stat dir_st;
    int dirfd = open_output_dir(dir, sizeof dir, &dir_st);
    if (dirfd < 0)
        return;
    snprintf(name, sizeof name, "threadprof.%d.trend.jsonl", (int)getpid());
    tp_outfile_t f;
    int r = tp_outfile_append(&f, dirfd, name);
    if (r == 0) {
        tp_sink_init_file(&sink, f.fd, f.dev, f.ino);
        if (trend_started != getpid()) {
            /* When the image started: t 0, and the wall clock then. */
            struct timespec wall;
            clock_gettime(CLOCK_REALTIME, &wall);
            uint64_t up = tp_now_ns() - tp_start_ns;
            uint64_t w = (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec - up;
            wall.tv_sec = (time_t)(w / 1000000000u);
            wall.tv_nsec = (long)(w % 1000000000u);
            tp_snapshot_identity(&ident);
            tp_trend_json_start(&sink, &ident, getpid(), &wall, 0, tp_config.trend_ns);
            trend_started = getpid();
            trend_named = 0;
        }
        fill(&sink, arg);
        r = tp_sink_flush(&sink);
        tp_close_own(f.fd, f.dev, f.ino);
    }
    tp_close_own(dirfd, dir_st.st_dev, dir_st.st_ino);
    if (r != 0 && !warned++)
        tp_warn("cannot append to %s in %s: %s (trend verdicts still work; reported once)",
                name, dir, strerror(-r));
}

typedef struct sample_records {
    const tp_trend_sample_t *sample;
    const tp_trend_key_t *keys;
} sample_records_t;

static void fill_sample(tp_sink_t *s, const void *arg)
{
    const sample_records_t *r = arg;
    tp_trend_json_sample(s, r->sample, r->keys);
}

void tp_trend_append(const tp_trend_sample_t *sample, const tp_trend_key_t *keys)
{
    sample_records_t r = {.sample = sample, .keys = keys};
    trend_write(fill_sample, &r);
}

/* After a dump: the names of keys seen since the last dump (symbolized
 * now, while the dump's symbolizer is warm), the dump, the verdicts. */
static void fill_dump(tp_sink_t *s, const void *arg)
{
    const tp_dump_t *d = arg;
    tp_trend_json_names(s, d->trends->keys, trend_named, d->trends->nkeys);
    trend_named = d->trends->nkeys;
    tp_trend_json_dump(s, d);
    tp_trend_json_verdicts(s, d->trends, d->snap->uptime_ns);
}

int tp_dump_render_now(tp_sink_t *s, int part)
{
    static tp_snapshot_t snap;
    static views_t views;
    int r = tp_snapshot_take(&snap, 1000000000ull, 0);
    if (r != 0)
        return r;
    snap.reasons = TP_REASON_REQUEST;
    tp_dump_t d = {.snap = &snap};
    capture_views(&views, &d, &snap, 0);
    d.keep = tp_config.keep;
    tp_retention_counts(&d.periodic_kept, &d.periodic_thinned);
    r = tp_dump_has(&d, (tp_dump_part_t)part) ? tp_dump_render(s, &d, (tp_dump_part_t)part)
                                                : -ENOENT;
    release_views(&views);
    tp_snapshot_free(&snap);
    tp_sym_release_files();
    return r;
}

/* The pid whose leftover temporary files were swept in this image. */
static pid_t swept;

void tp_dump_swept_by_child(void)
{
    swept = tp_dump_pid();
}

int tp_dump_write(unsigned reasons, unsigned seq, uint64_t lock_timeout_ns)
{
    static tp_snapshot_t snap;
    static views_t views;
    static char names[TP_PART_COUNT][NAME_MAX + 1];
    uint64_t t0 = tp_now_ns();
    char dir[PATH_MAX];
    struct stat dir_st;
    int dirfd = open_output_dir(dir, sizeof dir, &dir_st);
    if (dirfd < 0)
        return dirfd;
    /* Once per process image and directory use: temporary files an
     * earlier image of this pid (exec) left when it went mid-dump. */
    if (swept != tp_dump_pid()) {
        swept = tp_dump_pid();
        /* An earlier image's numbers may have holes (THREADPROF_KEEP):
         * continue after its highest, never in a hole. */
        unsigned high;
        tp_outdir_sweep(dirfd, (int)swept, &high);
        if (high >= seq) {
            tp_dump_seq_at_least(high);
            seq = tp_dump_next_seq();
        }
    }
    char *name = names[TP_PART_THREADS];
    for (int tries = 0; tries < 100000; tries++) {
        part_name(name, NAME_MAX + 1, tp_dump_pid(), seq, TP_PART_THREADS);
        if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
            break;
        seq = tp_dump_next_seq();   /* an earlier image of this pid wrote it */
    }
    int r = tp_snapshot_take(&snap, lock_timeout_ns, 0);
    if (r != 0) {
        tp_close_own(dirfd, dir_st.st_dev, dir_st.st_ino);
        tp_warn("dump %u skipped: %s", seq, strerror(-r));
        return r;
    }
    snap.seq = seq;
    snap.reasons = reasons;
    snap.signo = tp_config.signo;
    snap.interval_ns = tp_config.interval_ns;
    if (reasons & TP_REASON_THRESHOLD)
        tp_threshold_crossing(&snap);
    tp_dump_t d = {.snap = &snap};
    capture_views(&views, &d, &snap, reasons);

    pid_t pid = snap.pid;
    r = write_part(dirfd, name, &d, TP_PART_THREADS);
    if (r == 0)
        d.files[TP_PART_THREADS] = name;
    write_lock_profiles(dirfd, dir, &d, &views, pid, seq, names, r == 0);
    write_heap_profile(dirfd, dir, &d, &views, pid, seq, names[TP_PART_HEAP], r == 0);
    if (r == 0 && reasons == TP_REASON_INTERVAL) {
        removal_t rm = {.dirfd = dirfd, .pid = pid};
        tp_retention_periodic(seq, remove_dump, &rm);
    }
    d.keep = tp_config.keep;
    tp_retention_counts(&d.periodic_kept, &d.periodic_thinned);
    if (write_summary(dirfd, dir, &d, pid, seq, names[TP_PART_SUMMARY], r == 0) == 0)
        d.files[TP_PART_SUMMARY] = names[TP_PART_SUMMARY];
    /* Recorded once the trends have begun: a run too short for one
     * sample leaves no trend file. */
    if (r == 0 && tp_trend_samples_taken() != 0)
        trend_write(fill_dump, &d);
    release_views(&views);
    tp_snapshot_free(&snap);
    tp_sym_release_files();
    tp_close_own(dirfd, dir_st.st_dev, dir_st.st_ino);
    if (r != 0) {
        tp_warn("dump %u lost: cannot write %s in %s: %s", seq, name, dir,
                strerror(-r));
        return r;
    }
    uint64_t ms10 = (tp_now_ns() - t0) / 100000u;
    tp_info("wrote %s/%s (%llu.%llu ms)", dir, name,
            (unsigned long long)(ms10 / 10), (unsigned long long)(ms10 % 10));
    return 0;
}
