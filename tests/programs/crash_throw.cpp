/*
 * crash_throw: thread "thrower" throws a std::runtime_error from
 * load_config() that nobody catches.  The unwinder finds no handler up to
 * the thread's start, so __cxa_throw calls std::terminate, which prints
 * "terminate called after throwing ..." and calls abort(): SIGABRT raised
 * by the program, with load_config still on the stack.  stderr: "thrower
 * tid <tid>" for the test.
 */
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

static volatile int broken = 1;

/* Not inlined: the test expects it among the thread's frames. */
__attribute__((noinline)) void load_config(const char *path)
{
    if (broken)
        throw std::runtime_error(std::string("cannot parse ") + path);
}

static void *thrower_main(void *)
{
    pthread_setname_np(pthread_self(), "thrower");
    std::fprintf(stderr, "thrower tid %d\n", (int)gettid());
    load_config("/etc/app.conf");
    return nullptr;
}

int main()
{
    pthread_t t;
    pthread_create(&t, nullptr, thrower_main, nullptr);
    pthread_join(t, nullptr);
    return 0;
}
