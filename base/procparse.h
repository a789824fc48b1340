/*
 * procparse: pure parsers of the text the agent reads from /proc (see
 * procparse.c).  No I/O but tp_maps_each_line's reads of the fd it is
 * given; no agent state.
 */
#ifndef TP_PROCPARSE_H
#define TP_PROCPARSE_H

#include <stddef.h>

/* The kind ("pipe", "socket", "eventpoll", "device", "file", ...) of a
 * /proc/self/fd link target; 1 when it is a socket (whose addresses only
 * the descriptor can tell), else 0. */
int tp_fd_classify(const char *target, char *kind, size_t kind_len);

/* The target fds of an epoll fdinfo text ("tfd: N ..." lines): the first
 * max into fds; returns how many there are. */
int tp_epoll_parse_tfds(const char *fdinfo, int *fds, int max);

/* /proc/<pid>/task/<tid>/syscall: 1 and the call number, stack and
 * instruction pointers when the thread is in a system call, else 0. */
int tp_parse_task_syscall(const char *text, long *nr, unsigned long *sp,
                          unsigned long *pc);

/* /proc/self/cmdline's n bytes in buf (which has room for n + 1): NULs
 * and newlines become spaces, trailing spaces go; returns the length of
 * the NUL-terminated text left in buf. */
size_t tp_cmdline_clean(char *buf, size_t n);

/* A thread's name (up to 15 bytes the program chose, any but NUL; read
 * from /proc/<pid>/task/<tid>/comm without the newline the kernel adds,
 * or from PR_GET_NAME) as a dump prints it between quotes: up to the
 * first NUL or n bytes, with control bytes (newlines too), DEL, '"' and
 * '\\' written as \xNN so that no name can end its line or its quotes.
 * out gets at most outlen - 1 bytes and a NUL (an escape is never cut);
 * returns its length. */
size_t tp_thread_name_clean(const char *raw, size_t n, char *out, size_t outlen);

/* One line of /proc/self/maps, as a profile lists it. */
typedef struct tp_maps_line {
    unsigned long long start, limit, offset;
    const char *file;       /* in the line; file_len bytes (" (deleted)" cut) */
    size_t file_len;
} tp_maps_line_t;

/* 1 and the fields when line (without its newline) is an executable
 * mapping with a name or an inode, else 0. */
int tp_maps_parse_line(const char *line, tp_maps_line_t *out);

/* Reads fd to its end and calls each(arg, line) for every line, its
 * newline replaced by a NUL (lines over 8 KiB are skipped; a last line
 * without a newline counts); stops at the first nonzero return, which it
 * returns (-ENOMEM when out of memory, else 0). */
int tp_maps_each_line(int fd, int (*each)(void *arg, char *line), void *arg);

#endif
