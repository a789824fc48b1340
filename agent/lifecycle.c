/*
 * lifecycle: the agent's side of pthread_create.
 *
 * The creator prepares the new thread's record (parent, creation stack,
 * start time) and lists it as pending; once the real pthread_create
 * returns it notes the pthread_t, so a pthread_detach that runs before the
 * new thread does is kept.  The trampoline, running in the new thread,
 * fills in the kernel tid, links the record among the live ones, arms the
 * exit hook and calls the host's start routine.
 */
#include <stdlib.h>
#include <string.h>

#include "agent/internal.h"

tp_start_t *tp_thread_prepare(void *(*fn)(void *), void *arg, int detached)
{
    if (!tp_ready || tp_in_agent || tp_thread_dead)
        return NULL;
    if (TP_UNLIKELY(tp__need_dump_thread) || TP_UNLIKELY(tp__dumper_watching()))
        tp__start_dump_thread_lazily();
    tp_thread_t *t = tp_registry_alloc();
    if (t == NULL)
        return NULL;
    tp_in_agent++;
    tp_start_t *s = malloc(sizeof *s);
    tp_in_agent--;
    if (s == NULL) {
        tp_registry_lock();
        tp_registry_free(t);
        tp_registry_unlock();
        return NULL;
    }
    s->fn = fn;
    s->arg = arg;
    s->thread = t;
    s->host_blocks_trigger = tp__trigger_host_view();
    tp_thread_t *me = tp_self;
    t->parent_tid = me ? me->tid : tp_gettid();
    t->start_ns = tp_now_coarse();
    t->flags = detached ? TP_TF_DETACHED : 0;
    t->ncreate = tp_backtrace(t->create_pcs, TP_CREATE_FRAMES);
    tp_registry_lock();
    tp_registry_add_pending(t);
    tp_registry_unlock();
    return s;
}

void tp_thread_abandon(tp_start_t *s)
{
    int saved = errno;
    tp_registry_lock();
    tp_registry_free(s->thread);   /* never linked: the child did not run */
    tp_registry_unlock();
    tp_in_agent++;
    free(s);
    tp_in_agent--;
    errno = saved;
}

void *tp_thread_trampoline(void *arg)
{
    tp_start_t *s = arg;
    tp_thread_t *t = s->thread;
    void *(*fn)(void *) = s->fn;
    void *fn_arg = s->arg;
    tp__trigger_set_host_view(s->host_blocks_trigger);
    tp_in_agent++;
    free(s);
    t->tid = tp_gettid();
    tp_registry_lock();
    t->pthread = pthread_self();   /* under the lock: detach reads it */
    tp_registry_link(t);
    tp_registry_unlock();
    tp_registry_register_self(t);
    tp_crash_thread_start(t);
    tp_in_agent--;
    return fn(fn_arg);
}
