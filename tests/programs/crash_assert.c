/*
 * crash_assert: a failed assert() in check_invariant, in the main thread:
 * glibc prints the assertion and calls abort(), SIGABRT raised by the
 * program.  The build keeps asserts (no -DNDEBUG).
 */
#include <assert.h>
#include <stdio.h>
#include <unistd.h>

static volatile int items = 3;

/* Not inlined: the test expects it among the main thread's frames. */
static __attribute__((noinline)) void check_invariant(int n)
{
    assert(n % 2 == 0 && "items come in pairs");
}

int main(void)
{
    fprintf(stderr, "main tid %d\n", (int)gettid());
    check_invariant(items);
    return 0;
}
