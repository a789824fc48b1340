/*
 * proc_daemon DIR HOW: a threaded program turns into a daemon the
 * classic way: fork, setsid, fork again, then the grandchild closes every
 * descriptor (HOW "close1024": close(0..1023); HOW "close_range": close
 * 0, 1, 2 and close_range(3, ~0U, 0)) and opens its own files, which get
 * the numbers 0, 1, 2, 3 ... (DIR/data0 ... DIR/data5).  It writes a line
 * to each, sends itself the dump signal (kill, to the process), waits up
 * to 5 s for its dump in $THREADPROF_DIR, writes a second line to each,
 * then checks every file holds exactly its two lines and its offset is
 * at their end.  The verdict goes to DIR/result ("grandchild <pid> dump
 * <0|1> files ok" or what went wrong); the parent waits for it, prints it
 * and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NFILES 6

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;

static void *worker(void *arg)
{
    (void)arg;
    while (!stop) {
        pthread_mutex_lock(&m);
        free(malloc(64));
        pthread_mutex_unlock(&m);
        usleep(500);
    }
    return NULL;
}

static void grandchild(const char *dir, const char *how)
{
    char path[4200], expect[NFILES][128], verdict[512] = "";
    if (strcmp(how, "close_range") == 0) {
        close(0);
        close(1);
        close(2);
        if (syscall(SYS_close_range, 3u, ~0u, 0) != 0)
            _exit(20);
    } else {
        for (int fd = 0; fd < 1024; fd++)
            close(fd);
    }
    int fds[NFILES];
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof path, "%s/data%d", dir, i);
        fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fds[i] != i)
            _exit(21);
        snprintf(expect[i], sizeof expect[i], "first line of data%d\n", i);
        if (write(fds[i], expect[i], strlen(expect[i])) < 0)
            _exit(22);
    }
    /* Some threads, as a daemon has. */
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    kill(getpid(), SIGUSR2);
    const char *tpdir = getenv("THREADPROF_DIR");
    int dumped = 0;
    snprintf(path, sizeof path, "%s/threadprof.%d.000001.threads.txt", tpdir ? tpdir : "/nonexistent",
             (int)getpid());
    for (int i = 0; i < 500 && !dumped; i++) {
        dumped = access(path, F_OK) == 0;
        if (!dumped)
            usleep(10000);
    }
    stop = 1;
    pthread_join(th, NULL);
    for (int i = 0; i < NFILES; i++) {
        char second[64];
        snprintf(second, sizeof second, "second line of data%d\n", i);
        if (write(fds[i], second, strlen(second)) < 0)
            _exit(23);
        strcat(expect[i], second);
    }
    int ok = 1;
    for (int i = 0; i < NFILES; i++) {
        char buf[512];
        ssize_t n = pread(fds[i], buf, sizeof buf - 1, 0);
        off_t off = lseek(fds[i], 0, SEEK_CUR);
        buf[n > 0 ? n : 0] = '\0';
        if (n != (ssize_t)strlen(expect[i]) || strcmp(buf, expect[i]) != 0 || off != n) {
            ok = 0;
            snprintf(verdict + strlen(verdict), sizeof verdict - strlen(verdict),
                     "data%d changed (%zd bytes, offset %ld) ", i, n, (long)off);
        }
    }
    char result[1024];
    snprintf(result, sizeof result, "grandchild %d dump %d %s\n", (int)getpid(), dumped,
             ok ? "files ok" : verdict);
    snprintf(path, sizeof path, "%s/result.tmp", dir);
    int rfd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (rfd < 0 || write(rfd, result, strlen(result)) < 0)
        _exit(24);
    close(rfd);
    char final[4200];
    snprintf(final, sizeof final, "%s/result", dir);
    rename(path, final);
    exit(0);
}

int main(int argc, char **argv)
{
    alarm(30);
    if (argc < 3)
        return 2;
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        if (fork() != 0)
            _exit(0);
        grandchild(argv[1], argv[2]);
    }
    int status;
    waitpid(pid, &status, 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/result", argv[1]);
    for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
        usleep(10000);
    FILE *f = fopen(path, "r");
    char line[1024] = "no result\n";
    if (f != NULL) {
        if (fgets(line, sizeof line, f) == NULL)
            strcpy(line, "empty result\n");
        fclose(f);
    }
    stop = 1;
    pthread_join(th, NULL);
    printf("intermediate status %d\n%s", WIFEXITED(status) ? WEXITSTATUS(status) : -1, line);
    return 0;
}
