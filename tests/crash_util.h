/*
 * crash_util.h: the crash suites' helpers (check_crash, check_crash_hard):
 * running a crash test program natively and under the agent, each in a
 * fresh directory of its own as working directory with RLIMIT_CORE
 * raised, comparing how both ended, and reading the crash dump: its
 * reason, registers and the entries of its threads.
 *
 * Header-only (static functions), as the other test helpers.
 */
#ifndef TP_CRASH_UTIL_H
#define TP_CRASH_UTIL_H

#include "tests/testutil.h"

#define RUN_MS 20000               /* a program's run, native or agent */
#define DUMP_MS 3000               /* for the crash dump after the death */
#define CORE_LIMIT (256ul << 20)   /* RLIMIT_CORE of the programs */

/* ---- running programs ---- */

/* Starts build/tests/programs/<prog> as tu_start_full does, but with its
 * directory as its working directory and RLIMIT_CORE raised to
 * CORE_LIMIT, so that a crash leaves its core there as it would for a
 * user. */
static inline void crash_start(tu_proc_t *p, const char *prog, int preload,
                               const char *const *env, const char *const *args)
{
    const tu_start_opts_t o = {.in_dir = 1, .core_limit = CORE_LIMIT};
    tu_start_opts(p, prog, preload, env, args, &o);
}

/* 1 when a program of ours that dies of SIGSEGV leaves a core: the
 * pattern is a file name (not a pipe to a handler, which may drop it) and
 * the hard limit lets RLIMIT_CORE be raised.  Where it is 0, WCOREDUMP is
 * still compared between native and agent runs, but not required. */
static inline int cores_possible(void)
{
    char *pattern = tu_read_file("/proc/sys/kernel/core_pattern");
    int ok = pattern != NULL && pattern[0] != '|' && pattern[0] != '\n' &&
             pattern[0] != '\0';
    free(pattern);
    struct rlimit rl;
    return ok && getrlimit(RLIMIT_CORE, &rl) == 0 &&
           (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= CORE_LIMIT);
}

/* Removes the core files a run left in its directory, then the directory
 * (a pattern with a directory of its own puts them elsewhere: not ours to
 * remove). */
static inline void crash_cleanup(tu_proc_t *p)
{
    DIR *d = opendir(p->dir);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            char path[PATH_MAX + 300];
            if (!tu_starts_with(e->d_name, "core"))
                continue;
            snprintf(path, sizeof path, "%.3000s/%s", p->dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    tu_cleanup(p);
}

/* The native run died as expected (sig: of that signal, with a core where
 * cores are possible; 0: exit status 0), and the agent's run exactly as
 * the native one, with the same stdout. */
static inline void expect_same_death(const tu_proc_t *native, const tu_proc_t *agent, int sig)
{
    int n = native->status, a = agent->status;
    if (sig != 0) {
        ck_assert_msg(WIFSIGNALED(n) && WTERMSIG(n) == sig,
                      "native run: status %#x, not killed by signal %d; stderr:\n%.2000s",
                      n, sig, native->err);
        ck_assert_msg(!cores_possible() || WCOREDUMP(n),
                      "native run killed by signal %d without a core (status %#x)", sig, n);
    } else {
        ck_assert_msg(WIFEXITED(n) && WEXITSTATUS(n) == 0,
                      "native run: status %#x, not exit 0; stderr:\n%.2000s", n, native->err);
    }
    ck_assert_msg(WIFSIGNALED(a) == WIFSIGNALED(n),
                  "agent run: status %#x, native %#x; agent stderr:\n%.2000s", a, n, agent->err);
    if (WIFSIGNALED(n)) {
        ck_assert_msg(WTERMSIG(a) == WTERMSIG(n), "agent run killed by signal %d, native by %d;"
                      " agent stderr:\n%.2000s", WTERMSIG(a), WTERMSIG(n), agent->err);
        ck_assert_msg(!WCOREDUMP(a) == !WCOREDUMP(n), "agent run core dumped: %d, native: %d;"
                      " agent stderr:\n%.2000s", !!WCOREDUMP(a), !!WCOREDUMP(n), agent->err);
    }
    ck_assert_msg(WIFEXITED(a) == WIFEXITED(n), "agent run: status %#x, native %#x", a, n);
    if (WIFEXITED(n))
        ck_assert_msg(WEXITSTATUS(a) == WEXITSTATUS(n), "agent run exit %d, native %d;"
                      " agent stderr:\n%.2000s", WEXITSTATUS(a), WEXITSTATUS(n), agent->err);
    ck_assert_str_eq(agent->out, native->out);
}

/* Runs prog natively then under the agent (env and args for both), to
 * their ends, and checks they died alike (expect_same_death). */
static inline void run_pair(tu_proc_t *native, tu_proc_t *agent, const char *prog,
                     const char *const *env, const char *const *args, int sig)
{
    memset(native, 0, sizeof *native);
    memset(agent, 0, sizeof *agent);
    crash_start(native, prog, 0, env, args);
    tu_finish(native, 0, RUN_MS);
    crash_start(agent, prog, 1, env, args);
    tu_finish(agent, 0, RUN_MS);
    expect_same_death(native, agent, sig);
}

/* The number a program printed on stderr as "<what> <number>" (its tids,
 * a child's pid), as a pid_t. */
static inline pid_t printed_id(const tu_proc_t *p, const char *what)
{
    char re[128], cap[32];
    snprintf(re, sizeof re, "^%s ([0-9]+)$", what);
    ck_assert_msg(tu_match(p->err, re, cap, sizeof cap), "no \"%s N\" line on stderr:\n%.2000s",
                  what, p->err);
    return (pid_t)atoi(cap);
}

/* ---- reading dumps ---- */

/* How many thread dumps in dir (of pid; 0: of any process) have a reason
 * that says crash. */
static inline int count_crash_dumps(const char *dir, pid_t pid)
{
    char prefix[64];
    if (pid > 0)
        snprintf(prefix, sizeof prefix, "threadprof.%d.", (int)pid);
    else
        snprintf(prefix, sizeof prefix, "threadprof.");
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[PATH_MAX + 300];
        if (!tu_starts_with(e->d_name, prefix) || !tu_ends_with(e->d_name, ".threads.txt"))
            continue;
        snprintf(path, sizeof path, "%.3000s/%s", dir, e->d_name);
        char *text = tu_read_file(path);
        n += text != NULL && tu_match(text, "^reason:.*crash", NULL, 0);
        free(text);
    }
    closedir(d);
    return n;
}

/* The crash dump of pid in p's directory (malloc'd text; its path in
 * path): the highest-numbered thread dump of pid whose reason says crash
 * (a periodic dump being written when the program crashed may have a
 * higher number).  Waits up to DUMP_MS for it (the program is dead
 * already: it should be there), then fails saying what there is
 * instead. */
static inline char *crash_dump(const tu_proc_t *p, pid_t pid, char *path, size_t len)
{
    long end = tu_now_ms() + DUMP_MS;
    char *text = NULL;
    for (;;) {
        for (unsigned seq = tu_highest_dump(p->dir, pid); seq > 0; seq--) {
            tu_dump_path(p, pid, seq, path, len);
            free(text);
            text = tu_read_file(path);
            if (text != NULL && tu_match(text, "^reason: crash ", NULL, 0))
                return text;
        }
        if (tu_now_ms() > end)
            break;
        usleep(20000);
    }
    ck_abort_msg("no crash dump of pid %d in %s (%d thread dumps; the last:\n%.1500s)\n"
                 "stderr:\n%.1500s", (int)pid, p->dir, tu_count_dumps(p->dir, pid),
                 text ? text : "(none)", p->err);
    return NULL;
}

/* Where the thread entries of dump start: after "== threads ==" when the
 * dump has a grouped view first, else the whole dump. */
static inline const char *entries_start(const char *dump)
{
    const char *detail = strstr(dump, "== threads ==");
    return detail != NULL ? detail : dump;
}

/* 1 when the line at s (up to its newline) is an entry's header,
 * `thread <tid> "<name>" [<state>]:` (the deadlock sections' lines
 * "thread <tid> "<name>" waits for ..." are not). */
static inline int is_entry_header(const char *s)
{
    const char *nl = strchr(s, '\n');
    size_t n = nl ? (size_t)(nl - s) : strlen(s);
    return n > 9 && strncmp(s, "thread ", 7) == 0 && strncmp(s + n - 2, "]:", 2) == 0;
}

/* The thread entries of dump in order (header to the blank line, each
 * malloc'd), the first max of them in entries; returns how many there
 * are.  name != NULL: only those of threads with that name. */
static inline int thread_entries(const char *dump, const char *name, char **entries, int max)
{
    char needle[128];
    snprintf(needle, sizeof needle, "\"%s\" [", name ? name : "");
    int n = 0;
    const char *s = entries_start(dump);
    while (s != NULL && *s != '\0') {
        const char *nl = strchr(s, '\n');
        if (!is_entry_header(s)) {
            s = nl ? nl + 1 : NULL;
            continue;
        }
        const char *end = strstr(s, "\n\n");
        size_t len = end ? (size_t)(end - s) + 1 : strlen(s);
        const char *quote = strchr(s, '"');
        if (name == NULL || (quote != NULL && strncmp(quote, needle, strlen(needle)) == 0)) {
            if (n < max) {
                entries[n] = malloc(len + 1);
                ck_assert_ptr_nonnull(entries[n]);
                memcpy(entries[n], s, len);
                entries[n][len] = '\0';
            }
            n++;
        }
        s = end ? end + 2 : NULL;
    }
    return n;
}

/* The first line of text (malloc'd, without its newline). */
static inline char *first_line(const char *text)
{
    const char *nl = strchr(text, '\n');
    size_t n = nl ? (size_t)(nl - text) : strlen(text);
    char *line = malloc(n + 1);
    ck_assert_ptr_nonnull(line);
    memcpy(line, text, n);
    line[n] = '\0';
    return line;
}

/* The function line of an entry's first frame (malloc'd): the first line
 * after the header that is not indented (the details are); "" when the
 * entry has none. */
static inline char *first_frame(const char *entry)
{
    const char *s = strchr(entry, '\n');
    while (s != NULL && s[1] != '\0') {
        s++;
        if (*s != ' ' && *s != '\t')
            return first_line(s);
        s = strchr(s, '\n');
    }
    return first_line("");
}

/* The registers block of a crash dump, hs_err style: a line
 * "registers:", then lines such as "RAX=0x<16 digits>, RBX=..., RCX=...,
 * RDX=..." and one starting "RIP=0x", before the first thread entry.
 * Returns RIP. */
static inline unsigned long long check_registers(const char *dump)
{
    const char *regs = strstr(dump, "\nregisters:\n");
    ck_assert_msg(regs != NULL, "no registers: line in:\n%.3000s", dump);
    regs++;
    const char *end = strstr(regs, "\n\n");
    size_t n = end ? (size_t)(end - regs) + 1 : strlen(regs);
    char *block = strndup(regs, n);
    ck_assert_ptr_nonnull(block);
    tu_assert_match(block, "^RAX=0x[0-9a-f]{16}, RBX=0x[0-9a-f]{16}, "
                           "RCX=0x[0-9a-f]{16}, RDX=0x[0-9a-f]{16}$");
    char rip[32];
    ck_assert_msg(tu_match(block, "^RIP=0x([0-9a-f]+)", rip, sizeof rip),
                  "no RIP=0x line in:\n%s", block);
    free(block);
    const char *reason = strstr(dump, "\nreason: ");
    const char *entries = entries_start(dump);
    ck_assert_msg(reason != NULL && reason < regs, "registers before the reason:\n%.3000s", dump);
    for (const char *s = entries; s != NULL; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL)
        if (is_entry_header(s)) {
            ck_assert_msg(regs < s, "registers after the first thread:\n%.3000s", dump);
            break;
        }
    return strtoull(rip, NULL, 16);
}

/* What every crash dump of the agent's run p must say: reason
 * "crash <what> in thread <tid> "<name>"" (what: a regular expression),
 * the registers, the crashed thread's entry first, with the header
 * `thread <tid> "<name>" [crashed: <sig>]:`; the file mode 0600 and the
 * dump complete.  Returns the dump (malloc'd), the crashed thread's entry
 * in *crashed (malloc'd) and RIP in *rip when rip != NULL. */
static inline char *check_crash_dump(const tu_proc_t *p, pid_t pid, const char *what, pid_t tid,
                              const char *name, const char *sig, char **crashed,
                              unsigned long long *rip)
{
    char path[PATH_MAX + 64], re[512], header[256];
    char *dump = crash_dump(p, pid, path, sizeof path);
    snprintf(re, sizeof re, "^reason: crash %s in thread %d \"%s\"$", what, (int)tid, name);
    tu_assert_match(dump, re);
    ck_assert_int_eq(tu_count(dump, "\nreason: "), 1);
    unsigned long long pc = check_registers(dump);
    if (rip != NULL)
        *rip = pc;
    char *first[1];
    ck_assert_msg(thread_entries(dump, NULL, first, 1) >= 1, "no thread entry in:\n%.3000s",
                  dump);
    char *line = first_line(first[0]);
    snprintf(header, sizeof header, "thread %d \"%s\" [crashed: %s]:", (int)tid, name, sig);
    ck_assert_msg(strcmp(line, header) == 0, "first entry \"%s\", not \"%s\", in:\n%.3000s",
                  line, header, dump);
    free(line);
    *crashed = first[0];
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_msg((st.st_mode & 0777) == 0600, "%s has mode %o", path,
                  (unsigned)(st.st_mode & 0777));
    ck_assert_msg(tu_ends_with(dump, "\nend of dump\n"), "crash dump cut short:\n%.3000s",
                  dump);
    return dump;
}

/* entry's first frame is fn (as "fn(...)" for a C function). */
static inline void expect_first_frame(const char *entry, const char *fn)
{
    char want[128];
    char *frame = first_frame(entry);
    snprintf(want, sizeof want, "%s(...)", fn);
    ck_assert_msg(strcmp(frame, want) == 0, "first frame \"%s\", not %s, in:\n%.3000s", frame,
                  want, entry);
    free(frame);
}

/* A program that aborts: entry has libc's abort and, below it, the
 * program's function fn ("fn(" for C++ names with their parameters). */
static inline void expect_abort_from(const char *entry, const char *fn)
{
    char needle[128];
    snprintf(needle, sizeof needle, "\n%s(", fn);
    const char *mine = strstr(entry, needle);
    const char *libc = strstr(entry, "\nabort(...)\n");
    ck_assert_msg(mine != NULL, "no frame %s in:\n%.3000s", fn, entry);
    ck_assert_msg(libc != NULL && libc < mine, "no abort(...) frame above %s in:\n%.3000s", fn,
                  entry);
}

/* How many lines of text match regex. */
static inline int count_lines(const char *text, const char *regex)
{
    int n = 0;
    for (const char *s = text; s != NULL && *s != '\0';) {
        char *line = first_line(s);
        n += tu_match(line, regex, NULL, 0);
        free(line);
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    return n;
}

/* How many entries of dir start with prefix. */
static inline int count_files(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    ck_assert(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += tu_starts_with(e->d_name, prefix);
    closedir(d);
    return n;
}

#endif
