/*
 * agent.h: the one header the interposed functions in hooks/ include.
 *
 * A hook does four things: make sure the real function is known, call it,
 * report what the thread was doing through the inline helpers of the
 * headers below, and return the real result with errno untouched.
 * Everything else (registry, dump thread, stacks, output) lives behind
 * them.  One header per concern:
 *   agent/compiler.h   TP_HOOK, TP_LIKELY, TP_INLINE, TP_COLD
 *   agent/thread.h     the per-thread record and its thread-local pointer
 *   agent/real.h       TP_REAL: the real functions, resolved once
 *   agent/wait.h       the blocking system calls' protocol (TP_WAIT_SCOPE)
 *   agent/held.h       the locks a thread holds: the lock hooks' fast paths
 *   agent/lockwait.h   the one profiled wait of every lock-like hook
 *                      (TP_WAIT_FOR ... tp_waited)
 *   agent/heap.h       the heap profile's countdown and entries
 *   agent/lifecycle.h  thread creation, join, detach; private fds
 *   agent/trigger.h    the trigger and fatal signals as the host sees them
 */
#ifndef TP_AGENT_H
#define TP_AGENT_H

#include "agent/compiler.h"
#include "agent/held.h"
#include "agent/heap.h"
#include "agent/lifecycle.h"
#include "agent/lockwait.h"
#include "agent/real.h"
#include "agent/thread.h"
#include "agent/trigger.h"
#include "agent/wait.h"

#endif
