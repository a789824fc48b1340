/*
 * config: parsing of the THREADPROF_* variables (see config.h).
 *
 * The parsers accept what a person would type (SIGUSR2, usr2, 12, 1.5s,
 * 5m, yes/no) and nothing ambiguous; anything else keeps the default and
 * produces one warning.
 */
#include "agent/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/signame.h"

#define DEFAULT_SIGNAL SIGUSR2

/* Signals that cannot be caught, or that report a fault in the thread that
 * raised it: a dump trigger must be none of them.  Nor may it be one of the
 * signals glibc keeps for itself between 31 and SIGRTMIN (cancellation,
 * setxid): its sigaction() refuses them. */
static int signal_usable(int signo)
{
    switch (signo) {
    case SIGKILL: case SIGSTOP: case SIGSEGV: case SIGBUS: case SIGFPE:
    case SIGILL: case SIGTRAP: case SIGABRT:
        return 0;
    default:
        return signo > 0 && signo < NSIG && (signo < 32 || signo >= SIGRTMIN);
    }
}

static int parse_uint(const char *s, long *out, long max)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int tp_parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"1", "yes", "true", "on", "y"};
    static const char *no[] = {"0", "no", "false", "off", "n"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        if (strcasecmp(s, yes[i]) == 0) { *out = 1; return 0; }
        if (strcasecmp(s, no[i]) == 0) { *out = 0; return 0; }
    }
    return -EINVAL;
}

int tp_parse_signal(const char *s, int *out)
{
    long v;
    if (strcasecmp(s, "none") == 0 || strcasecmp(s, "off") == 0 ||
        strcmp(s, "0") == 0) {
        *out = 0;
        return 0;
    }
    if (parse_uint(s, &v, NSIG - 1) == 0) {
        if (!signal_usable((int)v))
            return -EINVAL;
        *out = (int)v;
        return 0;
    }
    const char *name = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    int named = tp_signal_by_name(name);
    if (named != 0) {
        *out = named;
        return 0;
    }
    /* RTMIN, RTMIN+n, RTMAX, RTMAX-n */
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        int base = toupper((unsigned char)name[3]) == 'I' ? SIGRTMIN : SIGRTMAX;
        const char *rest = name + 5;
        long n = 0;
        if (*rest != '\0') {
            char sign = *rest++;
            if ((sign != '+' && sign != '-') || parse_uint(rest, &n, NSIG) != 0)
                return -EINVAL;
            n = sign == '+' ? n : -n;
        }
        long signo = base + n;
        if (signo < SIGRTMIN || signo > SIGRTMAX)
            return -EINVAL;
        *out = (int)signo;
        return 0;
    }
    return -EINVAL;
}

int tp_parse_duration(const char *s, uint64_t *ns)
{
    if (strcasecmp(s, "off") == 0 || strcasecmp(s, "none") == 0) {
        *ns = 0;
        return 0;
    }
    if (!isdigit((unsigned char)*s) && *s != '.')
        return -EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || !isfinite(v) || v < 0)
        return -EINVAL;
    double unit = 1e9;
    if (strcmp(end, "") == 0 || strcmp(end, "s") == 0)
        unit = 1e9;
    else if (strcmp(end, "ms") == 0)
        unit = 1e6;
    else if (strcmp(end, "m") == 0)
        unit = 60e9;
    else if (strcmp(end, "h") == 0)
        unit = 3600e9;
    else
        return -EINVAL;
    double total = v * unit;
    /* Periodic dumps faster than every 10 ms would be a denial of service
     * on the host, not a soak test; longer than a year is a typo. */
    if (total != 0 && (total < 1e7 || total > 366 * 86400e9))
        return -EINVAL;
    /* Rounded: "1.001" is 1.000999999... in binary. */
    *ns = (uint64_t)(total + 0.5);
    return 0;
}

int tp_parse_dir(const char *s, char *out, size_t len)
{
    size_t n = strlen(s);
    if (n == 0 || n >= len || s[0] != '/')
        return -EINVAL;
    /* A directory named with control characters would break the lines
     * that name it (a newline could forge a line of its own): refused. */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return -EINVAL;
    memcpy(out, s, n + 1);
    while (n > 1 && out[n - 1] == '/')  /* "/tmp/tp/" is "/tmp/tp" */
        out[--n] = '\0';
    return 0;
}

int tp_parse_fraction(const char *s, long *out)
{
    return parse_uint(s, out, 1000000000L);
}

/* A whole number with an optional unit from units (a suffix and its
 * multiplier each; "" for none), at most max after scaling, or
 * "off" (0).  The parsers of rates and sizes below. */
typedef struct unit {
    const char *suffix;
    unsigned long long scale;
} unit_t;

static int parse_scaled(const char *s, const unit_t *units, size_t nunits,
                        unsigned long long max, uint64_t *out)
{
    if (strcasecmp(s, "off") == 0) {
        *out = 0;
        return 0;
    }
    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return -EINVAL;
    for (size_t i = 0; i < nunits; i++) {
        if (strcmp(end, units[i].suffix) != 0)
            continue;
        if (v > max / units[i].scale)
            return -EINVAL;
        *out = v * units[i].scale;
        return 0;
    }
    return -EINVAL;
}

int tp_parse_rate_ns(const char *s, uint64_t *ns)
{
    static const unit_t units[] = {
        {"", 1}, {"ns", 1}, {"us", 1000}, {"ms", 1000000}, {"s", 1000000000},
    };
    /* A rate above an hour would keep nothing worth having: a typo. */
    return parse_scaled(s, units, sizeof units / sizeof *units,
                        3600ull * 1000000000ull, ns);
}

/* The value as it may be quoted in a warning: printable ASCII as it is,
 * anything else (a newline, an escape sequence, a quote, non-ASCII bytes)
 * as \xNN, so a hostile value can neither break the warning into several
 * lines nor forge a line of its own; at most about 200 characters. */
static void quote_value(const char *value, char *out, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
            if (o + 1 >= len)
                break;
            out[o++] = (char)*p;
        } else {
            if (o + 4 >= len)
                break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
}

static void warn_value(tp_warn_fn *warn, const char *var, const char *value,
                       const char *expected, const char *fallback)
{
    char line[1024], quoted[201];
    quote_value(value, quoted, sizeof quoted);
    snprintf(line, sizeof line, "%s=\"%s\" is not %.200s; using %.300s",
             var, quoted, expected, fallback);
    warn(line);
}

int tp_parse_bytes(const char *s, uint64_t *out)
{
    static const unit_t units[] = {
        {"", 1},
        {"k", 1ull << 10}, {"K", 1ull << 10}, {"KiB", 1ull << 10},
        {"m", 1ull << 20}, {"M", 1ull << 20}, {"MiB", 1ull << 20},
        {"g", 1ull << 30}, {"G", 1ull << 30}, {"GiB", 1ull << 30},
    };
    /* Above 1 GiB between samples a profile would be empty: a typo. */
    return parse_scaled(s, units, sizeof units / sizeof *units, 1ull << 30, out);
}

static const char *const threshold_names[TP_THRESHOLD_COUNT] = {
    [TP_THRESHOLD_THREADS] = "threads", [TP_THRESHOLD_HEAP] = "heap",
    [TP_THRESHOLD_RSS] = "rss", [TP_THRESHOLD_FDS] = "fds",
    [TP_THRESHOLD_WAIT] = "wait", [TP_THRESHOLD_CONTENTION] = "contention",
};

int tp_parse_threshold(const char *s, tp_threshold_t *out)
{
    static const unit_t bytes[] = {
        {"", 1}, {"k", 1ull << 10}, {"K", 1ull << 10}, {"KiB", 1ull << 10},
        {"m", 1ull << 20}, {"M", 1ull << 20}, {"MiB", 1ull << 20},
        {"g", 1ull << 30}, {"G", 1ull << 30}, {"GiB", 1ull << 30},
        {"t", 1ull << 40}, {"T", 1ull << 40}, {"TiB", 1ull << 40},
    };
    static const unit_t count[] = {{"", 1}};
    static const unit_t per_second[] = {{"", 1}, {"/s", 1}};
    const char *gt = strchr(s, '>');
    if (gt == NULL)
        return -EINVAL;
    size_t name_len = (size_t)(gt - s);
    for (int k = 0; k < TP_THRESHOLD_COUNT; k++) {
        if (strlen(threshold_names[k]) != name_len ||
            strncasecmp(s, threshold_names[k], name_len) != 0)
            continue;
        const char *v = gt + 1;
        uint64_t limit = 0;
        int r;
        if (strcasecmp(v, "off") == 0)
            return -EINVAL;   /* "off" means nothing here */
        if (k == TP_THRESHOLD_WAIT)
            r = tp_parse_duration(v, &limit);
        else if (k == TP_THRESHOLD_HEAP || k == TP_THRESHOLD_RSS)
            r = parse_scaled(v, bytes, sizeof bytes / sizeof *bytes, 1ull << 50, &limit);
        else if (k == TP_THRESHOLD_CONTENTION)
            r = parse_scaled(v, per_second, 2, 1000000000ull, &limit);
        else
            r = parse_scaled(v, count, 1, 10000000ull, &limit);
        if (r != 0 || limit == 0)
            return -EINVAL;
        out->kind = (tp_threshold_kind_t)k;
        out->limit = limit;
        return 0;
    }
    return -EINVAL;
}

/* THREADPROF_TRIGGER: each item on its own; a bad one is named and
 * skipped, the others kept. */
static void load_thresholds(tp_config_t *c, const char *list, tp_warn_fn *warn)
{
    const char *p = list;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        char item[128];
        size_t b = 0, e = len;
        while (b < e && isspace((unsigned char)p[b]))
            b++;
        while (e > b && isspace((unsigned char)p[e - 1]))
            e--;
        if (e > b) {
            tp_threshold_t t;
            int ok = e - b < sizeof item;
            if (ok) {
                memcpy(item, p + b, e - b);
                item[e - b] = '\0';
                ok = tp_parse_threshold(item, &t) == 0;
            }
            if (ok && c->nthresholds < TP_MAX_THRESHOLDS) {
                c->thresholds[c->nthresholds++] = t;
            } else {
                char quoted[201], line[512];
                char raw[128];
                snprintf(raw, sizeof raw, "%.*s", (int)(e - b), p + b);
                quote_value(raw, quoted, sizeof quoted);
                snprintf(line, sizeof line,
                         ok ? "THREADPROF_TRIGGER=\"%s\" is one threshold too many (at most "
                              "%d); ignoring that item"
                            : "THREADPROF_TRIGGER=\"%s\" is not a threshold (threads, heap, "
                              "rss, fds, wait or contention, '>' and a positive value, e.g. "
                              "threads>500, heap>1g, wait>30s, contention>1000/s); ignoring "
                              "that item",
                         quoted, TP_MAX_THRESHOLDS);
                warn(line);
            }
        }
        p += len;
        if (*p == ',')
            p++;
    }
}

int tp_parse_http_addr(const char *s, tp_http_addr_t *out)
{
    tp_http_addr_t a;
    memset(&a, 0, sizeof a);
    if (strncmp(s, "unix:", 5) == 0) {
        const char *path = s + 5;
        size_t n = strlen(path);
        if (path[0] != '/' || n >= sizeof a.path)
            return -EINVAL;
        for (const char *p = path; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return -EINVAL;
        a.family = AF_UNIX;
        memcpy(a.path, path, n + 1);
        a.loopback = 1;
        *out = a;
        return 0;
    }
    const char *colon;
    size_t hlen;
    const char *host = s;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -EINVAL;
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
        a.family = AF_INET6;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -EINVAL;
        hlen = (size_t)(colon - s);
        a.family = AF_INET;
    }
    if (hlen == 0 || hlen >= sizeof a.host)
        return -EINVAL;
    memcpy(a.host, host, hlen);
    a.host[hlen] = '\0';
    unsigned char buf[16];
    if (inet_pton(a.family, a.host, buf) != 1)
        return -EINVAL;
    a.loopback = a.family == AF_INET ? buf[0] == 127
                                     : memcmp(buf, in6addr_loopback.s6_addr, 16) == 0;
    long port = 0;
    if (parse_uint(colon + 1, &port, 65535) != 0)
        return -EINVAL;
    a.port = (unsigned)port;
    *out = a;
    return 0;
}

static const char *last_component(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Whether item (n bytes, not NUL-terminated) equals s. */
static int item_is(const char *item, size_t n, const char *s)
{
    return s != NULL && strlen(s) == n && strncmp(item, s, n) == 0;
}

int tp_program_selected(const char *list, const char *exe, const char *argv0)
{
    int any = 0;
    for (const char *p = list; *p != '\0';) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n > 0) {
            any = 1;
            int path = memchr(p, '/', n) != NULL;
            if (path ? item_is(p, n, exe) || item_is(p, n, argv0)
                     : item_is(p, n, exe ? last_component(exe) : NULL) ||
                       item_is(p, n, argv0 ? last_component(argv0) : NULL))
                return 1;
        }
        p += strcspn(p, ",");
    }
    return !any;
}

void tp_config_load(tp_config_t *c, tp_getenv_fn *get, tp_warn_fn *warn,
                    unsigned uid)
{
    char fallback[PATH_MAX + 32];
    const char *v;

    memset(c, 0, sizeof *c);
    snprintf(c->dir, sizeof c->dir, "/tmp/threadprof-%u", uid);
    c->dir_is_default = 1;
    c->signo = DEFAULT_SIGNAL;
    c->on_exit = 1;
    c->deadlock_check = 1;
    c->on_crash = 1;
    c->crash_timeout_ns = TP_DEFAULT_CRASH_TIMEOUT_NS;
    c->mutex_fraction = TP_DEFAULT_MUTEX_FRACTION;
    c->hold_fraction = TP_DEFAULT_HOLD_FRACTION;
    c->block_rate_ns = TP_DEFAULT_BLOCK_RATE_NS;
    c->lock_order = TP_DEFAULT_LOCK_ORDER;
    c->lazy_dump_thread = 0;
    c->heap_rate = TP_DEFAULT_HEAP_RATE;
    c->keep = TP_DEFAULT_KEEP;
    c->trend_ns = TP_DEFAULT_TREND_NS;

    if ((v = get("THREADPROF_DIR")) != NULL) {
        if (tp_parse_dir(v, c->dir, sizeof c->dir) == 0) {
            c->dir_is_default = 0;
        } else {
            snprintf(fallback, sizeof fallback, "the default %s", c->dir);
            warn_value(warn, "THREADPROF_DIR", v, "an absolute directory path",
                       fallback);
        }
    }
    if ((v = get("THREADPROF_SIGNAL")) != NULL &&
        tp_parse_signal(v, &c->signo) != 0)
        warn_value(warn, "THREADPROF_SIGNAL", v,
                   "a catchable signal name or number (e.g. SIGUSR2, 12, "
                   "SIGRTMIN+3, none)", "SIGUSR2");
    if ((v = get("THREADPROF_ON_EXIT")) != NULL) {
        if (strcasecmp(v, "all") == 0)
            c->on_exit = TP_ON_EXIT_ALL;
        else if (tp_parse_bool(v, &c->on_exit) != 0)
            warn_value(warn, "THREADPROF_ON_EXIT", v,
                       "a boolean (1/0, yes/no) or all", "1 (dump at exit)");
    }
    if ((v = get("THREADPROF_INTERVAL")) != NULL &&
        tp_parse_duration(v, &c->interval_ns) != 0)
        warn_value(warn, "THREADPROF_INTERVAL", v,
                   "a duration between 10ms and 366 days (e.g. 30, 1.5s, 5m, "
                   "off)", "off (no periodic dumps)");
    if ((v = get("THREADPROF_DEADLOCK_CHECK")) != NULL &&
        tp_parse_bool(v, &c->deadlock_check) != 0)
        warn_value(warn, "THREADPROF_DEADLOCK_CHECK", v, "a boolean (1/0, yes/no)",
                   "1 (check for deadlocks)");
    if ((v = get("THREADPROF_ON_CRASH")) != NULL &&
        tp_parse_bool(v, &c->on_crash) != 0)
        warn_value(warn, "THREADPROF_ON_CRASH", v, "a boolean (1/0, yes/no)",
                   "1 (dump when a fatal signal kills the program)");
    if ((v = get("THREADPROF_CRASH_TIMEOUT")) != NULL) {
        uint64_t ns = 0;
        if (tp_parse_duration(v, &ns) != 0 || ns < 100000000ull ||
            ns > TP_MAX_CRASH_TIMEOUT_NS)
            warn_value(warn, "THREADPROF_CRASH_TIMEOUT", v,
                       "a duration from 100ms to 10m (e.g. 3s, 500ms)", "3s");
        else
            c->crash_timeout_ns = ns;
    }
    if ((v = get("THREADPROF_MUTEX_FRACTION")) != NULL &&
        tp_parse_fraction(v, &c->mutex_fraction) != 0)
        warn_value(warn, "THREADPROF_MUTEX_FRACTION", v,
                   "a whole number from 0 (off) to 1000000000",
                   "1 (every contention)");
    if ((v = get("THREADPROF_HOLD_FRACTION")) != NULL) {
        long f = 0;
        if (tp_parse_fraction(v, &f) != 0 || f > 1000000)
            warn_value(warn, "THREADPROF_HOLD_FRACTION", v,
                       "a whole number from 0 (off) to 1000000", "256");
        else
            c->hold_fraction = f;
    }
    if ((v = get("THREADPROF_BLOCK_RATE")) != NULL &&
        tp_parse_rate_ns(v, &c->block_rate_ns) != 0)
        warn_value(warn, "THREADPROF_BLOCK_RATE", v,
                   "nanoseconds up to 1 hour (e.g. 10000, 50us, 1ms, 0 = off)",
                   "10000 (10 us)");
    if ((v = get("THREADPROF_DUMP_THREAD")) != NULL) {
        if (strcasecmp(v, "lazy") == 0)
            c->lazy_dump_thread = 1;
        else if (strcasecmp(v, "always") == 0)
            c->lazy_dump_thread = 0;
        else
            warn_value(warn, "THREADPROF_DUMP_THREAD", v, "always or lazy",
                       "always");
    }
    if ((v = get("THREADPROF_LOCK_ORDER")) != NULL &&
        tp_parse_bool(v, &c->lock_order) != 0)
        warn_value(warn, "THREADPROF_LOCK_ORDER", v, "a boolean (1/0, yes/no)",
                   TP_DEFAULT_LOCK_ORDER ? "1 (check lock order)"
                                         : "0 (no lock-order checking)");
    if ((v = get("THREADPROF_HEAP_RATE")) != NULL &&
        tp_parse_bytes(v, &c->heap_rate) != 0)
        warn_value(warn, "THREADPROF_HEAP_RATE", v,
                   "bytes up to 1 GiB (e.g. 524288, 64k, 1 = every allocation, "
                   "0 = off)", "524288 (512 KiB)");
    if ((v = get("THREADPROF_QUIET")) != NULL &&
        tp_parse_bool(v, &c->quiet) != 0)
        warn_value(warn, "THREADPROF_QUIET", v, "a boolean (1/0, yes/no)",
                   "0 (not quiet)");
    if ((v = get("THREADPROF_KEEP")) != NULL) {
        long keep = 0;
        if (parse_uint(v, &keep, 100000) == 0 && keep != 1)
            c->keep = (unsigned)keep;
        else
            warn_value(warn, "THREADPROF_KEEP", v, "a number of periodic dumps to keep "
                       "from 2 (the first and the latest) to 100000, or 0 (all)", "50");
    }
    if ((v = get("THREADPROF_EXITCODE")) != NULL) {
        long code = 0;
        if (strcasecmp(v, "off") == 0)
            c->exitcode = 0;
        else if (parse_uint(v, &code, 255) == 0)
            c->exitcode = (int)code;
        else
            warn_value(warn, "THREADPROF_EXITCODE", v, "an exit status from 1 to 255 (0 or "
                       "off: keep the program's)", "off");
    }
    if ((v = get("THREADPROF_TREND")) != NULL) {
        uint64_t ns = 0;
        if (tp_parse_duration(v, &ns) != 0)
            warn_value(warn, "THREADPROF_TREND", v,
                       "a duration from 100ms to 366 days (e.g. 10s, 1m, off)",
                       "10s");
        else if (ns != 0 && ns < TP_MIN_TREND_NS)
            warn_value(warn, "THREADPROF_TREND", v,
                       "at least 100ms (sampling faster would cost the program more "
                       "than it tells)", "100ms");
        else
            c->trend_ns = ns;
        if (ns != 0 && ns < TP_MIN_TREND_NS)
            c->trend_ns = TP_MIN_TREND_NS;
    }
    if ((v = get("THREADPROF_TRIGGER")) != NULL)
        load_thresholds(c, v, warn);
    if ((v = get("THREADPROF_HTTP")) != NULL && strcasecmp(v, "off") != 0 &&
        tp_parse_http_addr(v, &c->http) != 0)
        warn_value(warn, "THREADPROF_HTTP", v,
                   "a numeric address and port (127.0.0.1:6060, [::1]:0) or "
                   "unix:/absolute/path", "off (no endpoint)");
    if ((v = get("THREADPROF_HTTP_TOKEN")) != NULL) {
        size_t n = strlen(v);
        int ok = n >= 8 && n < sizeof c->http_token;
        for (size_t i = 0; ok && i < n; i++)
            ok = v[i] > 0x20 && v[i] < 0x7f;
        if (ok)
            memcpy(c->http_token, v, n + 1);
        else
            warn_value(warn, "THREADPROF_HTTP_TOKEN", v,
                       "8 to 255 printable characters without spaces", "none");
    }
    if ((v = get("THREADPROF_HTTP_TOKEN_FILE")) != NULL) {
        if (v[0] == '/' && strlen(v) < sizeof c->http_token_file)
            memcpy(c->http_token_file, v, strlen(v) + 1);
        else
            warn_value(warn, "THREADPROF_HTTP_TOKEN_FILE", v, "an absolute file path", "none");
    }
    if ((v = get("THREADPROF_METRICS_FILE")) != NULL) {
        size_t n = strlen(v);
        if (v[0] == '/' && n < sizeof c->metrics_file && v[n - 1] != '/')
            memcpy(c->metrics_file, v, strlen(v) + 1);
        else
            warn_value(warn, "THREADPROF_METRICS_FILE", v, "an absolute file path", "none");
    }
    if ((v = get("THREADPROF_PROGRAMS")) != NULL) {
        if (strlen(v) < sizeof c->programs)
            memcpy(c->programs, v, strlen(v) + 1);
        else
            warn_value(warn, "THREADPROF_PROGRAMS", v,
                       "a comma-separated list of program names or paths, "
                       "up to 1023 characters", "every program");
    }
}
