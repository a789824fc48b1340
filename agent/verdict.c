/*
 * verdict: THREADPROF_EXITCODE, the findings of a run as its exit status
 * (like ThreadSanitizer's exitcode), so a CI job or a soak harness fails
 * on them without reading a file.
 *
 * At normal exit (main returns, or exit() is called) the agent looks at
 * what it found: the deadlocks the periodic check dumped, a wait-for cycle
 * among the threads right now (a light snapshot), lock-order
 * inversions, and the trends' growth verdicts (a thread, memory or
 * descriptor leak: agent/trend.c).  With any of them the exit status becomes the configured
 * one, after one stderr line saying why; a clean run exits with the
 * program's own status.  Everything else of the exit (atexit handlers,
 * flushing, the exit dump) runs as usual: only the number changes.
 */
#include <stdio.h>
#include <string.h>

#include "agent/internal.h"
#include "model/snapshot.h"

int tp_exit_status(int status)
{
    static _Atomic int decided;
    if (tp_config.exitcode == 0 || tp_in_agent || atomic_exchange(&decided, 1))
        return status;
    tp_in_agent++;
    size_t deadlocks = tp_dumper_deadlocks_seen();
    if (deadlocks == 0) {
        static tp_snapshot_t snap;
        if (tp_snapshot_take(&snap, 100000000ull, 1) == 0) {
            deadlocks = snap.ncycles;
            tp_snapshot_free(&snap);
        }
    }
    size_t inversions = tp_lock_order_inversions();
    int leaks = 0;
    if (tp_trend_samples_taken() != 0 && tp_dumper_lock(1000000000ull) == 0) {
        leaks = tp_trend_leak_verdicts();   /* the series are the dump thread's */
        tp_dumper_unlock();
    }
    if (deadlocks != 0 || inversions != 0 || leaks != 0) {
        char why[160] = "";
        size_t used = 0;
        if (deadlocks != 0)
            used += (size_t)snprintf(why, sizeof why, "%zu deadlock%s", deadlocks,
                                     deadlocks == 1 ? "" : "s");
        if (inversions != 0)
            used += (size_t)snprintf(why + used, sizeof why - used,
                                     "%s%zu lock-order inversion%s", used ? ", " : "",
                                     inversions, inversions == 1 ? "" : "s");
        if (leaks != 0 && used < sizeof why)
            snprintf(why + used, sizeof why - used, "%s%d leak verdict%s (trends)",
                     used ? ", " : "", leaks, leaks == 1 ? "" : "s");
        tp_warn("exit status %d instead of %d (THREADPROF_EXITCODE): %s found",
                tp_config.exitcode, status, why);
        status = tp_config.exitcode;
    }
    tp_in_agent--;
    return status;
}
