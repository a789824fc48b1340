/*
 * check_discovery: the per-process discovery file (agent/discovery.c) and
 * the CLI's use of it (scripts/threadprof ps, dump, latest).
 *
 * The file lives in a fixed per-user place, /tmp/threadprof-<uid>/procs,
 * shared with every other process under the agent (other suites running
 * at the same time too): a test asserts only on the files of its own pids
 * (the programs it started, and its own pid for a fake), and a stale file
 * it plants may be swept by someone else's process before its own does
 * it, which the assertions allow.
 *
 * tests/programs/envwipe overwrites its environment strings in place and
 * empties its environment, as redis does: /proc/<pid>/environ then shows
 * nothing, and the CLI can only learn the process's settings from its
 * discovery file.  The HTTP test serves a fixed goroutine?debug=2 text
 * from a small python3 stub and names it in a discovery file rewritten by
 * hand: it tests the CLI's use of the URL, not an endpoint of the agent.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "tests/testutil.h"

#define WAIT_MS 10000

/* /tmp/threadprof-<uid>/procs[/<pid>] (pid 0: the directory). */
static void disc_path(pid_t pid, char *buf, size_t len)
{
    if (pid == 0)
        snprintf(buf, len, "/tmp/threadprof-%u/procs", (unsigned)getuid());
    else
        snprintf(buf, len, "/tmp/threadprof-%u/procs/%d", (unsigned)getuid(), (int)pid);
}

/* Waits until path exists (want 1) or is gone (want 0); 1 when it did
 * within timeout_ms. */
static int wait_path(const char *path, int want, int timeout_ms)
{
    long end = tu_now_ms() + timeout_ms;
    for (;;) {
        struct stat st;
        int there = lstat(path, &st) == 0;
        if (there == want)
            return 1;
        if (tu_now_ms() > end)
            return 0;
        usleep(10000);
    }
}

/* The discovery file of pid (malloc'd), waiting for it up to WAIT_MS. */
static char *disc_read(pid_t pid)
{
    char path[PATH_MAX];
    disc_path(pid, path, sizeof path);
    ck_assert_msg(wait_path(path, 1, WAIT_MS), "no discovery file %s", path);
    char *text = tu_read_file(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    return text;
}

/* Field 22 of /proc/<pid>/stat (0 when the process is gone). */
static unsigned long long proc_starttime(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *text = tu_read_file(path);
    if (text == NULL)
        return 0;
    char *p = strrchr(text, ')');
    unsigned long long v = 0;
    if (p != NULL) {
        p += 2;
        for (int field = 3; field < 22 && p != NULL; field++) {
            p = strchr(p, ' ');
            if (p != NULL)
                p++;
        }
        if (p != NULL)
            v = strtoull(p, NULL, 10);
    }
    free(text);
    return v;
}

/* The program path tu_start execs (as in argv[0]), and its real path. */
static void program_paths(const char *prog, char *argv0, size_t len0, char *real,
                          size_t len1)
{
    snprintf(argv0, len0, "%.3000s/tests/programs/%s", tu_build(), prog);
    char buf[PATH_MAX];
    ck_assert_msg(realpath(argv0, buf) != NULL, "no %s", argv0);
    snprintf(real, len1, "%s", buf);
}

typedef struct cli {
    int status;                /* exit status, -1 when killed */
    char *out, *err;
} cli_t;

static void cli_free(cli_t *r)
{
    free(r->out);
    free(r->err);
}

/* Runs `[env] scripts/threadprof ARGS` with THREADPROF_LIB set to the
 * agent under test, stdout and stderr apart (stderr through a file in
 * dir).  env: "NAME=value " words put before the command, or "". */
static cli_t cli(const char *dir, const char *env, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static cli_t cli(const char *dir, const char *env, const char *fmt, ...)
{
    char args[2 * PATH_MAX], cmd[5 * PATH_MAX], err[PATH_MAX], rel[PATH_MAX], lib[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(rel, sizeof rel, "%.3000s/libthreadprof.so", tu_build());
    ck_assert_msg(realpath(rel, lib) != NULL, "no %s", rel);
    snprintf(err, sizeof err, "%.3000s/.cli-stderr", dir);
    snprintf(cmd, sizeof cmd, "%s THREADPROF_LIB='%s' scripts/threadprof %s 2>'%s'",
             env, lib, args, err);
    cli_t r;
    int st;
    r.out = tu_cmd_output(cmd, &st);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.err = tu_read_file(err);
    ck_assert_ptr_nonnull(r.err);
    unlink(err);
    return r;
}

/* Starts envwipe (args: "keep", "fork") with env under the agent and
 * waits for "ready" and for its discovery file (written once the process
 * has lived a second, so short-lived tools write none; a program
 * THREADPROF_PROGRAMS leaves out never writes one: only waited for a
 * while). */
static void start_envwipe(tu_proc_t *p, const char *const *env, const char *const *args)
{
    memset(p, 0, sizeof *p);
    tu_start_full(p, "envwipe", 1, env, args);
    tu_wait_output(p, "ready", WAIT_MS);
    char path[PATH_MAX];
    disc_path(p->pid, path, sizeof path);
    wait_path(path, 1, 3000);
}

/* Ends envwipe normally (SIGTERM: it returns from main); exit status 0. */
static void stop_envwipe(tu_proc_t *p)
{
    int status = tu_finish(p, SIGTERM, WAIT_MS);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "status %#x, stderr:\n%.2000s", status, p->err);
}

START_TEST(discovery_file_fields)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_SIGNAL=SIGUSR1", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);

    char path[PATH_MAX], dir[PATH_MAX];
    disc_path(p.pid, path, sizeof path);
    disc_path(0, dir, sizeof dir);
    char *text = disc_read(p.pid);
    struct stat st;
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(st.st_uid, geteuid());
    ck_assert_int_eq(lstat(dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0700);

    char argv0[PATH_MAX], real[PATH_MAX], want[4 * PATH_MAX];
    program_paths("states", argv0, sizeof argv0, real, sizeof real);
    snprintf(want, sizeof want,
             "version=1\npid=%d\nstarttime=%llu\nprogram=%s\ncmdline=%s\ndir=%s\n"
             "signal=%d SIGUSR1\nhttp=\nwritten=", (int)p.pid, proc_starttime(p.pid),
             real, argv0, p.dir, SIGUSR1);
    ck_assert_msg(tu_starts_with(text, want), "expected:\n%s\ngot:\n%s", want, text);
    char *end;
    long long written = strtoll(text + strlen(want), &end, 10);
    ck_assert_str_eq(end, "\n");
    long long now = (long long)time(NULL);
    ck_assert_msg(written <= now && written > now - 60, "written=%lld, now %lld", written, now);

    /* No temporary file of this process is left beside it. */
    char prefix[32];
    snprintf(prefix, sizeof prefix, ".%d.", (int)p.pid);
    ck_assert_int_eq(tu_count_entries(dir, prefix), 0);

    free(text);
    tu_finish(&p, SIGKILL, WAIT_MS);
    unlink(path);
    tu_cleanup(&p);
}
END_TEST

/* The signal line: a real-time signal by its name, and "none". */
START_TEST(discovery_signal_realtime_and_none)
{
    tu_proc_t a, b;
    const char *env_a[] = {"THREADPROF_SIGNAL=SIGRTMIN+3", "THREADPROF_ON_EXIT=0", NULL};
    const char *env_b[] = {"THREADPROF_SIGNAL=none", "THREADPROF_ON_EXIT=0", NULL};
    const char *args[] = {"keep", NULL};
    start_envwipe(&a, env_a, args);
    start_envwipe(&b, env_b, args);
    char *ta = disc_read(a.pid), *tb = disc_read(b.pid), re[64];
    snprintf(re, sizeof re, "^signal=%d SIGRTMIN\\+3$", SIGRTMIN + 3);
    tu_assert_match(ta, re);
    tu_assert_match(tb, "^signal=none$");
    free(ta);
    free(tb);
    stop_envwipe(&a);
    stop_envwipe(&b);
    tu_cleanup(&a);
    tu_cleanup(&b);
}
END_TEST

START_TEST(discovery_removed_at_normal_exit)
{
    tu_proc_t p;
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    const char *args[] = {"keep", NULL};
    start_envwipe(&p, env, args);
    char path[PATH_MAX];
    disc_path(p.pid, path, sizeof path);
    free(disc_read(p.pid));
    stop_envwipe(&p);
    struct stat st;
    ck_assert_msg(lstat(path, &st) != 0 && errno == ENOENT, "%s is still there", path);
    tu_cleanup(&p);
}
END_TEST

/* A forked child writes a file of its own (when its dump thread starts:
 * it makes a thread) and removes only its own at its exit. */
START_TEST(discovery_forked_child_own_file)
{
    tu_proc_t p;
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    const char *args[] = {"keep", "fork", NULL};
    start_envwipe(&p, env, args);
    tu_wait_output(&p, "child ", WAIT_MS);
    char cap[32];
    ck_assert(tu_match(p.out, "^child ([0-9]+)$", cap, sizeof cap));
    pid_t child = (pid_t)atoi(cap);
    ck_assert_int_gt(child, 0);

    char argv0[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 64];
    program_paths("envwipe", argv0, sizeof argv0, real, sizeof real);
    char *tc = disc_read(child), *tp = disc_read(p.pid);
    snprintf(want, sizeof want, "version=1\npid=%d\nstarttime=%llu\nprogram=%s\n",
             (int)child, proc_starttime(child), real);
    ck_assert_msg(tu_starts_with(tc, want), "expected:\n%s\ngot:\n%s", want, tc);
    snprintf(want, sizeof want, "version=1\npid=%d\nstarttime=%llu\nprogram=%s\n",
             (int)p.pid, proc_starttime(p.pid), real);
    ck_assert_msg(tu_starts_with(tp, want), "expected:\n%s\ngot:\n%s", want, tp);
    ck_assert_msg(proc_starttime(child) != 0, "the child is gone");
    free(tc);
    free(tp);

    char child_path[PATH_MAX], parent_path[PATH_MAX];
    disc_path(child, child_path, sizeof child_path);
    disc_path(p.pid, parent_path, sizeof parent_path);
    kill(child, SIGTERM);
    ck_assert_msg(wait_path(child_path, 0, WAIT_MS), "%s stays after the child's exit",
                  child_path);
    struct stat st;
    ck_assert_msg(lstat(parent_path, &st) == 0, "the child's exit took %s", parent_path);
    stop_envwipe(&p);
    ck_assert_msg(lstat(parent_path, &st) != 0, "%s stays after the exit", parent_path);
    tu_cleanup(&p);
}
END_TEST

/* A file left by a killed process, one naming a live pid with another
 * start time and a temporary file of a dead writer: `threadprof ps`
 * lists none of them, and the next process that publishes removes them
 * (or another one did first). */
START_TEST(discovery_stale_files_ignored_and_swept)
{
    tu_proc_t a, b;
    const char *env[] = {"THREADPROF_ON_EXIT=0", NULL};
    const char *args[] = {"keep", NULL};
    start_envwipe(&a, env, args);
    free(disc_read(a.pid));
    tu_finish(&a, SIGKILL, WAIT_MS);   /* no exit: its file stays behind */
    pid_t dead = a.pid;

    char dir[PATH_MAX], fake[PATH_MAX], tmp[PATH_MAX], dead_path[PATH_MAX], text[256];
    disc_path(0, dir, sizeof dir);
    disc_path(dead, dead_path, sizeof dead_path);
    disc_path(getpid(), fake, sizeof fake);
    snprintf(tmp, sizeof tmp, "%.3000s/.%d.%d.tmp", dir, (int)dead, (int)dead);
    snprintf(text, sizeof text, "version=1\npid=%d\nstarttime=%llu\nprogram=/bin/fake\n"
             "cmdline=fake\ndir=/tmp\nsignal=12 SIGUSR2\nhttp=\nwritten=1\n",
             (int)getpid(), proc_starttime(getpid()) + 1);
    tu_write_file(fake, text, 0600);
    tu_write_file(tmp, "version=1\n", 0600);

    cli_t r = cli(a.dir, "", "ps");
    ck_assert_msg(r.status == 0, "ps: status %d\n%s", r.status, r.err);
    tu_assert_match(r.out, "^PID +PROGRAM +DIR +SIGNAL +ENDPOINT$");
    char re[PATH_MAX + 64];
    snprintf(re, sizeof re, "^%d ", (int)dead);
    tu_assert_no_match(r.out, re);
    snprintf(re, sizeof re, "^%d ", (int)getpid());
    tu_assert_no_match(r.out, re);
    cli_free(&r);

    /* A process that publishes sweeps them (start_envwipe waits for its
     * file). */
    start_envwipe(&b, env, args);
    struct stat st;
    ck_assert_msg(lstat(dead_path, &st) != 0, "%s of a killed process stays", dead_path);
    ck_assert_msg(lstat(fake, &st) != 0, "%s with another start time stays", fake);
    ck_assert_msg(lstat(tmp, &st) != 0, "%s of a dead writer stays", tmp);
    char *tb = disc_read(b.pid);
    free(tb);

    r = cli(a.dir, "", "ps");
    snprintf(re, sizeof re, "^%d +[^ ]+/envwipe +%.3000s +SIGUSR2 +-$", (int)b.pid, b.dir);
    tu_assert_match(r.out, re);
    cli_free(&r);
    stop_envwipe(&b);
    tu_cleanup(&a);
    tu_cleanup(&b);
}
END_TEST

START_TEST(discovery_unselected_program_writes_none)
{
    tu_proc_t a, b;
    const char *env_a[] = {"THREADPROF_PROGRAMS=other", NULL};
    const char *env_b[] = {"THREADPROF_PROGRAMS=other,envwipe", "THREADPROF_ON_EXIT=0", NULL};
    const char *args[] = {"keep", NULL};
    start_envwipe(&a, env_a, args);
    start_envwipe(&b, env_b, args);
    /* b, started after a, has its file: a had its chance. */
    free(disc_read(b.pid));
    char path[PATH_MAX];
    disc_path(a.pid, path, sizeof path);
    struct stat st;
    ck_assert_msg(lstat(path, &st) != 0, "unselected program wrote %s", path);
    stop_envwipe(&a);
    stop_envwipe(&b);
    tu_cleanup(&a);
    tu_cleanup(&b);
}
END_TEST

/* The program's environment no longer shows its settings (the premise
 * of the tests below). */
static void assert_environ_wiped(pid_t pid)
{
    char path[64];
    size_t len;
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    char *env = tu_read_file_len(path, &len);
    ck_assert_ptr_nonnull(env);
    ck_assert_ptr_null(memmem(env, len, "THREADPROF_", 11));
    free(env);
}

static void start_wiped(tu_proc_t *p)
{
    const char *env[] = {"THREADPROF_SIGNAL=SIGUSR1", "THREADPROF_ON_EXIT=0", NULL};
    start_envwipe(p, env, NULL);
    assert_environ_wiped(p->pid);
}

/* threadprof dump finds the directory and signal of a program that wiped
 * its environment; without the discovery file it cannot. */
START_TEST(discovery_cli_dump_wiped_environment)
{
    tu_proc_t p;
    start_wiped(&p);
    cli_t r = cli(p.dir, "", "dump --timeout 10 %d", (int)p.pid);
    ck_assert_msg(r.status == 0, "dump: status %d\n%s", r.status, r.err);
    char re[PATH_MAX + 128];
    snprintf(re, sizeof re, "^threadprof thread dump 1 of pid %d$", (int)p.pid);
    tu_assert_match(r.out, re);
    tu_assert_match(r.out, "^reason: signal SIGUSR1$");
    tu_assert_no_match(r.out, "^threadprof summary");
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 1);
    snprintf(re, sizeof re, "^threadprof: process %d wrote %s/threadprof\\.%d\\.000001\\.threads\\.txt$",
             (int)p.pid, p.dir, (int)p.pid);
    tu_assert_match(r.err, re);
    snprintf(re, sizeof re, "^threadprof: process %d wrote %s/threadprof\\.%d\\.000001\\.summary\\.txt$",
             (int)p.pid, p.dir, (int)p.pid);
    tu_assert_match(r.err, re);
    cli_free(&r);

    r = cli(p.dir, "env -u THREADPROF_DIR", "latest %d", (int)p.pid);
    ck_assert_msg(r.status == 0, "latest: status %d\n%s", r.status, r.err);
    snprintf(re, sizeof re, "^%s/threadprof\\.%d\\.000001\\.threads\\.txt$", p.dir, (int)p.pid);
    tu_assert_match(r.out, re);
    cli_free(&r);

    /* Without the file only the (wiped) environment is left: the CLI
     * takes the default signal, which the process does not catch. */
    char path[PATH_MAX], aside[PATH_MAX + 16];
    disc_path(p.pid, path, sizeof path);
    snprintf(aside, sizeof aside, "%s/aside", p.dir);
    ck_assert_int_eq(rename(path, aside), 0);
    r = cli(p.dir, "", "dump --timeout 2 %d", (int)p.pid);
    ck_assert_int_ne(r.status, 0);
    tu_assert_match(r.err, "does not catch signal SIGUSR2");
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 1);
    cli_free(&r);
    ck_assert_int_eq(rename(aside, path), 0);

    stop_envwipe(&p);
    tu_cleanup(&p);
}
END_TEST

START_TEST(discovery_cli_dump_summary)
{
    tu_proc_t p;
    start_wiped(&p);
    cli_t r = cli(p.dir, "", "dump --summary %d", (int)p.pid);
    ck_assert_msg(r.status == 0, "dump: status %d\n%s", r.status, r.err);
    char re[128];
    snprintf(re, sizeof re, "^threadprof thread dump 1 of pid %d$", (int)p.pid);
    tu_assert_match(r.out, re);
    snprintf(re, sizeof re, "^end of dump\n\nthreadprof summary of dump 1 of pid %d$", (int)p.pid);
    tu_assert_match(r.out, re);
    tu_assert_match(r.out, "^deadlocks: none$");
    cli_free(&r);
    stop_envwipe(&p);
    tu_cleanup(&p);
}
END_TEST

START_TEST(discovery_cli_ps_lists_process)
{
    tu_proc_t p;
    start_wiped(&p);
    cli_t r = cli(p.dir, "", "ps");
    ck_assert_msg(r.status == 0, "ps: status %d\n%s", r.status, r.err);
    char argv0[PATH_MAX], real[PATH_MAX], re[3 * PATH_MAX];
    program_paths("envwipe", argv0, sizeof argv0, real, sizeof real);
    ck_assert(tu_starts_with(r.out, "PID "));
    tu_assert_match(r.out, "^PID +PROGRAM +DIR +SIGNAL +ENDPOINT$");
    snprintf(re, sizeof re, "^%d +%s +%s +SIGUSR1 +-$", (int)p.pid, real, p.dir);
    tu_assert_match(r.out, re);
    cli_free(&r);
    stop_envwipe(&p);
    tu_cleanup(&p);
}
END_TEST

/* ---- the HTTP branch, against a stub ---- */

#define STUB_TEXT "goroutine 1 [running]:\nmain.fromTheStub()\n\t/stub/main.go:7 +0x1d\n"

static const char stub_py[] =
    "import os, signal, socketserver, sys, http.server\n"
    "signal.alarm(60)\n"
    "mode, where, log = sys.argv[1], sys.argv[2], sys.argv[3]\n"
    "TEXT = b'" "goroutine 1 [running]:\\nmain.fromTheStub()\\n\\t/stub/main.go:7 +0x1d\\n" "'\n"
    "class H(http.server.BaseHTTPRequestHandler):\n"
    "    def do_GET(self):\n"
    "        with open(log, 'a') as f:\n"
    "            f.write('GET %s %s\\n' % (self.path, self.headers.get('Authorization', '-')))\n"
    "        if self.path != '/debug/pprof/goroutine?debug=2':\n"
    "            self.send_error(404)\n"
    "            return\n"
    "        self.send_response(200)\n"
    "        self.send_header('Content-Type', 'text/plain')\n"
    "        self.send_header('Content-Length', str(len(TEXT)))\n"
    "        self.end_headers()\n"
    "        self.wfile.write(TEXT)\n"
    "    def log_message(self, *args):\n"
    "        pass\n"
    "class U(socketserver.UnixStreamServer):\n"
    "    def get_request(self):\n"
    "        return self.socket.accept()[0], ('unix', 0)\n"
    "if mode == 'tcp':\n"
    "    srv = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
    "    url = 'http://127.0.0.1:%d' % srv.server_address[1]\n"
    "else:\n"
    "    srv = U(mode, H)\n"
    "    url = 'unix:' + mode\n"
    "with open(where + '.tmp', 'w') as f:\n"
    "    f.write(url)\n"
    "os.rename(where + '.tmp', where)\n"
    "srv.serve_forever()\n";

/* Starts the stub in dir ("tcp", or a unix socket path as mode); its URL
 * into url; returns its pid. */
static pid_t stub_start(const char *dir, const char *mode, char *url, size_t len)
{
    char script[PATH_MAX], where[PATH_MAX], log[PATH_MAX];
    snprintf(script, sizeof script, "%.3000s/stub.py", dir);
    snprintf(where, sizeof where, "%.3000s/stub.url", dir);
    snprintf(log, sizeof log, "%.3000s/stub.log", dir);
    tu_write_file(script, stub_py, 0600);
    unlink(where);
    pid_t pid = fork();
    ck_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execlp("python3", "python3", script, mode, where, log, (char *)NULL);
        _exit(127);
    }
    ck_assert_msg(wait_path(where, 1, WAIT_MS), "the stub did not start");
    char *text = tu_read_file(where);
    snprintf(url, len, "%s", text);
    free(text);
    return pid;
}

static void stub_stop(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* Replaces the http= line of pid's discovery file (keeping the rest, the
 * agent's own pid and start time) with url, atomically. */
static void disc_set_http(pid_t pid, const char *url)
{
    char path[PATH_MAX], tmp[PATH_MAX + 16], text[8192];
    char *old = disc_read(pid);
    char *at = strstr(old, "\nhttp=");
    ck_assert_msg(at != NULL, "no http= in:\n%s", old);
    char *rest = strchr(at + 1, '\n');
    ck_assert_ptr_nonnull(rest);
    *at = '\0';
    snprintf(text, sizeof text, "%s\nhttp=%s%s", old, url, rest);
    free(old);
    disc_path(pid, path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.test", path);
    tu_write_file(tmp, text, 0600);
    ck_assert_int_eq(rename(tmp, path), 0);
}

/* A PATH with every command of the current one but curl (symlinks in
 * dir/nocurl), as "PATH='...'" into env. */
static void path_without_curl(const char *dir, char *env, size_t len)
{
    char bin[PATH_MAX];
    snprintf(bin, sizeof bin, "%.3000s/nocurl", dir);
    tu_sh("mkdir -p '%s' && IFS=: && for d in $PATH; do "
          "[ -d \"$d\" ] && ln -s \"$d\"/* '%s'/ 2>/dev/null; done; rm -f '%s/curl'; "
          "! PATH='%s' command -v curl >/dev/null", bin, bin, bin, bin);
    snprintf(env, len, "PATH='%s'", bin);
}

static int have(const char *command)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", command);
    return system(cmd) == 0;
}

/* dump through url with env (curl or not): the stub's text, no file;
 * the stub saw one request, with auth as its Authorization header ("-"
 * for none). */
static void dump_through(tu_proc_t *p, const char *env, const char *what, const char *auth)
{
    char log[PATH_MAX];
    snprintf(log, sizeof log, "%.3000s/stub.log", p->dir);
    unlink(log);
    cli_t r = cli(p->dir, env, "dump %d", (int)p->pid);
    ck_assert_msg(r.status == 0, "dump (%s): status %d\n%s", what, r.status, r.err);
    ck_assert_msg(strcmp(r.out, STUB_TEXT) == 0, "dump (%s) printed:\n%s\nstderr:\n%s",
                  what, r.out, r.err);
    char *requests = tu_read_file(log);
    ck_assert_ptr_nonnull(requests);
    char want[256];
    snprintf(want, sizeof want, "GET /debug/pprof/goroutine?debug=2 %s\n", auth);
    ck_assert_str_eq(requests, want);
    free(requests);
    ck_assert_int_eq(tu_count_dumps(p->dir, p->pid), 0);
    cli_free(&r);
}

START_TEST(discovery_cli_dump_through_http)
{
    if (!have("python3"))
        tu_skip("no python3 for the stub endpoint");
    tu_proc_t p;
    /* No signal: the endpoint is the only way to a dump. */
    const char *env[] = {"THREADPROF_SIGNAL=none", "THREADPROF_ON_EXIT=0", NULL};
    start_envwipe(&p, env, NULL);
    char url[PATH_MAX], nocurl[PATH_MAX + 16], sock[PATH_MAX];
    path_without_curl(p.dir, nocurl, sizeof nocurl);

    pid_t stub = stub_start(p.dir, "tcp", url, sizeof url);
    tu_assert_match(url, "^http://127\\.0\\.0\\.1:[0-9]+$");
    disc_set_http(p.pid, url);
    cli_t r = cli(p.dir, "", "ps");
    char re[PATH_MAX];
    snprintf(re, sizeof re, "^%d .* none +%.3000s$", (int)p.pid, url);
    tu_assert_match(r.out, re);
    cli_free(&r);
    if (have("curl"))
        dump_through(&p, "", "http, curl", "-");
    dump_through(&p, nocurl, "http, python3", "-");
    /* A token from the CLI's environment, or from a file. */
    char tokfile[PATH_MAX], cli_env[3 * PATH_MAX];
    snprintf(tokfile, sizeof tokfile, "%.3000s/token", p.dir);
    tu_write_file(tokfile, "from-a-file-42\n", 0600);
    if (have("curl")) {
        dump_through(&p, "THREADPROF_HTTP_TOKEN=s3cret-token", "http, curl, token",
                     "Bearer s3cret-token");
        snprintf(cli_env, sizeof cli_env, "THREADPROF_HTTP_TOKEN_FILE='%s'", tokfile);
        dump_through(&p, cli_env, "http, curl, token file", "Bearer from-a-file-42");
    }
    snprintf(cli_env, sizeof cli_env, "THREADPROF_HTTP_TOKEN_FILE='%s' %s", tokfile, nocurl);
    dump_through(&p, cli_env, "http, python3, token file", "Bearer from-a-file-42");
    stub_stop(stub);

    /* A unix socket: curl --unix-socket, or python3's own connection. */
    snprintf(sock, sizeof sock, "%.3000s/endpoint.sock", p.dir);
    stub = stub_start(p.dir, sock, url, sizeof url);
    snprintf(re, sizeof re, "unix:%.3000s", sock);
    ck_assert_str_eq(url, re);
    disc_set_http(p.pid, url);
    if (have("curl"))
        dump_through(&p, "", "unix socket, curl", "-");
    dump_through(&p, nocurl, "unix socket, python3", "-");
    stub_stop(stub);

    /* The endpoint gone: said so, and no signal to fall back on. */
    r = cli(p.dir, "", "dump --timeout 2 %d", (int)p.pid);
    ck_assert_int_ne(r.status, 0);
    tu_assert_match(r.err, "^threadprof: cannot fetch a dump from the endpoint unix:.* of process [0-9]+, and it has no trigger signal$");
    cli_free(&r);
    stop_envwipe(&p);
    tu_cleanup(&p);
}
END_TEST

static Suite *discovery_suite(void)
{
    Suite *s = suite_create("discovery");
    TCase *tc = tcase_create("discovery");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, discovery_file_fields);
    tcase_add_test(tc, discovery_signal_realtime_and_none);
    tcase_add_test(tc, discovery_removed_at_normal_exit);
    tcase_add_test(tc, discovery_forked_child_own_file);
    tcase_add_test(tc, discovery_stale_files_ignored_and_swept);
    tcase_add_test(tc, discovery_unselected_program_writes_none);
    tcase_add_test(tc, discovery_cli_dump_wiped_environment);
    tcase_add_test(tc, discovery_cli_dump_summary);
    tcase_add_test(tc, discovery_cli_ps_lists_process);
    tcase_add_test(tc, discovery_cli_dump_through_http);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(discovery_suite());
}
