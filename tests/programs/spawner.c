/*
 * spawner: reports the signal mask as the program sees it and as the
 * programs it starts inherit it, one line each: "<how> SigBlk: <hex>".
 * The child is grep itself (a shell would reset its mask and hide what it
 * inherited).  Under the agent the dump signal must be unblocked in the
 * children, as without it, while a signal the program blocks on purpose
 * stays blocked.
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static char *grep_argv[] = {"grep", "SigBlk", "/proc/self/status", NULL};

static void label(const char *how)
{
    printf("%s ", how);
    fflush(stdout);
}

static int spawn(const char *how)
{
    pid_t pid;
    label(how);
    if (posix_spawn(&pid, "/bin/grep", NULL, NULL, grep_argv, environ) != 0)
        return -1;
    return waitpid(pid, NULL, 0) == pid ? 0 : -1;
}

int main(void)
{
    /* The children must show the mask they inherit, not an agent of their
     * own blocking the signal again. */
    unsetenv("LD_PRELOAD");
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("self-view usr2-blocked=%d\n", sigismember(&now, SIGUSR2));
    fflush(stdout);

    if (spawn("posix_spawn") != 0)
        return 3;

    label("execv");
    pid_t pid = fork();
    if (pid == 0) {
        execv("/bin/grep", grep_argv);
        _exit(127);
    }
    waitpid(pid, NULL, 0);

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    if (spawn("posix_spawn-usr1") != 0)
        return 4;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("self-view-usr1 usr1-blocked=%d usr2-blocked=%d\n",
           sigismember(&now, SIGUSR1), sigismember(&now, SIGUSR2));
    return 0;
}
