/*
 * reexec: asks for a dump, waits for it, then execs itself ("second");
 * the second image ends normally (exit dump).  The pid stays the same
 * across exec: the second image's dump must not overwrite the first's.
 * "reexec linger": the first image waits a second more before the exec
 * (interval dumps pile up meanwhile).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "second") == 0) {
        printf("second image\n");
        return 0;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/threadprof.%d.000001.threads.txt",
             getenv("THREADPROF_DIR"), (int)getpid());
    kill(getpid(), SIGUSR2);
    for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
        usleep(10000);
    usleep(argc > 1 && strcmp(argv[1], "linger") == 0 ? 1000000 : 100000);
    fflush(stdout);
    char *args[] = {argv[0], "second", NULL};
    execv(argv[0], args);
    return 2;
}
