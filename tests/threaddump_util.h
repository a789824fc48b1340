/*
 * threaddump_util.h: helpers of the thread dump suites (check_threaddump,
 * check_threaddump_groups): a snapshot to fill by hand, its text as
 * written to a memory sink, and finding lines in that text; the code
 * whose addresses appear in the stacks, and threads waiting in it.
 *
 * Header-only (static functions), so each suite stays one file.
 */
#ifndef TP_THREADDUMP_UTIL_H
#define TP_THREADDUMP_UTIL_H

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/snapshot.h"
#include "output/sink.h"
#include "output/threaddump.h"

#define MS 1000000ull
#define SEC 1000000000ull

static inline tp_snapshot_t *new_snapshot(size_t nthreads)
{
    tp_snapshot_t *snap = calloc(1, sizeof *snap);
    ck_assert_ptr_nonnull(snap);
    snprintf(snap->program, sizeof snap->program, "/usr/bin/demo");
    snprintf(snap->cmdline, sizeof snap->cmdline, "demo --serve");
    snap->pid = 4242;
    snap->seq = 7;
    snap->reasons = TP_REASON_SIGNAL;
    snap->signo = SIGUSR2;
    snap->nthreads = nthreads;
    if (nthreads > 0) {
        snap->threads = calloc(nthreads, sizeof *snap->threads);
        ck_assert_ptr_nonnull(snap->threads);
    }
    return snap;
}

static inline void free_snapshot(tp_snapshot_t *snap)
{
    free(snap->threads);
    free(snap);
}

/* Writes snap to a memory sink; returns a malloc'd copy of the text. */
static inline char *dump(const tp_snapshot_t *snap)
{
    tp_sink_t *s = malloc(sizeof *s);
    ck_assert_ptr_nonnull(s);
    tp_sink_init_mem(s);
    ck_assert_int_eq(tp_threaddump_write(s, snap), 0);
    char *text = strdup(tp_sink_text(s));
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(strlen(text), s->total);
    tp_sink_free(s);
    free(s);
    return text;
}

/* Splits text into lines in place; returns the count. */
static inline size_t split_lines(char *text, char **lines, size_t max)
{
    size_t n = 0;
    char *p = text;
    while (*p != '\0' && n < max) {
        lines[n++] = p;
        char *nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return n;
}

/* Index of the first line equal to want at or after from, or -1. */
static inline long find_line(char **lines, size_t n, size_t from, const char *want)
{
    for (size_t i = from; i < n; i++)
        if (strcmp(lines[i], want) == 0)
            return (long)i;
    return -1;
}

/* Index of the first line starting with prefix at or after from, or -1. */
static inline long find_prefix(char **lines, size_t n, size_t from, const char *prefix)
{
    for (size_t i = from; i < n; i++)
        if (strncmp(lines[i], prefix, strlen(prefix)) == 0)
            return (long)i;
    return -1;
}

static inline size_t count_prefix(char **lines, size_t n, const char *prefix)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strncmp(lines[i], prefix, strlen(prefix)) == 0;
    return k;
}

#define MAX_LINES 512

static volatile int sink_var;

/* ---- code whose addresses appear in the stacks (one line each) ----
 * Their locations name this header: the suites assert them with
 * assert_location (check_threaddump.c) and the *_LINE numbers. */

enum { LEAF_LINE = __LINE__ + 1 };
static __attribute__((noipa, unused)) int td_leaf(int x) { return x * 3 + sink_var; }
enum { MIDDLE_LINE = __LINE__ + 1 };
static __attribute__((noipa, unused)) int td_middle(int x) { return td_leaf(x) - 7; }
enum { OTHER_LINE = __LINE__ + 1 };
static __attribute__((noipa, unused)) int td_other(int x) { return td_leaf(x) + 11; }
enum { CREATOR_LINE = __LINE__ + 1 };
static __attribute__((noipa, unused)) int td_creator(int x) { return td_middle(x) * 5; }
static __attribute__((noipa, unused)) int td_creator2(int x) { return td_other(x) * 9; }

/* A return-address-like pc just inside fn. */
#define PC_IN(fn) ((uintptr_t)(fn) + 1)

/* A thread waiting on a condition variable in td_leaf <- td_middle,
 * created by td_creator in thread 100.  Its entry has one detail line,
 * COND_DETAIL. */
#define COND_DETAIL "    cond 0x55d0c0a0 with mutex 0x55d0c078"
static inline void make_waiter(tp_snap_thread_t *t, pid_t tid, const char *name,
                        uint64_t wait_ns)
{
    memset(t, 0, sizeof *t);
    t->tid = tid;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->state = TP_ST_COND;
    t->wait.call = "pthread_cond_wait";
    t->wait.obj = (const void *)0x55d0c0a0;
    t->wait.obj2 = (const void *)0x55d0c078;
    t->syscall_nr = -1;
    t->wait_ns = wait_ns;
    t->npcs = 2;
    t->pcs[0] = PC_IN(td_leaf);
    t->pcs[1] = PC_IN(td_middle);
    t->has_creator = 1;
    t->parent_tid = 100;
    t->ncreate = 1;
    t->create_pcs[0] = PC_IN(td_creator);
}

static inline void make_running_main(tp_snap_thread_t *t, pid_t tid)
{
    memset(t, 0, sizeof *t);
    t->tid = tid;
    snprintf(t->name, sizeof t->name, "demo");
    t->state = TP_ST_RUNNING;
    t->syscall_nr = -1;
    t->npcs = 1;
    t->pcs[0] = PC_IN(td_other);
    t->is_main = 1;
}

#endif
