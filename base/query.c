/*
 * query: strict query values (base/query.h).
 */
#include <errno.h>

#include "base/query.h"

int tp_query_uint(const char *s, unsigned max, unsigned *out)
{
    unsigned v = 0;
    int digits = 0;
    for (; *s != '\0'; s++, digits++) {
        if (*s < '0' || *s > '9' || digits == 9)
            return -EINVAL;
        v = v * 10 + (unsigned)(*s - '0');
    }
    if (digits == 0 || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}
