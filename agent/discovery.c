/*
 * discovery: the per-process discovery file (agent/discovery.h).
 *
 * scripts/threadprof must know where a process writes its dumps, which
 * signal asks it for one and whether it serves an HTTP endpoint.  It used
 * to read them from /proc/<pid>/environ, which shows whatever the program
 * left in the memory its environment started in: redis overwrites it with
 * its process title, and the CLI then waited in the wrong directory or
 * sent the wrong signal.  So each process running the agent states its
 * settings in a file of its own:
 *
 *     /tmp/threadprof-<uid>/procs/<pid>
 *
 * <uid> is the real uid (the agent's default dump directory, which is
 * created here too when missing).  Both directories must be real
 * directories (not symlinks) owned by the effective uid and closed to
 * group and others, as the agent demands of its default dump directory
 * (output/outfile.c, tp_outdir_open); procs/ is created 0700 when missing.
 * Otherwise nothing is written, silently: the CLI falls back to the
 * environment.
 *
 * The file (mode 0600) is text, one key=value per line, in this order:
 *
 *     version=1
 *     pid=18387
 *     starttime=4711234
 *     program=/usr/bin/redis-server
 *     cmdline=redis-server *:6379
 *     dir=/tmp/threadprof-1000
 *     signal=12 SIGUSR2
 *     http=
 *     written=1764686331
 *
 * - version: 1.  Keys may be added (a reader ignores those it does not
 *   know); the number changes only when a key changes its meaning.
 * - pid, starttime: the process and its start time (field 22 of
 *   /proc/<pid>/stat, clock ticks after boot).  Together they name one
 *   process: a file whose pid is dead or whose starttime is not that of
 *   the process now at that pid is stale (a process killed before its
 *   exit, a reused pid), and readers ignore it.
 * - program: /proc/self/exe; cmdline: /proc/self/cmdline with spaces
 *   between the arguments, cut at 2000 bytes.  For display: a control
 *   byte in them is written as \xNN (a backslash is not escaped).
 * - dir: where dumps go (THREADPROF_DIR or the default; if that directory
 *   turns out unusable when a dump is written the agent writes to the
 *   default directory instead).  Written as is (the agent accepts no
 *   control character in it).
 * - signal: the trigger signal's number and name ("12 SIGUSR2",
 *   "36 SIGRTMIN+2"), or "none".
 * - http: the URL of the process's HTTP endpoint ("http://127.0.0.1:41234",
 *   "unix:/path"), empty when it has none (or when the URL holds a control
 *   character or more than 1000 bytes).
 * - written: when the file was written, in seconds since the epoch.
 *
 * The file is written under a temporary name (.<pid>.<tid>.tmp, created
 * exclusively, never through a symlink) and renamed into place, so a
 * reader sees a whole file or none.  It is written at start, again in a
 * forked child (its own file, when its dump thread starts) and when the
 * endpoint's address is known, and removed at normal exit; a process
 * killed leaves its file behind, so each publish also removes the stale
 * files of other processes it comes across (at most 64 entries looked at
 * per publish, to stay cheap in a crowded directory).
 *
 * Everything runs with tp_in_agent raised (the hooks pass the calls
 * through), keeps no descriptor, allocates nothing (stack buffers,
 * getdents64 rather than opendir) and leaves errno as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "agent/discovery.h"
#include "agent/internal.h"
#include "base/procparse.h"
#include "base/signame.h"

#define FORMAT_VERSION 1
#define MAX_CMDLINE 2000          /* bytes of the command line kept */
#define MAX_URL 1000
#define SWEEP_BUDGET 64           /* directory entries looked at per publish */
#define LOCK_WAIT_NS 1000000000ll /* a publish takes well under 1 ms */

/* One publish or removal at a time in this process, so that an older
 * text never replaces a newer one.  Holds the pid of its holder, 0 when
 * free: a value of another pid was copied by fork from a parent that
 * held it at that moment, and the holder is not in this process. */
static _Atomic int pub_lock;

static char http_url[MAX_URL + 1];
static pid_t http_pid;       /* the process that set http_url (not a child) */
static pid_t removed_pid;    /* tp_discovery_remove ran in this process */

/* 1 when the lock was taken; after LOCK_WAIT_NS without it, 0 and the
 * caller goes on regardless (a stuck holder must not hang an exit). */
static int lock_take(pid_t self)
{
    struct timespec nap = {0, 1000000};
    for (long long waited = 0; waited < LOCK_WAIT_NS; waited += nap.tv_nsec) {
        int cur = 0;
        if (atomic_compare_exchange_strong(&pub_lock, &cur, self))
            return 1;
        if (cur != self && atomic_compare_exchange_strong(&pub_lock, &cur, self))
            return 1;   /* the parent's, held across fork */
        nanosleep(&nap, NULL);
    }
    return 0;
}

static void lock_release(int held)
{
    if (held)
        atomic_store(&pub_lock, 0);
}

/* Whether the directory open at fd is ours alone: a directory owned by
 * the effective uid with no access for group or others. */
static int dir_private(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
           (st.st_mode & 077) == 0;
}

/* Opens name under at (AT_FDCWD for an absolute path) as a private
 * directory, creating it 0700 when missing (and create is set); never
 * follows a symlink at name.  The descriptor, or -1. */
static int open_private_dir(int at, const char *name, int create)
{
    int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(at, name, flags);
    if (fd < 0 && errno == ENOENT && create && mkdirat(at, name, 0700) == 0) {
        fd = openat(at, name, flags);
        if (fd >= 0)
            (void)fchmod(fd, 0700);   /* exactly 0700 whatever the umask */
    }
    if (fd >= 0 && !dir_private(fd)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* procs/ of this user, created when missing (create); -1 when it cannot
 * be had or is not private. */
static int open_procs(int create)
{
    char top[64];
    snprintf(top, sizeof top, "/tmp/threadprof-%u", (unsigned)getuid());
    int t = open_private_dir(AT_FDCWD, top, create);
    if (t < 0)
        return -1;
    int p = open_private_dir(t, "procs", create);
    close(t);
    return p;
}

/* Reads up to len - 1 bytes of path (relative to at) into buf, NUL
 * terminated; the length, or -1.  A symlink is not followed; only a
 * regular file (or a /proc file) is read. */
static ssize_t read_small(int at, const char *path, char *buf, size_t len)
{
    int fd = openat(at, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    struct stat st;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        size_t got = 0;
        ssize_t r;
        while (got < len - 1 && (r = read(fd, buf + got, len - 1 - got)) > 0)
            got += (size_t)r;
        n = (ssize_t)got;
        buf[got] = '\0';
    }
    close(fd);
    return n;
}

/* Field 22 (starttime) of /proc/<pid>/stat (pid 0: self); 0 when the
 * process is gone or its stat unreadable. */
static unsigned long long proc_starttime(pid_t pid)
{
    char path[48], buf[1024];
    if (pid == 0)
        snprintf(path, sizeof path, "/proc/self/stat");
    else
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(AT_FDCWD, path, buf, sizeof buf) <= 0)
        return 0;
    /* The name in parentheses may hold anything, ')' too: after the last. */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return 0;
    p++;
    /* p is at " S ppid ...": field 3 is the first; 22 is the 20th. */
    for (int field = 3; field < 22; field++) {
        while (*p == ' ')
            p++;
        while (*p != ' ' && *p != '\0')
            p++;
    }
    while (*p == ' ')
        p++;
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    return end != p ? v : 0;
}

/* The value of key ("pid=") in a file's text, parsed as a number; 0 when
 * absent or malformed. */
static unsigned long long text_number(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *line = text; line != NULL && *line != '\0';) {
        if (strncmp(line, key, n) == 0) {
            char *end;
            unsigned long long v = strtoull(line + n, &end, 10);
            return end != line + n && (*end == '\n' || *end == '\0') ? v : 0;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return 0;
}

/* A pid from a name of decimal digits only; 0 for any other name. */
static pid_t name_pid(const char *name, size_t len)
{
    if (len == 0 || len > 9)
        return 0;
    pid_t pid = 0;
    for (size_t i = 0; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        pid = pid * 10 + (name[i] - '0');
    }
    return pid;
}

/* Whether the file name in procs (named for pid) is stale: unreadable as
 * a discovery file, for another pid, or for a process no longer running
 * at that pid.  ino gets the inode judged (0 when it could not be read). */
static int file_stale(int procs, const char *name, pid_t pid, ino_t *ino)
{
    char text[256];
    struct stat st;
    *ino = 0;
    if (fstatat(procs, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return 0;   /* gone meanwhile */
    *ino = st.st_ino;
    if (read_small(procs, name, text, sizeof text) < 0)
        return 1;   /* a symlink, a directory: not ours to keep */
    unsigned long long start = text_number(text, "starttime=");
    return text_number(text, "pid=") != (unsigned long long)pid || start == 0 ||
           proc_starttime(pid) != start;
}

/* Unlinks name in procs if it is still the file (inode ino) that was
 * judged: a file renamed there meanwhile (a new process at a reused pid)
 * stays.  Never removes a directory. */
static void unlink_if_same(int procs, const char *name, ino_t ino)
{
    struct stat st;
    if (fstatat(procs, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == ino)
        unlinkat(procs, name, 0);
}

/* Removes the stale files of other processes in procs, and the leftover
 * temporary files (.<pid>.<tid>.tmp) of processes that are gone; looks
 * at SWEEP_BUDGET entries at most. */
static void sweep(int procs, pid_t self)
{
    int fd = openat(procs, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[4096] __attribute__((aligned(8)));
    int budget = SWEEP_BUDGET;
    ssize_t n;
    while (budget > 0 && (n = getdents64(fd, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n && budget > 0;) {
            struct dirent64 *e = (struct dirent64 *)(buf + off);
            off += e->d_reclen;
            const char *name = e->d_name;
            size_t len = strlen(name);
            if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                continue;
            budget--;
            pid_t pid = name_pid(name, len);
            ino_t ino;
            if (pid != 0 && pid != self) {
                if (file_stale(procs, name, pid, &ino) && ino != 0)
                    unlink_if_same(procs, name, ino);
            } else if (pid == 0 && name[0] == '.' && len > 4 &&
                       strcmp(name + len - 4, ".tmp") == 0) {
                const char *dot = strchr(name + 1, '.');
                pid_t owner = dot ? name_pid(name + 1, (size_t)(dot - name - 1)) : 0;
                struct stat st;
                if (owner != 0 && owner != self && proc_starttime(owner) == 0 &&
                    fstatat(procs, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    !S_ISDIR(st.st_mode))
                    unlink_if_same(procs, name, st.st_ino);
            }
        }
    }
    close(fd);
}

/* Appends src to out (at *pos, out has room for cap bytes in all) with
 * each control byte as \xNN; stops before an escape or byte that would
 * not fit. */
static void put_escaped(char *out, size_t cap, size_t *pos, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *s = (const unsigned char *)src; *s != '\0'; s++) {
        if (*s < 0x20 || *s == 0x7f) {
            if (*pos + 4 >= cap)
                break;
            out[(*pos)++] = '\\';
            out[(*pos)++] = 'x';
            out[(*pos)++] = hex[*s >> 4];
            out[(*pos)++] = hex[*s & 15];
        } else {
            if (*pos + 1 >= cap)
                break;
            out[(*pos)++] = (char)*s;
        }
    }
    out[*pos] = '\0';
}

static void put_text(char *out, size_t cap, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put_text(char *out, size_t cap, size_t *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = *pos < cap ? vsnprintf(out + *pos, cap - *pos, fmt, ap) : 0;
    va_end(ap);
    if (n > 0)
        *pos = *pos + (size_t)n < cap ? *pos + (size_t)n : cap - 1;
}

/* Whether s holds a control byte (and so cannot be a one-line value). */
static int has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* The file's text for this process into out; its length. */
static size_t compose(char *out, size_t cap, pid_t self, unsigned long long start)
{
    size_t pos = 0;
    char raw[PATH_MAX > MAX_CMDLINE ? PATH_MAX : MAX_CMDLINE + 1];

    put_text(out, cap, &pos, "version=%d\npid=%d\nstarttime=%llu\nprogram=",
             FORMAT_VERSION, (int)self, start);
    ssize_t m = readlink("/proc/self/exe", raw, sizeof raw - 1);
    raw[m > 0 ? m : 0] = '\0';
    put_escaped(out, cap, &pos, raw);

    put_text(out, cap, &pos, "\ncmdline=");
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    size_t got = 0;
    ssize_t r;
    while (fd >= 0 && got < MAX_CMDLINE &&
           (r = read(fd, raw + got, MAX_CMDLINE - got)) > 0)
        got += (size_t)r;
    if (fd >= 0)
        close(fd);
    tp_cmdline_clean(raw, got);
    put_escaped(out, cap, &pos, raw);

    put_text(out, cap, &pos, "\ndir=%s\nsignal=",
             has_control(tp_config.dir) ? "" : tp_config.dir);
    if (tp_config.signo != 0) {
        char name[32];
        put_text(out, cap, &pos, "%d %s", tp_config.signo,
                 tp_signal_name(tp_config.signo, name, sizeof name));
    } else {
        put_text(out, cap, &pos, "none");
    }
    put_text(out, cap, &pos, "\nhttp=%s\nwritten=%lld\n",
             http_pid == self ? http_url : "", (long long)time(NULL));
    return pos;
}

/* Writes text into procs as name, through a temporary file renamed into
 * place.  0 or -1. */
static int write_file(int procs, const char *name, pid_t self, const char *text,
                      size_t len)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, ".%d.%d.tmp", (int)self, (int)tp_gettid());
    int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = openat(procs, tmp, flags, 0600);
    if (fd < 0 && errno == EEXIST) {
        /* Left by a thread of a process that died mid-write, whose tid
         * this thread now has. */
        unlinkat(procs, tmp, 0);
        fd = openat(procs, tmp, flags, 0600);
    }
    if (fd < 0)
        return -1;
    (void)fchmod(fd, 0600);
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w <= 0 && !(w < 0 && errno == EINTR))
            break;
        if (w > 0)
            done += (size_t)w;
    }
    int ok = done == len;
    if (close(fd) != 0)
        ok = 0;
    if (!ok || renameat(procs, tmp, procs, name) != 0) {
        unlinkat(procs, tmp, 0);
        return -1;
    }
    return 0;
}

void tp_discovery_publish(void)
{
    int saved = errno;
    tp_in_agent++;
    pid_t self = getpid();
    int held = lock_take(self);
    unsigned long long start = proc_starttime(0);
    int procs = removed_pid != self && start != 0 ? open_procs(1) : -1;
    if (procs >= 0) {
        char text[2 * PATH_MAX + MAX_CMDLINE + MAX_URL + 256], name[16];
        size_t len = compose(text, sizeof text, self, start);
        snprintf(name, sizeof name, "%d", (int)self);
        write_file(procs, name, self, text, len);
        sweep(procs, self);
        close(procs);
    }
    lock_release(held);
    tp_in_agent--;
    errno = saved;
}

void tp_discovery_set_http(const char *url)
{
    int saved = errno;
    tp_in_agent++;
    pid_t self = getpid();
    int held = lock_take(self);
    size_t n = url != NULL ? strlen(url) : 0;
    if (n == 0 || n > MAX_URL || has_control(url)) {
        http_url[0] = '\0';
    } else {
        memcpy(http_url, url, n + 1);
    }
    http_pid = self;
    lock_release(held);
    tp_in_agent--;
    errno = saved;
    tp_discovery_publish();
}

void tp_discovery_remove(void)
{
    int saved = errno;
    tp_in_agent++;
    pid_t self = getpid();
    int held = lock_take(self);
    removed_pid = self;
    int procs = open_procs(0);
    if (procs >= 0) {
        char name[16], text[256];
        struct stat st;
        snprintf(name, sizeof name, "%d", (int)self);
        /* Only a file that names this process: one left at this pid by
         * an earlier process (killed, not swept yet) is not ours. */
        if (fstatat(procs, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            read_small(procs, name, text, sizeof text) > 0 &&
            text_number(text, "pid=") == (unsigned long long)self &&
            text_number(text, "starttime=") == proc_starttime(0))
            unlink_if_same(procs, name, st.st_ino);
        close(procs);
    }
    lock_release(held);
    tp_in_agent--;
    errno = saved;
}
