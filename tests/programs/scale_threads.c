/*
 * scale_threads churn N: creates N short-lived threads in batches of 100
 * (each allocates, takes a shared mutex, frees) and joins each batch; then
 * prints "threads N" and the process's peak RSS ("VmHWM <kB>") from
 * /proc/self/status.
 * scale_threads contend N: four threads "holder-0".."holder-3" each take
 * one of four mutexes and keep it; N threads (64 KiB stacks) then block
 * on those mutexes, i % 4; prints "ready" once all of them wait (as
 * /proc says), and sleeps until killed.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t locks[4] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
                                   PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
static volatile unsigned long work;

static void *short_lived(void *arg)
{
    char *p = malloc(256 + (size_t)(long)arg % 1024);
    pthread_mutex_lock(&shared);
    work += (unsigned long)(p != NULL);
    pthread_mutex_unlock(&shared);
    free(p);
    return NULL;
}

static void *holder(void *arg)
{
    pthread_mutex_lock(&locks[(long)arg]);
    for (;;)
        pause();
    return NULL;
}

static __attribute__((noinline)) void *contender(void *arg)
{
    pthread_mutex_lock(&locks[(long)arg % 4]);
    return NULL;
}

static int sleeping_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    char path[300], buf[256];
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (f != NULL && fgets(buf, sizeof buf, f) != NULL) {
            char *s = strrchr(buf, ')');
            n += s != NULL && s[2] == 'S';
        }
        if (f != NULL)
            fclose(f);
    }
    if (d != NULL)
        closedir(d);
    return n;
}

int main(int argc, char **argv)
{
    alarm(120);
    if (argc < 3)
        return 2;
    int n = atoi(argv[2]);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    if (strcmp(argv[1], "churn") == 0) {
        for (int done = 0; done < n; done += 100) {
            pthread_t th[100];
            int b = n - done < 100 ? n - done : 100;
            for (int i = 0; i < b; i++)
                if (pthread_create(&th[i], NULL, short_lived, (void *)(long)(done + i)) != 0)
                    return 3;
            for (int i = 0; i < b; i++)
                pthread_join(th[i], NULL);
        }
        char line[256];
        FILE *f = fopen("/proc/self/status", "r");
        while (f != NULL && fgets(line, sizeof line, f) != NULL)
            if (strncmp(line, "VmHWM:", 6) == 0)
                printf("threads %lu VmHWM %ld\n", work, atol(line + 6));
        return 0;
    }
    for (long i = 0; i < 4; i++) {
        pthread_t th;
        pthread_create(&th, &attr, holder, (void *)i);
        char name[16];
        snprintf(name, sizeof name, "holder-%ld", i);
        pthread_setname_np(th, name);
    }
    usleep(100000);
    for (long i = 0; i < n; i++) {
        pthread_t th;
        if (pthread_create(&th, &attr, contender, (void *)i) != 0) {
            perror("pthread_create");
            return 3;
        }
    }
    while (sleeping_threads() < n + 4)
        usleep(20000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
