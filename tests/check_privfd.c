/*
 * Check suite for agent/privfd.c: libunwind's pipe goes to the top of the
 * descriptor table, files opened from inside the agent stay where open
 * put them (made close-on-exec); both are remembered with the file they
 * refer to, so a close from inside the agent leaves a number alone once
 * the program has put its own file there (dup2), and the pipe reads as
 * taken then.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agent/internal.h"
#include "tests/testbase.h"

/* Where the agent's descriptors go: just under the soft limit. */
static int high_floor(void)
{
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    int base = rl.rlim_cur == RLIM_INFINITY ? 1000 : (int)rl.rlim_cur - 24;
    return base < 256 ? 256 : base;
}

static int open_agent_file(void)
{
    /* Opened without O_CLOEXEC, as libdw does: the agent adds it. */
    int fd = tp_private_fd_opened(open("/proc/self/stat", O_RDONLY), O_RDONLY);
    ck_assert_int_ge(fd, 0);
    /* Not at the top: libunwind keeps writing probe bytes to its pipe's
     * numbers even after a daemon closed them (proc_daemon close_range
     * caught a dump file taking one). */
    ck_assert_int_lt(fd, high_floor());
    ck_assert_int_eq(fcntl(fd, F_GETFD), FD_CLOEXEC);
    return fd;
}

START_TEST(privfd_file_stays_and_closes)
{
    int low = open("/dev/null", O_RDONLY);
    int fd = open_agent_file();
    ck_assert_int_eq(fd, low + 1);
    errno = EILSEQ;
    ck_assert_int_eq(tp_private_fd_closing(fd), 1);
    ck_assert_int_eq(errno, EILSEQ);
    ck_assert_int_eq(close(fd), 0);
    close(low);
}
END_TEST

/* The program dup2's its own pipe onto the agent's number before the
 * agent closes it: the close is refused and the pipe still works. */
START_TEST(privfd_file_taken_by_dup2_is_left_alone)
{
    int fd = open_agent_file();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(dup2(p[0], fd), fd);
    ck_assert_int_eq(tp_private_fd_closing(fd), 0);
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    char c = 0;
    ck_assert_int_eq(read(fd, &c, 1), 1);
    ck_assert_int_eq(c, 'x');
    /* Forgotten: the number is the program's, and no longer checked. */
    ck_assert_int_eq(tp_private_fd_taken(fd), 0);
    close(fd);
    close(p[0]);
    close(p[1]);
}
END_TEST

static int plain_pipe2(int fds[2], int flags)
{
    return pipe2(fds, flags);
}

/* libunwind's pipe: a taken end reads as taken, and stays refused. */
START_TEST(privfd_pipe_taken_stays_refused)
{
    int fds[2];
    ck_assert_int_eq(tp_private_pipe2(fds, O_CLOEXEC, plain_pipe2), 0);
    ck_assert_int_ge(fds[0], high_floor());
    ck_assert_int_ge(fds[1], high_floor());
    ck_assert_int_eq(tp_private_fd_taken(fds[0]), 0);
    int other = open("/dev/null", O_RDONLY);
    ck_assert_int_eq(dup2(other, fds[1]), fds[1]);
    ck_assert_int_eq(tp_private_fd_taken(fds[0]), 1);   /* its partner went */
    ck_assert_int_eq(tp_private_fd_taken(fds[1]), 1);
    ck_assert_int_eq(tp_private_fd_closing(fds[1]), 0);
    ck_assert_int_eq(tp_private_fd_taken(fds[1]), 1);   /* still refused */
    ck_assert_int_eq(tp_private_fd_closing(fds[0]), 1); /* its own file */
    close(fds[0]);
    close(fds[1]);
    close(other);
}
END_TEST

/* More files than the table remembers (256): all close, and the table
 * has room again afterwards. */
START_TEST(privfd_many_files)
{
    enum { N = 300 };
    struct rlimit rl = {2048, 2048};
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = tp_private_fd_opened(open("/proc/self/stat", O_RDONLY | O_CLOEXEC), O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fds[i], 0);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(tp_private_fd_closing(fds[i]), 1);
        ck_assert_int_eq(close(fds[i]), 0);
    }
    /* The table has room again. */
    int fd = open_agent_file();
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(dup2(p[0], fd), fd);
    ck_assert_int_eq(tp_private_fd_closing(fd), 0);
    close(fd);
    close(p[0]);
    close(p[1]);
}
END_TEST

static Suite *privfd_suite(void)
{
    Suite *s = suite_create("privfd");
    TCase *tc = tcase_create("privfd");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, privfd_file_stays_and_closes);
    tcase_add_test(tc, privfd_file_taken_by_dup2_is_left_alone);
    tcase_add_test(tc, privfd_pipe_taken_stays_refused);
    tcase_add_test(tc, privfd_many_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite_fork(privfd_suite(), CK_FORK);
}
