/*
 * snapshot: freezes what every thread is doing into the dump's model
 * (model/snapshot.h).  Capture only: the words are output/describe.c's.
 *
 * Under the registry lock, for each thread parked in a hook the dump thread
 * claims the park word (agent.h), copies the wait record, reads what the
 * thread waits on (mutex owner, semaphore value, poll set) and walks its
 * stack from the saved registers; then it lets go.  Everything slow (names,
 * what a descriptor is, other /proc reads) happens after the lock is
 * released, and fills the rest of the facts; then the threads are sorted
 * and the wait-for cycles found (deadlock.c).
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/procparse.h"
#include "model/snapshot.h"

static void read_small_file(const char *path, char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
}

static void thread_name(pid_t tid, char *buf, size_t len)
{
    char path[64], raw[32];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)tp_dump_pid(), (int)tid);
    read_small_file(path, raw, sizeof raw);
    /* The kernel ends the name with a newline; one inside is the
     * program's and gets escaped. */
    size_t n = strlen(raw);
    if (n > 0 && raw[n - 1] == '\n')
        n--;
    tp_thread_name_clean(raw, n, buf, len);
}

/* Copies, while the waiter is parked, its wait record and what it waits
 * on into w (zeroed); returns when the wait began.  The layouts used are
 * glibc's (checked on 2.36): a mutex's __owner holds the locking tid, an
 * rwlock's __cur_writer the writer's tid and __readers the reader count
 * shifted by 3. */
static uint64_t copy_wait(const tp_thread_t *t, tp_snap_wait_t *w)
{
    w->call = t->call;
    w->obj = t->obj;
    w->obj2 = t->obj2;
    w->arg = t->arg;
    switch (t->state) {
    case TP_ST_MUTEX:
        if (t->obj)
            w->holder = ((const pthread_mutex_t *)t->obj)->__data.__owner & 0x3fffffff;
        break;
    case TP_ST_RWLOCK_RD:
    case TP_ST_RWLOCK_WR:
        if (t->obj) {
            const pthread_rwlock_t *rw = t->obj;
            w->holder = rw->__data.__cur_writer;
            w->value = (int)(rw->__data.__readers >> 3);
        }
        break;
    case TP_ST_SEM:
        if (t->obj)
            sem_getvalue((sem_t *)(uintptr_t)t->obj, &w->value);
        break;
    case TP_ST_POLL:
        w->nfds = (int)t->arg;
        if (t->obj && t->arg > 0) {   /* poll/ppoll: obj is the pollfd array */
            const struct pollfd *p = t->obj;
            for (int i = 0; i < w->nfds && i < TP_SNAP_FDS; i++)
                w->fds[i].fd = p[i].fd;
        }
        break;
    default:
        break;
    }
    return t->since_ns;
}

/* The epoll fd's watched fds, from /proc/self/fdinfo. */
static void read_epoll(tp_snap_wait_t *w)
{
    char path[64], buf[4096];
    int tfds[TP_SNAP_FDS];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", (int)w->arg);
    read_small_file(path, buf, sizeof buf);
    w->nfds = tp_epoll_parse_tfds(buf, tfds, TP_SNAP_FDS);
    for (int i = 0; i < w->nfds && i < TP_SNAP_FDS; i++)
        w->fds[i].fd = tfds[i];
}

/* What the descriptors are now. */
static void read_fd_kinds(tp_snap_fd_t *fds, int n)
{
    for (int i = 0; i < n && i < TP_SNAP_FDS; i++) {
        char detail[8];
        tp_fd_describe(fds[i].fd, fds[i].kind, sizeof fds[i].kind, detail, sizeof detail);
    }
}

/* The facts of a wait read after the registry lock is released: the
 * names of the threads waited for, what the descriptors are. */
static void read_wait_facts(int state, tp_snap_wait_t *w)
{
    switch (state) {
    case TP_ST_MUTEX:
    case TP_ST_RWLOCK_RD:
    case TP_ST_RWLOCK_WR:
        if (w->holder > 0)
            thread_name(w->holder, w->holder_name, sizeof w->holder_name);
        break;
    case TP_ST_JOIN:
        if (w->join_tid > 0 && !w->join_exited)
            thread_name(w->join_tid, w->join_name, sizeof w->join_name);
        break;
    case TP_ST_FDIO:
    case TP_ST_FILELOCK:
        w->fd.fd = (int)w->arg;
        tp_fd_describe(w->fd.fd, w->fd.kind, sizeof w->fd.kind, w->fd_detail,
                       sizeof w->fd_detail);
        break;
    case TP_ST_EPOLL:
        read_epoll(w);
        read_fd_kinds(w->fds, w->nfds);
        break;
    case TP_ST_POLL:
        if (w->obj)
            read_fd_kinds(w->fds, w->nfds);
        break;
    default:
        break;
    }
}

/* A thread in no hook: ask the kernel (without touching the thread) what
 * it is doing. */
static void read_running(tp_snap_thread_t *st)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)tp_dump_pid(), (int)st->tid);
    read_small_file(path, buf, sizeof buf);
    long nr;
    unsigned long sp, pc;
    if (tp_parse_task_syscall(buf, &nr, &sp, &pc)) {
        st->syscall_nr = nr;
        st->pcs[0] = pc;
        st->npcs = 1;
        st->first_pc_exact = 1;
        st->no_stack = TP_NO_STACK_SYSCALL_SITE;
    } else {
        st->no_stack = TP_NO_STACK_RUNNING;
    }
}

void tp_snapshot_identity(tp_snapshot_t *snap)
{
    char buf[sizeof snap->cmdline];
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n < 0)
        n = 0;
    size_t len = tp_cmdline_clean(buf, (size_t)n);
    memcpy(snap->cmdline, buf, len + 1);
    ssize_t m = readlink("/proc/self/exe", snap->program, sizeof snap->program - 1);
    snap->program[m > 0 ? m : 0] = '\0';
}

static int cmp_tid(const void *a, const void *b)
{
    const tp_snap_thread_t *x = a, *y = b;
    if ((x->crash_signo != 0) != (y->crash_signo != 0))
        return x->crash_signo != 0 ? -1 : 1;
    if (x->is_main != y->is_main)
        return x->is_main ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static size_t count_unknown(const tp_snapshot_t *snap)
{
    size_t unknown = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)tp_dump_pid());
    DIR *d = opendir(path);
    if (d == NULL)
        return 0;
    struct dirent *e;
    pid_t dumper = tp_dumper_tid(), self = tp_gettid(), watcher = tp_watcher_tid();
    pid_t http = tp_httpd_tid();   /* the agent's threads are in no dump */
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == dumper || tid == self || tid == watcher || tid == http)
            continue;
        int found = 0;
        for (size_t i = 0; i < snap->nthreads && !found; i++)
            found = snap->threads[i].tid == tid;
        unknown += !found;
    }
    closedir(d);
    return unknown;
}

/* Copies a thread's held list (consistent when the thread is parked and
 * we hold its park word; best effort when it runs). */
static void copy_held(const tp_thread_t *t, tp_snap_thread_t *st, uint32_t tick)
{
    uint32_t n = t->nheld;
    int out = 0;
    for (uint32_t i = 0; i < n && i < TP_SNAP_HELD && i < TP_HELD_MAX; i++) {
        tp_held_t h = t->held[i];
        if (tp_addr_in_agent((uintptr_t)h.lock))
            continue;   /* the agent's own locks, taken on this thread */
        uint32_t when = TP_HELD_TICK(&h);
        st->held[out].lock = h.lock;
        st->held[out].site = h.site;
        st->held[out].kind = (tp_lock_kind_t)TP_HELD_KIND(&h);
        st->held[out].held_s = tick > when ? tick - when : 0;
        out++;
    }
    st->nheld = n > TP_HELD_MAX ? (int)n : out;
}

/* Who the thread waits for: the edges of the wait-for graph. */
static void set_holders(tp_snap_thread_t *st)
{
    const tp_snap_wait_t *w = &st->wait;
    switch (st->state) {
    case TP_ST_MUTEX:
        st->wait_obj = w->obj;
        st->wait_kind = TP_WAIT_MUTEX;
        if (w->holder > 0)
            st->holders[st->nholders++] = w->holder;
        break;
    case TP_ST_RWLOCK_RD:
    case TP_ST_RWLOCK_WR:
        st->wait_obj = w->obj;
        st->wait_kind = TP_WAIT_RWLOCK;
        if (w->holder > 0)
            st->holders[st->nholders++] = w->holder;
        break;
    case TP_ST_SPIN:
        st->wait_obj = w->obj;
        st->wait_kind = TP_WAIT_SPIN;   /* its holder comes from held lists */
        break;
    case TP_ST_JOIN:
        st->wait_obj = w->obj;
        st->wait_kind = TP_WAIT_THREAD;
        if (w->join_tid > 0 && !w->join_exited)
            st->holders[st->nholders++] = w->join_tid;
        break;
    default:
        break;
    }
}

/* Locks whose owner glibc does not record: a writer blocked by readers
 * waits for each of them, a spinlock waiter for the holder; they are the
 * threads with that lock on their held list (for reading, or at all). */
static void add_readers(tp_snapshot_t *snap)
{
    for (size_t i = 0; i < snap->nthreads; i++) {
        tp_snap_thread_t *w = &snap->threads[i];
        if (w->nholders > 0 ||
            (w->wait_kind != TP_WAIT_SPIN && w->wait_kind != TP_WAIT_RWLOCK))
            continue;
        tp_lock_kind_t want = w->wait_kind == TP_WAIT_SPIN ? TP_LOCK_SPIN : TP_LOCK_READ;
        w->holders_from_held = 1;
        for (size_t j = 0; j < snap->nthreads && w->nholders < TP_SNAP_HOLDERS; j++) {
            const tp_snap_thread_t *r = &snap->threads[j];
            for (int k = 0; k < r->nheld && k < TP_SNAP_HELD; k++) {
                if (r->held[k].lock == w->wait_obj && r->held[k].kind == want &&
                    j != i) {
                    w->holders[w->nholders++] = r->tid;
                    break;
                }
            }
        }
    }
}

/* Resolves the thread a join waits for (registry lock held). */
static void resolve_join(tp_snap_wait_t *w)
{
    pthread_t target = (pthread_t)(uintptr_t)w->obj;
    tp_thread_t *j = tp_registry_find_pthread(target, 0);
    if (j == NULL && (j = tp_registry_find_pthread(target, 1)) != NULL)
        w->join_exited = 1;
    w->join_tid = j ? j->tid : 0;
}

/* The waits a wait-for cycle can go through: those with an owner. */
static int wait_has_owner(uint32_t state)
{
    return state == TP_ST_MUTEX || state == TP_ST_RWLOCK_RD ||
           state == TP_ST_RWLOCK_WR || state == TP_ST_SPIN || state == TP_ST_JOIN;
}

/* The light snapshot's copy (registry lock held): only a thread parked in
 * a wait with an owner can be in a wait-for cycle, so only those get a
 * record, and only with what the cycle search reads (tid, what the thread
 * waits for and whom, the locks it holds).  A record is 2.1 KB
 * (model/snapshot.h) in a mapping made for each snapshot: filling one for
 * every thread was most of a check's time, page faults with the registry
 * lock held (2,000 threads: 2.5 ms every 2 s).  Other threads are passed
 * over on a plain read of their park word and state (those of a
 * deadlocked thread do not change; a claim would write to every parked
 * thread's cache line), and a record's pages up to its wait are touched
 * before its thread is claimed, so no thread waits out a page fault.
 * Returns the number copied. */
static size_t copy_lock_waiters(tp_snap_thread_t *threads, size_t cap, uint32_t tick)
{
    size_t n = 0;
    for (tp_thread_t *t = tp_registry_first(); t && n < cap; t = tp_registry_next(t)) {
        if (atomic_load_explicit(&t->park, memory_order_relaxed) != TP_PARK_PARKED ||
            !wait_has_owner(__atomic_load_n(&t->state, __ATOMIC_RELAXED)))
            continue;
        tp_snap_thread_t *st = &threads[n];
        st->tid = t->tid;
        st->is_main = (t->flags & TP_TF_MAIN) != 0;
        st->syscall_nr = -1;
        memset(&st->wait, 0, sizeof st->wait);
        uint32_t expected = TP_PARK_PARKED;
        if (!atomic_compare_exchange_strong_explicit(
                &t->park, &expected, TP_PARK_READING, memory_order_acquire,
                memory_order_relaxed))
            continue;   /* it woke: the next record overwrites what was set */
        uint32_t state = t->state;   /* stable now */
        int keep = wait_has_owner(state);
        if (keep) {
            st->state = (int)state;
            copy_wait(t, &st->wait);
            copy_held(t, st, tick);
        }
        atomic_store_explicit(&t->park, TP_PARK_PARKED, memory_order_release);
        if (!keep)
            continue;   /* likewise */
        if (state == TP_ST_JOIN)
            resolve_join(&st->wait);
        set_holders(st);
        n++;
    }
    return n;
}

/* In a crash's dump child: a thread a fatal signal struck, stopped in
 * the handler, its stack walked from the signal's context. */
static void copy_crashed(tp_snap_thread_t *st, const tp_crash_ctx_t *c)
{
    st->crash_signo = c->signo;
    st->first_pc_exact = 1;
    if (c->whole) {
        st->npcs = tp_unwind_fault(c->uc, st->pcs, TP_SNAP_FRAMES);
    } else {
        st->pcs[0] = tp_crash_pc(c->uc);
        st->npcs = 1;
    }
    if (st->npcs == 0)
        st->no_stack = TP_NO_STACK_UNWIND;
}

/* The crashed threads the registry has not seen (made with a raw clone,
 * or too young): an entry each all the same.  Returns the new count. */
static size_t add_unseen_crashed(tp_snap_thread_t *threads, size_t n, size_t cap)
{
    pid_t tids[TP_CRASH_OTHERS + 1];
    size_t k = tp_crash_threads(tids, TP_CRASH_OTHERS + 1);
    for (size_t i = 0; i < k && n < cap; i++) {
        int seen = 0;
        for (size_t j = 0; j < n && !seen; j++)
            seen = threads[j].tid == tids[i];
        tp_crash_ctx_t c;
        if (seen || !tp_crash_lookup(tids[i], &c))
            continue;
        tp_snap_thread_t *st = &threads[n++];
        st->tid = tids[i];
        st->syscall_nr = -1;
        copy_crashed(st, &c);
    }
    return n;
}

/* The full snapshot's copy (registry lock held): every thread, with its
 * stack when it is parked.  Returns the number copied. */
static size_t copy_threads(tp_snap_thread_t *threads, size_t cap, uint32_t tick,
                           uint64_t now, pid_t self)
{
    size_t n = 0;
    for (tp_thread_t *t = tp_registry_first(); t && n < cap; t = tp_registry_next(t)) {
        tp_snap_thread_t *st = &threads[n];
        st->tid = t->tid;
        st->state = TP_ST_RUNNING;
        st->syscall_nr = -1;
        st->is_main = (t->flags & TP_TF_MAIN) != 0;
        st->has_creator = !(t->flags & (TP_TF_ADOPTED | TP_TF_MAIN));
        st->parent_tid = t->parent_tid;
        st->ncreate = t->ncreate;
        memcpy(st->create_pcs, t->create_pcs, sizeof st->create_pcs);
        st->age_ns = t->start_ns && now > t->start_ns ? now - t->start_ns : 0;
        tp_crash_ctx_t crashed;
        if (tp_crash_lookup(t->tid, &crashed)) {
            copy_held(t, st, tick);
            copy_crashed(st, &crashed);
            n++;
            continue;
        }

        uint32_t expected = TP_PARK_PARKED;
        if (atomic_compare_exchange_strong_explicit(
                &t->park, &expected, TP_PARK_READING, memory_order_acquire,
                memory_order_relaxed)) {
            st->state = (int)t->state;
            uint64_t since = copy_wait(t, &st->wait);
            copy_held(t, st, tick);
            st->npcs = tp_unwind_regs(&t->regs, st->pcs, TP_SNAP_FRAMES);
            atomic_store_explicit(&t->park, TP_PARK_PARKED, memory_order_release);
            st->wait_ns = now > since ? now - since : 0;
            if (st->npcs == 0)
                st->no_stack = TP_NO_STACK_UNWIND;
            if (st->state == TP_ST_JOIN)
                resolve_join(&st->wait);
            set_holders(st);
        } else {
            copy_held(t, st, tick);
            if (t->tid == self) {
                /* The thread writing an exit dump: it is in exit(). */
                st->npcs = tp_backtrace(st->pcs, TP_SNAP_FRAMES);
                st->writes_exit_dump = 1;
            }
        }
        n++;
    }
    return n;
}

int tp_snapshot_take(tp_snapshot_t *snap, uint64_t lock_timeout_ns, int light)
{
    memset(snap, 0, sizeof *snap);
    snap->pid = tp_dump_pid();
    clock_gettime(CLOCK_REALTIME, &snap->wall);
    snap->uptime_ns = tp_now_ns() - tp_start_ns;
    if (!light)
        tp_snapshot_identity(snap);

    if (lock_timeout_ns) {
        if (tp_registry_lock_timed(lock_timeout_ns) != 0)
            return -ETIMEDOUT;
    } else {
        tp_registry_lock();
    }
    size_t cap = 0;
    for (tp_thread_t *t = tp_registry_first(); t; t = tp_registry_next(t))
        cap++;
    if (!light)
        cap += TP_CRASH_OTHERS + 1;   /* crashed threads the registry lacks */
    /* Zeroed by the kernel, as copy_wait wants a record's wait (the light
     * copy clears the wait of a record it reuses). */
    size_t bytes = cap * sizeof(tp_snap_thread_t) + 1;
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        tp_registry_unlock();
        return -ENOMEM;
    }
    snap->threads = mem;
    snap->storage_bytes = bytes;
    uint64_t now = tp_now_coarse();
    uint32_t tick = tp_tick;
    pid_t self = tp_gettid();
    if (!light && tp_crash_thread() != 0)
        tp_crash_describe(&snap->crash);
    size_t n = light ? copy_lock_waiters(snap->threads, cap, tick)
                     : copy_threads(snap->threads, cap, tick, now, self);
    if (!light)
        n = add_unseen_crashed(snap->threads, n, cap);
    snap->nthreads = n;
    if (!light)
        snap->exited_unjoined = tp_registry_exited_unjoined();
    tp_registry_unlock();

    for (size_t i = 0; i < n && !light; i++) {
        tp_snap_thread_t *st = &snap->threads[i];
        thread_name(st->tid, st->name, sizeof st->name);
        if (st->state != TP_ST_RUNNING)
            read_wait_facts(st->state, &st->wait);
        else if (!st->writes_exit_dump && st->crash_signo == 0)
            read_running(st);
    }
    if (snap->crash.tid != 0)
        thread_name(snap->crash.tid, snap->crash.name, sizeof snap->crash.name);
    qsort(snap->threads, n, sizeof *snap->threads, cmp_tid);
    /* The first thread to crash leads, before any that crashed later. */
    for (size_t i = 1; i < n && snap->crash.tid != 0; i++) {
        if (snap->threads[i].tid == snap->crash.tid) {
            tp_snap_thread_t first = snap->threads[i];
            memmove(&snap->threads[1], &snap->threads[0], i * sizeof first);
            snap->threads[0] = first;
            break;
        }
    }
    add_readers(snap);
    tp_deadlock_find(snap);
    if (!light)
        snap->unknown_threads = count_unknown(snap);
    return 0;
}

void tp_snapshot_free(tp_snapshot_t *snap)
{
    if (snap->threads != NULL)
        munmap(snap->threads, snap->storage_bytes);
    snap->threads = NULL;
}
