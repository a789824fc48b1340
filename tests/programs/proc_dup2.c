/*
 * proc_dup2: a program that reuses every descriptor number.  After a
 * first dump (so the agent's libraries have opened what they keep open),
 * it dup2()s its own objects onto every number from 3 up to the soft
 * RLIMIT_NOFILE - 1 (and up to the highest descriptor open, should one
 * lie above): a data file (number % 3 == 0), the read end (1) and the
 * write end (2) of a pipe holding 16 bytes.  The descriptor table is then
 * full: it asks for a dump (kill to the process) and waits up to 2 s;
 * then it closes 3..99 and asks again, waiting up to 5 s.  Finally it
 * checks every descriptor from 100 up still refers to its object, the
 * pipe still holds exactly its 16 bytes and the file its content at its
 * offset, and prints "fds <n> first <0|1> dumps <full> <freed>" and
 * "host data ok" (or what changed).  $THREADPROF_DIR names where the
 * dumps appear.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char file_data[] = "host file data.\n";
static const char pipe_data[] = "0123456789abcdef";

/* Waits up to ms for a dump numbered seq or higher (a dump that could
 * not be written keeps its number); returns 1 and moves *seq past it. */
static int wait_dump(unsigned *seq, int ms)
{
    const char *dir = getenv("THREADPROF_DIR");
    char path[4200];
    for (int i = 0; i < ms / 10; i++) {
        for (unsigned s = *seq; s < *seq + 4; s++) {
            snprintf(path, sizeof path, "%s/threadprof.%d.%06u.threads.txt",
                     dir ? dir : "/nonexistent", (int)getpid(), s);
            if (access(path, F_OK) == 0) {
                /* The summary is the dump's last file; then the agent
                 * closes the directory.  Taking every number while a dump
                 * is still being written would take the dump's own. */
                snprintf(path, sizeof path, "%s/threadprof.%d.%06u.summary.txt",
                         dir, (int)getpid(), s);
                for (int j = 0; j < ms / 10 && access(path, F_OK) != 0; j++)
                    usleep(10000);
                usleep(100000);
                *seq = s + 1;
                return 1;
            }
        }
        usleep(10000);
    }
    return 0;
}

static int highest_open(void)
{
    DIR *d = opendir("/proc/self/fd");
    int hi = -1;
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (atoi(e->d_name) > hi)
            hi = atoi(e->d_name);
    if (d != NULL)
        closedir(d);
    return hi;
}

int main(void)
{
    alarm(60);
    setvbuf(stdout, NULL, _IOLBF, 0);
    kill(getpid(), SIGUSR2);
    unsigned seq = 1;
    int first = wait_dump(&seq, 5000);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int top = (int)rl.rlim_cur - 1;
    int hi = highest_open();
    if (hi > top)
        top = hi;
    char path[] = "/tmp/proc_dup2-XXXXXX";
    int file = mkstemp(path);
    unlink(path);
    int p[2];
    if (file < 0 || pipe(p) != 0 || write(file, file_data, 16) != 16 ||
        write(p[1], pipe_data, 16) != 16)
        return 2;
    /* The originals go to the top of the range, last to be overwritten. */
    int src[3] = {file, p[0], p[1]};
    for (int i = 0; i < 3; i++) {
        int moved = fcntl(src[i], F_DUPFD, 3);
        close(src[i]);
        src[i] = moved;
    }
    struct stat want[3];
    for (int i = 0; i < 3; i++)
        fstat(src[i], &want[i]);
    int n = 0;
    for (int fd = 3; fd <= top; fd++) {
        int s = src[fd % 3];
        if (fd == src[0] || fd == src[1] || fd == src[2])
            continue;
        if (dup2(s, fd) == fd)
            n++;
    }
    kill(getpid(), SIGUSR2);
    int full = wait_dump(&seq, 2000);
    for (int fd = 3; fd < 100; fd++)
        if (fd != src[0] && fd != src[1] && fd != src[2])
            close(fd);
    kill(getpid(), SIGUSR2);
    int freed = wait_dump(&seq, 5000);
    printf("fds %d first %d dumps %d %d\n", n, first, full, freed);

    int ok = 1, moved = 0;
    for (int fd = 100; fd <= top; fd++) {
        struct stat st;
        const struct stat *w = &want[fd % 3];
        if (fd == src[0] || fd == src[1] || fd == src[2])
            continue;
        if (fstat(fd, &st) != 0 || st.st_dev != w->st_dev || st.st_ino != w->st_ino) {
            if (moved++ < 4)
                printf("fd %d is no longer the program's\n", fd);
            ok = 0;
        }
    }
    char buf[64];
    fcntl(src[1], F_SETFL, O_NONBLOCK);
    ssize_t got = read(src[1], buf, sizeof buf);
    if (got != 16 || memcmp(buf, pipe_data, 16) != 0) {
        printf("pipe changed: %zd bytes\n", got);
        ok = 0;
    }
    off_t off = lseek(src[0], 0, SEEK_CUR);
    off_t size = lseek(src[0], 0, SEEK_END);
    got = pread(src[0], buf, sizeof buf, 0);
    if (off != 16 || size != 16 || got != 16 || memcmp(buf, file_data, 16) != 0) {
        printf("file changed: offset %ld size %ld\n", (long)off, (long)size);
        ok = 0;
    }
    if (ok)
        printf("host data ok\n");
    return 0;
}
