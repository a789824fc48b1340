/*
 * config: the THREADPROF_* environment variables, read once at start.
 *
 * Each parser is a pure function so the unit tests can feed it every odd
 * spelling; tp_config_load() applies them and answers each bad value with
 * exactly one warning naming the variable and the default it fell back to.
 */
#ifndef TP_CONFIG_H
#define TP_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "model/kinds.h"

/* One THREADPROF_TRIGGER item: a dump when kind's value exceeds limit. */
typedef struct tp_threshold {
    tp_threshold_kind_t kind;
    uint64_t limit;         /* count, bytes, ns or per second, by kind */
} tp_threshold_t;

#define TP_MAX_THRESHOLDS 12

/* THREADPROF_HTTP: where the endpoint listens. */
typedef struct tp_http_addr {
    int family;             /* 0: off; AF_INET, AF_INET6 or AF_UNIX */
    char host[64];          /* the numeric address, as given */
    unsigned port;          /* 0: any free port */
    char path[108];         /* AF_UNIX: the socket's path */
    int loopback;           /* 127.0.0.0/8, ::1 or a unix socket */
} tp_http_addr_t;

typedef struct tp_config {
    char dir[PATH_MAX];     /* output directory */
    int dir_is_default;     /* dir is the private per-user default */
    int signo;              /* trigger signal, 0 = none */
    int on_exit;            /* dump at normal exit: TP_ON_EXIT_* */
    uint64_t interval_ns;   /* periodic dumps, 0 = off */
    int quiet;              /* no informational stderr lines */
    int deadlock_check;     /* look for wait-for cycles every few seconds */
    int on_crash;           /* THREADPROF_ON_CRASH: dump on a fatal signal */
    uint64_t crash_timeout_ns;  /* THREADPROF_CRASH_TIMEOUT: the dump's bound */
    long mutex_fraction;    /* mutex profile keeps 1/fraction events, 0 = off */
    long hold_fraction;     /* 1 acquisition in fraction has its hold timed, 0 = off */
    uint64_t block_rate_ns; /* block profile sampling rate (Go's), 0 = off */
    int lock_order;         /* record lock-order edges, report inversions */
    uint64_t heap_rate;     /* bytes between heap samples on average, 0 = off */
    int lazy_dump_thread;   /* no dump thread while single-threaded (watcher.c) */
    char programs[1024];    /* THREADPROF_PROGRAMS: "" = every program */
    int exitcode;           /* THREADPROF_EXITCODE: status on findings, 0 = off */
    unsigned keep;          /* THREADPROF_KEEP: periodic dumps kept, 0 = all */
    uint64_t trend_ns;      /* THREADPROF_TREND: trend samples, 0 = off */
    int nthresholds;        /* THREADPROF_TRIGGER */
    tp_threshold_t thresholds[TP_MAX_THRESHOLDS];
    tp_http_addr_t http;    /* THREADPROF_HTTP */
    char http_token[256];   /* THREADPROF_HTTP_TOKEN, "" = none */
    char http_token_file[PATH_MAX];  /* THREADPROF_HTTP_TOKEN_FILE, read at start */
    char metrics_file[PATH_MAX];     /* THREADPROF_METRICS_FILE, "" = none */
} tp_config_t;

#define TP_DEFAULT_TREND_NS 10000000000ull
#define TP_MIN_TREND_NS 100000000ull

#define TP_DEFAULT_KEEP 50

/* A crash dump may hold the dying process this long (agent/crash.c). */
#define TP_DEFAULT_CRASH_TIMEOUT_NS 3000000000ull
#define TP_MAX_CRASH_TIMEOUT_NS 600000000000ull

/* THREADPROF_ON_EXIT: off; on (a forked child that has not exec'd, or a
 * program started by a process that runs the agent too, only when it
 * lived at least a second, made a thread or dumped before: a process
 * forking many short-lived children, or a shell script running its
 * tools, would pay a symbolizer start and five files per child); all
 * (every one of them too). */
enum { TP_ON_EXIT_OFF = 0, TP_ON_EXIT_ON = 1, TP_ON_EXIT_ALL = 2 };

/* Go's MemProfileRate: one sample per 512 KiB allocated, on average. */
#define TP_DEFAULT_HEAP_RATE 524288u

/* Lock-order checking is off by default: it costs nothing measurable on
 * an uncontended pair with no other lock held, but every acquisition
 * made while holding another lock pays a per-edge cache lookup for each
 * held lock (see agent/lockorder.c for the figures). */
#define TP_DEFAULT_LOCK_ORDER 0

/* Defaults of the profile settings.  Fraction 1 (every contention) because
 * contention is already the slow path; a rate of 10 us keeps every wait
 * long enough to matter and a proportional sample of the short ones (a
 * wait of 1 us is kept with probability 1/10). */
#define TP_DEFAULT_MUTEX_FRACTION 1
/* Hold times: one acquisition in 256 per thread is timed.  A timed hold
 * costs two precise clock reads and a table update (~60 ns); spread over
 * 256 uncontended lock+unlock pairs of ~10 ns each, that is ~0.25 ns a
 * pair (agent/holdprof.c). */
#define TP_DEFAULT_HOLD_FRACTION 256
#define TP_DEFAULT_BLOCK_RATE_NS 10000u

/* Reads a variable; NULL when unset. */
typedef const char *tp_getenv_fn(const char *name);
/* Receives one complete warning line (without the "threadprof: " prefix
 * and without a newline). */
typedef void tp_warn_fn(const char *line);

/* Whether this program is one THREADPROF_PROGRAMS names: list is
 * comma-separated; an item with a '/' is a path, matched against the
 * executable (exe, /proc/self/exe) and argv[0]; any other item a name,
 * matched against their last components (so "python3" selects a script
 * run by /usr/bin/python3.11 as "python3").  An empty list selects every
 * program; spaces around items are ignored. */
int tp_program_selected(const char *list, const char *exe, const char *argv0);

/* Fills c from the environment: defaults first, then each variable that
 * is set and valid.  uid names the default directory. */
void tp_config_load(tp_config_t *c, tp_getenv_fn *get, tp_warn_fn *warn,
                    unsigned uid);

/* Parsers: 0 on success, -EINVAL when the text is malformed (out untouched). */
int tp_parse_bool(const char *s, int *out);
int tp_parse_signal(const char *s, int *out);        /* "none" gives 0 */
int tp_parse_duration(const char *s, uint64_t *ns);  /* "0"/"off" give 0 */
int tp_parse_dir(const char *s, char *out, size_t len);
/* A non-negative integer at most 1e9 ("0" gives 0). */
int tp_parse_fraction(const char *s, long *out);
/* Nanoseconds: an integer with an optional unit ns, us, ms or s, at most
 * 1 hour; "0"/"off" give 0. */
int tp_parse_rate_ns(const char *s, uint64_t *ns);

/* Bytes: an integer with an optional unit k/K/KiB, m/M/MiB, g/G/GiB
 * (powers of 1024), at most 1 GiB; "0"/"off" give 0. */
int tp_parse_bytes(const char *s, uint64_t *out);

/* One THREADPROF_TRIGGER item, "threads>500", "heap>1g", "rss>2g",
 * "fds>10000", "wait>30s", "contention>1000/s": a name, '>', a positive
 * value within sane bounds (no more than 10 million threads or
 * descriptors, 1 PiB, 366 days, a billion per second). */
int tp_parse_threshold(const char *s, tp_threshold_t *out);

/* THREADPROF_HTTP: "127.0.0.1:6060", "[::1]:0", "0.0.0.0:8080",
 * "unix:/run/x.sock" (an absolute path); numeric addresses only (no name
 * is looked up in a process that did not ask for it), port 0-65535. */
int tp_parse_http_addr(const char *s, tp_http_addr_t *out);

#endif
