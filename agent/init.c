/*
 * init: the constructor that brings the agent up, the resolution of the
 * real libc functions, and the fork handlers.
 *
 * Order matters: configuration first (everything reads it), then the
 * registry with the main thread, then libunwind (dlopen'd while the
 * process is still single-threaded in practice), then the trigger signal,
 * then the dump thread.  Until tp_ready is set every hook passes straight
 * through.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/forkguard.h"
#include "agent/internal.h"
#include "symbolizer/symbolizer.h"

tp_config_t tp_config;
volatile int tp_ready;
uint64_t tp_start_ns;

pid_t tp_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

uint64_t tp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void *tp__real(const char *name, const char *version)
{
    void *p = version ? dlvsym(RTLD_NEXT, name, version)
                      : dlsym(RTLD_NEXT, name);
    if (p == NULL) {
        /* Raw write: nothing else is safe this early. */
        static const char msg[] = "threadprof: cannot find the C library's ";
        ssize_t w = syscall(SYS_write, 2, msg, sizeof msg - 1);
        w = syscall(SYS_write, 2, name, strlen(name));
        w = syscall(SYS_write, 2, "\n", 1);
        (void)w;
        abort();
    }
    return p;
}

static const char *env_lookup(const char *name)
{
    /* secure_getenv: in set-uid programs nothing may redirect our writes. */
    return secure_getenv(name);
}

/* Secure execution: not one THREADPROF_* variable is read. */
static const char *env_none(const char *name)
{
    (void)name;
    return NULL;
}

static void warn_line(const char *line)
{
    tp_warn("%s", line);
}

static void fork_prepare(void)
{
    tp_registry_lock();
    tp_loader_fork_prepare();
    tp_heapprof_fork_prepare();
}

static void fork_parent(void)
{
    tp_heapprof_fork_parent();
    tp_loader_fork_parent();
    tp_registry_unlock();
}

static void fork_child(void)
{
    tp_loader_fork_child();
    tp_heapprof_fork_child();
    tp_registry_after_fork_child();
    tp_lockprof_after_fork_child();
    tp_holdprof_after_fork_child();
    tp_held_across_after_fork_child();
    tp_lock_order_after_fork_child();
    tp_httpd_after_fork_child();
    tp_dumper_after_fork_child();
    tp_retention_after_fork_child();
    tp_sym_reset();
    tp_in_agent--;
}

static void warn_none(const char *line)
{
    (void)line;
}

/* Whether THREADPROF_PROGRAMS (unset: every program) names this one. */
static int program_selected(void)
{
    const char *list = secure_getenv("THREADPROF_PROGRAMS");
    if (list == NULL || *list == '\0' || strlen(list) >= sizeof tp_config.programs)
        return 1;   /* too long: tp_config_load says so, every program it is */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    return tp_program_selected(list, n > 0 ? exe : NULL, program_invocation_name);
}

__attribute__((constructor(101))) static void tp_init(void)
{
    if (tp_ready)
        return;
    tp_in_agent++;
    tp_start_ns = tp_now_ns();
    tp_log_init();
    /* A set-uid, set-gid or capability program (the loader runs it in
     * secure mode; the agent is there through /etc/ld.so.preload or a
     * set-uid library in a standard directory): the environment belongs
     * to the invoking user, the privileges do not, so no setting is read
     * (defaults only) and no dump of any kind is taken: no signal, no
     * interval, no deadlock dump, no exit dump, hence no file. */
    int secure = getauxval(AT_SECURE) != 0;
    /* A program THREADPROF_PROGRAMS leaves out runs untouched, without a
     * word: its settings are read silently to learn the list. */
    int selected = secure || program_selected();
    tp_config_load(&tp_config, secure ? env_none : env_lookup,
                   selected ? warn_line : warn_none, (unsigned)getuid());
    if (secure)
        tp_warn("secure-execution program (set-uid or capabilities): "
                "threadprof reads no settings and writes no files here");
    if (secure || !selected) {
        tp_config.on_exit = 0;
        tp_config.signo = 0;
        tp_config.interval_ns = 0;
        tp_config.deadlock_check = 0;
        tp_config.on_crash = 0;
        tp_config.trend_ns = 0;
        tp_config.nthresholds = 0;
        tp_config.http.family = 0;   /* no endpoint, no metrics file */
        tp_config.metrics_file[0] = '\0';
    }
    if (!selected) {   /* and records nothing either */
        tp_config.mutex_fraction = 0;
        tp_config.block_rate_ns = 0;
        tp_config.heap_rate = 0;
        tp_config.lock_order = 0;
    }
    tp_lockprof_init();
    tp_holdprof_init();
    tp_lock_order_init();
    tp_heapprof_init();
    tp_registry_init();

    tp_thread_t *main_thread = tp_registry_alloc();
    if (main_thread != NULL) {
        main_thread->tid = tp_gettid();
        main_thread->flags = (main_thread->tid == getpid() ? TP_TF_MAIN : 0) |
                             (main_thread->tid == getpid() ? 0 : TP_TF_ADOPTED);
        main_thread->pthread = pthread_self();
        main_thread->start_ns = tp_now_coarse();
        tp_registry_lock();
        tp_registry_link(main_thread);
        tp_registry_unlock();
        tp_registry_register_self(main_thread);
    }
    tp_registry_adopt_existing();
    tp_unwind_locate_agent();
    tp_unwind_load();
    tp_trigger_init();
    tp_crash_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
    tp_ready = 1;
    tp_dumper_init();
    tp_in_agent--;
}
