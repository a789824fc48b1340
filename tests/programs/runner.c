/*
 * runner: runs each program named on its command line in turn (fork and
 * execv, no arguments), waits for it and prints "ran <pid> status <n>";
 * then exits 0.  A stand-in for a script that runs its tools.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            char *args[] = {argv[i], NULL};
            execv(argv[i], args);
            _exit(127);
        }
        int status = -1;
        if (pid > 0)
            waitpid(pid, &status, 0);
        printf("ran %d status %d\n", (int)pid, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return 0;
}
