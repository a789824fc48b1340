/*
 * syscalls: blocking system calls of known lengths for the block profile:
 * pipe_reader() blocks ~150 ms in read on a pipe, poller() ~100 ms in
 * poll, and zero_reader() makes 200,000 reads of /dev/zero that never
 * block (sampled in proportion to their short length).  Prints "ready"
 * when all are done, then waits to be killed (or exits with "exit").
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int pfd[2];

static __attribute__((noinline)) void *pipe_reader(void *arg)
{
    (void)arg;
    char c;
    if (read(pfd[0], &c, 1) != 1)
        return (void *)1;
    return NULL;
}

static __attribute__((noinline)) void *poller(void *arg)
{
    (void)arg;
    struct pollfd p = {.fd = pfd[0], .events = POLLPRI};
    poll(&p, 1, 100);
    return NULL;
}

static __attribute__((noinline)) void zero_reader(void)
{
    int fd = open("/dev/zero", O_RDONLY);
    char buf[8];
    for (int i = 0; i < 200000; i++)
        if (read(fd, buf, sizeof buf) != sizeof buf)
            break;
    close(fd);
}

int main(int argc, char **argv)
{
    alarm(120); /* never outlive a test that forgot us */
    if (pipe(pfd) != 0)
        return 2;
    pthread_t r, p;
    pthread_create(&p, NULL, poller, NULL);
    pthread_create(&r, NULL, pipe_reader, NULL);
    zero_reader();
    usleep(150000);
    if (write(pfd[1], "x", 1) != 1)
        return 3;
    pthread_join(r, NULL);
    pthread_join(p, NULL);
    printf("ready\n");
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 0;
    for (;;)
        pause();
}
