/*
 * deadlock: cycles in the wait-for graph of a snapshot, found by the
 * capture (agent/snapshot.c) for the dump and for the periodic check.
 *
 * A thread waiting for a mutex has an edge to its owner, one waiting for
 * an rwlock to the writer or to every reader, one joining a thread to
 * that thread.  A cycle is a deadlock that already happened: none of its
 * threads can move.  Depth-first search over waiting threads; each back
 * edge closes one cycle, recorded once (rotated to start at its lowest
 * tid, duplicates dropped).
 */
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"
#include "model/snapshot.h"

enum { WHITE = 0, GREY, BLACK };

typedef struct search {
    tp_snapshot_t *snap;
    unsigned char *color;
    size_t *stack;          /* the current DFS path */
    size_t depth;
} search_t;

static long index_of_tid(const tp_snapshot_t *snap, pid_t tid)
{
    /* Threads are sorted by tid except the main thread, which comes first. */
    size_t lo = 0, hi = snap->nthreads;
    if (hi > 0 && snap->threads[0].tid == tid)
        return 0;
    if (hi > 0 && snap->threads[0].is_main)
        lo = 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        pid_t t = snap->threads[mid].tid;
        if (t == tid)
            return (long)mid;
        if (t < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static int same_cycle(const tp_snap_cycle_t *a, const tp_snap_cycle_t *b)
{
    return a->n == b->n &&
           memcmp(a->members, b->members, (size_t)a->n * sizeof a->members[0]) == 0;
}

static void record_cycle(search_t *s, size_t from)
{
    tp_snapshot_t *snap = s->snap;
    size_t len = s->depth - from;
    if (len > TP_SNAP_CYCLE_LEN || snap->ncycles >= TP_SNAP_CYCLES)
        return;
    /* Rotate to start at the lowest tid so each cycle has one spelling. */
    size_t start = from;
    for (size_t i = from; i < s->depth; i++)
        if (snap->threads[s->stack[i]].tid < snap->threads[s->stack[start]].tid)
            start = i;
    tp_snap_cycle_t c = {.n = (int)len};
    for (size_t i = 0; i < len; i++)
        c.members[i] = s->stack[from + (start - from + i) % len];
    for (size_t i = 0; i < snap->ncycles; i++)
        if (same_cycle(&snap->cycles[i], &c))
            return;
    snap->cycles[snap->ncycles++] = c;
}

static void visit(search_t *s, size_t v)
{
    const tp_snap_thread_t *t = &s->snap->threads[v];
    s->color[v] = GREY;
    s->stack[s->depth++] = v;
    for (int h = 0; h < t->nholders; h++) {
        long w = index_of_tid(s->snap, t->holders[h]);
        if (w < 0 || (size_t)w == v)
            continue;
        if (s->color[w] == GREY) {
            for (size_t i = 0; i < s->depth; i++)
                if (s->stack[i] == (size_t)w)
                    record_cycle(s, i);
        } else if (s->color[w] == WHITE) {
            visit(s, (size_t)w);
        }
    }
    s->depth--;
    s->color[v] = BLACK;
}

size_t tp_deadlock_find(tp_snapshot_t *snap)
{
    size_t n = snap->nthreads;
    snap->ncycles = 0;
    if (n < 2)
        return 0;
    search_t s = {.snap = snap};
    s.color = calloc(n, 1);
    s.stack = malloc(n * sizeof *s.stack);
    if (s.color == NULL || s.stack == NULL) {
        free(s.color);
        free(s.stack);
        return 0;
    }
    for (size_t v = 0; v < n; v++)
        if (s.color[v] == WHITE && snap->threads[v].nholders > 0)
            visit(&s, v);
    free(s.color);
    free(s.stack);
    return snap->ncycles;
}
