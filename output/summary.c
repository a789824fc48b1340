/*
 * summary: renders a tp_summary_t as the dump's short text (summary.h).
 *
 *   threadprof summary of dump 3 of pid 4242
 *   program: /usr/bin/demo
 *   time: 2026-11-26T12:00:00.123Z (process up 3m12s)
 *   reason: signal SIGUSR2
 *
 *   deadlocks: none
 *
 *   lock-order inversions: 1 (locks taken in orders that can deadlock, ...)
 *     inversion 1: 2 locks   (when one thread took them all: "2 locks (all
 *                             taken by thread 4243 "worker": a deadlock ...)")
 *       mutex 0x55d0c0a0 (taken in f at /src/a.c:10) then mutex 0x55d0c0e0
 *       (taken in g at /src/a.c:20) in thread 4243 "worker"   (one line)
 *           g (/src/a.c:20)
 *           main (/src/a.c:40)
 *       ... one line and one stack per edge of the cycle
 *
 *   top contended locks (by total wait since start; ...):
 *     1. mutex 0x55d0c0a0: 8123 contentions, total wait 1.23s, max wait 4.56ms
 *          waited at hot_acquire (/src/contention.c:51)
 *          held at hot_release (/src/contention.c:57)
 *   tables: 12/4096 stacks, 3/16384 locks, 0 events dropped (3.2 MiB
 *   reserved, 52.0 KiB resident)   (one line; "(not mapped)" before any use)
 *
 *   locks held across blocking calls (...):   (output/lockuse.c)
 *     1. mutex 0x55d0c0a0 (taken in f at /src/a.c:20) held across usleep
 *        in f at /src/a.c:21: 140 times, 2.90s total, max 21.1ms
 *
 *   threads: 9 live (1 running, 8 waiting), 0 exited but not joined
 *     states: 4 cond wait, 3 mutex wait, 1 sleep, 1 running
 *
 *   files: ...
 *
 * Sections are separated by one blank line and always appear in this
 * order, so a reader (or a script) finds each where it expects it.
 */
#include "output/summary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "output/describe.h"
#include "output/leaks.h"
#include "output/lockuse.h"
#include "output/trends.h"
#include "output/stack.h"
#include "output/units.h"

static void write_header(tp_sink_t *s, const tp_snapshot_t *snap)
{
    char when[64], up[32], reason[256];
    struct tm tm;
    gmtime_r(&snap->wall.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    tp_format_duration(snap->uptime_ns, up, sizeof up);
    tp_describe_reason(snap, reason, sizeof reason);
    tp_sink_printf(s, "threadprof summary of dump %u of pid %d\n", snap->seq,
                   (int)snap->pid);
    tp_sink_printf(s, "program: %s\n", snap->program);
    tp_sink_printf(s, "time: %s.%03ldZ (process up %s)\n", when,
                   snap->wall.tv_nsec / 1000000, up);
    tp_sink_printf(s, "reason: %s\n\n", reason);
}

#define CRASH_FRAMES 8

static const char *kind_name(tp_lock_kind_t kind);

/* The locks the crashed thread held, and who waits for each. */
static void write_crash_locks(tp_sink_t *s, const tp_snapshot_t *snap,
                              const tp_snap_thread_t *c)
{
    for (int i = 0; i < c->nheld && i < TP_SNAP_HELD; i++) {
        const tp_snap_held_t *h = &c->held[i];
        char site[512];
        tp_stack_site(h->site, TP_SITE_PAREN, site, sizeof site);
        size_t waiting = 0;
        for (size_t j = 0; j < snap->nthreads; j++)
            waiting += snap->threads[j].wait_obj == h->lock;
        tp_sink_printf(s, "  it held %s %p, taken in %s; %zu thread%s wait%s for it",
                       kind_name(h->kind), h->lock, site, waiting,
                       waiting == 1 ? "" : "s", waiting == 1 ? "s" : "");
        size_t listed = 0;
        for (size_t j = 0; j < snap->nthreads && listed < 8; j++) {
            const tp_snap_thread_t *w = &snap->threads[j];
            if (w->wait_obj != h->lock)
                continue;
            tp_sink_printf(s, "%s%d \"%s\"", listed++ ? ", " : ": ", (int)w->tid, w->name);
        }
        tp_sink_puts(s, listed < waiting ? ", ...\n" : "\n");
    }
}

/* A crash dump's first section: the signal, where it struck, the locks
 * the thread held and who waits for them. */
static void write_crash(tp_sink_t *s, const tp_snapshot_t *snap)
{
    char what[256];
    if (!(snap->reasons & TP_REASON_CRASH))
        return;
    tp_describe_crash(&snap->crash, what, sizeof what);
    tp_sink_printf(s, "crash: %s\n", what);
    const tp_snap_thread_t *c = NULL;
    for (size_t i = 0; i < snap->nthreads && c == NULL; i++)
        if (snap->threads[i].crash_signo != 0)
            c = &snap->threads[i];
    if (c != NULL && c->npcs > 0) {
        tp_sink_puts(s, "  where (innermost first):\n");
        size_t n = c->npcs < CRASH_FRAMES ? (size_t)c->npcs : CRASH_FRAMES;
        tp_stack_write_lines(s, c->pcs, n, "    ", c->first_pc_exact);
    }
    if (c != NULL)
        write_crash_locks(s, snap, c);
    tp_sink_puts(s, "  (the registers and every thread's stack: the thread dump)\n\n");
}

/* One line per thread of each cycle: who waits for what, held by whom. */
static void write_deadlocks(tp_sink_t *s, const tp_snapshot_t *snap)
{
    if (snap->ncycles == 0) {
        tp_sink_puts(s, "deadlocks: none\n\n");
        return;
    }
    tp_sink_printf(s, "deadlocks: %zu\n", snap->ncycles);
    for (size_t c = 0; c < snap->ncycles; c++) {
        const tp_snap_cycle_t *cy = &snap->cycles[c];
        tp_sink_printf(s, "  deadlock %zu: %d threads wait for each other\n",
                       c + 1, cy->n);
        for (int i = 0; i < cy->n; i++) {
            const tp_snap_thread_t *t = &snap->threads[cy->members[i]];
            const tp_snap_thread_t *next = &snap->threads[cy->members[(i + 1) % cy->n]];
            if (t->wait_kind == TP_WAIT_THREAD)
                tp_sink_printf(s, "    thread %d \"%s\" waits for thread %d \"%s\" to exit\n",
                               (int)t->tid, t->name, (int)next->tid, next->name);
            else
                tp_sink_printf(s, "    thread %d \"%s\" waits for %s %p held by thread %d \"%s\"\n",
                               (int)t->tid, t->name, tp_describe_wait_kind(t->wait_kind),
                               t->wait_obj, (int)next->tid, next->name);
        }
    }
    tp_sink_puts(s, "  (details and stacks: the thread dump, listed first)\n\n");
}

/* " (3.2 MiB reserved, 52.0 KiB resident)" after a table's fill, or
 * " (not mapped)": what the agent's memory costs, not only its caps. */
static void write_memory(tp_sink_t *s, size_t reserved, size_t resident)
{
    char r[32], m[32];
    if (reserved == 0) {
        tp_sink_puts(s, " (not mapped)");
        return;
    }
    tp_format_bytes(reserved, r, sizeof r);
    tp_format_bytes(resident, m, sizeof m);
    tp_sink_printf(s, " (%s reserved, %s resident)", r, m);
}

/* Each cycle of the lock-order graph: one line per edge (lock b taken
 * while lock a was held, by whom), then the stack of b's acquisition. */
static const char *kind_name(tp_lock_kind_t kind)
{
    switch (kind) {
    case TP_LOCK_MUTEX: return "mutex";
    case TP_LOCK_READ: return "rwlock (read)";
    case TP_LOCK_WRITE: return "rwlock (write)";
    default: return "lock";
    }
}

static void write_edge(tp_sink_t *s, const tp_order_edge_t *e)
{
    char site_a[256] = "??", site_b[256] = "??";
    if (e->site_a != 0)
        tp_stack_site(e->site_a, TP_SITE_AT, site_a, sizeof site_a);
    if (e->site_b != 0)
        tp_stack_site(e->site_b, TP_SITE_AT, site_b, sizeof site_b);
    tp_sink_printf(s, "    %s %#lx (taken in %s) then %s %#lx (taken in %s) "
                      "in thread %d \"%s\"\n",
                   kind_name(e->kind_a), (unsigned long)e->a, site_a,
                   kind_name(e->kind_b), (unsigned long)e->b, site_b, e->tid, e->name);
    tp_stack_write_lines(s, e->pcs, e->npcs, "        ", 0);
}

/* Each cycle of the lock-order graph: one line per edge (lock b taken
 * while lock a was held, by whom), then the stack of b's acquisition. */
static void write_inversions(tp_sink_t *s, const tp_lock_order_t *o)
{
    if (o == NULL || !o->enabled) {
        tp_sink_puts(s, "lock-order inversions: none (not checked; set "
                        "THREADPROF_LOCK_ORDER=1)\n\n");
        return;
    }
    size_t found = o->found > o->ninversions ? o->found : o->ninversions;
    if (found == 0)
        tp_sink_puts(s, "lock-order inversions: none\n");
    else
        tp_sink_printf(s, "lock-order inversions: %zu (locks taken in orders "
                          "that can deadlock, though this run may not have)\n",
                       found);
    for (size_t i = 0; i < o->ninversions; i++) {
        const tp_order_inversion_t *inv = &o->inversions[i];
        /* One thread took the locks in both orders: still a deadlock as
         * soon as two threads run that code, but not in this run's form. */
        int one = inv->nedges > 1;
        for (int k = 1; k < inv->nedges; k++)
            one &= inv->edges[k].tid == inv->edges[0].tid;
        if (one)
            tp_sink_printf(s, "  inversion %zu: %d locks (all taken by thread %d \"%s\": "
                              "a deadlock needs a second thread running this code)\n",
                           i + 1, inv->nedges, inv->edges[0].tid, inv->edges[0].name);
        else
            tp_sink_printf(s, "  inversion %zu: %d locks\n", i + 1, inv->nedges);
        for (int k = 0; k < inv->nedges; k++)
            write_edge(s, &inv->edges[k]);
    }
    if (found > o->ninversions)
        tp_sink_printf(s, "  (%zu of %zu inversions shown)\n", o->ninversions, found);
    tp_sink_printf(s, "lock-order graph: %u/%u edges, %llu dropped",
                   (unsigned)o->edges, (unsigned)o->edge_cap,
                   (unsigned long long)o->dropped);
    write_memory(s, o->bytes, o->resident);
    tp_sink_puts(s, "\n\n");
}

/* Whether lock a ranks before lock b: more total wait, then more
 * contentions, then the lower address (a stable order for equal locks). */
static int ranks_before(const tp_lock_stat_t *a, const tp_lock_stat_t *b)
{
    if (a->total_ns != b->total_ns)
        return a->total_ns > b->total_ns;
    if (a->contentions != b->contentions)
        return a->contentions > b->contentions;
    return a->addr < b->addr;
}

static void write_lock(tp_sink_t *s, size_t rank, const tp_lock_stat_t *l,
                       uint64_t uptime_ns)
{
    char total[32], max[32], site[256];
    tp_format_wait(l->total_ns, total, sizeof total);
    tp_format_wait(l->max_ns, max, sizeof max);
    tp_sink_printf(s, "  %zu. %s %#lx%s: %llu contention%s, total wait %s, max wait %s\n",
                   rank, kind_name(l->kind), (unsigned long)l->addr,
                   l->destroyed ? " (destroyed)" : "", (unsigned long long)l->contentions,
                   l->contentions == 1 ? "" : "s", total, max);
    if (l->waiter_site != 0)
        tp_stack_site(l->waiter_site, TP_SITE_PAREN, site, sizeof site);
    tp_sink_printf(s, "       waited at %s\n", l->waiter_site != 0 ? site : "(unknown)");
    if (l->holder_site != 0) {
        tp_stack_site(l->holder_site, TP_SITE_PAREN, site, sizeof site);
        tp_sink_printf(s, "       held at %s\n", site);
    }
    char hold[160];
    tp_describe_hold(l, uptime_ns, hold, sizeof hold);
    if (hold[0] != '\0')
        tp_sink_printf(s, "       %s\n", hold);
}

static void write_locks(tp_sink_t *s, const tp_lock_stats_t *st, uint64_t uptime_ns)
{
    tp_sink_puts(s, "top contended locks (by total wait since start; contended "
                    "acquisitions only, uncontended ones are not counted):\n");
    if (st == NULL || !st->enabled) {
        tp_sink_puts(s, "  not collected (THREADPROF_MUTEX_FRACTION and "
                        "THREADPROF_BLOCK_RATE are both 0)\n\n");
        return;
    }
    /* The top entries by selection: no allocation, nlocks is small. */
    const tp_lock_stat_t *top[TP_SUMMARY_TOP_LOCKS];
    size_t ntop = 0;
    for (size_t i = 0; i < st->nlocks && i < TP_LOCK_STATS_MAX; i++) {
        const tp_lock_stat_t *l = &st->locks[i];
        if (l->contentions == 0)
            continue;
        size_t pos = ntop;
        while (pos > 0 && ranks_before(l, top[pos - 1]))
            pos--;
        if (pos >= TP_SUMMARY_TOP_LOCKS)
            continue;
        if (ntop < TP_SUMMARY_TOP_LOCKS)
            ntop++;
        memmove(&top[pos + 1], &top[pos], (ntop - 1 - pos) * sizeof top[0]);
        top[pos] = l;
    }
    if (ntop == 0)
        tp_sink_puts(s, "  none (no contended mutex acquisition since start)\n");
    for (size_t i = 0; i < ntop; i++)
        write_lock(s, i + 1, top[i], uptime_ns);
    size_t contended = st->contended_locks > ntop ? st->contended_locks : ntop;
    if (contended > ntop)
        tp_sink_printf(s, "  (%zu of %zu contended locks shown)\n", ntop, contended);
    tp_sink_printf(s, "tables: %u/%u stacks, %u/%u locks, %llu events dropped",
                   (unsigned)st->stacks, (unsigned)st->stack_cap,
                   (unsigned)st->lock_entries, (unsigned)st->lock_cap,
                   (unsigned long long)st->dropped_events);
    write_memory(s, st->tables_bytes, st->tables_resident);
    tp_sink_puts(s, "\n\n");
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void write_threads(tp_sink_t *s, const tp_snapshot_t *snap)
{
    size_t running = 0;
    for (size_t i = 0; i < snap->nthreads; i++)
        running += snap->threads[i].state == 0;
    tp_sink_printf(s, "threads: %zu live (%zu running, %zu waiting), %zu exited "
                      "but not joined\n",
                   snap->nthreads, running, snap->nthreads - running,
                   snap->exited_unjoined);
    if (snap->nthreads == 0) {
        tp_sink_puts(s, "\n");
        return;
    }
    /* The most common states: sort the group texts, count the runs and
     * keep the largest (the earlier text wins a tie). */
    typedef char text_t[64];
    const char **g = malloc(snap->nthreads * (sizeof *g + sizeof(text_t)));
    if (g == NULL) {
        tp_sink_puts(s, "\n");
        return;
    }
    text_t *texts = (text_t *)(void *)(g + snap->nthreads);
    for (size_t i = 0; i < snap->nthreads; i++) {
        tp_describe_group(&snap->threads[i], texts[i], sizeof texts[i]);
        g[i] = texts[i];
    }
    qsort(g, snap->nthreads, sizeof *g, cmp_text);
    const char *best[TP_SUMMARY_TOP_STATES];
    size_t best_n[TP_SUMMARY_TOP_STATES], nbest = 0, covered = 0;
    for (size_t i = 0; i < snap->nthreads;) {
        size_t j = i + 1;
        while (j < snap->nthreads && strcmp(g[j], g[i]) == 0)
            j++;
        size_t n = j - i, pos = nbest;
        while (pos > 0 && n > best_n[pos - 1])
            pos--;
        if (pos < TP_SUMMARY_TOP_STATES) {
            if (nbest < TP_SUMMARY_TOP_STATES)
                nbest++;
            memmove(&best[pos + 1], &best[pos], (nbest - 1 - pos) * sizeof best[0]);
            memmove(&best_n[pos + 1], &best_n[pos], (nbest - 1 - pos) * sizeof best_n[0]);
            best[pos] = g[i];
            best_n[pos] = n;
        }
        i = j;
    }
    tp_sink_puts(s, "  states:");
    for (size_t k = 0; k < nbest; k++) {
        tp_sink_printf(s, "%s %zu %s", k ? "," : "", best_n[k],
                       best[k][0] ? best[k] : "unknown");
        covered += best_n[k];
    }
    free(g);
    if (covered < snap->nthreads)
        tp_sink_printf(s, ", %zu other", snap->nthreads - covered);
    tp_sink_puts(s, "\n\n");
}

static void write_files(tp_sink_t *s, const tp_summary_t *sum)
{
    tp_sink_puts(s, "files:");
    int any = 0;
    const char *files[] = {sum->threads_file, sum->mutex_file, sum->block_file,
                           sum->heap_file};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        if (files[i] == NULL)
            continue;
        tp_sink_printf(s, "%s %s", any ? "," : "", files[i]);
        any = 1;
    }
    if (!any)
        tp_sink_puts(s, " none");
    tp_sink_puts(s, "\n");
    if (sum->periodic_thinned != 0)
        tp_sink_printf(s, "  periodic dumps: %u kept, %u thinned out (THREADPROF_KEEP=%u: the "
                          "first, the latest and an even spread between; other dumps are "
                          "all kept)\n",
                       sum->periodic_kept, sum->periodic_thinned, sum->keep);
    if (sum->threads_file != NULL)
        tp_sink_puts(s, "  every thread's state and stack: the .threads.txt file\n");
    if (sum->mutex_file != NULL || sum->block_file != NULL)
        tp_sink_printf(s, "  read a profile with: go tool pprof -top -sample_index=delay %s\n"
                          "  (mutex: where contended locks were released; block: "
                          "where threads waited)\n",
                       sum->mutex_file != NULL ? sum->mutex_file : sum->block_file);
    if (sum->heap_file != NULL)
        tp_sink_printf(s, "  in-use memory by allocation site: go tool pprof -top %s\n"
                          "  (growth between two dumps: go tool pprof -top -base <older "
                          "heap.pb.gz> %s)\n",
                       sum->heap_file, sum->heap_file);
}

int tp_summary_write(tp_sink_t *s, const tp_summary_t *sum)
{
    const tp_snapshot_t *snap = sum->snap;
    write_header(s, snap);
    write_crash(s, snap);
    write_deadlocks(s, snap);
    tp_summary_trends_write(s, sum->trends);
    write_inversions(s, sum->order);
    write_locks(s, sum->locks, snap->uptime_ns);
    tp_summary_held_longest_write(s, sum->locks, snap->uptime_ns);
    tp_summary_held_across_write(s, sum->locks);
    tp_summary_heap_write(s, sum->heap, sum->trends);
    write_threads(s, snap);
    write_files(s, sum);
    return tp_sink_flush(s);
}
