// host_symbols: checks that preloading the agent leaves the program's own
// backtrace() (glibc) and C++ exception unwinder (libgcc) in place; the
// agent's private libunwind exports both names.  Prints one line each.
#include <dlfcn.h>
#include <execinfo.h>
#include <unwind.h>

#include <cstdio>
#include <stdexcept>

static const char *owner(void *fn)
{
    Dl_info info;
    return fn && dladdr(fn, &info) && info.dli_fname ? info.dli_fname : "?";
}

__attribute__((noinline)) static void thrower(int depth)
{
    if (depth == 0)
        throw std::runtime_error("deep");
    thrower(depth - 1);
}

int main()
{
    std::printf("backtrace from %s\n", owner(reinterpret_cast<void *>(&backtrace)));
    std::printf("_Unwind_RaiseException from %s\n",
                owner(reinterpret_cast<void *>(&_Unwind_RaiseException)));
    void *frames[16];
    std::printf("backtrace frames %d\n", backtrace(frames, 16) > 2 ? 1 : 0);
    try {
        thrower(20);
    } catch (const std::exception &e) {
        std::printf("caught %s\n", e.what());
    }
    return 0;
}
