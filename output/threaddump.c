/*
 * threaddump: renders a tp_snapshot_t as text (see threaddump.h).
 *
 * Entry format (a Go debug=2 goroutine dump, adapted to threads):
 *
 *   thread 4242 "consumer-1" [cond wait, 3m12s]:
 *       cond 0x55d0c0a0 with mutex 0x55d0c078
 *   wait_for_job(...)
 *   	/src/queue.c:57 +0x2c
 *   created by main in thread 4240, 3m15s ago
 *   	/src/main.c:31 +0x5a
 *
 * State details are indented by four spaces; frames are a function line
 * and a tab-indented location line, so Go-dump tooling and people's eyes
 * both find their way.
 */
#include "output/threaddump.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/describe.h"
#include "output/stack.h"
#include "output/units.h"
#include "symbolizer/symbolizer.h"

#define MAX_INLINE 8
#define GROUP_NAMES 4

/* Whether a frame belongs to the C or C++ runtime rather than to the
 * program: std::thread's constructor (inlined into the program) and
 * libstdc++'s thread start-up call pthread_create on the program's
 * behalf. */
static int runtime_frame(const tp_sym_frame_t *f)
{
    static const char *const libs[] = {"libstdc++.so", "libc.so", "libpthread.so",
                                       "libgcc_s.so", "ld-linux"};
    if (f->function != NULL &&
        (strncmp(f->function, "std::", 5) == 0 || strncmp(f->function, "__gnu_cxx::", 11) == 0 ||
         strstr(f->function, " std::") != NULL))
        return 1;
    /* Library templates inlined into the program: their source is a
     * system header. */
    if (f->file != NULL && (strncmp(f->file, "/usr/include/", 13) == 0 ||
                            strncmp(f->file, "/usr/lib/gcc/", 13) == 0))
        return 1;
    const char *base = f->module ? strrchr(f->module, '/') : NULL;
    base = base ? base + 1 : f->module;
    for (size_t i = 0; base != NULL && i < sizeof libs / sizeof *libs; i++)
        if (strncmp(base, libs[i], strlen(libs[i])) == 0)
            return 1;
    return 0;
}

/* The frame Go would name after "created by": the program's own function
 * that started the thread, found by skipping the runtime's frames (so a
 * std::thread made in main() says "created by main"); the innermost
 * frame when every frame is the runtime's. */
static void creator_frame(const tp_snap_thread_t *t, tp_sym_frame_t *out)
{
    tp_sym_frame_t fr[MAX_INLINE];
    for (int i = 0; i < t->ncreate; i++) {
        int k = tp_sym_resolve(t->create_pcs[i], 1, fr, MAX_INLINE);
        for (int j = 0; j < k; j++) {
            if (!runtime_frame(&fr[j])) {
                *out = fr[j];
                return;
            }
        }
    }
    tp_sym_resolve(t->create_pcs[0], 1, fr, MAX_INLINE);
    *out = fr[0];
}

/* with_age: per-thread entries say how long ago the thread started (a
 * long-lived thread that should have ended stands out); groups do not. */
static void write_created_by(tp_sink_t *s, const tp_snap_thread_t *t, int with_age)
{
    char age[48] = "";
    if (with_age && t->age_ns > 0) {
        char d[32];
        tp_format_duration(t->age_ns, d, sizeof d);
        snprintf(age, sizeof age, ", %s ago", d);
    }
    if (t->is_main)
        return;
    if (!t->has_creator) {
        tp_sink_puts(s, "created outside threadprof's view (before the agent "
                        "started, or not by pthread_create)\n");
        return;
    }
    if (t->ncreate == 0) {
        tp_sink_printf(s, "created by ?? in thread %d%s\n", (int)t->parent_tid, age);
        return;
    }
    tp_sym_frame_t f;
    creator_frame(t, &f);
    tp_sink_printf(s, "created by %s in thread %d%s\n", f.function ? f.function : "??",
                   (int)t->parent_tid, age);
    tp_stack_write_go_place(s, &f);
}

/* "take_a (/src/abba.c:22)": the function and place of a call site. */
static void write_site(tp_sink_t *s, uintptr_t site)
{
    char text[4096];
    tp_stack_site(site, TP_SITE_PAREN, text, sizeof text);
    tp_sink_puts(s, text);
}

static const char *lock_kind_name(tp_lock_kind_t kind)
{
    switch (kind) {
    case TP_LOCK_READ: return "rwlock (read)";
    case TP_LOCK_WRITE: return "rwlock (write)";
    case TP_LOCK_SPIN: return "spinlock";
    default: return "mutex";
    }
}

/* across: the blocking call the thread is in while it holds the lock
 * (tp_describe_held_across), or NULL. */
static void write_held(tp_sink_t *s, const tp_snap_held_t *h, const char *across)
{
    char since[32];
    if (h->held_s == 0)
        snprintf(since, sizeof since, "<1s");
    else if (h->held_s < 60)
        snprintf(since, sizeof since, "%us", (unsigned)h->held_s);
    else
        tp_format_duration((uint64_t)h->held_s * 1000000000u, since, sizeof since);
    tp_sink_printf(s, "    holds %s %p since %s, taken in ", lock_kind_name(h->kind),
                   h->lock, since);
    write_site(s, h->site);
    if (across != NULL)
        tp_sink_printf(s, ", while in %s", across);
    tp_sink_puts(s, "\n");
}

static void write_held_list(tp_sink_t *s, const tp_snap_thread_t *t)
{
    int stored = t->nheld < TP_SNAP_HELD ? t->nheld : TP_SNAP_HELD;
    for (int i = 0; i < stored; i++)
        write_held(s, &t->held[i], tp_describe_held_across(t, &t->held[i]));
    if (t->nheld > stored)
        tp_sink_printf(s, "    holds %d more locks (not tracked)\n", t->nheld - stored);
}

static const tp_snap_held_t *find_held(const tp_snap_thread_t *t, const void *lock)
{
    for (int i = 0; i < t->nheld && i < TP_SNAP_HELD; i++)
        if (t->held[i].lock == lock)
            return &t->held[i];
    return NULL;
}

/* One cycle, Java-style: who waits for what, held by whom, where each
 * waits, and where each took the lock the previous one waits for. */
static void write_cycle(tp_sink_t *s, const tp_snapshot_t *snap,
                        const tp_snap_cycle_t *c, size_t number)
{
    if (snap->ncycles > 1)
        tp_sink_printf(s, "== deadlock %zu of %zu: %d threads wait for each other ==\n",
                       number, snap->ncycles, c->n);
    else
        tp_sink_printf(s, "== deadlock: %d threads wait for each other ==\n", c->n);
    for (int i = 0; i < c->n; i++) {
        const tp_snap_thread_t *t = &snap->threads[c->members[i]];
        const tp_snap_thread_t *next = &snap->threads[c->members[(i + 1) % c->n]];
        const tp_snap_thread_t *prev = &snap->threads[c->members[(i + c->n - 1) % c->n]];
        if (t->wait_kind == TP_WAIT_THREAD)
            tp_sink_printf(s, "thread %d \"%s\" waits for thread %d \"%s\" to exit\n",
                           (int)t->tid, t->name, (int)next->tid, next->name);
        else
            tp_sink_printf(s, "thread %d \"%s\" waits for %s %p, held by thread %d \"%s\"\n",
                           (int)t->tid, t->name, tp_describe_wait_kind(t->wait_kind),
                           t->wait_obj, (int)next->tid, next->name);
        if (t->npcs > 0) {
            tp_sink_puts(s, "    waiting in ");
            write_site(s, t->pcs[0]);
            tp_sink_puts(s, "\n");
        }
        if (prev->wait_kind != TP_WAIT_NONE && prev->wait_kind != TP_WAIT_THREAD) {
            const tp_snap_held_t *h = find_held(t, prev->wait_obj);
            if (h != NULL)
                write_held(s, h, NULL);
            else
                tp_sink_printf(s, "    holds %s %p (where it was taken is unknown)\n",
                               tp_describe_wait_kind(prev->wait_kind), prev->wait_obj);
        }
    }
    tp_sink_puts(s, "\n");
}

static void write_stack(tp_sink_t *s, const tp_snap_thread_t *t)
{
    if (t->npcs > 0)
        tp_stack_write_go(s, t->pcs, (size_t)t->npcs, t->first_pc_exact);
    if (t->no_stack != TP_NO_STACK_NONE)
        tp_sink_printf(s, "    (no stack: %s)\n", tp_describe_no_stack(t->no_stack));
}

static void write_thread(tp_sink_t *s, const tp_snapshot_t *snap,
                         const tp_snap_thread_t *t)
{
    char dur[32];
    tp_thread_text_t text;
    tp_describe_thread(snap, t, &text);
    if (t->wait_ns > 0 || t->state != 0) {
        tp_format_duration(t->wait_ns, dur, sizeof dur);
        tp_sink_printf(s, "thread %d \"%s\" [%s, %s]:\n", (int)t->tid, t->name,
                       text.state, dur);
    } else {
        tp_sink_printf(s, "thread %d \"%s\" [%s]:\n", (int)t->tid, t->name,
                       text.state);
    }
    for (int i = 0; i < text.ndetails; i++)
        tp_sink_printf(s, "    %s\n", text.details[i]);
    write_held_list(s, t);
    write_stack(s, t);
    write_created_by(s, t, 1);
    tp_sink_puts(s, "\n");
}

/* A thread of the grouped view, with its group text (describe.h). */
typedef struct member {
    const tp_snap_thread_t *t;
    char group[64];
} member_t;

/* Threads group when state, stack and creation site are all the same. */
static int same_group(const member_t *ma, const member_t *mb)
{
    const tp_snap_thread_t *a = ma->t, *b = mb->t;
    uintptr_t ca = a->ncreate ? a->create_pcs[0] : 0;
    uintptr_t cb = b->ncreate ? b->create_pcs[0] : 0;
    return a->state == b->state && strcmp(ma->group, mb->group) == 0 &&
           a->npcs == b->npcs && ca == cb && a->has_creator == b->has_creator &&
           memcmp(a->pcs, b->pcs, (size_t)a->npcs * sizeof a->pcs[0]) == 0;
}

static int cmp_group_key(const void *pa, const void *pb)
{
    const member_t *ma = pa, *mb = pb;
    const tp_snap_thread_t *a = ma->t, *b = mb->t;
    if (a->state != b->state)
        return a->state < b->state ? -1 : 1;
    int c = strcmp(ma->group, mb->group);
    if (c != 0)
        return c;
    if (a->npcs != b->npcs)
        return a->npcs < b->npcs ? -1 : 1;
    c = memcmp(a->pcs, b->pcs, (size_t)a->npcs * sizeof a->pcs[0]);
    if (c != 0)
        return c;
    uintptr_t ca = a->ncreate ? a->create_pcs[0] : 0;
    uintptr_t cb = b->ncreate ? b->create_pcs[0] : 0;
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (a->has_creator != b->has_creator)
        return a->has_creator - b->has_creator;
    return a->tid < b->tid ? -1 : a->tid > b->tid;
}

typedef struct group {
    size_t first;   /* index into the sorted array */
    size_t count;
} group_t;

static int cmp_group_size(const void *pa, const void *pb)
{
    const group_t *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return a->first < b->first ? -1 : a->first > b->first;
}

static void write_group(tp_sink_t *s, const member_t *sorted, const group_t *g)
{
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < g->count; i++) {
        uint64_t w = sorted[g->first + i].t->wait_ns;
        lo = w < lo ? w : lo;
        hi = w > hi ? w : hi;
    }
    const tp_snap_thread_t *t = sorted[g->first].t;
    tp_sink_printf(s, "%zu thread%s [%s", g->count, g->count == 1 ? "" : "s",
                   sorted[g->first].group);
    if (t->state != 0) {
        char a[32], b[32];
        tp_format_duration(lo, a, sizeof a);
        tp_format_duration(hi, b, sizeof b);
        if (strcmp(a, b) == 0)
            tp_sink_printf(s, ", %s", a);
        else
            tp_sink_printf(s, ", %s..%s", a, b);
    }
    tp_sink_puts(s, "]:");
    for (size_t i = 0; i < g->count && i < GROUP_NAMES; i++) {
        const tp_snap_thread_t *m = sorted[g->first + i].t;
        tp_sink_printf(s, "%s %d \"%s\"", i ? "," : "", (int)m->tid, m->name);
    }
    if (g->count > GROUP_NAMES)
        tp_sink_printf(s, " and %zu more", g->count - GROUP_NAMES);
    tp_sink_puts(s, "\n");
    write_stack(s, t);
    write_created_by(s, t, 0);
    tp_sink_puts(s, "\n");
}

/* The threads of a snapshot sorted into groups. */
typedef struct grouping {
    member_t *sorted;   /* the threads, sorted by group key */
    group_t *groups;    /* runs of sorted, most numerous first */
    size_t n, ngroups;
} grouping_t;

static void free_grouping(grouping_t *g)
{
    free(g->sorted);
    free(g->groups);
}

/* Groups the threads of snap (same state, group text, stack and
 * creation site).  Returns 0 or -ENOMEM (then g holds nothing). */
static int group_threads(const tp_snapshot_t *snap, grouping_t *g)
{
    size_t n = snap->nthreads;
    memset(g, 0, sizeof *g);
    if (n == 0)
        return 0;
    g->sorted = malloc(n * sizeof *g->sorted);
    g->groups = malloc(n * sizeof *g->groups);
    if (g->sorted == NULL || g->groups == NULL) {
        free_grouping(g);
        memset(g, 0, sizeof *g);
        return -ENOMEM;
    }
    member_t *sorted = g->sorted;
    for (size_t i = 0; i < n; i++) {
        sorted[i].t = &snap->threads[i];
        tp_describe_group(sorted[i].t, sorted[i].group, sizeof sorted[i].group);
    }
    qsort(sorted, n, sizeof *sorted, cmp_group_key);
    size_t ngroups = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && same_group(&sorted[i - 1], &sorted[i])) {
            g->groups[ngroups - 1].count++;
        } else {
            g->groups[ngroups].first = i;
            g->groups[ngroups].count = 1;
            ngroups++;
        }
    }
    qsort(g->groups, ngroups, sizeof *g->groups, cmp_group_size);
    g->n = n;
    g->ngroups = ngroups;
    return 0;
}

/* The grouped view: its title line, then every group. */
static void write_groups(tp_sink_t *s, const grouping_t *g)
{
    /* One thread happens in the grouped view alone (the full dump groups
     * two or more). */
    tp_sink_printf(s, "== %zu thread%s in %zu group%s (same state, stack "
                      "and creator; most numerous first) ==\n\n",
                   g->n, g->n == 1 ? "" : "s", g->ngroups, g->n == 1 ? "" : "s");
    for (size_t i = 0; i < g->ngroups; i++)
        write_group(s, g->sorted, &g->groups[i]);
}

/* The full dump's grouped view, written only when it says something:
 * some stack is shared.  Returns 1 when it was written; 0 when not, and
 * when memory ran out (the entries follow anyway). */
static int write_grouped_if_shared(tp_sink_t *s, const tp_snapshot_t *snap)
{
    grouping_t g;
    if (snap->nthreads < 2 || group_threads(snap, &g) != 0)
        return 0;
    int shared = g.ngroups < g.n;
    if (shared)
        write_groups(s, &g);
    free_grouping(&g);
    return shared;
}

static void write_header(tp_sink_t *s, const tp_snapshot_t *snap)
{
    char when[64], up[32], reason[256];
    struct tm tm;
    gmtime_r(&snap->wall.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    tp_format_duration(snap->uptime_ns, up, sizeof up);
    tp_describe_reason(snap, reason, sizeof reason);
    size_t running = 0;
    for (size_t i = 0; i < snap->nthreads; i++)
        running += snap->threads[i].state == 0;

    tp_sink_printf(s, "threadprof thread dump %u of pid %d\n", snap->seq,
                   (int)snap->pid);
    tp_sink_printf(s, "program: %s\n", snap->program);
    tp_sink_printf(s, "command: %s\n", snap->cmdline);
    tp_sink_printf(s, "time: %s.%03ldZ (process up %s)\n", when,
                   snap->wall.tv_nsec / 1000000, up);
    tp_sink_printf(s, "reason: %s\n", reason);
    tp_sink_printf(s, "threads: %zu live (%zu running, %zu waiting), %zu "
                      "exited but not joined",
                   snap->nthreads, running, snap->nthreads - running,
                   snap->exited_unjoined);
    if (snap->unknown_threads > 0)
        tp_sink_printf(s, ", %zu not yet seen by the agent",
                       snap->unknown_threads);
    tp_sink_puts(s, "\n");
    if (snap->ncycles > 0)
        tp_sink_printf(s, "deadlocks: %zu (listed first)\n", snap->ncycles);
    tp_sink_puts(s, "\n");
}

/* The registers of a crash as the JVM's hs_err file gives them. */
static void write_registers(tp_sink_t *s, const tp_snap_crash_t *c)
{
    static const struct {
        const char *name;
        int reg;
    } order[] = {
#define REG(name, reg) {name, reg},
        TP_CRASH_HS_ERR_REGS(REG)
#undef REG
    };
    if (!c->have_regs)
        return;
    tp_sink_puts(s, "registers:\n");
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        tp_sink_printf(s, "%s=0x%016" PRIx64 "%s", order[i].name, c->regs[order[i].reg],
                       i % 4 == 3 || i + 1 == sizeof order / sizeof *order ? "\n" : ", ");
    tp_sink_printf(s, "  TRAPNO=0x%016" PRIx64 "\n\n", c->regs[TP_CRASH_TRAPNO]);
}

int tp_threaddump_write(tp_sink_t *s, const tp_snapshot_t *snap)
{
    write_header(s, snap);
    if (snap->reasons & TP_REASON_CRASH)
        write_registers(s, &snap->crash);
    for (size_t i = 0; i < snap->ncycles; i++)
        write_cycle(s, snap, &snap->cycles[i], i + 1);
    if (write_grouped_if_shared(s, snap))
        tp_sink_puts(s, "== threads ==\n\n");
    for (size_t i = 0; i < snap->nthreads; i++)
        write_thread(s, snap, &snap->threads[i]);
    tp_sink_puts(s, "end of dump\n");
    return tp_sink_flush(s);
}

int tp_threaddump_write_grouped(tp_sink_t *s, const tp_snapshot_t *snap)
{
    grouping_t g;
    int r = group_threads(snap, &g);
    if (r != 0)
        return r;
    write_header(s, snap);
    if (snap->reasons & TP_REASON_CRASH)
        write_registers(s, &snap->crash);
    for (size_t i = 0; i < snap->ncycles; i++)
        write_cycle(s, snap, &snap->cycles[i], i + 1);
    write_groups(s, &g);
    free_grouping(&g);
    tp_sink_puts(s, "end of dump\n");
    return tp_sink_flush(s);
}
