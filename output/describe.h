/*
 * describe: the words for a snapshot's facts (model/snapshot.h), shared by
 * the thread dump and the summary: a thread's state ("read fd 7 (pipe)"),
 * the state without instance detail that groups threads ("read (pipe)"),
 * the detail lines under a thread's header ("mutex 0x... held by thread
 * 4243 \"worker\""), and the dump's reason ("signal SIGUSR2 + exit").
 * Pure functions of the model: no /proc reads, no agent state.
 */
#ifndef TP_DESCRIBE_H
#define TP_DESCRIBE_H

#include <stddef.h>

#include "model/snapshot.h"

#define TP_DESCRIBE_DETAILS 4

/* A thread's texts.  The sizes are part of the format: longer texts are
 * cut there. */
typedef struct tp_thread_text {
    char state[96];                  /* "read fd 7 (pipe)", "mutex wait" */
    char group[64];                  /* "read (pipe)" */
    int ndetails;
    char details[TP_DESCRIBE_DETAILS][224];
} tp_thread_text_t;

/* Fills out with the texts of t, a thread of snap (snap gives the names
 * of the threads t waits for when those came from held lists). */
void tp_describe_thread(const tp_snapshot_t *snap, const tp_snap_thread_t *t,
                        tp_thread_text_t *out);

/* The group text alone, into buf (64 bytes keep it whole). */
/* A threshold dump's crossing: "threads 512 > 500", "heap 1.1 GiB > 1.0 GiB". */
void tp_describe_threshold(const tp_snapshot_t *snap, char *buf, size_t len);

void tp_describe_group(const tp_snap_thread_t *t, char *buf, size_t len);

/* "signal SIGUSR2 + interval (every 5s) + deadlock + exit": why the dump
 * was taken, into buf ("" for no reason). */
void tp_describe_reason(const tp_snapshot_t *snap, char *buf, size_t len);

/* 'SIGSEGV (SEGV_MAPERR at 0x10) in thread 4243 "parser"', 'SIGABRT
 * (raised by the program) in thread 12 "main"', 'SIGSEGV (sent by pid
 * 880) in ...': the fatal signal of a crash dump, into buf. */
void tp_describe_crash(const tp_snap_crash_t *c, char *buf, size_t len);

/* The blocking call ("usleep", "read", "pthread_cond_wait") thread t is
 * in while it holds h, a mutex or a write-locked rwlock: the misuse of
 * holding a lock across a blocking call.  NULL when it is not that: t
 * runs, waits for a lock (lock order, not this), or waits on a
 * condition variable with h as its mutex (released meanwhile). */
const char *tp_describe_held_across(const tp_snap_thread_t *t, const tp_snap_held_t *h);

/* "mutex", "rwlock", "spinlock", "thread"; "lock" for TP_WAIT_NONE. */
const char *tp_describe_wait_kind(tp_wait_kind_t kind);

/* Why a thread has no stack, as a phrase; NULL for TP_NO_STACK_NONE. */
const char *tp_describe_no_stack(tp_no_stack_t why);

#endif
