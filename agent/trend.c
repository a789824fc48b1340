/*
 * trend: the soak-test samples (THREADPROF_TREND) and their series.
 *
 * Every interval the dump thread reads cheap counters (docs/trends.md):
 * the registry's threads by creation site, state group and state, the
 * threads exited unjoined, the heap profile's figures per allocation
 * site, VmRSS and VmHWM, the open descriptors by kind and the lock
 * profile's totals.  No stack is walked and nothing is symbolized: keys
 * are addresses, named only when a dump is written.  Host threads pay
 * nothing; the registry lock is held for one walk of the list.
 *
 * Each sample is appended to the trend file (dumpwriter) and kept in
 * series sharing one time axis of TREND_POINTS points.  When full, every
 * other point goes and only every second sample is kept from then on
 * (then every fourth, ...): a week-long soak keeps its whole shape in a
 * fixed amount of memory, at a coarser resolution.  The series live in
 * one mapping made at the first sample, never freed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/internal.h"
#include "agent/trendrule.h"
#include "agent/wait.h"
#include "base/procparse.h"

#define TREND_POINTS 256

/* Series of totals, then two per key (the key's main figure and its
 * second: a site's exited-unjoined threads, a group's stuck ones, a heap
 * site's allocated bytes, a lock's wait). */
enum {
    S_THREADS, S_UNJOINED, S_HEAP_INUSE, S_HEAP_ALLOC, S_RSS, S_HWM,
    S_FDS, S_CONTENTIONS, S_WAIT, S_DUMPS,
    S_FD_KIND,                         /* TP_FDK_COUNT of them */
    S_KEYED = S_FD_KIND + TP_FDK_COUNT,
    S_KEYED2 = S_KEYED + TP_TREND_MAX_KEYS,
    S_COUNT = S_KEYED2 + TP_TREND_MAX_KEYS,
};

typedef struct store {
    uint64_t taken, last_kept;
    uint64_t cost_ns, max_cost_ns;     /* the dump thread's time, all samples */
    unsigned n, stride;
    uint64_t t[TREND_POINTS];
    float v[S_COUNT][TREND_POINTS];
} store_t;

static store_t *store;
static tp_trend_key_t keys[TP_TREND_MAX_KEYS];
static unsigned nkeys, family_ids[128];
static tp_trend_sample_t last;
static int have_last;

uint64_t tp_trend_stuck_ns(void)
{
    /* A lock wait ten intervals long, at least a second, is stuck. */
    uint64_t ns = tp_config.trend_ns * 10;
    return ns < 1000000000ull ? 1000000000ull : ns;
}

static int key_is(const tp_trend_key_t *k, char family, uintptr_t pc, uintptr_t pc2,
                  uintptr_t addr, int state, const char *call)
{
    return k->family == family && k->pc == pc && k->pc2 == pc2 && k->addr == addr &&
           k->state == state && k->call == call;
}

static int key_of(char family, uintptr_t pc, uintptr_t pc2, uintptr_t addr, int state,
                  const char *call, tp_lock_kind_t kind)
{
    /* Neighbours in the registry mostly share their keys (a pool's
     * threads): the key found last per family is tried first. */
    static int last_found[128];
    int hint = last_found[(unsigned char)family] - 1;
    if (hint >= 0 && (unsigned)hint < nkeys &&
        key_is(&keys[hint], family, pc, pc2, addr, state, call))
        return hint;
    for (unsigned i = 0; i < nkeys; i++) {
        if (key_is(&keys[i], family, pc, pc2, addr, state, call)) {
            last_found[(unsigned char)family] = (int)i + 1;
            return (int)i;
        }
    }
    if (nkeys >= TP_TREND_MAX_KEYS)
        return -1;
    keys[nkeys] = (tp_trend_key_t){
        .family = family, .id = ++family_ids[(unsigned char)family], .pc = pc,
        .pc2 = pc2, .addr = addr, .state = state, .call = call, .lock_kind = kind,
    };
    return (int)nkeys++;
}

/* Adds v to key's count in a sample's list (n entries, at most max). */
static void count_add(tp_trend_count_t *list, unsigned *n, unsigned max, int key,
                      uint64_t v, uint64_t v2)
{
    if (key < 0)
        return;
    /* Most often the key of the previous thread: the last entry. */
    if (*n > 0 && list[*n - 1].key == key) {
        list[*n - 1].v += v;
        list[*n - 1].v2 += v2;
        return;
    }
    for (unsigned i = 0; i < *n; i++) {
        if (list[i].key == key) {
            list[i].v += v;
            list[i].v2 += v2;
            return;
        }
    }
    if (*n < max)
        list[(*n)++] = (tp_trend_count_t){.key = (uint16_t)key, .v = v, .v2 = v2};
}

/* Waits for another thread to let go (a lock, a join, a barrier): long,
 * they are a thread stuck.  Idle waits (a worker's cond wait, a server's
 * poll, a sleep) may last forever in a healthy program. */
static int is_lock_wait(uint32_t state)
{
    return state == TP_ST_MUTEX || state == TP_ST_RWLOCK_RD || state == TP_ST_RWLOCK_WR ||
           state == TP_ST_SPIN || state == TP_ST_JOIN || state == TP_ST_FILELOCK ||
           state == TP_ST_BARRIER;
}

static uintptr_t creation_site(const tp_thread_t *t)
{
    return (t->flags & (TP_TF_MAIN | TP_TF_ADOPTED)) || t->ncreate == 0 ? 0
                                                                        : t->create_pcs[0];
}

/* The registry's threads: counts by state, creation site and group,
 * stuck lock waits, the longest wait.  -ETIMEDOUT when the registry was
 * busy for 100 ms. */
static int sample_threads(tp_trend_sample_t *s)
{
    if (tp_registry_lock_timed(100000000ull) != 0)
        return -ETIMEDOUT;
    uint64_t now = tp_now_coarse(), stuck = tp_trend_stuck_ns();
    for (tp_thread_t *t = tp_registry_first(); t != NULL; t = tp_registry_next(t)) {
        s->threads++;
        uint32_t park = atomic_load_explicit(&t->park, memory_order_acquire);
        uint32_t state = park != TP_PARK_IDLE ? t->state : TP_ST_RUNNING;
        if (state >= TP_ST_COUNT)
            state = TP_ST_RUNNING;
        s->by_state[state]++;
        uintptr_t created = creation_site(t);
        if (created != 0)
            count_add(s->sites, &s->nsites, TP_TREND_PER_FAMILY,
                      key_of(TP_TREND_SITE, created, 0, 0, 0, NULL, 0), 1, 0);
        uint64_t waited = state != TP_ST_RUNNING && now > t->since_ns ? now - t->since_ns : 0;
        if (is_lock_wait(state) && waited > s->longest_wait_ns)
            s->longest_wait_ns = waited;
        int group = key_of(TP_TREND_GROUP, state != TP_ST_RUNNING ? t->site : 0, created, 0,
                           (int)state, state != TP_ST_RUNNING ? t->call : NULL, 0);
        count_add(s->groups, &s->ngroups, TP_TREND_PER_FAMILY, group, 1,
                  is_lock_wait(state) && waited > stuck);
    }
    for (tp_thread_t *t = tp_registry_first_exited(); t != NULL; t = tp_registry_next_exited(t)) {
        s->exited_unjoined++;
        uintptr_t created = creation_site(t);
        if (created != 0)
            count_add(s->unjoined, &s->nunjoined, TP_TREND_PER_FAMILY,
                      key_of(TP_TREND_SITE, created, 0, 0, 0, NULL, 0), 1, 0);
    }
    tp_registry_unlock();
    return 0;
}

/* Heap figures summed per allocation site (the function that called
 * malloc), the largest in use kept. */
typedef struct heap_sum {
    unsigned n;
    struct {
        uintptr_t pc;
        uint64_t inuse, alloc;
    } site[64];
    uint64_t inuse, alloc;
} heap_sum_t;

static void add_heap_stack(void *arg, const uintptr_t *pcs, uint32_t npcs,
                           const tp_heap_values_t *v)
{
    heap_sum_t *h = arg;
    h->inuse += v->inuse_bytes;
    h->alloc += v->alloc_bytes;
    uintptr_t pc = npcs > 0 ? pcs[0] : 0;
    unsigned i = 0;
    while (i < h->n && h->site[i].pc != pc)
        i++;
    if (i == h->n) {
        if (h->n == sizeof h->site / sizeof h->site[0])
            return;
        h->site[h->n++].pc = pc;
    }
    h->site[i].inuse += v->inuse_bytes;
    h->site[i].alloc += v->alloc_bytes;
}

static int cmp_heap_site(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)((const char *)a + sizeof(uintptr_t));
    uint64_t y = *(const uint64_t *)((const char *)b + sizeof(uintptr_t));
    return x < y ? 1 : x > y ? -1 : 0;
}

static void sample_heap(tp_trend_sample_t *s)
{
    static heap_sum_t h;
    if (!tp_heapprof_enabled())
        return;
    memset(&h, 0, sizeof h);
    tp_heapprof_each_stack(add_heap_stack, &h);
    qsort(h.site, h.n, sizeof h.site[0], cmp_heap_site);
    s->heap_on = 1;
    s->heap_inuse = h.inuse;
    s->heap_alloc = h.alloc;
    for (unsigned i = 0; i < h.n && s->nheap < TP_TREND_PER_FAMILY; i++) {
        if (h.site[i].inuse == 0 && h.site[i].alloc < h.alloc / 100)
            continue;   /* freed memory of a minor site */
        count_add(s->heap, &s->nheap, TP_TREND_PER_FAMILY,
                  key_of(TP_TREND_HEAP, h.site[i].pc, 0, 0, 0, NULL, 0), h.site[i].inuse,
                  h.site[i].alloc);
    }
}

static uint64_t status_kb(const char *text, const char *field)
{
    const char *p = strstr(text, field);
    return p != NULL ? strtoull(p + strlen(field), NULL, 10) : 0;
}

static void sample_memory(tp_trend_sample_t *s)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    s->rss = status_kb(buf, "\nVmRSS:") * 1024;
    s->hwm = status_kb(buf, "\nVmHWM:") * 1024;
}

/* The kind of a /proc/self/fd link target, by base/procparse.c's
 * classifier (the one the thread dump uses).  What it calls a file but
 * is no path ("net:[...]", a namespace) is other. */
static tp_fd_kind_t fd_kind_of(const char *target)
{
    static const struct {
        const char *name;
        tp_fd_kind_t kind;
    } kinds[] = {
        {"socket", TP_FDK_SOCKET}, {"pipe", TP_FDK_PIPE}, {"eventfd", TP_FDK_EVENTFD},
        {"eventpoll", TP_FDK_EPOLL}, {"timerfd", TP_FDK_TIMERFD},
        {"signalfd", TP_FDK_SIGNALFD}, {"inotify", TP_FDK_INOTIFY},
        {"device", TP_FDK_DEVICE}, {"file", TP_FDK_FILE},
    };
    char kind[64];
    tp_fd_classify(target, kind, sizeof kind);
    if (strcmp(kind, "file") == 0 && target[0] != '/')
        return TP_FDK_OTHER;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kind, kinds[i].name) == 0)
            return kinds[i].kind;
    return TP_FDK_OTHER;
}

/* Open descriptors, by kind when by_kind (a readlink each), else only
 * counted.  The directory's own descriptor is not counted. */
static void sample_fds(tp_trend_sample_t *s, int by_kind)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return;
    int own = dirfd(d);
    struct dirent *e;
    char path[300], target[256];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || atoi(e->d_name) == own)
            continue;
        s->fds_total++;
        if (!by_kind)
            continue;
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        s->fds[fd_kind_of(target)]++;
    }
    closedir(d);
}

static void sample_locks(tp_trend_sample_t *s, int per_lock)
{
    static tp_lock_stats_t st;
    tp_lockprof_stats_light(&st);
    if (!st.enabled)
        return;
    s->locks_on = 1;
    s->contentions = st.total_contentions;
    s->wait_ns = st.total_ns;
    for (size_t i = 0; per_lock && i < st.nlocks && s->nlocks < 8; i++) {
        const tp_lock_stat_t *l = &st.locks[i];
        count_add(s->locks, &s->nlocks, 8,
                  key_of(TP_TREND_LOCK, l->waiter_site, 0, l->addr, 0, NULL, l->kind),
                  l->contentions, l->total_ns);
    }
}

void tp_trend_collect(tp_trend_sample_t *s, unsigned what)
{
    memset(s, 0, sizeof *s);
    s->t_ns = tp_now_ns() - tp_start_ns;
    clock_gettime(CLOCK_REALTIME, &s->wall);
    if (what & TP_COLLECT_THREADS)
        sample_threads(s);
    if (what & TP_COLLECT_HEAP)
        sample_heap(s);
    if (what & TP_COLLECT_MEMORY)
        sample_memory(s);
    if (what & (TP_COLLECT_FDS | TP_COLLECT_FD_COUNT))
        sample_fds(s, (what & TP_COLLECT_FDS) != 0);
    if (what & (TP_COLLECT_LOCKS | TP_COLLECT_LOCK_TOTALS))
        sample_locks(s, (what & TP_COLLECT_LOCKS) != 0);
    s->dumps = tp_dumper_dumps_written();
}

/* --- the series ----------------------------------------------------------- */

static int store_ready(void)
{
    if (store != NULL)
        return 1;
    void *p = mmap(NULL, sizeof *store, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED)
        return 0;
    store = p;
    store->stride = 1;
    return 1;
}

/* Halves the resolution: every other point goes (the latest stays). */
static void halve(void)
{
    unsigned n = store->n, keep = 0;
    for (unsigned i = (n - 1) % 2; i < n; i += 2, keep++) {
        store->t[keep] = store->t[i];
        for (unsigned s = 0; s < S_COUNT; s++)
            store->v[s][keep] = store->v[s][i];
    }
    store->n = keep;
    store->stride *= 2;
}

static void put_counts(unsigned at, const tp_trend_count_t *list, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        store->v[S_KEYED + list[i].key][at] = (float)list[i].v;
        store->v[S_KEYED2 + list[i].key][at] = (float)list[i].v2;
    }
}

static void keep_point(const tp_trend_sample_t *s)
{
    if (store->n == TREND_POINTS)
        halve();
    unsigned at = store->n++;
    store->t[at] = s->t_ns;
    for (unsigned i = 0; i < S_COUNT; i++)
        store->v[i][at] = NAN;
    /* A key absent from a sample had no thread (or no memory) then: 0;
     * a key not yet known stays without a value. */
    for (unsigned k = 0; k < nkeys; k++) {
        store->v[S_KEYED + k][at] = 0;
        store->v[S_KEYED2 + k][at] = 0;
    }
    store->v[S_THREADS][at] = (float)s->threads;
    store->v[S_UNJOINED][at] = (float)s->exited_unjoined;
    if (s->heap_on) {
        store->v[S_HEAP_INUSE][at] = (float)s->heap_inuse;
        store->v[S_HEAP_ALLOC][at] = (float)s->heap_alloc;
    }
    if (s->rss != 0) {
        store->v[S_RSS][at] = (float)s->rss;
        store->v[S_HWM][at] = (float)s->hwm;
    }
    store->v[S_FDS][at] = (float)s->fds_total;
    for (unsigned k = 0; k < TP_FDK_COUNT; k++)
        store->v[S_FD_KIND + k][at] = (float)s->fds[k];
    if (s->locks_on) {
        store->v[S_CONTENTIONS][at] = (float)s->contentions;
        store->v[S_WAIT][at] = (float)s->wait_ns;
    }
    store->v[S_DUMPS][at] = (float)s->dumps;
    /* Groups and sites count threads; the unjoined list shares the
     * sites' keys, in the second series. */
    put_counts(at, s->sites, s->nsites);
    put_counts(at, s->groups, s->ngroups);
    put_counts(at, s->heap, s->nheap);
    put_counts(at, s->locks, s->nlocks);
    for (unsigned i = 0; i < s->nunjoined; i++)
        store->v[S_KEYED2 + s->unjoined[i].key][at] = (float)s->unjoined[i].v;
}

void tp_trend_sample(void)
{
    static tp_trend_sample_t s;
    if (tp_config.trend_ns == 0 || !store_ready())
        return;
    uint64_t t0 = tp_now_ns();
    tp_trend_collect(&s, TP_COLLECT_ALL);
    int first = store->taken == 0;
    store->taken++;
    if (first || store->taken - store->last_kept >= store->stride) {
        store->last_kept = store->taken;
        keep_point(&s);
    }
    last = s;
    have_last = 1;
    tp_trend_append(&s, keys);
    uint64_t cost = tp_now_ns() - t0;
    store->cost_ns += cost;
    if (cost > store->max_cost_ns)
        store->max_cost_ns = cost;
}

uint64_t tp_trend_samples_taken(void)
{
    return store != NULL ? store->taken : 0;
}

void tp_trend_after_fork_child(void)
{
    /* The child's trends are its own: the parent's series stay in the
     * mapping the child inherited, emptied. */
    if (store != NULL) {
        memset(store, 0, sizeof *store);
        store->stride = 1;
    }
    nkeys = 0;
    memset(family_ids, 0, sizeof family_ids);
    have_last = 0;
}

/* --- verdicts ------------------------------------------------------------- */

static const tp_growth_rule_t threads_rule = {.min_points = 8, .min_rise = 5, .min_ratio = 0.2};
static const tp_growth_rule_t memory_rule = {.min_points = 8, .min_rise = 1 << 20, .min_ratio = 0.1};
static const tp_growth_rule_t rss_rule = {.min_points = 8, .min_rise = 8 << 20, .min_ratio = 0.1};
static const tp_growth_rule_t fds_rule = {.min_points = 8, .min_rise = 5, .min_ratio = 0.2};

/* Appends a verdict when series keeps growing. */
static int judge(tp_trend_view_t *v, unsigned series, const tp_growth_rule_t *rule,
                 tp_verdict_kind_t kind, int key, int fd_kind)
{
    tp_growth_t g;
    if (v->nverdicts >= TP_TREND_VERDICTS ||
        !tp_trend_growing(store->t, store->v[series], store->n, rule, &g))
        return 0;
    v->verdicts[v->nverdicts++] = (tp_trend_verdict_t){
        .kind = kind, .key = key, .fd_kind = fd_kind, .first = g.first, .last = g.last,
        .span_ns = g.span_ns, .up = g.up, .intervals = g.intervals, .z = g.z,
        .high = g.high, .group_key = -1,
    };
    return 1;
}

/* The largest group of the threads created at site (last sample). */
static void largest_group(tp_trend_verdict_t *vd)
{
    uintptr_t site = keys[vd->key].pc;
    for (unsigned i = 0; i < last.ngroups; i++) {
        const tp_trend_key_t *k = &keys[last.groups[i].key];
        if (k->pc2 == site && k->state != TP_ST_RUNNING &&
            last.groups[i].v > vd->group_count) {
            vd->group_key = last.groups[i].key;
            vd->group_count = last.groups[i].v;
        }
    }
}

static void judge_threads(tp_trend_view_t *v)
{
    int by_site = 0;
    for (unsigned k = 0; k < nkeys; k++) {
        if (keys[k].family != TP_TREND_SITE)
            continue;
        if (judge(v, S_KEYED + k, &threads_rule, TP_VERDICT_THREAD_LEAK, (int)k, 0)) {
            by_site = 1;
            largest_group(&v->verdicts[v->nverdicts - 1]);
        }
    }
    if (!by_site)
        judge(v, S_THREADS, &threads_rule, TP_VERDICT_THREAD_LEAK, -1, 0);
    int unjoined_by_site = 0;
    for (unsigned k = 0; k < nkeys; k++)
        if (keys[k].family == TP_TREND_SITE)
            unjoined_by_site |= judge(v, S_KEYED2 + k, &threads_rule, TP_VERDICT_UNJOINED,
                                      (int)k, 0);
    if (!unjoined_by_site)
        judge(v, S_UNJOINED, &threads_rule, TP_VERDICT_UNJOINED, -1, 0);
}

static void judge_memory(tp_trend_view_t *v)
{
    int by_site = 0;
    for (unsigned k = 0; k < nkeys; k++)
        if (keys[k].family == TP_TREND_HEAP)
            by_site |= judge(v, S_KEYED + k, &memory_rule, TP_VERDICT_MEMORY, (int)k, 0);
    if (!by_site)
        judge(v, S_HEAP_INUSE, &memory_rule, TP_VERDICT_MEMORY, -1, 0);
    judge(v, S_RSS, &rss_rule, TP_VERDICT_RSS, -1, 0);
    for (int k = 0; k < TP_FDK_COUNT; k++)
        judge(v, S_FD_KIND + (unsigned)k, &fds_rule, TP_VERDICT_FDS, -1, k);
}

/* Threads of one group in a lock wait longer than the stuck limit, in
 * the latest sample. */
static void judge_stuck(tp_trend_view_t *v)
{
    for (unsigned i = 0; i < last.ngroups && v->nverdicts < TP_TREND_VERDICTS; i++) {
        if (last.groups[i].v2 == 0)
            continue;
        v->verdicts[v->nverdicts++] = (tp_trend_verdict_t){
            .kind = TP_VERDICT_STUCK, .key = last.groups[i].key, .group_key = -1,
            .last = (double)last.groups[i].v2, .wait_ns = tp_trend_stuck_ns(), .high = 1,
        };
    }
}

void tp_trend_view(tp_trend_view_t *v)
{
    memset(v, 0, sizeof *v);
    v->enabled = tp_config.trend_ns != 0;
    v->interval_ns = tp_config.trend_ns;
    v->capacity = TREND_POINTS;
    v->min_points = threads_rule.min_points;
    v->stuck_ns = tp_trend_stuck_ns();
    v->keys = keys;
    v->nkeys = nkeys;
    if (!v->enabled || store == NULL)
        return;
    v->taken = store->taken;
    v->points = store->n;
    v->stride = store->stride;
    v->bytes = sizeof *store + sizeof keys;
    v->cost_ns = store->cost_ns;
    v->max_cost_ns = store->max_cost_ns;
    if (store->n > 0)
        v->span_ns = store->t[store->n - 1] - store->t[0];
    if (!have_last)
        return;
    judge_stuck(v);
    judge_threads(v);
    judge_memory(v);
}

const tp_trend_key_t *tp_trend_keys(unsigned *n)
{
    *n = nkeys;
    return keys;
}

size_t tp_trend_bytes(void)
{
    return store != NULL ? sizeof *store + sizeof keys : 0;
}

int tp_trend_leak_verdicts(void)
{
    static tp_trend_view_t v;
    tp_trend_view(&v);
    int n = 0;
    for (unsigned i = 0; i < v.nverdicts; i++)
        n += v.verdicts[i].kind != TP_VERDICT_STUCK;
    return n;
}
