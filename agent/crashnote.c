/*
 * crashnote: the short crash dump, written by the crash handler itself
 * when the full one could not be (its child timed out, died, or could
 * not be forked).
 *
 * The handler runs in a process that may have a corrupt heap and locks
 * held by the crashed thread, so this is async-signal-safe throughout: no
 * malloc, no stdio, no printf family, no stack walk (libunwind would
 * take the dynamic linker's lock, which the crashed thread may hold).  It
 * has what the signal gave: the signal, its code and address, the thread
 * and the registers, in the thread dump's own words and file name.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "agent/internal.h"
#include "base/signame.h"

typedef struct note {
    char buf[4096];
    size_t len;
} note_t;

static void put(note_t *n, const char *s)
{
    size_t k = strlen(s);
    if (k > sizeof n->buf - n->len)
        k = sizeof n->buf - n->len;
    memcpy(n->buf + n->len, s, k);
    n->len += k;
}

static void put_dec(note_t *n, unsigned long v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    tmp[--i] = '\0';
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(n, tmp + i);
}

/* 0x and at least digits hex digits. */
static void put_hex(note_t *n, unsigned long v, int digits)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    tmp[--i] = '\0';
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
        digits--;
    } while (v != 0 || digits > 0);
    put(n, "0x");
    put(n, tmp + i);
}

/* "<prefix>threadprof.<pid>.<seq, 6 digits>.<suffix>" */
static void file_name(char *out, size_t len, const char *prefix, pid_t pid, unsigned seq,
                      const char *suffix)
{
    note_t n = {.len = 0};
    put(&n, prefix);
    put(&n, "threadprof.");
    put_dec(&n, (unsigned long)pid);
    put(&n, ".");
    char digits[8];
    for (int i = 5; i >= 0; i--, seq /= 10)
        digits[i] = (char)('0' + seq % 10);
    digits[6] = '\0';
    put(&n, digits);
    put(&n, ".");
    put(&n, suffix);
    size_t k = n.len < len - 1 ? n.len : len - 1;
    memcpy(out, n.buf, k);
    out[k] = '\0';
}

static void put_signal(note_t *n, const siginfo_t *si, pid_t pid, pid_t tid)
{
    char sig[32];
    put(n, tp_signal_name(si->si_signo, sig, sizeof sig));
    const char *code = tp_signal_code_name(si->si_signo, si->si_code);
    put(n, " (");
    if (si->si_code > 0 && si->si_code != SI_KERNEL) {
        put(n, code != NULL ? code : "code");
        put(n, " at ");
        put_hex(n, (unsigned long)si->si_addr, 1);
    } else if (si->si_code <= 0 && si->si_pid == pid) {
        put(n, "raised by the program");
    } else if (si->si_code <= 0) {
        put(n, "sent by pid ");
        put_dec(n, (unsigned long)si->si_pid);
    } else {
        put(n, code != NULL ? code : "no code");
    }
    put(n, ") in thread ");
    put_dec(n, (unsigned long)tid);
}

static void put_registers(note_t *n, const ucontext_t *uc)
{
    /* TP_CRASH_* index the kernel's context (crash.c checks). */
    static const struct {
        const char *name;
        int reg;
    } order[] = {
#define REG(name, reg) {name, reg},
        TP_CRASH_HS_ERR_REGS(REG)
#undef REG
    };
    const size_t count = sizeof order / sizeof *order;
    put(n, "registers:\n");
    for (size_t i = 0; i < count; i++) {
        put(n, order[i].name);
        put(n, "=");
        put_hex(n, (unsigned long)uc->uc_mcontext.gregs[order[i].reg], 16);
        put(n, i % 4 == 3 || i + 1 == count ? "\n" : ", ");
    }
    put(n, "  TRAPNO=");
    put_hex(n, (unsigned long)uc->uc_mcontext.gregs[TP_CRASH_TRAPNO], 16);
    put(n, "\n\n");
}

/* The files the killed dump child was writing, under their temporary
 * names (output/outfile.c: ".<name>.<attempt>.tmp"). */
static void remove_partial(int dirfd, pid_t pid, unsigned seq)
{
    static const char *const parts[] = {"threads.txt.0.tmp", "summary.txt.0.tmp",
                                        "mutex.pb.gz.0.tmp", "block.pb.gz.0.tmp",
                                        "heap.pb.gz.0.tmp"};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        char name[96];
        file_name(name, sizeof name, ".", pid, seq, parts[i]);
        unlinkat(dirfd, name, 0);
    }
}

int tp_crash_short_dump(const siginfo_t *si, const ucontext_t *uc, pid_t pid,
                        pid_t tid, unsigned seq, const char *why, char *name,
                        size_t len)
{
    static note_t n;   /* not on the alternate stack: it is small */
    n.len = 0;
    put(&n, "threadprof thread dump ");
    put_dec(&n, seq);
    put(&n, " of pid ");
    put_dec(&n, (unsigned long)pid);
    put(&n, " (short: ");
    put(&n, why);
    put(&n, ")\nreason: crash ");
    put_signal(&n, si, pid, tid);
    put(&n, "\n\n");
    put_registers(&n, uc);
    put(&n, "thread ");
    put_dec(&n, (unsigned long)tid);
    put(&n, " [crashed]:\n    pc ");
    put_hex(&n, (unsigned long)uc->uc_mcontext.gregs[REG_RIP], 1);
    put(&n, " (no stack: the full dump could not be written)\n\nend of dump\n");

    mkdir(tp_config.dir, 0700);   /* fails harmlessly when it exists */
    int dirfd = open(tp_config.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dirfd < 0)
        return -1;
    remove_partial(dirfd, pid, seq);
    file_name(name, len, "", pid, seq, "threads.txt");
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    int exists = fd < 0 && errno == EEXIST;
    close(dirfd);
    if (fd < 0)
        return exists ? 1 : -1;   /* the child wrote the thread dump itself */
    ssize_t w = write(fd, n.buf, n.len);
    close(fd);
    return w == (ssize_t)n.len ? 0 : -1;
}
