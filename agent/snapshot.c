/*
 * snapshot: freezes what every thread is doing into a tp_snapshot_t, and
 * writes the dump files from it.
 *
 * Under the registry lock, for each thread parked in a hook the dump thread
 * claims the park word (agent.h), copies the wait record, reads what the
 * thread waits on (mutex owner, semaphore value, poll set) and walks its
 * stack from the saved registers; then it lets go.  Everything slow (names,
 * fd descriptions, /proc reads, symbolization, writing) happens after the
 * lock is released.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/procparse.h"
#include "output/leaks.h"
#include "output/outfile.h"
#include "output/summary.h"
#include "output/threaddump.h"
#include "symbolizer/symbolizer.h"

#define POLL_FDS_SHOWN 6

/* What is copied while a thread is held parked. */
typedef struct raw_wait {
    const char *call;
    const void *obj, *obj2;
    long arg;
    uint64_t since_ns;
    pid_t holder;              /* mutex owner / rwlock writer */
    int value;                 /* semaphore value, rwlock readers */
    pid_t join_tid;            /* join target, 0 unknown */
    int join_exited;
    int nfds;
    int fds[POLL_FDS_SHOWN];
} raw_wait_t;

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

/* Reads, while the waiter is parked, what it waits on.  The layouts used
 * are glibc's (checked on 2.36): a mutex's __owner holds the locking tid,
 * an rwlock's __cur_writer the writer's tid and __readers the reader count
 * shifted by 3. */
static void copy_wait(const tp_thread_t *t, raw_wait_t *w)
{
    memset(w, 0, sizeof *w);
    w->call = t->call;
    w->obj = t->obj;
    w->obj2 = t->obj2;
    w->arg = t->arg;
    w->since_ns = t->since_ns;
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
        if (t->obj && t->arg > 0) {   /* poll/ppoll: obj is the pollfd array */
            const struct pollfd *p = t->obj;
            w->nfds = (int)t->arg;
            for (int i = 0; i < w->nfds && i < POLL_FDS_SHOWN; i++)
                w->fds[i] = p[i].fd;
        } else {
            w->nfds = (int)t->arg;
        }
        break;
    default:
        break;
    }
}

static void add_detail(tp_snap_thread_t *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_detail(tp_snap_thread_t *st, const char *fmt, ...)
{
    if (st->ndetails >= TP_SNAP_DETAILS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->details[st->ndetails++], sizeof st->details[0], fmt, ap);
    va_end(ap);
}

static void holder_text(pid_t tid, char *buf, size_t len)
{
    char name[64];
    thread_name(tid, name, sizeof name);
    snprintf(buf, len, "thread %d \"%.60s\"", (int)tid, name);
}

static void describe_fd_wait(tp_snap_thread_t *st, const char *call, int fd)
{
    char kind[64], detail[224];
    tp_fd_describe(fd, kind, sizeof kind, detail, sizeof detail);
    snprintf(st->state_text, sizeof st->state_text, "%s fd %d (%s)", call, fd, kind);
    snprintf(st->group_text, sizeof st->group_text, "%.24s (%.32s)", call, kind);
    add_detail(st, "%s", detail);
}

static void describe_epoll(tp_snap_thread_t *st, const char *call, int epfd)
{
    char path[64], buf[4096], list[160] = "";
    snprintf(st->state_text, sizeof st->state_text, "%s fd %d", call, epfd);
    snprintf(st->group_text, sizeof st->group_text, "%s", call);
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epfd);
    read_small_file(path, buf, sizeof buf);
    int tfds[POLL_FDS_SHOWN];
    int count = tp_epoll_parse_tfds(buf, tfds, POLL_FDS_SHOWN);
    size_t used = 0;
    for (int i = 0; i < count && i < POLL_FDS_SHOWN; i++) {
        char kind[64], detail[8];
        tp_fd_describe(tfds[i], kind, sizeof kind, detail, sizeof detail);
        int w = snprintf(list + used, sizeof list - used, "%s%d (%s)",
                         i ? ", " : "", tfds[i], kind);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    add_detail(st, "epoll fd %d watches %d fd%s%s%s%s", epfd, count,
               count == 1 ? "" : "s", count ? ": " : "", list,
               count > POLL_FDS_SHOWN ? ", ..." : "");
}

static void describe_wait(tp_snap_thread_t *st, int state, const raw_wait_t *w)
{
    char who[128], dur[32];
    const char *call = w->call ? w->call : "?";
    const char *group = NULL;
    switch (state) {
    case TP_ST_MUTEX:
        snprintf(st->state_text, sizeof st->state_text, "mutex wait");
        if (w->holder > 0) {
            holder_text(w->holder, who, sizeof who);
            add_detail(st, "mutex %p held by %s", w->obj, who);
        } else {
            add_detail(st, "mutex %p (holder unknown)", w->obj);
        }
        break;
    case TP_ST_RWLOCK_RD:
    case TP_ST_RWLOCK_WR:
        snprintf(st->state_text, sizeof st->state_text, "rwlock %s wait",
                 state == TP_ST_RWLOCK_RD ? "read" : "write");
        if (w->holder > 0) {
            holder_text(w->holder, who, sizeof who);
            add_detail(st, "rwlock %p write-locked by %s", w->obj, who);
        } else if (w->value > 0) {
            add_detail(st, "rwlock %p read-locked by %d reader%s", w->obj,
                       w->value, w->value == 1 ? "" : "s");
        } else {
            add_detail(st, "rwlock %p", w->obj);
        }
        break;
    case TP_ST_COND:
        snprintf(st->state_text, sizeof st->state_text, "cond wait");
        add_detail(st, "cond %p with mutex %p%s", w->obj, w->obj2,
                   strstr(call, "timed") || strstr(call, "clock") ? " (with timeout)" : "");
        break;
    case TP_ST_SEM:
        snprintf(st->state_text, sizeof st->state_text, "semaphore wait");
        add_detail(st, "sem %p (value %d)%s", w->obj, w->value,
                   strcmp(call, "sem_wait") != 0 ? " (with timeout)" : "");
        break;
    case TP_ST_SPIN:
        snprintf(st->state_text, sizeof st->state_text, "spin wait");
        add_detail(st, "spinlock %p", w->obj);
        break;
    case TP_ST_BARRIER:
        snprintf(st->state_text, sizeof st->state_text, "barrier wait");
        add_detail(st, "barrier %p", w->obj);
        break;
    case TP_ST_JOIN:
        if (w->join_tid > 0) {
            snprintf(st->state_text, sizeof st->state_text, "join thread %d",
                     (int)w->join_tid);
            group = "join";
            if (w->join_exited) {
                add_detail(st, "thread %d has exited", (int)w->join_tid);
            } else {
                holder_text(w->join_tid, who, sizeof who);
                add_detail(st, "waiting for %s to exit", who);
            }
        } else {
            snprintf(st->state_text, sizeof st->state_text, "join");
        }
        break;
    case TP_ST_SLEEP:
        snprintf(st->state_text, sizeof st->state_text, "sleep");
        if (w->arg > 0) {
            tp_format_duration((uint64_t)w->arg * 1000000u, dur, sizeof dur);
            add_detail(st, "%s for %s", call, dur);
        } else {
            add_detail(st, "%s", call);
        }
        break;
    case TP_ST_FDIO:
    case TP_ST_FILELOCK:
        describe_fd_wait(st, call, (int)w->arg);
        break;
    case TP_ST_EPOLL:
        describe_epoll(st, call, (int)w->arg);
        break;
    case TP_ST_POLL: {
        snprintf(st->state_text, sizeof st->state_text, "%s", call);
        char list[200] = "";
        size_t used = 0;
        for (int i = 0; i < w->nfds && i < POLL_FDS_SHOWN && w->obj; i++) {
            char kind[64], detail[8];
            tp_fd_describe(w->fds[i], kind, sizeof kind, detail, sizeof detail);
            int n = snprintf(list + used, sizeof list - used, "%s%d (%s)",
                             i ? ", " : "", w->fds[i], kind);
            if (n > 0 && (size_t)n < sizeof list - used)
                used += (size_t)n;
        }
        if (w->obj)
            add_detail(st, "%d fd%s%s%s%s", w->nfds, w->nfds == 1 ? "" : "s",
                       w->nfds ? ": " : "", list,
                       w->nfds > POLL_FDS_SHOWN ? ", ..." : "");
        else
            add_detail(st, "%d fds", w->nfds);
        break;
    }
    case TP_ST_CHILD:
        if (w->arg > 0)
            snprintf(st->state_text, sizeof st->state_text, "%s pid %ld", call, w->arg);
        else
            snprintf(st->state_text, sizeof st->state_text, "%s any child", call);
        group = call;
        break;
    case TP_ST_SIGNAL:
        snprintf(st->state_text, sizeof st->state_text, "%s", call);
        break;
    default:
        snprintf(st->state_text, sizeof st->state_text, "%s", call);
        break;
    }
    if (st->group_text[0] == '\0')
        snprintf(st->group_text, sizeof st->group_text, "%.63s",
                 group ? group : st->state_text);
}

static const char *syscall_name(long nr)
{
    switch (nr) {
    case SYS_read: return "read";
    case SYS_write: return "write";
    case SYS_poll: return "poll";
    case SYS_select: return "select";
    case SYS_nanosleep: return "nanosleep";
    case SYS_clock_nanosleep: return "clock_nanosleep";
    case SYS_futex: return "futex";
    case SYS_epoll_wait: return "epoll_wait";
    case SYS_epoll_pwait: return "epoll_pwait";
    case SYS_ppoll: return "ppoll";
    case SYS_pselect6: return "pselect6";
    case SYS_accept: return "accept";
    case SYS_accept4: return "accept4";
    case SYS_recvfrom: return "recvfrom";
    case SYS_recvmsg: return "recvmsg";
    case SYS_sendto: return "sendto";
    case SYS_sendmsg: return "sendmsg";
    case SYS_connect: return "connect";
    case SYS_wait4: return "wait4";
    case SYS_waitid: return "waitid";
    case SYS_rt_sigtimedwait: return "rt_sigtimedwait";
    case SYS_rt_sigsuspend: return "rt_sigsuspend";
    case SYS_pause: return "pause";
    case SYS_io_getevents: return "io_getevents";
    case SYS_io_uring_enter: return "io_uring_enter";
    case SYS_msgrcv: return "msgrcv";
    case SYS_semop: return "semop";
    case SYS_semtimedop: return "semtimedop";
    case SYS_flock: return "flock";
    case SYS_fcntl: return "fcntl";
    default: return NULL;
    }
}

/* A thread in no hook: ask the kernel (without touching the thread) what
 * it is doing. */
static void describe_running(tp_snap_thread_t *st)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)tp_dump_pid(), (int)st->tid);
    read_small_file(path, buf, sizeof buf);
    snprintf(st->state_text, sizeof st->state_text, "running");
    snprintf(st->group_text, sizeof st->group_text, "running");
    long nr;
    unsigned long sp, pc;
    if (tp_parse_task_syscall(buf, &nr, &sp, &pc)) {
        const char *name = syscall_name(nr);
        char nbuf[32];
        if (name == NULL) {
            snprintf(nbuf, sizeof nbuf, "%ld", nr);
            name = nbuf;
        }
        snprintf(st->state_text, sizeof st->state_text, "syscall %s", name);
        snprintf(st->group_text, sizeof st->group_text, "syscall %s", name);
        add_detail(st, "blocked in system call %s, which threadprof does not "
                       "intercept", name);
        st->pcs[0] = pc;
        st->npcs = 1;
        st->first_pc_exact = 1;
        st->no_stack = "only the system call site is known for a thread "
                       "outside intercepted calls";
    } else {
        st->no_stack = "the thread is running outside any intercepted call; "
                       "threadprof does not interrupt it";
    }
}

static void read_cmdline(tp_snapshot_t *snap)
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
    if (x->is_main != y->is_main)
        return x->is_main ? -1 : 1;
    return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static size_t count_unknown(const tp_snapshot_t *snap)
{
    size_t unknown = 0;
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return 0;
    struct dirent *e;
    pid_t dumper = tp_dumper_tid(), self = tp_gettid(), watcher = tp_watcher_tid();
    while ((e = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid <= 0 || tid == dumper || tid == self || tid == watcher)
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
static void set_holders(tp_snap_thread_t *st, const raw_wait_t *w)
{
    switch (st->state) {
    case TP_ST_MUTEX:
        st->wait_obj = w->obj;
        st->wait_kind = "mutex";
        if (w->holder > 0)
            st->holders[st->nholders++] = w->holder;
        break;
    case TP_ST_RWLOCK_RD:
    case TP_ST_RWLOCK_WR:
        st->wait_obj = w->obj;
        st->wait_kind = "rwlock";
        if (w->holder > 0)
            st->holders[st->nholders++] = w->holder;
        break;
    case TP_ST_SPIN:
        st->wait_obj = w->obj;
        st->wait_kind = "spinlock";   /* its holder comes from held lists */
        break;
    case TP_ST_JOIN:
        st->wait_obj = w->obj;
        st->wait_kind = "thread";
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
static void add_readers(tp_snapshot_t *snap, int light)
{
    for (size_t i = 0; i < snap->nthreads; i++) {
        tp_snap_thread_t *w = &snap->threads[i];
        if (w->wait_kind == NULL || w->nholders > 0)
            continue;
        int spin = strcmp(w->wait_kind, "spinlock") == 0;
        if (!spin && strcmp(w->wait_kind, "rwlock") != 0)
            continue;
        tp_lock_kind_t want = spin ? TP_LOCK_SPIN : TP_LOCK_READ;
        char names[sizeof w->details[0]] = "";
        size_t used = 0;
        for (size_t j = 0; j < snap->nthreads && w->nholders < TP_SNAP_HOLDERS; j++) {
            const tp_snap_thread_t *r = &snap->threads[j];
            for (int k = 0; k < r->nheld && k < TP_SNAP_HELD; k++) {
                if (r->held[k].lock == w->wait_obj && r->held[k].kind == want &&
                    j != i) {
                    w->holders[w->nholders++] = r->tid;
                    int m = snprintf(names + used, sizeof names - used, "%sthread %d \"%.60s\"",
                                     used ? ", " : "", (int)r->tid, r->name);
                    if (m > 0 && (size_t)m < sizeof names - used)
                        used += (size_t)m;
                    break;
                }
            }
        }
        if (!light && w->nholders > 0)
            add_detail(w, "%s by %s", spin ? "held" : "read", names);
    }
}

/* Resolves the thread a join waits for (registry lock held). */
static void resolve_join(raw_wait_t *w)
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
 * waits for and whom, the locks it holds).  A record is 2.4 KB
 * (threaddump.h) in a mapping made for each snapshot: filling one for every
 * thread was most of a check's time, page faults with the registry lock
 * held (2,000 threads: 2.5 ms every 2 s).  Other threads are passed over
 * on a plain read of their park word and state (those of a deadlocked
 * thread do not change; a claim would write to every parked thread's
 * cache line), and
 * a record's page is touched before its thread is claimed, so no thread
 * waits out a page fault.  Returns the number copied. */
static size_t copy_lock_waiters(tp_snap_thread_t *threads, raw_wait_t *raw,
                                size_t cap, uint32_t tick)
{
    size_t n = 0;
    for (tp_thread_t *t = tp_registry_first(); t && n < cap; t = tp_registry_next(t)) {
        if (atomic_load_explicit(&t->park, memory_order_relaxed) != TP_PARK_PARKED ||
            !wait_has_owner(__atomic_load_n(&t->state, __ATOMIC_RELAXED)))
            continue;
        tp_snap_thread_t *st = &threads[n];
        st->tid = t->tid;
        st->is_main = (t->flags & TP_TF_MAIN) != 0;
        uint32_t expected = TP_PARK_PARKED;
        if (!atomic_compare_exchange_strong_explicit(
                &t->park, &expected, TP_PARK_READING, memory_order_acquire,
                memory_order_relaxed))
            continue;   /* it woke: the next record overwrites tid and is_main */
        uint32_t state = t->state;   /* stable now */
        int keep = wait_has_owner(state);
        if (keep) {
            st->state = (int)state;
            copy_wait(t, &raw[n]);
            copy_held(t, st, tick);
        }
        atomic_store_explicit(&t->park, TP_PARK_PARKED, memory_order_release);
        if (!keep)
            continue;   /* likewise */
        if (state == TP_ST_JOIN)
            resolve_join(&raw[n]);
        set_holders(&threads[n], &raw[n]);
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
        read_cmdline(snap);

    if (lock_timeout_ns) {
        if (tp_registry_lock_timed(lock_timeout_ns) != 0)
            return -ETIMEDOUT;
    } else {
        tp_registry_lock();
    }
    size_t cap = 0;
    for (tp_thread_t *t = tp_registry_first(); t; t = tp_registry_next(t))
        cap++;
    size_t bytes = cap * (sizeof(tp_snap_thread_t) + sizeof(raw_wait_t)) + 1;
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
        tp_registry_unlock();
        return -ENOMEM;
    }
    snap->threads = mem;
    snap->storage_bytes = bytes;
    raw_wait_t *raw = (raw_wait_t *)(void *)(snap->threads + cap);
    uint64_t now = tp_now_coarse();
    uint32_t tick = tp_tick;
    pid_t self = tp_gettid();
    size_t n = light ? copy_lock_waiters(snap->threads, raw, cap, tick) : 0;
    for (tp_thread_t *t = tp_registry_first(); t && n < cap && !light;
         t = tp_registry_next(t)) {
        tp_snap_thread_t *st = &snap->threads[n];
        st->tid = t->tid;
        st->state = TP_ST_RUNNING;
        st->is_main = (t->flags & TP_TF_MAIN) != 0;
        st->has_creator = !(t->flags & (TP_TF_ADOPTED | TP_TF_MAIN));
        st->parent_tid = t->parent_tid;
        st->ncreate = t->ncreate;
        memcpy(st->create_pcs, t->create_pcs, sizeof st->create_pcs);
        st->age_ns = t->start_ns && now > t->start_ns ? now - t->start_ns : 0;

        uint32_t expected = TP_PARK_PARKED;
        if (atomic_compare_exchange_strong_explicit(
                &t->park, &expected, TP_PARK_READING, memory_order_acquire,
                memory_order_relaxed)) {
            st->state = (int)t->state;
            copy_wait(t, &raw[n]);
            copy_held(t, st, tick);
            st->npcs = tp_unwind_regs(&t->regs, st->pcs, TP_SNAP_FRAMES);
            atomic_store_explicit(&t->park, TP_PARK_PARKED, memory_order_release);
            st->wait_ns = now > raw[n].since_ns ? now - raw[n].since_ns : 0;
            if (st->npcs == 0)
                st->no_stack = "libunwind could not walk this stack";
            if (st->state == TP_ST_JOIN)
                resolve_join(&raw[n]);
            set_holders(st, &raw[n]);
        } else {
            copy_held(t, st, tick);
            if (t->tid == self) {
                /* The thread writing an exit dump: it is in exit(). */
                st->npcs = tp_backtrace(st->pcs, TP_SNAP_FRAMES);
            }
        }
        n++;
    }
    snap->nthreads = n;
    if (!light)
        snap->exited_unjoined = tp_registry_exited_unjoined();
    tp_registry_unlock();

    /* raw[i] pairs with threads[i] until the threads are sorted below. */
    for (size_t i = 0; i < n && !light; i++) {
        tp_snap_thread_t *st = &snap->threads[i];
        thread_name(st->tid, st->name, sizeof st->name);
        if (st->state == TP_ST_RUNNING) {
            if (st->tid == self) {
                snprintf(st->state_text, sizeof st->state_text, "running");
                snprintf(st->group_text, sizeof st->group_text, "running");
                add_detail(st, "in exit(): this thread writes the exit dump");
            } else {
                describe_running(st);
            }
        } else {
            describe_wait(st, st->state, &raw[i]);
        }
    }
    qsort(snap->threads, n, sizeof *snap->threads, cmp_tid);
    add_readers(snap, light);
    tp_deadlock_find(snap);
    if (!light)
        snap->unknown_threads = count_unknown(snap);
    return 0;
}

void tp_snapshot_free(tp_snapshot_t *snap)
{
    /* threads and the raw array share one mapping sized at take time. */
    if (snap->threads != NULL)
        munmap(snap->threads, snap->storage_bytes);
    snap->threads = NULL;
}

/* --- files ------------------------------------------------------------ */

static int open_output_dir(char *used, size_t used_len)
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

static void reason_text(unsigned reasons, char *buf, size_t len)
{
    char sig[32];
    buf[0] = '\0';
    size_t used = 0;
    if (reasons & TP_REASON_SIGNAL)
        used += (size_t)snprintf(buf + used, len - used, "signal %s",
                                 tp_signal_name(tp_config.signo, sig, sizeof sig));
    if (reasons & TP_REASON_INTERVAL) {
        char every[32];
        tp_format_duration(tp_config.interval_ns, every, sizeof every);
        used += (size_t)snprintf(buf + used, len - used, "%sinterval (every %s)",
                                 used ? " + " : "", every);
    }
    if (reasons & TP_REASON_DEADLOCK)
        used += (size_t)snprintf(buf + used, len - used, "%sdeadlock", used ? " + " : "");
    if (reasons & TP_REASON_EXIT)
        snprintf(buf + used, len - used, "%sexit", used ? " + " : "");
}

/* Writes threadprof.<pid>.<seq>.summary.txt (output/summary.h) from the
 * snapshot, lockprof's lock statistics and lockorder's inversions.  Its
 * failure is reported once (when report is set) and touches no other file
 * of the dump. */
static void write_summary(int dirfd, const char *dir, const tp_snapshot_t *snap,
                          int have_threads, unsigned profiles, int have_heap,
                          unsigned reasons, int report)
{
    static int warned;
    static tp_summary_lock_t locks[TP_SUMMARY_TOP_LOCKS];
    static tp_summary_heap_t heap;
    static tp_sink_t sink;
    char threads[NAME_MAX + 1], mutex[NAME_MAX + 1], block[NAME_MAX + 1];
    char heap_name[NAME_MAX + 1];
    char name[NAME_MAX + 1];
    int pid = (int)snap->pid;
    unsigned seq = snap->seq;
    snprintf(threads, sizeof threads, "threadprof.%d.%u.threads.txt", pid, seq);
    snprintf(mutex, sizeof mutex, "threadprof.%d.%u.mutex.pb.gz", pid, seq);
    snprintf(block, sizeof block, "threadprof.%d.%u.block.pb.gz", pid, seq);
    snprintf(heap_name, sizeof heap_name, "threadprof.%d.%u.heap.pb.gz", pid, seq);
    snprintf(name, sizeof name, "threadprof.%d.%u.summary.txt", pid, seq);

    tp_summary_t sum;
    memset(&sum, 0, sizeof sum);
    sum.snap = snap;
    tp_lockprof_summary(&sum, locks, TP_SUMMARY_TOP_LOCKS);
    /* Large (symbolized stacks) and needed only now: the dump thread's
     * heap, not the host's threads. */
    tp_summary_inversion_t *inv = calloc(TP_SUMMARY_INVERSIONS, sizeof *inv);
    tp_lock_order_summary(&sum, inv, inv != NULL ? TP_SUMMARY_INVERSIONS : 0);
    sum.threads_file = have_threads ? threads : NULL;
    sum.mutex_file = profiles & TP_LOCKPROF_MUTEX_FILE ? mutex : NULL;
    sum.block_file = profiles & TP_LOCKPROF_BLOCK_FILE ? block : NULL;
    sum.heap_file = have_heap ? heap_name : NULL;
    tp_heapprof_summary(&heap, (reasons & TP_REASON_EXIT) != 0);
    sum.heap = &heap;

    tp_outfile_t f;
    int r = tp_outfile_create(&f, dirfd, name);
    if (r == 0) {
        tp_sink_init_file(&sink, f.fd, f.dev, f.ino);
        int err = tp_summary_write(&sink, &sum);
        r = tp_outfile_finish(&f, err == 0);
        if (err != 0)
            r = -err;
    }
    free(inv);
    if (r != 0 && report && !warned++)
        tp_warn("cannot write %s in %s: %s (the other files of the dump are "
                "not affected; reported once)", name, dir, strerror(-r));
}

int tp_dump_write(unsigned reasons, unsigned seq, uint64_t lock_timeout_ns)
{
    static tp_snapshot_t snap;
    uint64_t t0 = tp_now_ns();
    char dir[PATH_MAX];
    int dirfd = open_output_dir(dir, sizeof dir);
    if (dirfd < 0)
        return dirfd;
    /* What dirfd is, so that it is closed only while it still is: the
     * host may dup2 onto its number meanwhile (tp_close_own). */
    struct stat dir_st;
    if (fstat(dirfd, &dir_st) != 0)
        dir_st.st_ino = 0;
    /* Once per process image and directory use: temporary files an
     * earlier image of this pid (exec) left when it went mid-dump. */
    static pid_t swept;
    if (swept != tp_dump_pid()) {
        swept = tp_dump_pid();
        tp_outdir_sweep(dirfd, (int)swept);
    }
    char name[NAME_MAX + 1];
    for (int tries = 0; tries < 100000; tries++) {
        snprintf(name, sizeof name, "threadprof.%d.%u.threads.txt", (int)tp_dump_pid(), seq);
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
    reason_text(reasons, snap.reason, sizeof snap.reason);

    tp_outfile_t f;
    r = tp_outfile_create(&f, dirfd, name);
    if (r == 0) {
        static tp_sink_t sink;
        tp_sink_init_file(&sink, f.fd, f.dev, f.ino);
        int err = tp_threaddump_write(&sink, &snap);
        r = tp_outfile_finish(&f, err == 0);
        if (err != 0)
            r = -err;
    }
    pid_t pid = snap.pid;
    /* The profiles go next to the thread dump; their failure is theirs
     * alone (reported once by lockprof) and leaves the dump as it is.
     * When the dump itself was lost its warning has said so: the
     * profiles' failure (most likely the same full disk) stays quiet. */
    unsigned profiles = tp_lockprof_write(dirfd, dir, pid, seq, r == 0);
    int heap = tp_heapprof_write(dirfd, dir, pid, seq, r == 0);
    /* The summary comes last, so the files it names are already there. */
    write_summary(dirfd, dir, &snap, r == 0, profiles, heap, reasons, r == 0);
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
