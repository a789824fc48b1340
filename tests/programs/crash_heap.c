/*
 * crash_heap [top|late]: glibc's allocator finds the heap corrupted and aborts
 * from inside free() or malloc(), with the arena's lock held (a thread
 * "idler" makes the process multi-threaded natively too, so glibc takes
 * the lock): a crash handler that allocates then deadlocks or crashes
 * again.  The work is done in the main thread, whose arena is always the
 * main one.  stderr: "main tid <tid>" for the test, then glibc's message.
 *
 * Default: a 2000-byte block (above the tcache and fastbin sizes, so
 * free() checks it under the arena's lock) is freed twice: "double free
 * or corruption (...)", the detail depending on the heap's layout.
 *
 * late: the same after 300 ms (periodic dumps have run by then).
 *
 * top: the size field of the top chunk, just after a small block carved
 * from it, is overwritten with a huge value; the next allocation the top
 * must serve fails glibc's check: "malloc(): corrupted top size".
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pointer goes through a volatile, so that GCC does not see (and
 * refuse, -Wuse-after-free) the second free of the same block. */
static void *volatile launder;

/* Not inlined: the test expects it among the thread's frames. */
static __attribute__((noinline)) void release_twice(void)
{
    void *block = malloc(2000);
    memset(block, 1, 2000);
    launder = block;
    free(block);
    free(launder);
}

/* The size field of the chunk after block, when that chunk is the main
 * arena's top (it ends at the program break), else NULL.  glibc's layout:
 * a chunk's size field sits 8 bytes before its user memory, and an
 * in-use block's usable bytes run up to the next chunk's size field. */
static size_t *top_size_after(char *block)
{
    size_t *size = (size_t *)(block + malloc_usable_size(block));
    char *chunk = (char *)size - sizeof(size_t);
    return chunk + (*size & ~(size_t)7) == (char *)sbrk(0) ? size : NULL;
}

/* Not inlined: the test expects it among the thread's frames. */
static __attribute__((noinline)) void smash_top(void)
{
    /* Small blocks come from free chunks first (more so under an agent
     * that allocated and freed at start); once one is carved from the
     * top, no free chunk of the arena can serve a small request. */
    size_t *size = NULL;
    for (int i = 0; i < 100000 && size == NULL; i++)
        size = top_size_after(malloc(40));
    if (size == NULL) {
        fprintf(stderr, "no block next to the top chunk\n");
        exit(4);
    }
    *size = SIZE_MAX & ~(size_t)0xf;
    launder = malloc(40);
}

static void *idler_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "idler");
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    pthread_create(&t, NULL, idler_main, NULL);
    fprintf(stderr, "main tid %d\n", (int)gettid());
    if (argc > 1 && strcmp(argv[1], "top") == 0) {
        smash_top();
    } else {
        /* "late": after 300 ms, when periodic dumps have run and the
         * symbolizer holds blocks of the heap the crash finds locked. */
        if (argc > 1 && strcmp(argv[1], "late") == 0)
            usleep(300000);
        release_twice();
    }
    fprintf(stderr, "glibc did not notice\n");
    return 3;
}
