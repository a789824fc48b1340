/*
 * model/kinds: the enumerations every layer shares: what a thread is
 * blocked in, and the kinds of lock it can hold.  The hooks record them,
 * the agent's tables keep them, the model carries them and the renderers
 * name them.  Plain values, no text.
 */
#ifndef TP_MODEL_KINDS_H
#define TP_MODEL_KINDS_H

/* What a thread is blocked in.  The order is part of no format. */
typedef enum tp_state {
    TP_ST_RUNNING = 0,
    TP_ST_MUTEX,
    TP_ST_RWLOCK_RD,
    TP_ST_RWLOCK_WR,
    TP_ST_COND,
    TP_ST_SEM,
    TP_ST_BARRIER,
    TP_ST_JOIN,
    TP_ST_SLEEP,
    TP_ST_FDIO,        /* read/write/recv/send/accept/connect on one fd */
    TP_ST_POLL,        /* poll/ppoll/select/pselect */
    TP_ST_EPOLL,       /* epoll_wait family, on the epoll fd */
    TP_ST_CHILD,       /* wait/waitpid/waitid */
    TP_ST_SIGNAL,      /* sigwait*, sigsuspend, pause */
    TP_ST_FILELOCK,    /* flock, fcntl(F_SETLKW) */
    TP_ST_SPIN,        /* pthread_spin_lock */
    TP_ST_COUNT
} tp_state_t;

/* The kinds of lock a thread takes: the one enumeration of the held
 * lists, the lock-order graph, the profiles' lock statistics and the
 * model.  0 is no lock (or unknown). */
typedef enum tp_lock_kind {
    TP_LOCK_NONE = 0,
    TP_LOCK_MUTEX = 1,
    TP_LOCK_READ = 2,    /* an rwlock taken for reading */
    TP_LOCK_WRITE = 3,   /* an rwlock taken for writing */
    TP_LOCK_SPIN = 4,
} tp_lock_kind_t;

/* What a THREADPROF_TRIGGER threshold watches (agent/threshold.c). */
typedef enum tp_threshold_kind {
    TP_THRESHOLD_THREADS,      /* live threads */
    TP_THRESHOLD_HEAP,         /* heap in use, bytes (the heap profile's estimate) */
    TP_THRESHOLD_RSS,          /* resident set, bytes */
    TP_THRESHOLD_FDS,          /* open descriptors */
    TP_THRESHOLD_WAIT,         /* the longest lock, join or barrier wait, ns */
    TP_THRESHOLD_CONTENTION,   /* contended acquisitions per second */
    TP_THRESHOLD_COUNT
} tp_threshold_kind_t;

#endif
