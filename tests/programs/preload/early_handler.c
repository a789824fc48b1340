/*
 * early_handler.so: preloaded after libthreadprof.so in LD_PRELOAD, so its
 * constructor runs first and installs a SIGUSR2 handler before the agent
 * starts.  The handler says so on stderr.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void on_usr2(int sig)
{
    static const char msg[] = "early handler ran\n";
    (void)sig;
    ssize_t n = write(2, msg, sizeof msg - 1);
    (void)n;
}

__attribute__((constructor)) static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &sa, NULL);
}
