/*
 * crash_fork: the process forks and the (single-threaded) child
 * dereferences NULL; the parent waits for it, prints how it died on
 * stdout ("child signaled 1 signal 11 core 1") and exits 0.  A crash dump
 * of the child goes under the child's pid.  stderr: "child <pid>".
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int *volatile nowhere;   /* NULL, unknown to the compiler */

/* Not inlined: the child faults here. */
static __attribute__((noinline)) int child_work(void)
{
    return *nowhere;
}

int main(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return 2;
    if (pid == 0)
        _exit(child_work());
    fprintf(stderr, "child %d\n", (int)pid);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return 2;
    printf("child signaled %d signal %d core %d\n", WIFSIGNALED(status) ? 1 : 0,
           WIFSIGNALED(status) ? WTERMSIG(status) : 0,
           WIFSIGNALED(status) && WCOREDUMP(status) ? 1 : 0);
    return 0;
}
