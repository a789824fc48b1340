/*
 * proc_exec: starts programs in every way a host does while a worker
 * thread takes locks: vfork+execv, fork+execvp, fork+execl, posix_spawn,
 * posix_spawnp, system, popen.  Each child is this program run as
 * "proc_exec child <tag> <code>", which prints "child <tag>" and exits
 * with <code>; the parent prints "<how> status <code>" for each and
 * "done".  Output is the same with and without the agent.
 */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int stop;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static char self[4096];

static void *worker(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&m);
        free(malloc(256));
        pthread_mutex_unlock(&m);
        usleep(100);
    }
    return NULL;
}

static void report(const char *how, pid_t pid)
{
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        printf("%s failed\n", how);
        return;
    }
    printf("%s status %d\n", how, WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    alarm(60);
    if (argc > 3 && strcmp(argv[1], "child") == 0) {
        printf("child %s\n", argv[2]);
        return atoi(argv[3]);
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 2;
    self[n] = '\0';
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);

    pid_t pid = vfork();
    if (pid == 0) {
        char *const av[] = {self, "child", "vfork", "11", NULL};
        execv(self, av);
        _exit(127);
    }
    report("vfork+execv", pid);

    pid = fork();
    if (pid == 0) {
        char *const av[] = {self, "child", "execvp", "12", NULL};
        execvp(self, av);
        _exit(127);
    }
    report("fork+execvp", pid);

    pid = fork();
    if (pid == 0) {
        execl(self, self, "child", "execl", "13", (char *)NULL);
        _exit(127);
    }
    report("fork+execl", pid);

    char *const av1[] = {self, "child", "posix_spawn", "14", NULL};
    if (posix_spawn(&pid, self, NULL, NULL, av1, environ) != 0)
        pid = -1;
    report("posix_spawn", pid);

    char *const av2[] = {self, "child", "posix_spawnp", "15", NULL};
    if (posix_spawnp(&pid, self, NULL, NULL, av2, environ) != 0)
        pid = -1;
    report("posix_spawnp", pid);

    char cmd[4200];
    snprintf(cmd, sizeof cmd, "'%s' child system 16", self);
    int st = system(cmd);
    printf("system status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    snprintf(cmd, sizeof cmd, "'%s' child popen 17", self);
    FILE *f = popen(cmd, "r");
    char line[128] = "";
    if (f == NULL || fgets(line, sizeof line, f) == NULL)
        printf("popen failed\n");
    else
        printf("popen read %s", line);
    st = f ? pclose(f) : -1;
    printf("popen status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    stop = 1;
    pthread_join(th, NULL);
    printf("done\n");
    return 0;
}
