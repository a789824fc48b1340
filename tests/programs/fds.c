/*
 * fds: the descriptor numbers a program gets are its own business.  Makes
 * a pipe and prints the numbers it got; under the agent (LD_PRELOAD set)
 * asks for a dump and waits for it; then lists its descriptors below 1000
 * ("fd N -> target").  The output must be the same with and without the
 * agent: the agent keeps nothing open at low numbers, before or after a
 * dump.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    if (pipe(p) != 0)
        return 2;
    printf("pipe %d %d\n", p[0], p[1]);
    const char *dir = getenv("THREADPROF_DIR");
    if (getenv("LD_PRELOAD") != NULL && dir != NULL) {
        char path[4096];
        snprintf(path, sizeof path, "%s/threadprof.%d.000001.threads.txt", dir, (int)getpid());
        kill(getpid(), SIGUSR2);
        for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
            usleep(10000);
        usleep(50000);
    }
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] == '.' || fd == dirfd(d) || fd >= 1000 || fd <= 2)
            continue;
        char link[64], target[256];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        /* pipe inode numbers differ from run to run */
        if (strncmp(target, "pipe:", 5) == 0)
            strcpy(target, "pipe");
        printf("fd %d -> %s\n", fd, target);
    }
    closedir(d);
    return 0;
}
