/*
 * describe: the words for a snapshot's facts (see describe.h).
 *
 * Each state has its own wording, fixed by the dump's readers: the state
 * in the thread's header ("read fd 7 (pipe)"), the group text the grouped
 * view and the summary count by ("read (pipe)": no fd number, no pid),
 * and at most a couple of detail lines naming the objects involved and
 * who has them.  Everything here was captured by agent/snapshot.c; this
 * file only formats it.
 */
#include "output/describe.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "base/signame.h"
#include "output/units.h"

static void add_detail(tp_thread_text_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_detail(tp_thread_text_t *out, const char *fmt, ...)
{
    if (out->ndetails >= TP_DESCRIBE_DETAILS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->details[out->ndetails++], sizeof out->details[0], fmt, ap);
    va_end(ap);
}

/* "7 (pipe), 9 (tcp socket)" into list; an entry that does not fit is
 * overwritten by the next one. */
static void fd_list(const tp_snap_fd_t *fds, int n, char *list, size_t len)
{
    size_t used = 0;
    list[0] = '\0';
    for (int i = 0; i < n; i++) {
        int w = snprintf(list + used, len - used, "%s%d (%s)", i ? ", " : "",
                         fds[i].fd, fds[i].kind);
        if (w > 0 && (size_t)w < len - used)
            used += (size_t)w;
    }
}

static void describe_fd_wait(tp_thread_text_t *out, const char *call,
                             const tp_snap_wait_t *w)
{
    snprintf(out->state, sizeof out->state, "%s fd %d (%s)", call, w->fd.fd,
             w->fd.kind);
    snprintf(out->group, sizeof out->group, "%.24s (%.32s)", call, w->fd.kind);
    add_detail(out, "%s", w->fd_detail);
}

static void describe_epoll(tp_thread_text_t *out, const char *call,
                           const tp_snap_wait_t *w)
{
    char list[160];
    int epfd = (int)w->arg, count = w->nfds;
    snprintf(out->state, sizeof out->state, "%s fd %d", call, epfd);
    snprintf(out->group, sizeof out->group, "%s", call);
    fd_list(w->fds, count < TP_SNAP_FDS ? count : TP_SNAP_FDS, list, sizeof list);
    add_detail(out, "epoll fd %d watches %d fd%s%s%s%s", epfd, count,
               count == 1 ? "" : "s", count ? ": " : "", list,
               count > TP_SNAP_FDS ? ", ..." : "");
}

static void describe_poll(tp_thread_text_t *out, const char *call,
                          const tp_snap_wait_t *w)
{
    char list[200];
    int n = w->nfds;
    snprintf(out->state, sizeof out->state, "%s", call);
    if (w->obj == NULL) {   /* select: the set is a bitmap, not kept */
        add_detail(out, "%d fds", n);
        return;
    }
    fd_list(w->fds, n < 0 ? 0 : n < TP_SNAP_FDS ? n : TP_SNAP_FDS, list, sizeof list);
    add_detail(out, "%d fd%s%s%s%s", n, n == 1 ? "" : "s", n ? ": " : "", list,
               n > TP_SNAP_FDS ? ", ..." : "");
}

static void describe_wait(tp_thread_text_t *out, int state, const tp_snap_wait_t *w)
{
    char dur[32];
    const char *call = w->call ? w->call : "?";
    const char *group = NULL;
    switch (state) {
    case TP_ST_MUTEX:
        snprintf(out->state, sizeof out->state, "mutex wait");
        if (w->holder > 0)
            add_detail(out, "mutex %p held by thread %d \"%.60s\"", w->obj,
                       (int)w->holder, w->holder_name);
        else
            add_detail(out, "mutex %p (holder unknown)", w->obj);
        break;
    case TP_ST_RWLOCK_RD:
    case TP_ST_RWLOCK_WR:
        snprintf(out->state, sizeof out->state, "rwlock %s wait",
                 state == TP_ST_RWLOCK_RD ? "read" : "write");
        if (w->holder > 0)
            add_detail(out, "rwlock %p write-locked by thread %d \"%.60s\"", w->obj,
                       (int)w->holder, w->holder_name);
        else if (w->value > 0)
            add_detail(out, "rwlock %p read-locked by %d reader%s", w->obj,
                       w->value, w->value == 1 ? "" : "s");
        else
            add_detail(out, "rwlock %p", w->obj);
        break;
    case TP_ST_COND:
        snprintf(out->state, sizeof out->state, "cond wait");
        add_detail(out, "cond %p with mutex %p%s", w->obj, w->obj2,
                   strstr(call, "timed") || strstr(call, "clock") ? " (with timeout)" : "");
        break;
    case TP_ST_SEM:
        snprintf(out->state, sizeof out->state, "semaphore wait");
        add_detail(out, "sem %p (value %d)%s", w->obj, w->value,
                   strcmp(call, "sem_wait") != 0 ? " (with timeout)" : "");
        break;
    case TP_ST_SPIN:
        snprintf(out->state, sizeof out->state, "spin wait");
        add_detail(out, "spinlock %p", w->obj);
        break;
    case TP_ST_BARRIER:
        snprintf(out->state, sizeof out->state, "barrier wait");
        add_detail(out, "barrier %p", w->obj);
        break;
    case TP_ST_JOIN:
        if (w->join_tid > 0) {
            snprintf(out->state, sizeof out->state, "join thread %d", (int)w->join_tid);
            group = "join";
            if (w->join_exited)
                add_detail(out, "thread %d has exited", (int)w->join_tid);
            else
                add_detail(out, "waiting for thread %d \"%.60s\" to exit",
                           (int)w->join_tid, w->join_name);
        } else {
            snprintf(out->state, sizeof out->state, "join");
        }
        break;
    case TP_ST_SLEEP:
        snprintf(out->state, sizeof out->state, "sleep");
        if (w->arg > 0) {
            tp_format_duration((uint64_t)w->arg * 1000000u, dur, sizeof dur);
            add_detail(out, "%s for %s", call, dur);
        } else {
            add_detail(out, "%s", call);
        }
        break;
    case TP_ST_FDIO:
    case TP_ST_FILELOCK:
        describe_fd_wait(out, call, w);
        break;
    case TP_ST_EPOLL:
        describe_epoll(out, call, w);
        break;
    case TP_ST_POLL:
        describe_poll(out, call, w);
        break;
    case TP_ST_CHILD:
        if (w->arg > 0)
            snprintf(out->state, sizeof out->state, "%s pid %ld", call, w->arg);
        else
            snprintf(out->state, sizeof out->state, "%s any child", call);
        group = call;
        break;
    default:   /* TP_ST_SIGNAL and anything newer */
        snprintf(out->state, sizeof out->state, "%s", call);
        break;
    }
    if (out->group[0] == '\0')
        snprintf(out->group, sizeof out->group, "%.63s", group ? group : out->state);
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

/* A thread in no hook: the exit dump's own thread, one in a system call
 * threadprof does not intercept, or one running. */
static void describe_running(tp_thread_text_t *out, const tp_snap_thread_t *t)
{
    snprintf(out->state, sizeof out->state, "running");
    snprintf(out->group, sizeof out->group, "running");
    if (t->crash_signo != 0) {
        char sig[32];
        tp_signal_name(t->crash_signo, sig, sizeof sig);
        snprintf(out->state, sizeof out->state, "crashed: %s", sig);
        snprintf(out->group, sizeof out->group, "crashed: %s", sig);
    } else if (t->writes_exit_dump) {
        add_detail(out, "in exit(): this thread writes the exit dump");
    } else if (t->syscall_nr >= 0) {
        const char *name = syscall_name(t->syscall_nr);
        char nbuf[32];
        if (name == NULL) {
            snprintf(nbuf, sizeof nbuf, "%ld", t->syscall_nr);
            name = nbuf;
        }
        snprintf(out->state, sizeof out->state, "syscall %s", name);
        snprintf(out->group, sizeof out->group, "syscall %s", name);
        add_detail(out, "blocked in system call %s, which threadprof does not "
                        "intercept", name);
    }
}

static const char *name_of(const tp_snapshot_t *snap, pid_t tid)
{
    for (size_t i = 0; i < snap->nthreads; i++)
        if (snap->threads[i].tid == tid)
            return snap->threads[i].name;
    return "";
}

/* The holders of a lock whose owner glibc does not record, found on the
 * threads' held lists: "read by thread 12 \"a\", thread 13 \"b\"". */
static void describe_readers(tp_thread_text_t *out, const tp_snapshot_t *snap,
                             const tp_snap_thread_t *t)
{
    char names[sizeof out->details[0]] = "";
    size_t used = 0;
    for (int i = 0; i < t->nholders && i < TP_SNAP_HOLDERS; i++) {
        int m = snprintf(names + used, sizeof names - used, "%sthread %d \"%.60s\"",
                         used ? ", " : "", (int)t->holders[i],
                         name_of(snap, t->holders[i]));
        if (m > 0 && (size_t)m < sizeof names - used)
            used += (size_t)m;
    }
    add_detail(out, "%s by %s", t->wait_kind == TP_WAIT_SPIN ? "held" : "read", names);
}

static void describe(const tp_snapshot_t *snap, const tp_snap_thread_t *t,
                     tp_thread_text_t *out)
{
    memset(out, 0, sizeof *out);
    if (t->state == TP_ST_RUNNING)
        describe_running(out, t);
    else
        describe_wait(out, t->state, &t->wait);
    if (snap != NULL && t->holders_from_held && t->nholders > 0)
        describe_readers(out, snap, t);
}

void tp_describe_thread(const tp_snapshot_t *snap, const tp_snap_thread_t *t,
                        tp_thread_text_t *out)
{
    describe(snap, t, out);
}

void tp_describe_group(const tp_snap_thread_t *t, char *buf, size_t len)
{
    tp_thread_text_t text;
    describe(NULL, t, &text);
    snprintf(buf, len, "%s", text.group);
}

/* Appends to buf at *used; once the text is cut, nothing more is. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n;
}

void tp_describe_threshold(const tp_snapshot_t *snap, char *buf, size_t len)
{
    static const char *const names[TP_THRESHOLD_COUNT] = {
        [TP_THRESHOLD_THREADS] = "threads", [TP_THRESHOLD_HEAP] = "heap",
        [TP_THRESHOLD_RSS] = "rss", [TP_THRESHOLD_FDS] = "fds",
        [TP_THRESHOLD_WAIT] = "wait", [TP_THRESHOLD_CONTENTION] = "contention",
    };
    char value[32], limit[32];
    int kind = snap->threshold_kind;
    if (kind < 0 || kind >= TP_THRESHOLD_COUNT) {
        snprintf(buf, len, "?");
        return;
    }
    switch (kind) {
    case TP_THRESHOLD_HEAP:
    case TP_THRESHOLD_RSS:
        tp_format_bytes(snap->threshold_value, value, sizeof value);
        tp_format_bytes(snap->threshold_limit, limit, sizeof limit);
        break;
    case TP_THRESHOLD_WAIT:
        tp_format_wait(snap->threshold_value, value, sizeof value);
        tp_format_wait(snap->threshold_limit, limit, sizeof limit);
        break;
    case TP_THRESHOLD_CONTENTION:
        snprintf(value, sizeof value, "%llu/s", (unsigned long long)snap->threshold_value);
        snprintf(limit, sizeof limit, "%llu/s", (unsigned long long)snap->threshold_limit);
        break;
    default:
        snprintf(value, sizeof value, "%llu", (unsigned long long)snap->threshold_value);
        snprintf(limit, sizeof limit, "%llu", (unsigned long long)snap->threshold_limit);
    }
    snprintf(buf, len, "%s %s > %s", names[kind], value, limit);
}

void tp_describe_reason(const tp_snapshot_t *snap, char *buf, size_t len)
{
    char sig[32], every[32];
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    if (snap->reasons & TP_REASON_SIGNAL)
        append(buf, len, &used, "signal %s", tp_signal_name(snap->signo, sig, sizeof sig));
    if (snap->reasons & TP_REASON_INTERVAL) {
        tp_format_duration(snap->interval_ns, every, sizeof every);
        append(buf, len, &used, "%sinterval (every %s)", used ? " + " : "", every);
    }
    if (snap->reasons & TP_REASON_DEADLOCK)
        append(buf, len, &used, "%sdeadlock", used ? " + " : "");
    if (snap->reasons & TP_REASON_THRESHOLD) {
        char what[128];
        tp_describe_threshold(snap, what, sizeof what);
        append(buf, len, &used, "%sthreshold %s", used ? " + " : "", what);
    }
    if (snap->reasons & TP_REASON_EXIT)
        append(buf, len, &used, "%sexit", used ? " + " : "");
    if (snap->reasons & TP_REASON_REQUEST)
        append(buf, len, &used, "%srequest (THREADPROF_HTTP)", used ? " + " : "");
    if (snap->reasons & TP_REASON_CRASH) {
        char what[160];
        tp_describe_crash(&snap->crash, what, sizeof what);
        append(buf, len, &used, "%scrash %s", used ? " + " : "", what);
    }
}

void tp_describe_crash(const tp_snap_crash_t *c, char *buf, size_t len)
{
    char sig[32], how[64];
    const char *code = tp_signal_code_name(c->signo, c->code);
    tp_signal_name(c->signo, sig, sizeof sig);
    int sent = c->code == SI_USER || c->code == SI_QUEUE || c->code == SI_TKILL;
    if (c->code > 0 && c->code != SI_KERNEL) {
        /* The kernel's own: a fault, with its address. */
        if (code != NULL)
            snprintf(how, sizeof how, "%s at 0x%" PRIxPTR, code, c->addr);
        else
            snprintf(how, sizeof how, "code %d at 0x%" PRIxPTR, c->code, c->addr);
    } else if (sent && c->raised) {
        snprintf(how, sizeof how, "raised by the program");
    } else if (sent) {
        snprintf(how, sizeof how, "sent by pid %d", (int)c->sender);
    } else {
        snprintf(how, sizeof how, "%s", code ? code : "no code");
    }
    snprintf(buf, len, "%s (%s) in thread %d \"%s\"", sig, how, (int)c->tid, c->name);
}

const char *tp_describe_held_across(const tp_snap_thread_t *t, const tp_snap_held_t *h)
{
    if (h->kind != TP_LOCK_MUTEX && h->kind != TP_LOCK_WRITE)
        return NULL;
    switch (t->state) {
    case TP_ST_RUNNING:
    case TP_ST_MUTEX:
    case TP_ST_RWLOCK_RD:
    case TP_ST_RWLOCK_WR:
    case TP_ST_SPIN:
        return NULL;
    case TP_ST_COND:
        if (t->wait.obj2 == h->lock)
            return NULL;
        break;
    default:
        break;
    }
    return t->wait.call != NULL ? t->wait.call : "a blocking call";
}

const char *tp_describe_wait_kind(tp_wait_kind_t kind)
{
    switch (kind) {
    case TP_WAIT_MUTEX: return "mutex";
    case TP_WAIT_RWLOCK: return "rwlock";
    case TP_WAIT_SPIN: return "spinlock";
    case TP_WAIT_THREAD: return "thread";
    default: return "lock";
    }
}

const char *tp_describe_no_stack(tp_no_stack_t why)
{
    switch (why) {
    case TP_NO_STACK_UNWIND:
        return "libunwind could not walk this stack";
    case TP_NO_STACK_SYSCALL_SITE:
        return "only the system call site is known for a thread outside "
               "intercepted calls";
    case TP_NO_STACK_RUNNING:
        return "the thread is running outside any intercepted call; "
               "threadprof does not interrupt it";
    default:
        return NULL;
    }
}
