/*
 * verdict: THREADPROF_EXITCODE, the findings of a run as its exit status
 * (like ThreadSanitizer's exitcode), so a CI job or a soak harness fails
 * on them without reading a file.
 *
 * At normal exit (main returns, or exit() is called) the agent looks at
 * what it found: the deadlocks the periodic check dumped, a wait-for cycle
 * among the threads right now (a light snapshot), and lock-order
 * inversions.  With any of them the exit status becomes the configured
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
    if (deadlocks != 0 || inversions != 0) {
        char why[128] = "";
        size_t used = 0;
        if (deadlocks != 0)
            used += (size_t)snprintf(why, sizeof why, "%zu deadlock%s", deadlocks,
                                     deadlocks == 1 ? "" : "s");
        if (inversions != 0)
            snprintf(why + used, sizeof why - used, "%s%zu lock-order inversion%s",
                     used ? ", " : "", inversions, inversions == 1 ? "" : "s");
        tp_warn("exit status %d instead of %d (THREADPROF_EXITCODE): %s found",
                tp_config.exitcode, status, why);
        status = tp_config.exitcode;
    }
    tp_in_agent--;
    return status;
}
