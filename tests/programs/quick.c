/*
 * quick: a tool that does next to nothing: one thread, a few
 * allocations, exit status 0.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    for (int i = 0; i < 16; i++)
        free(malloc(64));
    return 0;
}
