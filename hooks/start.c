/*
 * hooks/start: __libc_start_main, to run a little code just before main.
 *
 * A preloaded library's constructor runs before libc registers _dl_fini,
 * so an atexit handler registered there runs inside _dl_fini, after other
 * libraries may have been finalised.  Registering the exit dump when main
 * starts puts it after the host's own atexit work and static destructors
 * and before any library is torn down.
 */
#include <stdlib.h>

#include "agent/agent.h"

typedef int main_fn(int, char **, char **);

int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

TP_REAL_DECL(__libc_start_main);
static main_fn *host_main;

static int main_wrapper(int argc, char **argv, char **envp)
{
    tp_main_starting();
    return tp_exit_status(host_main(argc, argv, envp));
}

TP_REAL_DECL(exit);

/* exit() called by the program: the same verdict as a return from main
 * (libc's own call after main returns does not come through here). */
TP_HOOK __attribute__((noreturn)) void exit(int status)
{
    TP_REAL(exit)(tp_exit_status(status));
    __builtin_unreachable();
}

TP_HOOK int __libc_start_main(main_fn *main, int argc, char **argv,
                              void (*init)(void), void (*fini)(void),
                              void (*rtld_fini)(void), void *stack_end)
{
    host_main = main;
    return TP_REAL(__libc_start_main)(main_wrapper, argc, argv, init, fini,
                                      rtld_fini, stack_end);
}
