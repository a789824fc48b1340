/*
 * registry: every thread of the host the agent knows about.
 *
 * Records come from an mmap'd pool (never from malloc: adoption of an
 * unknown thread may happen inside a host signal handler) and are linked
 * in three lists under one mutex: threads being created (prepared by
 * pthread_create, not yet running our trampoline), live threads, and
 * threads that exited but were neither joined nor detached (a thread leak
 * in the making).  The
 * lock is taken on thread creation, exit, join and detach and by the dump
 * thread while it takes a snapshot; never on a lock or I/O hot path.
 * Whoever holds it has tp_in_agent raised, so nothing it calls is tracked.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/internal.h"
#include "agent/tablemap.h"

#define POOL_CHUNK (64 * 1024)

__thread tp_tls_t tp_tls __attribute__((tls_model("initial-exec")));
/* Set once our key destructor ran: the thread is exiting and later hooks
 * (other destructors freeing memory, closing fds) pass straight through. */
__thread int tp_thread_dead __attribute__((tls_model("initial-exec")));

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static tp_thread_t live = {.next = &live, .prev = &live};
static tp_thread_t exited = {.next = &exited, .prev = &exited};
/* Created, not yet registered: a pthread_detach that comes first must
 * find them (the program may detach before the new thread has run). */
static tp_thread_t pending = {.next = &pending, .prev = &pending};
static size_t exited_count;
static tp_thread_t *free_list;
static pthread_key_t exit_key;

/* tid -> record, direct-mapped on the low bits of the tid, for the one
 * lookup a hot-ish path needs: a thread that starts waiting for a mutex
 * finds the holder glibc names in the mutex (tp__held_mark_holder).  A
 * collision just misses (callers verify the tid); records are never
 * unmapped, so a stale pointer is still readable memory. 512 KB of
 * zero pages, touched only where tids fall. */
#define TID_SLOTS 65536
static tp_thread_t *tid_slots[TID_SLOTS];

static void index_tid(tp_thread_t *t)
{
    if (t->tid > 0)
        __atomic_store_n(&tid_slots[(unsigned)t->tid % TID_SLOTS], t, __ATOMIC_RELEASE);
}

static void unindex_tid(tp_thread_t *t)
{
    tp_thread_t *expected = t;
    if (t->tid > 0)
        __atomic_compare_exchange_n(&tid_slots[(unsigned)t->tid % TID_SLOTS], &expected,
                                    NULL, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

tp_thread_t *tp_registry_lookup_tid(pid_t tid)
{
    if (tid <= 0)
        return NULL;
    tp_thread_t *t = __atomic_load_n(&tid_slots[(unsigned)tid % TID_SLOTS], __ATOMIC_ACQUIRE);
    if (t != NULL && __atomic_load_n(&t->tid, __ATOMIC_RELAXED) == tid)
        return t;
    return NULL;
}

static void on_thread_exit(void *arg);

void tp_registry_init(void)
{
    pthread_key_create(&exit_key, on_thread_exit);
}

void tp_registry_lock(void)
{
    tp_in_agent++;
    pthread_mutex_lock(&reg_lock);
}

int tp_registry_lock_timed(uint64_t timeout_ns)
{
    struct timespec ts;
    tp_in_agent++;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + timeout_ns;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    int r = pthread_mutex_timedlock(&reg_lock, &ts);
    if (r != 0)
        tp_in_agent--;
    return -r;   /* pthread's positive error, as a negative errno */
}

/* In a crash's dump child (crash.c): the thread that held the lock is
 * not in this copy of the process. */
void tp_registry_unlock_forced(void)
{
    pthread_mutex_init(&reg_lock, NULL);
}

void tp_registry_unlock(void)
{
    pthread_mutex_unlock(&reg_lock);
    tp_in_agent--;
}

static void unlink_thread(tp_thread_t *t)
{
    t->prev->next = t->next;
    t->next->prev = t->prev;
    t->next = t->prev = NULL;
}

static void push(tp_thread_t *head, tp_thread_t *t)
{
    t->next = head;
    t->prev = head->prev;
    head->prev->next = t;
    head->prev = t;
}

tp_thread_t *tp_registry_alloc(void)
{
    tp_thread_t *t;
    tp_registry_lock();
    if (free_list == NULL) {
        char *chunk = tp_table_map(POOL_CHUNK, 0);
        if (chunk == NULL) {
            tp_registry_unlock();
            return NULL;
        }
        for (size_t off = 0; off + sizeof *t <= POOL_CHUNK; off += sizeof *t) {
            t = (tp_thread_t *)(void *)(chunk + off);
            t->next = free_list;
            free_list = t;
        }
    }
    t = free_list;
    free_list = t->next;
    tp_registry_unlock();
    void *altstack = t->altstack;
    memset(t, 0, sizeof *t);
    t->altstack = altstack;
    t->hold_countdown = tp_holdprof_first_countdown(t);
    return t;
}

void tp_registry_free(tp_thread_t *t)
{
    if (t->next != NULL)
        unlink_thread(t);
    if (t->flags & TP_TF_EXITED)
        exited_count--;
    unindex_tid(t);
    __atomic_store_n(&t->tid, 0, __ATOMIC_RELAXED);
    t->next = free_list;
    free_list = t;
}

/* Threads linked since start (or fork): more than one means the process
 * has made threads of its own at some point. */
static unsigned long links;
static unsigned long exits;     /* threads that ended since start (or fork) */

void tp_registry_link(tp_thread_t *t)
{
    if (t->next != NULL)
        unlink_thread(t);   /* from pending */
    t->flags &= ~TP_TF_PENDING;
    push(&live, t);
    index_tid(t);
    links++;
}

int tp_registry_ever_had_threads(void)
{
    return __atomic_load_n(&links, __ATOMIC_RELAXED) > 1;
}

tp_thread_t *tp_registry_first(void)
{
    return live.next == &live ? NULL : live.next;
}

/* The list is circular around a sentinel; callers walk with this. */
tp_thread_t *tp_registry_next(tp_thread_t *t)
{
    return t->next == &live ? NULL : t->next;
}

tp_thread_t *tp_registry_first_exited(void)
{
    return exited.next == &exited ? NULL : exited.next;
}

tp_thread_t *tp_registry_next_exited(tp_thread_t *t)
{
    return t->next == &exited ? NULL : t->next;
}

void tp_registry_counts(uint64_t *created, uint64_t *ended)
{
    /* The initial thread was linked, not created. */
    unsigned long l = __atomic_load_n(&links, __ATOMIC_RELAXED);
    *created = l > 0 ? l - 1 : 0;
    *ended = __atomic_load_n(&exits, __ATOMIC_RELAXED);
}

size_t tp_registry_exited_unjoined(void)
{
    return exited_count;
}

void tp_registry_add_pending(tp_thread_t *t)
{
    t->flags |= TP_TF_PENDING;
    push(&pending, t);
}

void tp_thread_created(tp_thread_t *t, pthread_t th)
{
    tp_registry_lock();
    if (t->flags & TP_TF_PENDING)
        t->pthread = th;   /* else the thread has set it itself */
    tp_registry_unlock();
}

tp_thread_t *tp_registry_find_pthread(pthread_t th, int in_exited)
{
    tp_thread_t *head = in_exited ? &exited : &live;
    for (tp_thread_t *t = head->next; t != head; t = t->next)
        if (t->pthread == th)
            return t;
    return NULL;
}

tp_thread_t *tp_registry_find_tid(pid_t tid)
{
    tp_thread_t *indexed = tp_registry_lookup_tid(tid);
    if (indexed != NULL && !(indexed->flags & TP_TF_EXITED))
        return indexed;
    for (tp_thread_t *t = live.next; t != &live; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

void tp_registry_register_self(tp_thread_t *t)
{
    tp_self = t;
    pthread_setspecific(exit_key, t);
}

/* pthread key destructor: runs in the exiting thread after its start
 * routine returned or it called pthread_exit. */
static void on_thread_exit(void *arg)
{
    tp_thread_t *t = arg;
    tp_thread_dead = 1;
    tp_self = NULL;
    tp_registry_lock();
    unlink_thread(t);
    exits++;
    /* Nobody can join the main thread, a detached one or one we did not
     * see created: forget them; keep the others until joined. */
    if (t->flags & (TP_TF_DETACHED | TP_TF_ADOPTED | TP_TF_MAIN)) {
        /* The record (with its alternate stack) may go to a new thread
         * while this one still exits: it stops using that stack first.
         * A joined thread is gone when its record is freed. */
        tp_crash_thread_exit();
        tp_registry_free(t);
    } else {
        t->flags |= TP_TF_EXITED;
        exited_count++;
        push(&exited, t);
    }
    tp_registry_unlock();
}

void tp_thread_joined(pthread_t th)
{
    tp_registry_lock();
    tp_thread_t *t = tp_registry_find_pthread(th, 1);
    if (t != NULL)
        tp_registry_free(t);
    tp_registry_unlock();
}

static tp_thread_t *find_pending(pthread_t th)
{
    for (tp_thread_t *t = pending.next; t != &pending; t = t->next)
        if ((t->flags & TP_TF_PENDING) && t->pthread == th)
            return t;
    return NULL;
}

void tp_thread_detached(pthread_t th)
{
    tp_registry_lock();
    tp_thread_t *t = tp_registry_find_pthread(th, 1);
    if (t != NULL) {
        tp_registry_free(t);
    } else if ((t = tp_registry_find_pthread(th, 0)) != NULL ||
               (t = find_pending(th)) != NULL) {
        t->flags |= TP_TF_DETACHED;   /* kept when it registers */
    }
    tp_registry_unlock();
}

/* A thread we did not see being created calls a hook: give it a record.
 * Threads listed at start-up already have one (matched by tid). */
tp_thread_t *tp__self_slow(void)
{
    if (!tp_ready || tp_thread_dead || tp_in_agent)
        return NULL;
    pid_t tid = tp_gettid();
    if (tid == tp_dumper_tid())
        return NULL;
    tp_registry_lock();
    tp_thread_t *t = tp_registry_find_tid(tid);
    tp_registry_unlock();
    if (t == NULL) {
        t = tp_registry_alloc();
        if (t == NULL)
            return NULL;
        t->tid = tid;
        t->flags = TP_TF_ADOPTED;
        t->pthread = pthread_self();
        t->start_ns = tp_now_coarse();
        tp_registry_lock();
        tp_registry_link(t);
        tp_registry_unlock();
    }
    t->pthread = pthread_self();
    tp_registry_register_self(t);
    return t;
}

/* Threads that exist before the constructor ran (another library's
 * constructor started them, or the agent was dlopen'd late). */
void tp_registry_adopt_existing(void)
{
    pid_t self = tp_gettid();
    tp_in_agent++;
    DIR *d = opendir("/proc/self/task");
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            pid_t tid = (pid_t)atoi(e->d_name);
            if (tid <= 0 || tid == self)
                continue;
            tp_thread_t *t = tp_registry_alloc();
            if (t == NULL)
                break;
            t->tid = tid;
            t->flags = TP_TF_ADOPTED;
            tp_registry_lock();
            tp_registry_link(t);
            tp_registry_unlock();
        }
        closedir(d);
    }
    tp_in_agent--;
}

/* In the child of fork only the forking thread survives. */
void tp_registry_after_fork_child(void)
{
    pthread_mutex_init(&reg_lock, NULL);
    tp_thread_t *me = tp_self;
    tp_thread_t *t, *next;
    for (t = live.next; t != &live; t = next) {
        next = t->next;
        if (t != me)
            tp_registry_free(t);
    }
    for (t = exited.next; t != &exited; t = next) {
        next = t->next;
        tp_registry_free(t);
    }
    /* Threads another parent thread was creating: not in the child (the
     * forking thread itself is inside fork, not pthread_create). */
    for (t = pending.next; t != &pending; t = next) {
        next = t->next;
        tp_registry_free(t);
    }
    exited_count = 0;
    links = me != NULL;
    exits = 0;
    if (me != NULL) {
        me->tid = tp_gettid();
        index_tid(me);
        me->flags |= TP_TF_MAIN;
        me->parent_tid = 0;
        me->park = TP_PARK_IDLE;
    }
}
