/*
 * lifecycle: threads created, joined and detached; the program's start; the
 * agent's private descriptors and allocator.
 */
#ifndef TP_LIFECYCLE_H
#define TP_LIFECYCLE_H

#include <pthread.h>

#include "agent/thread.h"

/* --- thread lifecycle (hooks/threads.c) -------------------------------- */

typedef struct tp_start {
    void *(*fn)(void *);
    void *arg;
    tp_thread_t *thread;
    int host_blocks_trigger;
} tp_start_t;

/* Prepares the record of a thread about to be created by the caller;
 * returns NULL when the agent is not tracking (then create it untouched). */
tp_start_t *tp_thread_prepare(void *(*fn)(void *), void *arg, int detached);
/* The creation failed: forget the prepared record. */
void tp_thread_abandon(tp_start_t *s);
/* The real pthread_create made thread th from record t (a joinable one:
 * a detached thread's record may already be gone): a detach of th that
 * comes before the thread registers finds it. */
void tp_thread_created(tp_thread_t *t, pthread_t th);
/* Runs in the new thread: registers it and calls the host's routine. */
void *tp_thread_trampoline(void *start);
void tp_thread_joined(pthread_t th);
void tp_thread_detached(pthread_t th);

/* pipe2 called from inside the agent (libunwind): the pipe is moved to
 * high descriptor numbers (agent/privfd.c). */
int tp_private_pipe2(int fds[2], int flags, int (*real_pipe2)(int[2], int));
/* A read or close from inside the agent on one of those pipes: 1 when the
 * program has since put its own file at either number (dup2, or closed it
 * and opened another), so the call must not touch that descriptor. */
int tp_private_fd_taken(int fd);
/* close from inside the agent: forgets fd; 0 when it must not be closed
 * (the number is the program's now). */
int tp_private_fd_closing(int fd);
/* open from inside the agent, with flags, returned fd: made close-on-exec
 * (if flags lack O_CLOEXEC) and remembered (as the pipes above); returns
 * the number to use. */
int tp_private_fd_opened(int fd, int flags);
/* A descriptor the agent keeps for long (the endpoint's listening
 * socket): moved to high numbers, out of the program's way; returns the
 * number to use (fd itself when there is no room up there). */
int tp_private_fd_move_high(int fd);
/* In a snapshot child: closes the child's copies of libunwind's pipe (the
 * program still uses the pipe; libunwind makes itself a new one). */
void tp_private_fds_drop(void);
/* In a snapshot child: malloc and friends serve from a private arena
 * that never frees (agent/privarena.c); the program's heap is not touched. */
void tp_malloc_private_arena(void);

/* main() is about to run (hooks/start.c). */
void tp_main_starting(void);
/* The process exits normally with status: the status it exits with
 * (THREADPROF_EXITCODE: the configured one when the run found a deadlock
 * or a lock-order inversion; agent/verdict.c). */
int tp_exit_status(int status);


#endif
