/*
 * early_segv.so: a SIGSEGV handler installed from a constructor.  Preloaded
 * after libthreadprof.so in LD_PRELOAD its constructor runs before the
 * agent's (the agent then finds the handler in place); before it, after
 * (the agent steps aside when it is installed).  The handler says so on
 * stdout and exits 42, as a runtime with a fault handler of its own
 * would end the program its own way.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_segv(int sig)
{
    static const char msg[] = "early handler caught SIGSEGV\n";
    (void)sig;
    ssize_t n = write(1, msg, sizeof msg - 1);
    (void)n;
    _exit(42);
}

__attribute__((constructor)) static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
}
