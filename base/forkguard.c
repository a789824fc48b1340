/*
 * forkguard: fork never splits a call of the agent's into the dynamic
 * linker.
 *
 * fork copies the locks of the dynamic linker as they are, and no fork
 * handler of glibc takes them first.  libunwind (every stack the agent
 * captures: heap samples, thread creation, dumps) and the symbolizer
 * call dl_iterate_phdr, which holds the loader's lock while it runs; a
 * fork at that moment from another thread leaves the child with the lock
 * held by a thread it does not have, and the child's first stack capture
 * (its first sampled malloc) or its own dlopen, dl_iterate_phdr or C++
 * throw hangs for good.  A program alone would not hang there: those
 * calls are the agent's.  So the agent's fork handler waits for such
 * calls in flight to return and keeps new ones out until the fork is
 * done: a stack capture that would start meanwhile is skipped (an empty
 * stack, rare), a library load waits.
 */
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/forkguard.h"

static _Atomic int users;          /* agent calls in the loader now */
static _Atomic int fork_pending;

int tp_loader_enter(void)
{
    atomic_fetch_add(&users, 1);
    if (!atomic_load(&fork_pending))
        return 1;
    atomic_fetch_sub(&users, 1);
    return 0;
}

void tp_loader_leave(void)
{
    atomic_fetch_sub(&users, 1);
}

static void pause_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

void tp_loader_enter_wait(int max_ms)
{
    for (int i = 0; i < max_ms; i++) {
        if (tp_loader_enter())
            return;
        pause_ms(1);
    }
    atomic_fetch_add(&users, 1);
}

void tp_loader_quiesce(int max_ms)
{
    atomic_store(&fork_pending, 1);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&users) != 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (ms >= max_ms)
            break;
        struct timespec ts = {0, 20000};
        syscall(SYS_nanosleep, &ts, NULL);
    }
}

void tp_loader_fork_prepare(void)
{
    /* Such calls last microseconds; two seconds are a safety net. */
    tp_loader_quiesce(2000);
}

void tp_loader_fork_parent(void)
{
    atomic_store(&fork_pending, 0);
}

void tp_loader_fork_child(void)
{
    atomic_store(&users, 0);
    atomic_store(&fork_pending, 0);
}
