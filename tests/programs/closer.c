/*
 * closer DATAFILE: behaves like a daemon that closes every descriptor but
 * stdout and reuses the numbers: fd 2 becomes a data file.  It then asks
 * for a dump (kill(getpid(), SIGUSR2)), waits for the dump file to appear
 * and prints "data bytes N": nothing may have been written into its file.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    for (int fd = 0; fd < 1024; fd++)
        if (fd != 1)
            close(fd);
    int a = open("/dev/null", O_RDONLY);              /* takes fd 0 */
    int data = open(argv[1], O_CREAT | O_RDWR | O_TRUNC, 0600);   /* fd 2 */
    if (a != 0 || data != 2) {
        printf("unexpected fds %d %d\n", a, data);
        return 3;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/threadprof.%d.000001.threads.txt",
             getenv("THREADPROF_DIR"), (int)getpid());
    kill(getpid(), SIGUSR2);
    for (int i = 0; i < 1000 && access(path, F_OK) != 0; i++)
        usleep(10000);
    usleep(100000);   /* the informational line would follow the rename */
    struct stat st;
    fstat(data, &st);
    printf("dump %s\n", access(path, F_OK) == 0 ? "written" : "missing");
    printf("data bytes %lld\n", (long long)st.st_size);
    return 0;
}
