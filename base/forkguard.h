/*
 * forkguard: keeps fork from splitting the agent's calls into the dynamic
 * linker (base/forkguard.c).
 */
#ifndef TP_FORKGUARD_H
#define TP_FORKGUARD_H

/* Around a call that takes the dynamic linker's locks (libunwind's
 * dl_iterate_phdr, the symbolizer's dl_iterate_phdr): 1 when it may run,
 * then tp_loader_leave() after it; 0 when a fork is being prepared: skip
 * the call. */
int tp_loader_enter(void);
void tp_loader_leave(void);
/* The same for a call that must happen (dlopen, dlsym): waits while a
 * fork is prepared (at most max_ms), then enters anyway.  Always pair it
 * with tp_loader_leave(). */
void tp_loader_enter_wait(int max_ms);
/* pthread_atfork: prepare waits (at most two seconds) until no agent call is
 * in the dynamic linker and keeps new ones out; the parent and the child
 * let them in again. */
void tp_loader_fork_prepare(void);
/* The same wait, bounded by max_ms (a crash handler's: async-signal-safe). */
void tp_loader_quiesce(int max_ms);
void tp_loader_fork_parent(void);
void tp_loader_fork_child(void);

#endif
