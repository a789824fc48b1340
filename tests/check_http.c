/*
 * check_http: the live endpoint (THREADPROF_HTTP) with real clients: curl
 * for the text paths, `go tool pprof` for every profile, `promtool check
 * metrics` and a real Prometheus server scraping /metrics; the security
 * rules, unix sockets, bad clients, and the host unaffected.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tests/testutil.h"

#define WAIT_MS 20000

/* The URL p's endpoint was bound to, read from threadprof.<pid>.http
 * once the agent has written it. */
static void served_url(tu_proc_t *p, char *url, size_t url_len)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.http", p->dir, (int)p->pid);
    long end = tu_now_ms() + WAIT_MS;
    while (access(path, F_OK) != 0) {
        tu_drain(p);
        ck_assert_msg(tu_now_ms() < end, "no %s; stderr:\n%s", path, p->err);
        usleep(10000);
    }
    char *text = tu_read_file(path);
    snprintf(url, url_len, "%.*s", (int)strcspn(text, "\n"), text);
    free(text);
}

/* The program under the agent with an endpoint on 127.0.0.1:0 (plus env);
 * returns its URL. */
static void start_served(tu_proc_t *p, const char *prog, const char *const *extra,
                         char *url, size_t url_len)
{
    const char *env[16] = {"THREADPROF_HTTP=127.0.0.1:0"};
    int n = 1;
    for (const char *const *e = extra; e && *e && n < 15; e++)
        env[n++] = *e;
    env[n] = NULL;
    memset(p, 0, sizeof *p);
    tu_start(p, prog, env);
    tu_wait_output(p, "ready", WAIT_MS);
    served_url(p, url, url_len);
    ck_assert_msg(tu_starts_with(url, "http://127.0.0.1:"), "url %s", url);
}

/* GETs url with curl (extra options before it); the body (malloc'd) and
 * the status in *status. */
static char *get(const char *opts, const char *url, int *status)
{
    char body[] = "/tmp/tp-http-body.XXXXXX";
    int fd = mkstemp(body);
    ck_assert(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "curl -s -m 20 %s -o '%s' -w '%%{http_code}' '%s'", opts, body,
             url);
    int st;
    char *code = tu_cmd_output(cmd, &st);
    *status = atoi(code);
    free(code);
    char *text = tu_read_file(body);
    unlink(body);
    return text;
}

static int have(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

/* tu_skip must be expanded in the test itself. */
#define need(tool)                                                            \
    do {                                                                      \
        if (!have(tool)) {                                                    \
            tu_skip("%s is not installed (make setup installs it)", tool);    \
        }                                                                     \
    } while (0)

static int fd_count(pid_t pid)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
    return tu_count_entries(dir, "");
}

static long rss_kb(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *text = tu_read_file(path);
    char *at = text != NULL ? strstr(text, "\nVmRSS:") : NULL;
    long kb = at != NULL ? atol(at + 7) : -1;
    free(text);
    return kb;
}

START_TEST(http_text_paths)
{
    need("curl");
    tu_proc_t p;
    char url[256], u[512];
    start_served(&p, "states", NULL, url, sizeof url);
    tu_drain(&p);
    char re[512];
    snprintf(re, sizeof re, "threadprof: serving %s/debug/pprof/\n", url);
    ck_assert_msg(strstr(p.err, re) != NULL, "stderr:\n%s", p.err);
    int st;
    snprintf(u, sizeof u, "%s/debug/pprof/", url);
    char *b = get("", u, &st);
    ck_assert_int_eq(st, 200);
    tu_assert_match(b, "<a href=\"goroutine\\?debug=2\">");
    free(b);
    snprintf(u, sizeof u, "%s/debug/pprof/goroutine?debug=2", url);
    b = get("", u, &st);
    ck_assert_int_eq(st, 200);
    tu_assert_match(b, "\nreason: request \\(THREADPROF_HTTP\\)\n");
    tu_assert_match(b, "\nthread [0-9]+ \"[^\"]*\" \\[mutex wait");
    free(b);
    snprintf(u, sizeof u, "%s/debug/pprof/goroutine?debug=1", url);
    b = get("", u, &st);
    ck_assert_int_eq(st, 200);
    tu_assert_match(b, "threads in [0-9]+ groups");
    free(b);
    snprintf(u, sizeof u, "%s/debug/threadprof/summary", url);
    b = get("", u, &st);
    ck_assert_int_eq(st, 200);
    tu_assert_match(b, "^deadlocks: ");
    tu_assert_match(b, "\ntrends: ");
    free(b);
    /* Errors: each a status and one line saying why. */
    static const struct { const char *path, *opts; int status; const char *says; } errors[] = {
        {"/nope", "", 404, "no such path"},
        {"/debug/pprof/goroutine?debug=7", "", 400, "debug must be"},
        {"/debug/pprof/mutex?seconds=-1", "", 400, "seconds must be"},
        {"/debug/pprof/mutex?seconds=1e99", "", 400, "seconds must be"},
        {"/debug/pprof/mutex?seconds=61", "", 400, "seconds must be from 1 to 60"},
        {"/debug/pprof/profile?seconds=5", "", 501, "no CPU profile"},
        {"/debug/pprof/trace", "", 501, "no CPU profile"},
        {"/debug/pprof/", "-X POST -d x=1", 405, "only GET and HEAD"},
        {"/debug/pprof/", "-X DELETE", 405, "only GET and HEAD"},
    };
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        snprintf(u, sizeof u, "%s%s", url, errors[i].path);
        b = get(errors[i].opts, u, &st);
        ck_assert_msg(st == errors[i].status, "%s: status %d", errors[i].path, st);
        ck_assert_msg(strstr(b, errors[i].says) != NULL, "%s: %s", errors[i].path, b);
        free(b);
    }
    /* A request never writes a file. */
    ck_assert_int_eq(tu_count_dumps(p.dir, p.pid), 0);
    /* The listener is the agent's: in no dump, not even as a thread the
     * agent has "not yet seen". */
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 1, WAIT_MS);
    tu_assert_match(dump, "\nthreads: [0-9]+ live \\([^)]*\\), [0-9]+ exited but not joined\n");
    tu_assert_no_match(dump, "threadprof-http");
    free(dump);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

START_TEST(http_profiles_read_by_go_pprof)
{
    need("curl");
    need("go");
    tu_proc_t p;
    char url[256], cmd[1024];
    start_served(&p, "contention", NULL, url, sizeof url);
    static const struct { const char *path, *expect; } profiles[] = {
        {"mutex", "contentions/count delay/nanoseconds"},
        {"block", "contentions/count delay/nanoseconds"},
        {"heap", "inuse_space/bytes"},
        {"allocs", "alloc_space/bytes"},
        {"goroutine", "goroutine/count"},
        {"threadcreate", "threadcreate/count"},
        {"delta_mutex", "contentions/count delay/nanoseconds"},
        {"delta_heap", "inuse_space/bytes"},
    };
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -raw '%s/debug/pprof/%s' 2>&1", url,
                 profiles[i].path);
        int st;
        char *out = tu_cmd_output(cmd, &st);
        ck_assert_msg(st == 0, "%s: %s", cmd, out);
        ck_assert_msg(strstr(out, profiles[i].expect) != NULL, "%s:\n%.2000s", cmd, out);
        free(out);
    }
    /* The hot mutex was contended: its acquire site is in the profile. */
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -top '%s/debug/pprof/mutex' 2>&1", url);
    int st;
    char *out = tu_cmd_output(cmd, &st);
    tu_assert_match(out, "hot_release");
    free(out);
    /* -seconds: the difference over 2 s (nothing new: the phases are over). */
    long t0 = tu_now_ms();
    snprintf(cmd, sizeof cmd, "HOME=/tmp go tool pprof -raw -seconds 2 '%s/debug/pprof/mutex' 2>&1",
             url);
    out = tu_cmd_output(cmd, &st);
    ck_assert_msg(st == 0, "%s", out);
    ck_assert_int_ge(tu_now_ms() - t0, 1900);
    tu_assert_no_match(out, "hot_release");
    free(out);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

START_TEST(http_metrics_pass_promtool)
{
    need("curl");
    need("promtool");
    tu_proc_t p;
    char url[256], u[512], cmd[1024];
    start_served(&p, "contention", NULL, url, sizeof url);
    int st;
    snprintf(u, sizeof u, "%s/metrics", url);
    char *b = get("", u, &st);
    ck_assert_int_eq(st, 200);
    tu_assert_match(b, "\n# TYPE threadprof_threads gauge\n");
    tu_assert_match(b, "\nthreadprof_threads\\{state=\"[^\"]+\"\\} [0-9]+\n");
    tu_assert_match(b, "\nthreadprof_lock_contentions_total [1-9][0-9]*\n");
    tu_assert_match(b, "\nprocess_resident_memory_bytes [1-9][0-9]*");
    free(b);
    snprintf(cmd, sizeof cmd, "curl -s '%s' | promtool check metrics 2>&1", u);
    char *out = tu_cmd_output(cmd, &st);
    ck_assert_msg(st == 0, "promtool: %s", out);
    free(out);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* A real Prometheus server scrapes the endpoint. */
START_TEST(http_prometheus_scrapes)
{
    need("curl");
    need("prometheus");
    tu_proc_t p;
    char url[256], dir[PATH_MAX], cfg[PATH_MAX + 32], cmd[4096];
    start_served(&p, "states", NULL, url, sizeof url);
    tu_temp_dir(dir, sizeof dir, "prom");
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", dir);
    char text[512];
    snprintf(text, sizeof text,
             "global:\n  scrape_interval: 1s\n"
             "scrape_configs:\n  - job_name: threadprof\n    static_configs:\n"
             "      - targets: ['%s']\n", url + strlen("http://"));
    tu_write_file(cfg, text, 0600);
    /* A port of its own: one the kernel says is free now. */
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    socklen_t salen = sizeof sa;
    ck_assert(bind(probe, (struct sockaddr *)&sa, sizeof sa) == 0 &&
              getsockname(probe, (struct sockaddr *)&sa, &salen) == 0);
    int port = ntohs(sa.sin_port);
    close(probe);
    pid_t prom = fork();
    ck_assert(prom >= 0);
    if (prom == 0) {
        char listen[64], storage[PATH_MAX + 16], conf[PATH_MAX + 48];
        snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
        snprintf(storage, sizeof storage, "--storage.tsdb.path=%.3000s/data", dir);
        snprintf(conf, sizeof conf, "--config.file=%.3000s", cfg);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execlp("prometheus", "prometheus", conf, storage, listen, (char *)NULL);
        _exit(127);
    }
    int up = 0, series = 0;
    for (long end = tu_now_ms() + 60000; tu_now_ms() < end && !(up && series);) {
        usleep(500000);
        int st;
        snprintf(cmd, sizeof cmd,
                 "curl -s 'http://127.0.0.1:%d/api/v1/query?query=up%%7Bjob%%3D%%22threadprof%%22%%7D'",
                 port);
        char *o = tu_cmd_output(cmd, &st);
        up = strstr(o, "\"value\":[") != NULL && strstr(o, "\"1\"]") != NULL;
        free(o);
        snprintf(cmd, sizeof cmd,
                 "curl -s 'http://127.0.0.1:%d/api/v1/query?query=threadprof_threads'", port);
        o = tu_cmd_output(cmd, &st);
        series = strstr(o, "\"__name__\":\"threadprof_threads\"") != NULL;
        free(o);
    }
    kill(prom, SIGTERM);
    waitpid(prom, NULL, 0);
    tu_remove_temp_dir(dir);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
    ck_assert_msg(up, "Prometheus never saw the target up");
    ck_assert_msg(series, "Prometheus has no threadprof_threads series");
}
END_TEST

START_TEST(http_non_loopback_needs_token)
{
    need("curl");
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_HTTP=0.0.0.0:0", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    usleep(300000);
    tu_drain(&p);
    tu_assert_match(p.err, "threadprof: THREADPROF_HTTP=0\\.0\\.0\\.0 is not a loopback address: "
                           "serving it needs THREADPROF_HTTP_TOKEN or THREADPROF_HTTP_TOKEN_FILE; "
                           "no endpoint\n");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%.3000s/threadprof.%d.http", p.dir, (int)p.pid);
    ck_assert_int_ne(access(path, F_OK), 0);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);

    /* With a token: every request needs it. */
    const char *tok[] = {"THREADPROF_HTTP_TOKEN=correct-horse-battery", NULL};
    char url[256], u[512];
    memset(&p, 0, sizeof p);
    const char *env2[] = {"THREADPROF_HTTP=0.0.0.0:0", tok[0], NULL};
    tu_start(&p, "states", env2);
    tu_wait_output(&p, "ready", WAIT_MS);
    served_url(&p, url, sizeof url);
    unsigned port = 0;
    ck_assert_msg(sscanf(url, "http://0.0.0.0:%u", &port) == 1, "url %s", url);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    int st;
    snprintf(u, sizeof u, "%s/metrics", url);
    char *b = get("", u, &st);
    ck_assert_int_eq(st, 401);
    free(b);
    b = get("-H 'Authorization: Bearer wrong-horse-battery'", u, &st);
    ck_assert_int_eq(st, 401);
    free(b);
    b = get("-H 'Authorization: Bearer correct-horse-battery'", u, &st);
    ck_assert_int_eq(st, 200);
    tu_assert_match(b, "threadprof_threads");
    free(b);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

START_TEST(http_unix_socket)
{
    need("curl");
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    char sock[PATH_MAX], env_http[PATH_MAX + 32], cmd[PATH_MAX * 2];
    snprintf(sock, sizeof sock, "%.3000s/tp.sock", p.dir);
    snprintf(env_http, sizeof env_http, "THREADPROF_HTTP=unix:%s", sock);
    const char *env[] = {env_http, NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    struct stat st;
    long end = tu_now_ms() + WAIT_MS;
    while (lstat(sock, &st) != 0 && tu_now_ms() < end)
        usleep(10000);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    snprintf(cmd, sizeof cmd, "curl -s --unix-socket '%s' http://x/debug/pprof/goroutine?debug=2",
             sock);
    int status;
    char *out = tu_cmd_output(cmd, &status);
    tu_assert_match(out, "\nreason: request \\(THREADPROF_HTTP\\)\n");
    free(out);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* The port is taken: one line, and the program runs on as it would. */
START_TEST(http_port_taken)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(s, 1) == 0);
    socklen_t len = sizeof sa;
    getsockname(s, (struct sockaddr *)&sa, &len);
    char env_http[64];
    snprintf(env_http, sizeof env_http, "THREADPROF_HTTP=127.0.0.1:%u", ntohs(sa.sin_port));
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    const char *env[] = {env_http, "THREADPROF_QUIET=1", NULL};
    tu_start(&p, "exiter", env);
    int status = tu_finish(&p, 0, WAIT_MS);
    close(s);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3, "status %#x", status);
    ck_assert_str_eq(p.out, "hello from exiter\n");
    ck_assert_int_eq(tu_count(p.err, "\n"), 1);
    tu_assert_match(p.err, "^threadprof: cannot serve THREADPROF_HTTP=127\\.0\\.0\\.1:[0-9]+: bind "
                           "failed: Address already in use; no endpoint \\(the program runs on\\)\n");
    tu_cleanup(&p);
}
END_TEST

/* Bad clients: many connections, half-open ones, absurd headers; the
 * endpoint answers the next well-formed request and leaks nothing. */
START_TEST(http_bad_clients)
{
    need("curl");
    need("python3");
    tu_proc_t p;
    char url[256], u[512], cmd[2048];
    start_served(&p, "states", NULL, url, sizeof url);
    int st;
    snprintf(u, sizeof u, "%s/metrics", url);
    free(get("", u, &st));   /* warm: the library and its first buffers */
    char warm[512];
    snprintf(warm, sizeof warm, "%s/debug/pprof/goroutine?debug=2", url);
    free(get("", warm, &st));   /* and the symbolizer */
    int fds_before = fd_count(p.pid);
    unsigned port = (unsigned)atoi(strrchr(url, ':') + 1);
    snprintf(cmd, sizeof cmd,
             "python3 - <<'EOF'\n"
             "import socket, time\n"
             "port = %u\n"
             "held = []\n"
             "for i in range(1000):\n"
             "    s = socket.socket()\n"
             "    s.setblocking(False)\n"
             "    s.connect_ex(('127.0.0.1', port))\n"
             "    held.append(s)\n"
             "time.sleep(1)\n"
             "for s in held: s.close()\n"
             "held = []\n"
             "half = socket.create_connection(('127.0.0.1', port))\n"
             "half.sendall(b'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n')\n"
             "big = socket.create_connection(('127.0.0.1', port))\n"
             "big.sendall(b'GET /metrics HTTP/1.1\\r\\nX-Big: ' + b'a' * 200000 + b'\\r\\n\\r\\n')\n"
             "big.settimeout(5)\n"
             "try:\n"
             "    reply = big.recv(100)\n"
             "except OSError:\n"
             "    reply = b''\n"
             "print('big:', reply[:12])\n"
             "cut = socket.create_connection(('127.0.0.1', port))\n"
             "cut.sendall(b'GET /debug/pprof/goroutine?debug=2 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
             "cut.close()\n"
             "for s in held: s.close()\n"
             "half.close(); big.close()\n"
             "EOF",
             port);
    char *out = tu_cmd_output(cmd, &st);
    ck_assert_msg(st == 0, "%s", out);
    /* The oversized request: an HTTP error or a closed connection. */
    tu_assert_match(out, "^big: b'(HTTP/1\\.1 4[0-9][0-9]|)'");
    free(out);
    /* Nothing leaks: two more barrages leave the memory where the first
     * one left it (within 1 MiB), once the connections are gone. */
    long rss[3];
    for (int round = 0; round < 3; round++) {
        if (round > 0) {
            out = tu_cmd_output(cmd, &st);
            ck_assert_msg(st == 0, "%s", out);
            free(out);
        }
        for (long end = tu_now_ms() + 15000; tu_now_ms() < end; usleep(200000))
            if (fd_count(p.pid) <= fds_before)
                break;
        rss[round] = rss_kb(p.pid);
    }
    ck_assert_msg(rss[2] <= rss[0] + 1024, "RSS %ld, %ld, %ld kB after each barrage", rss[0],
                  rss[1], rss[2]);
    /* A stalled client (half a request, then silence) is closed after the
     * 10 s timeout. */
    snprintf(cmd, sizeof cmd,
             "python3 - <<'EOF'\n"
             "import socket, time\n"
             "s = socket.create_connection(('127.0.0.1', %u))\n"
             "s.sendall(b'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n')\n"
             "s.settimeout(20)\n"
             "t = time.time()\n"
             "try:\n"
             "    data = s.recv(100)\n"
             "except OSError:\n"
             "    data = b'?'\n"
             "print('closed' if data == b'' else 'open', round(time.time() - t))\n"
             "EOF",
             port);
    out = tu_cmd_output(cmd, &st);
    tu_assert_match(out, "^closed (9|10|11|12)$");
    free(out);
    char *b = get("", u, &st);
    ck_assert_int_eq(st, 200);
    free(b);
    /* Connections the clients closed are gone from the process. */
    int fds_after = 0;
    for (long end = tu_now_ms() + 15000; tu_now_ms() < end; usleep(200000))
        if ((fds_after = fd_count(p.pid)) <= fds_before)
            break;
    ck_assert_msg(fds_after <= fds_before, "fds %d before, %d after", fds_before, fds_after);
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

/* A forked child does not serve its parent's socket (it holds no copy of
 * it and says so once), and the parent serves on. */
START_TEST(http_forked_child_not_serving)
{
    need("curl");
    tu_proc_t p;
    char url[256], u[512];
    memset(&p, 0, sizeof p);
    const char *env[] = {"THREADPROF_HTTP=127.0.0.1:0", NULL};
    tu_start(&p, "forker", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    tu_wait_output(&p, "child ", WAIT_MS);
    char cap[32];
    ck_assert(tu_match(p.out, "child ([0-9]+)", cap, sizeof cap));
    pid_t child = (pid_t)atoi(cap);
    served_url(&p, url, sizeof url);
    int st;
    snprintf(u, sizeof u, "%s/debug/pprof/goroutine?debug=2", url);
    char *b = get("", u, &st);
    ck_assert_int_eq(st, 200);
    char pidline[64];
    snprintf(pidline, sizeof pidline, "pid %d", (int)p.pid);
    ck_assert_msg(strstr(b, pidline) != NULL, "not the parent's dump:\n%.1000s", b);
    free(b);
    /* The child's descriptors: no socket. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -l /proc/%d/fd", (int)child);
    char *fds = tu_run_cmd(cmd);
    tu_assert_no_match(fds, "socket:");
    free(fds);
    char note[160];
    snprintf(note, sizeof note, "threadprof: forked child %d does not serve THREADPROF_HTTP "
                                "(its parent %d does)\n", (int)child, (int)p.pid);
    for (long end = tu_now_ms() + WAIT_MS; strstr(p.err, note) == NULL && tu_now_ms() < end;)
        tu_drain(&p), usleep(10000);
    ck_assert_msg(tu_count(p.err, note) == 1, "stderr:\n%s", p.err);
    tu_finish(&p, SIGKILL, WAIT_MS);
    kill(child, SIGKILL);
    tu_cleanup(&p);
}
END_TEST

/* THREADPROF_METRICS_FILE: the /metrics text, rewritten at every trend
 * sample, private, and valid for promtool. */
START_TEST(http_metrics_file)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_make_dir(&p);
    char file[PATH_MAX], env_file[PATH_MAX + 32];
    snprintf(file, sizeof file, "%.3000s/tp.prom", p.dir);
    snprintf(env_file, sizeof env_file, "THREADPROF_METRICS_FILE=%s", file);
    const char *env[] = {env_file, "THREADPROF_TREND=200ms", NULL};
    tu_start(&p, "states", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    struct stat st;
    long end = tu_now_ms() + WAIT_MS;
    while (lstat(file, &st) != 0 && tu_now_ms() < end)
        usleep(20000);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    struct timespec first = st.st_mtim;
    usleep(700000);
    ck_assert_int_eq(lstat(file, &st), 0);
    ck_assert_msg(st.st_mtim.tv_sec != first.tv_sec || st.st_mtim.tv_nsec != first.tv_nsec,
                  "not rewritten");
    char *text = tu_read_file(file);
    tu_assert_match(text, "\nthreadprof_threads\\{state=\"mutex wait\"\\} 1\n");
    free(text);
    if (have("promtool")) {
        char cmd[PATH_MAX + 64];
        snprintf(cmd, sizeof cmd, "promtool check metrics < '%s' 2>&1", file);
        int status;
        char *out = tu_cmd_output(cmd, &status);
        ck_assert_msg(status == 0, "promtool: %s", out);
        free(out);
    }
    tu_finish(&p, SIGKILL, WAIT_MS);
    tu_cleanup(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, http_text_paths);
    tcase_add_test(tc, http_profiles_read_by_go_pprof);
    tcase_add_test(tc, http_metrics_pass_promtool);
    tcase_add_test(tc, http_prometheus_scrapes);
    tcase_add_test(tc, http_non_loopback_needs_token);
    tcase_add_test(tc, http_unix_socket);
    tcase_add_test(tc, http_port_taken);
    tcase_add_test(tc, http_bad_clients);
    tcase_add_test(tc, http_forked_child_not_serving);
    tcase_add_test(tc, http_metrics_file);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
