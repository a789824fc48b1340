/*
 * Check suite for output/describe.c: threads filled by hand with the facts
 * the capture records (model/snapshot.h) and the texts made of them: the
 * state, the group text and the detail lines of every kind of wait, of a
 * thread in an uncaught system call and of the exit dump's thread, the
 * holders found on held lists, the dump's reason, and the names of wait
 * kinds and of missing stacks.
 */
#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "model/snapshot.h"
#include "output/describe.h"

#define SEC 1000000000ull

static tp_snapshot_t snap;
static tp_snap_thread_t threads[4];

/* A snapshot of four threads (10 "main", 11 "r1", 12 "r2", 13 "w"); the
 * test fills threads[0]. */
static void setup(void)
{
    static const char *const names[] = {"main", "r1", "r2", "w"};
    memset(&snap, 0, sizeof snap);
    memset(threads, 0, sizeof threads);
    for (int i = 0; i < 4; i++) {
        threads[i].tid = 10 + i;
        threads[i].syscall_nr = -1;
        snprintf(threads[i].name, sizeof threads[i].name, "%s", names[i]);
    }
    snap.threads = threads;
    snap.nthreads = 4;
}

static tp_snap_thread_t *waiting(tp_state_t state, const char *call, const void *obj)
{
    tp_snap_thread_t *t = &threads[0];
    t->state = state;
    t->wait.call = call;
    t->wait.obj = obj;
    return t;
}

/* Asserts t's state, group and detail lines (NULL ends the details). */
static void expect(const tp_snap_thread_t *t, const char *state, const char *group, ...)
{
    tp_thread_text_t text;
    char buf[64];
    tp_describe_thread(&snap, t, &text);
    ck_assert_str_eq(text.state, state);
    ck_assert_str_eq(text.group, group);
    tp_describe_group(t, buf, sizeof buf);
    ck_assert_str_eq(buf, group);
    va_list ap;
    va_start(ap, group);
    int n = 0;
    for (const char *d; (d = va_arg(ap, const char *)) != NULL; n++) {
        ck_assert_int_lt(n, text.ndetails);
        ck_assert_str_eq(text.details[n], d);
    }
    va_end(ap);
    ck_assert_int_eq(text.ndetails, n);
}

static void set_fd(tp_snap_fd_t *f, int fd, const char *kind)
{
    f->fd = fd;
    snprintf(f->kind, sizeof f->kind, "%s", kind);
}

/* ---- locks ---- */

START_TEST(describe_mutex_names_its_holder)
{
    tp_snap_thread_t *t = waiting(TP_ST_MUTEX, "pthread_mutex_lock", (void *)0x1000);
    t->wait.holder = 4243;
    snprintf(t->wait.holder_name, sizeof t->wait.holder_name, "worker");
    expect(t, "mutex wait", "mutex wait",
           "mutex 0x1000 held by thread 4243 \"worker\"", NULL);
    t->wait.holder = 0;
    expect(t, "mutex wait", "mutex wait", "mutex 0x1000 (holder unknown)", NULL);
}
END_TEST

START_TEST(describe_rwlock_writer_and_readers)
{
    tp_snap_thread_t *t = waiting(TP_ST_RWLOCK_WR, "pthread_rwlock_wrlock", (void *)0x2000);
    t->wait.holder = 13;
    snprintf(t->wait.holder_name, sizeof t->wait.holder_name, "w");
    expect(t, "rwlock write wait", "rwlock write wait",
           "rwlock 0x2000 write-locked by thread 13 \"w\"", NULL);
    /* No writer: the readers, by count, then by name from held lists. */
    t->wait.holder = 0;
    t->wait.value = 2;
    t->wait_kind = TP_WAIT_RWLOCK;
    t->holders_from_held = 1;
    t->nholders = 2;
    t->holders[0] = 11;
    t->holders[1] = 12;
    expect(t, "rwlock write wait", "rwlock write wait",
           "rwlock 0x2000 read-locked by 2 readers",
           "read by thread 11 \"r1\", thread 12 \"r2\"", NULL);
    t->state = TP_ST_RWLOCK_RD;
    t->wait.value = 1;
    t->nholders = 0;
    expect(t, "rwlock read wait", "rwlock read wait",
           "rwlock 0x2000 read-locked by 1 reader", NULL);
    t->wait.value = 0;
    expect(t, "rwlock read wait", "rwlock read wait", "rwlock 0x2000", NULL);
}
END_TEST

START_TEST(describe_spinlock_holder_from_held_list)
{
    tp_snap_thread_t *t = waiting(TP_ST_SPIN, "pthread_spin_lock", (void *)0x3000);
    t->wait_kind = TP_WAIT_SPIN;
    t->holders_from_held = 1;
    expect(t, "spin wait", "spin wait", "spinlock 0x3000", NULL);
    t->nholders = 1;
    t->holders[0] = 12;
    expect(t, "spin wait", "spin wait", "spinlock 0x3000",
           "held by thread 12 \"r2\"", NULL);
}
END_TEST

START_TEST(describe_cond_sem_barrier)
{
    tp_snap_thread_t *t = waiting(TP_ST_COND, "pthread_cond_wait", (void *)0x10);
    t->wait.obj2 = (void *)0x20;
    expect(t, "cond wait", "cond wait", "cond 0x10 with mutex 0x20", NULL);
    t->wait.call = "pthread_cond_timedwait";
    expect(t, "cond wait", "cond wait", "cond 0x10 with mutex 0x20 (with timeout)", NULL);
    t->wait.call = "pthread_cond_clockwait";
    expect(t, "cond wait", "cond wait", "cond 0x10 with mutex 0x20 (with timeout)", NULL);

    t = waiting(TP_ST_SEM, "sem_wait", (void *)0x30);
    t->wait.value = 0;
    expect(t, "semaphore wait", "semaphore wait", "sem 0x30 (value 0)", NULL);
    t->wait.call = "sem_timedwait";
    expect(t, "semaphore wait", "semaphore wait", "sem 0x30 (value 0) (with timeout)", NULL);

    t = waiting(TP_ST_BARRIER, "pthread_barrier_wait", (void *)0x40);
    expect(t, "barrier wait", "barrier wait", "barrier 0x40", NULL);
}
END_TEST

START_TEST(describe_join)
{
    tp_snap_thread_t *t = waiting(TP_ST_JOIN, "pthread_join", (void *)0x50);
    expect(t, "join", "join", NULL);
    t->wait.join_tid = 13;
    snprintf(t->wait.join_name, sizeof t->wait.join_name, "w");
    expect(t, "join thread 13", "join", "waiting for thread 13 \"w\" to exit", NULL);
    t->wait.join_exited = 1;
    expect(t, "join thread 13", "join", "thread 13 has exited", NULL);
}
END_TEST

/* ---- sleeps, descriptors, children, signals ---- */

START_TEST(describe_sleep)
{
    tp_snap_thread_t *t = waiting(TP_ST_SLEEP, "nanosleep", NULL);
    t->wait.arg = 1500;
    expect(t, "sleep", "sleep", "nanosleep for 1.5s", NULL);
    t->wait.arg = 0;
    t->wait.call = "usleep";
    expect(t, "sleep", "sleep", "usleep", NULL);
}
END_TEST

START_TEST(describe_fd_wait)
{
    tp_snap_thread_t *t = waiting(TP_ST_FDIO, "read", NULL);
    t->wait.arg = 7;
    set_fd(&t->wait.fd, 7, "pipe");
    snprintf(t->wait.fd_detail, sizeof t->wait.fd_detail, "fd 7: pipe:[1234]");
    expect(t, "read fd 7 (pipe)", "read (pipe)", "fd 7: pipe:[1234]", NULL);

    t->state = TP_ST_FILELOCK;
    t->wait.call = "flock";
    set_fd(&t->wait.fd, 3, "file");
    snprintf(t->wait.fd_detail, sizeof t->wait.fd_detail, "fd 3: /var/lock/x");
    expect(t, "flock fd 3 (file)", "flock (file)", "fd 3: /var/lock/x", NULL);

    /* The group text keeps 24 bytes of the call and 32 of the kind. */
    t->wait.call = "a_call_name_longer_than_24";
    set_fd(&t->wait.fd, 3, "a kind much longer than thirty-two bytes");
    tp_thread_text_t text;
    tp_describe_thread(&snap, t, &text);
    ck_assert_str_eq(text.group, "a_call_name_longer_than_ (a kind much longer than thirty-t)");
}
END_TEST

START_TEST(describe_epoll)
{
    tp_snap_thread_t *t = waiting(TP_ST_EPOLL, "epoll_wait", NULL);
    t->wait.arg = 5;
    expect(t, "epoll_wait fd 5", "epoll_wait", "epoll fd 5 watches 0 fds", NULL);
    t->wait.nfds = 1;
    set_fd(&t->wait.fds[0], 7, "pipe");
    expect(t, "epoll_wait fd 5", "epoll_wait", "epoll fd 5 watches 1 fd: 7 (pipe)", NULL);
    t->wait.nfds = 9;
    for (int i = 1; i < TP_SNAP_FDS; i++)
        set_fd(&t->wait.fds[i], 7 + i, "tcp");
    expect(t, "epoll_wait fd 5", "epoll_wait",
           "epoll fd 5 watches 9 fds: 7 (pipe), 8 (tcp), 9 (tcp), 10 (tcp), "
           "11 (tcp), 12 (tcp), ...", NULL);
}
END_TEST

START_TEST(describe_poll_and_select)
{
    struct { int fd; short events, revents; } set[2];
    tp_snap_thread_t *t = waiting(TP_ST_POLL, "poll", set);
    t->wait.arg = t->wait.nfds = 2;
    set_fd(&t->wait.fds[0], 3, "pipe");
    set_fd(&t->wait.fds[1], 4, "not open");
    expect(t, "poll", "poll", "2 fds: 3 (pipe), 4 (not open)", NULL);
    t->wait.arg = t->wait.nfds = 0;
    expect(t, "poll", "poll", "0 fds", NULL);
    /* select's sets are bitmaps: only their size is known. */
    t = waiting(TP_ST_POLL, "select", NULL);
    t->wait.arg = t->wait.nfds = 9;
    expect(t, "select", "select", "9 fds", NULL);
}
END_TEST

START_TEST(describe_child_and_signal)
{
    tp_snap_thread_t *t = waiting(TP_ST_CHILD, "waitpid", NULL);
    t->wait.arg = 77;
    expect(t, "waitpid pid 77", "waitpid", NULL);
    t->wait.arg = -1;
    expect(t, "waitpid any child", "waitpid", NULL);
    t = waiting(TP_ST_SIGNAL, "sigwait", NULL);
    expect(t, "sigwait", "sigwait", NULL);
    t->wait.call = NULL;
    expect(t, "?", "?", NULL);
}
END_TEST

/* ---- threads in no hook ---- */

START_TEST(describe_running_threads)
{
    tp_snap_thread_t *t = &threads[0];
    expect(t, "running", "running", NULL);
    t->syscall_nr = SYS_read;
    expect(t, "syscall read", "syscall read",
           "blocked in system call read, which threadprof does not intercept", NULL);
    t->syscall_nr = 9999;
    expect(t, "syscall 9999", "syscall 9999",
           "blocked in system call 9999, which threadprof does not intercept", NULL);
    t->syscall_nr = -1;
    t->writes_exit_dump = 1;
    expect(t, "running", "running", "in exit(): this thread writes the exit dump", NULL);
}
END_TEST

/* ---- the dump's reason and the names ---- */

START_TEST(describe_reason_joins_the_reasons)
{
    char buf[64];
    snap.signo = SIGUSR2;
    snap.interval_ns = 30 * SEC;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "");
    snap.reasons = TP_REASON_SIGNAL;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "signal SIGUSR2");
    snap.reasons = TP_REASON_INTERVAL | TP_REASON_EXIT;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "interval (every 30s) + exit");
    snap.reasons = TP_REASON_SIGNAL | TP_REASON_INTERVAL | TP_REASON_DEADLOCK |
                   TP_REASON_EXIT;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "signal SIGUSR2 + interval (every 30s) + deadlock + exit");
}
END_TEST

/* A crash's reason: how the signal came (a fault with its address, the
 * program's own abort, a kill from outside) and whom it struck; the
 * crashed thread's state. */
START_TEST(describe_crash_reasons)
{
    char buf[256];
    snap.reasons = TP_REASON_CRASH;
    snap.crash.signo = SIGSEGV;
    snap.crash.code = SEGV_MAPERR;
    snap.crash.addr = 0x10;
    snap.crash.tid = 4243;
    snprintf(snap.crash.name, sizeof snap.crash.name, "parser");
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "crash SIGSEGV (SEGV_MAPERR at 0x10) in thread 4243 \"parser\"");
    snap.crash.addr = 0;
    snap.crash.code = SEGV_ACCERR;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "crash SIGSEGV (SEGV_ACCERR at 0x0) in thread 4243 \"parser\"");
    snap.crash.signo = SIGFPE;
    snap.crash.code = FPE_INTDIV;
    snap.crash.addr = 0x401136;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "crash SIGFPE (FPE_INTDIV at 0x401136) in thread 4243 \"parser\"");
    snap.crash.signo = SIGABRT;
    snap.crash.code = SI_TKILL;
    snap.crash.sender = 4242;
    snap.crash.raised = 1;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "crash SIGABRT (raised by the program) in thread 4243 \"parser\"");
    snap.crash.signo = SIGSEGV;
    snap.crash.code = SI_USER;
    snap.crash.sender = 880;
    snap.crash.raised = 0;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "crash SIGSEGV (sent by pid 880) in thread 4243 \"parser\"");
    snap.crash.code = SI_KERNEL;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "crash SIGSEGV (SI_KERNEL) in thread 4243 \"parser\"");
    snap.crash.signo = SIGBUS;
    snap.crash.code = 77;
    snap.crash.addr = 0x1000;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "crash SIGBUS (code 77 at 0x1000) in thread 4243 \"parser\"");
    /* With another reason, joined like the rest. */
    snap.reasons = TP_REASON_CRASH | TP_REASON_SIGNAL;
    snap.signo = SIGUSR2;
    snap.crash.code = BUS_ADRERR;
    tp_describe_reason(&snap, buf, sizeof buf);
    ck_assert_str_eq(buf, "signal SIGUSR2 + crash SIGBUS (BUS_ADRERR at 0x1000) in thread "
                          "4243 \"parser\"");

    tp_snap_thread_t *t = &threads[0];
    t->crash_signo = SIGSEGV;
    t->syscall_nr = SYS_read;   /* the crash says more than the last system call */
    expect(t, "crashed: SIGSEGV", "crashed: SIGSEGV", NULL);
}
END_TEST

/* A mutex or a write-locked rwlock held across a blocking call is named
 * with that call; a lock wait, a running thread, a read lock and a cond
 * wait that releases that very mutex are not that misuse. */
START_TEST(describe_held_across_blocking_call)
{
    static int lock_a, lock_b;
    tp_snap_held_t held = {.lock = &lock_a, .kind = TP_LOCK_MUTEX};
    tp_snap_thread_t *t = waiting(TP_ST_SLEEP, "usleep", NULL);
    ck_assert_str_eq(tp_describe_held_across(t, &held), "usleep");
    t = waiting(TP_ST_FDIO, "write", NULL);
    ck_assert_str_eq(tp_describe_held_across(t, &held), "write");
    held.kind = TP_LOCK_WRITE;
    ck_assert_str_eq(tp_describe_held_across(t, &held), "write");
    held.kind = TP_LOCK_READ;
    ck_assert_ptr_null(tp_describe_held_across(t, &held));
    held.kind = TP_LOCK_MUTEX;
    t = waiting(TP_ST_COND, "pthread_cond_wait", &lock_b);
    t->wait.obj2 = &lock_a;             /* its own mutex: released while it waits */
    ck_assert_ptr_null(tp_describe_held_across(t, &held));
    t->wait.obj2 = &lock_b;             /* another one: lock_a stays held */
    ck_assert_str_eq(tp_describe_held_across(t, &held), "pthread_cond_wait");
    t = waiting(TP_ST_MUTEX, "pthread_mutex_lock", &lock_b);
    ck_assert_ptr_null(tp_describe_held_across(t, &held));
    t = waiting(TP_ST_SEM, "sem_wait", &lock_b);
    ck_assert_str_eq(tp_describe_held_across(t, &held), "sem_wait");
    t = waiting(TP_ST_JOIN, NULL, &lock_b);
    ck_assert_str_eq(tp_describe_held_across(t, &held), "a blocking call");
    t->state = TP_ST_RUNNING;
    ck_assert_ptr_null(tp_describe_held_across(t, &held));
}
END_TEST

/* A reason longer than the buffer is cut there, and nothing is written
 * past it. */
START_TEST(describe_reason_cut_at_buffer)
{
    char buf[80];
    memset(buf, 'Z', sizeof buf);
    snap.signo = 1000;
    snap.interval_ns = UINT64_MAX;
    snap.reasons = TP_REASON_SIGNAL | TP_REASON_INTERVAL | TP_REASON_DEADLOCK |
                   TP_REASON_EXIT;
    tp_describe_reason(&snap, buf, 64);
    ck_assert_str_eq(buf, "signal signal 1000 + interval (every 213503d23h) + deadlock + e");
    for (size_t i = 64; i < sizeof buf; i++)
        ck_assert_int_eq(buf[i], 'Z');
}
END_TEST

START_TEST(describe_names_of_kinds)
{
    ck_assert_str_eq(tp_describe_wait_kind(TP_WAIT_NONE), "lock");
    ck_assert_str_eq(tp_describe_wait_kind(TP_WAIT_MUTEX), "mutex");
    ck_assert_str_eq(tp_describe_wait_kind(TP_WAIT_RWLOCK), "rwlock");
    ck_assert_str_eq(tp_describe_wait_kind(TP_WAIT_SPIN), "spinlock");
    ck_assert_str_eq(tp_describe_wait_kind(TP_WAIT_THREAD), "thread");
    ck_assert_ptr_null(tp_describe_no_stack(TP_NO_STACK_NONE));
    ck_assert_str_eq(tp_describe_no_stack(TP_NO_STACK_UNWIND),
                     "libunwind could not walk this stack");
    ck_assert_str_eq(tp_describe_no_stack(TP_NO_STACK_SYSCALL_SITE),
                     "only the system call site is known for a thread outside "
                     "intercepted calls");
    ck_assert_str_eq(tp_describe_no_stack(TP_NO_STACK_RUNNING),
                     "the thread is running outside any intercepted call; "
                     "threadprof does not interrupt it");
}
END_TEST

static Suite *describe_suite(void)
{
    Suite *s = suite_create("describe");
    TCase *tc = tcase_create("waits");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, describe_mutex_names_its_holder);
    tcase_add_test(tc, describe_rwlock_writer_and_readers);
    tcase_add_test(tc, describe_spinlock_holder_from_held_list);
    tcase_add_test(tc, describe_cond_sem_barrier);
    tcase_add_test(tc, describe_join);
    tcase_add_test(tc, describe_sleep);
    tcase_add_test(tc, describe_fd_wait);
    tcase_add_test(tc, describe_epoll);
    tcase_add_test(tc, describe_poll_and_select);
    tcase_add_test(tc, describe_child_and_signal);
    tcase_add_test(tc, describe_running_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, describe_reason_joins_the_reasons);
    tcase_add_test(tc, describe_reason_cut_at_buffer);
    tcase_add_test(tc, describe_crash_reasons);
    tcase_add_test(tc, describe_held_across_blocking_call);
    tcase_add_test(tc, describe_names_of_kinds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(describe_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
