/*
 * httpd: the live endpoint's listener (THREADPROF_HTTP).
 *
 * GNU libmicrohttpd does the HTTP/1.1: loaded with dlopen only when the
 * setting is on (a process that does not ask for an endpoint maps none of
 * it), run in external-polling mode by one thread of the agent's own
 * ("threadprof-http", every signal blocked), so the library starts no
 * thread the hooks would take for the program's.  What each path serves
 * is agent/endpoint.c's; this file owns the socket, the library, the
 * security rules and the request cycle:
 *   - loopback addresses and unix sockets (created 0600, in a private
 *     directory, then renamed into place) are served to whoever reaches
 *     them, as Go's net/http/pprof; any other address needs
 *     THREADPROF_HTTP_TOKEN (or _TOKEN_FILE) and then every request
 *     `Authorization: Bearer <token>`, compared in constant time;
 *   - GET and HEAD only (405), at most CONNECTIONS at once, a connection
 *     idle for TIMEOUT_S closed, request headers bounded by the
 *     library's memory limit (a longer request is answered 431/400);
 *   - requests are served one at a time on the listener thread; a
 *     `seconds=N` request is suspended (not blocking the others) and
 *     resumed N seconds later;
 *   - every descriptor is close-on-exec; the listening one is kept out of
 *     a forked child (closed there: the child does not serve its
 *     parent's socket, and says so once when its dump thread starts).
 * The bound address goes to $THREADPROF_DIR/threadprof.<pid>.http, the
 * discovery file, and one stderr line.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/discovery.h"
#include "agent/internal.h"
#include "agent/lifecycle.h"
#include "base/query.h"

#define CONNECTIONS 32
#define TIMEOUT_S 10
#define MAX_SUSPENDED 4

/* The library's functions, resolved from the dlopen'd handle. */
static struct {
    struct MHD_Daemon *(*start_daemon)(unsigned int, uint16_t, MHD_AcceptPolicyCallback,
                                       void *, MHD_AccessHandlerCallback, void *, ...);
    void (*stop_daemon)(struct MHD_Daemon *);
    enum MHD_Result (*run_wait)(struct MHD_Daemon *, int32_t);
    const char *(*lookup)(struct MHD_Connection *, enum MHD_ValueKind, const char *);
    struct MHD_Response *(*from_buffer)(size_t, void *, enum MHD_ResponseMemoryMode);
    enum MHD_Result (*add_header)(struct MHD_Response *, const char *, const char *);
    enum MHD_Result (*queue)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
    void (*destroy)(struct MHD_Response *);
    void (*suspend)(struct MHD_Connection *);
    void (*resume)(struct MHD_Connection *);
} mhd;

static struct MHD_Daemon *daemon_;
static int listen_fd = -1;
static dev_t listen_dev;
static ino_t listen_ino;
static pid_t served_pid;          /* the process that started the listener */
static pid_t parent_pid;          /* in a forked child: the process it came from */
static char url[PATH_MAX + 16];
static char token[256];

/* Requests waiting for their `seconds=N`: resumed when due. */
static struct {
    struct MHD_Connection *conn;
    uint64_t due_ns;
} suspended[MAX_SUSPENDED];

static int load_library(void)
{
    void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL)
        return -ENOENT;
#define RESOLVE(field, name)                                                  \
    if ((*(void **)&mhd.field = dlsym(h, name)) == NULL)                      \
        return -ENOENT;
    RESOLVE(start_daemon, "MHD_start_daemon");
    RESOLVE(stop_daemon, "MHD_stop_daemon");
    RESOLVE(run_wait, "MHD_run_wait");
    RESOLVE(lookup, "MHD_lookup_connection_value");
    RESOLVE(from_buffer, "MHD_create_response_from_buffer");
    RESOLVE(add_header, "MHD_add_response_header");
    RESOLVE(queue, "MHD_queue_response");
    RESOLVE(destroy, "MHD_destroy_response");
    RESOLVE(suspend, "MHD_suspend_connection");
    RESOLVE(resume, "MHD_resume_connection");
#undef RESOLVE
    return 0;
}

/* Equal in time independent of where they differ. */
static int same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0;
}

static int authorized(struct MHD_Connection *c)
{
    if (token[0] == '\0')
        return 1;
    const char *h = mhd.lookup(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    return h != NULL && strncmp(h, "Bearer ", 7) == 0 && same_secret(h + 7, token);
}

static enum MHD_Result send_reply(struct MHD_Connection *c, tp_endpoint_reply_t *rep)
{
    struct MHD_Response *r;
    if (rep->body != NULL) {
        r = mhd.from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_FREE);
        if (r == NULL)
            free(rep->body);
    } else {
        r = mhd.from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    rep->body = NULL;
    if (r == NULL)
        return MHD_NO;
    mhd.add_header(r, "Content-Type", rep->content_type != NULL ? rep->content_type
                                                                : "text/plain; charset=utf-8");
    mhd.add_header(r, "X-Content-Type-Options", "nosniff");
    mhd.add_header(r, "Cache-Control", "no-store");
    if (rep->filename != NULL) {
        char disp[128];
        snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", rep->filename);
        mhd.add_header(r, "Content-Disposition", disp);
    }
    if (rep->status == 405)
        mhd.add_header(r, "Allow", "GET, HEAD");
    if (rep->status == 401)
        mhd.add_header(r, "WWW-Authenticate", "Bearer");
    enum MHD_Result ok = mhd.queue(c, rep->status, r);
    mhd.destroy(r);
    return ok;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    tp_endpoint_reply_t rep = {0};
    tp_endpoint_reply_text(&rep, status, text);
    return send_reply(c, &rep);
}

static int suspend_until(struct MHD_Connection *c, uint64_t due_ns)
{
    for (int i = 0; i < MAX_SUSPENDED; i++) {
        if (suspended[i].conn == NULL) {
            suspended[i].conn = c;
            suspended[i].due_ns = due_ns;
            mhd.suspend(c);
            return 0;
        }
    }
    return -EBUSY;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *path,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **state)
{
    (void)cls;
    (void)version;
    (void)upload;
    tp_endpoint_request_t *req = *state;
    if (req == NULL) {            /* the headers only: first call */
        req = calloc(1, sizeof *req);
        if (req == NULL)
            return MHD_NO;
        *state = req;
        return MHD_YES;
    }
    if (*upload_size != 0) {      /* a body: read and dropped */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!req->started) {
        req->started = 1;
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return send_text(c, 405, "threadprof: only GET and HEAD are served\n");
        if (!authorized(c))
            return send_text(c, 401, "threadprof: this endpoint needs "
                                     "Authorization: Bearer <THREADPROF_HTTP_TOKEN>\n");
        const char *v;
        if ((v = mhd.lookup(c, MHD_GET_ARGUMENT_KIND, "debug")) != NULL &&
            tp_query_uint(v, 1000000, &req->query.debug) != 0)
            return send_text(c, 400, "threadprof: debug must be a small whole number\n");
        req->query.has_debug = v != NULL;
        if ((v = mhd.lookup(c, MHD_GET_ARGUMENT_KIND, "seconds")) != NULL &&
            tp_query_uint(v, 1000000, &req->query.seconds) != 0)
            return send_text(c, 400, "threadprof: seconds must be a whole number of "
                                     "seconds\n");
    }
    tp_endpoint_reply_t rep;
    memset(&rep, 0, sizeof rep);
    tp_endpoint_handle(path, req, &rep);
    if (rep.wait_s != 0) {
        if (suspend_until(c, tp_now_ns() + (uint64_t)rep.wait_s * 1000000000ull) == 0)
            return MHD_YES;
        free(rep.body);
        return send_text(c, 503, "threadprof: too many ?seconds= requests at once; "
                                 "try again later\n");
    }
    return send_reply(c, &rep);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls;
    (void)why;
    for (int i = 0; i < MAX_SUSPENDED; i++)
        if (suspended[i].conn == c)
            suspended[i].conn = NULL;
    if (*state != NULL) {
        tp_endpoint_request_done(*state);
        free(*state);
        *state = NULL;
    }
}

static volatile pid_t http_tid;

pid_t tp_httpd_tid(void)
{
    return http_tid;
}

static void *http_main(void *arg)
{
    (void)arg;
    tp_in_agent = 1;
    http_tid = tp_gettid();
    for (;;) {
        uint64_t now = tp_now_ns();
        int32_t wait_ms = 1000;
        for (int i = 0; i < MAX_SUSPENDED; i++) {
            if (suspended[i].conn == NULL)
                continue;
            if (suspended[i].due_ns <= now) {
                mhd.resume(suspended[i].conn);
                suspended[i].conn = NULL;
                wait_ms = 0;
            } else if ((suspended[i].due_ns - now) / 1000000 < (uint64_t)wait_ms) {
                wait_ms = (int32_t)((suspended[i].due_ns - now) / 1000000) + 1;
            }
        }
        if (mhd.run_wait(daemon_, wait_ms) != MHD_YES)
            usleep(100000);   /* the listening socket is gone (a host closed it) */
    }
    return NULL;
}

/* A private directory beside path for binding, so that the socket is
 * 0600 before anyone can reach it. */
static int bind_unix(int fd, const char *path)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    const char *slash = strrchr(path, '/');
    size_t dlen = (size_t)(slash - path);
    if (snprintf(dir, sizeof dir, "%.*s/.threadprof.XXXXXX", (int)dlen, path) >= (int)sizeof dir)
        return -ENAMETOOLONG;
    if (mkdtemp(dir) == NULL)
        return -errno;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int r = 0;
    if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/s", dir) >= (int)sizeof sa.sun_path)
        r = -ENAMETOOLONG;
    else if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || chmod(sa.sun_path, 0600) != 0)
        r = -errno;
    if (r == 0) {
        /* A stale socket of ours at the name is replaced; anything else
         * stays and the endpoint is not served. */
        struct stat st;
        if (lstat(path, &st) == 0 && !(S_ISSOCK(st.st_mode) && st.st_uid == geteuid()))
            r = -EEXIST;
        else if (rename(sa.sun_path, path) != 0)
            r = -errno;
    }
    unlink(sa.sun_path);
    rmdir(dir);
    return r;
}

/* The listening socket for a, its URL in url; -errno with the failing
 * step in what. */
static int make_listener(const tp_http_addr_t *a, const char **what)
{
    int fd = socket(a->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    *what = "socket";
    if (fd < 0)
        return -errno;
    int r = 0;
    if (a->family == AF_UNIX) {
        *what = "bind";
        r = bind_unix(fd, a->path);
        snprintf(url, sizeof url, "unix:%s", a->path);
    } else {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_storage ss;
        socklen_t len;
        memset(&ss, 0, sizeof ss);
        if (a->family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&ss;
            in->sin_family = AF_INET;
            in->sin_port = htons((uint16_t)a->port);
            inet_pton(AF_INET, a->host, &in->sin_addr);
            len = sizeof *in;
        } else {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)a->port);
            inet_pton(AF_INET6, a->host, &in6->sin6_addr);
            len = sizeof *in6;
        }
        *what = "bind";
        if (bind(fd, (struct sockaddr *)&ss, len) != 0)
            r = -errno;
        len = sizeof ss;
        if (r == 0 && getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
            unsigned port = ntohs(a->family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                       : ((struct sockaddr_in6 *)&ss)->sin6_port);
            snprintf(url, sizeof url, a->family == AF_INET ? "http://%s:%u" : "http://[%s]:%u",
                     a->host, port);
        }
    }
    if (r == 0) {
        *what = "listen";
        if (listen(fd, 64) != 0)
            r = -errno;
    }
    if (r != 0) {
        close(fd);
        return r;
    }
    /* Kept for the life of the process: out of the program's numbers. */
    return tp_private_fd_move_high(fd);
}

/* The token: THREADPROF_HTTP_TOKEN, or the first line of the token file. */
static int load_token(void)
{
    if (tp_config.http_token[0] != '\0') {
        snprintf(token, sizeof token, "%s", tp_config.http_token);
        return 0;
    }
    if (tp_config.http_token_file[0] == '\0')
        return 0;
    int fd = open(tp_config.http_token_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, token, sizeof token - 1);
    close(fd);
    if (n <= 0)
        return -EINVAL;
    token[n] = '\0';
    token[strcspn(token, "\r\n")] = '\0';
    return strlen(token) >= 8 ? 0 : -EINVAL;
}

static int start_thread(void)
{
    pthread_attr_t attr;
    pthread_t th;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int r = ((int (*)(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                      void *))tp__real("pthread_create", NULL))(&th, &attr, http_main, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r == 0)
        pthread_setname_np(th, "threadprof-http");
    return -r;
}

void tp_httpd_start(void)
{
    const tp_http_addr_t *a = &tp_config.http;
    if (a->family == 0 || served_pid != 0)
        return;
    served_pid = getpid();
    tp_in_agent++;
    int r = load_token();
    if (r != 0) {
        tp_warn("THREADPROF_HTTP_TOKEN_FILE %s: %s; no endpoint",
                tp_config.http_token_file, strerror(-r));
        goto out;
    }
    if (!a->loopback && token[0] == '\0') {
        tp_warn("THREADPROF_HTTP=%s is not a loopback address: serving it needs "
                "THREADPROF_HTTP_TOKEN or THREADPROF_HTTP_TOKEN_FILE; no endpoint",
                a->host);
        goto out;
    }
    if ((r = load_library()) != 0) {
        tp_warn("THREADPROF_HTTP needs libmicrohttpd (libmicrohttpd12), which cannot be "
                "loaded: %s; no endpoint", dlerror());
        goto out;
    }
    const char *what;
    int fd = make_listener(a, &what);
    if (fd < 0) {
        char where[PATH_MAX + 16];
        if (a->family == AF_UNIX)
            snprintf(where, sizeof where, "unix:%s", a->path);
        else
            snprintf(where, sizeof where, a->family == AF_INET ? "%s:%u" : "[%s]:%u", a->host,
                     a->port);
        tp_warn("cannot serve THREADPROF_HTTP=%s: %s failed: %s; no endpoint (the "
                "program runs on)", where, what, strerror(-fd));
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        listen_dev = st.st_dev;
        listen_ino = st.st_ino;
    }
    listen_fd = fd;
    daemon_ = mhd.start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL,
                               on_request, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
                               MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS,
                               MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_S,
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536,
                               MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                               MHD_OPTION_END);
    if (daemon_ == NULL || (r = start_thread()) != 0) {
        tp_warn("cannot start the endpoint on %s; no endpoint", url);
        close(fd);
        listen_fd = -1;
        goto out;
    }
    tp_endpoint_published(url);
    tp_discovery_set_http(url);
    if (a->family == AF_UNIX)
        tp_info("serving %s (GET /debug/pprof/ through the socket)", url);
    else
        tp_info("serving %s/debug/pprof/", url);
out:
    tp_in_agent--;
}

void tp_httpd_after_fork_child(void)
{
    parent_pid = getppid();
    /* Not the child's to serve: its copy of the socket goes (the parent's
     * port stays the parent's); the listener thread did not come along. */
    if (listen_fd >= 0) {
        struct stat st;
        if (fstat(listen_fd, &st) == 0 && st.st_dev == listen_dev && st.st_ino == listen_ino)
            close(listen_fd);
        listen_fd = -1;
    }
    daemon_ = NULL;
    http_tid = 0;
}

void tp_httpd_child_note(void)
{
    static int said;
    /* The parent may not have started its listener yet when it forked:
     * the child never serves either way. */
    if (tp_config.http.family != 0 && parent_pid != 0 && !said++)
        tp_info("forked child %d does not serve THREADPROF_HTTP (its parent %d does)",
                (int)getpid(), (int)parent_pid);
}
