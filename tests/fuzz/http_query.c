/*
 * Fuzz target: the endpoint's query values (base/query.c tp_query_uint)
 * and THREADPROF_HTTP addresses (agent/config.c tp_parse_http_addr):
 * whatever a client or a setting sends, a value is accepted only whole
 * and in bounds.
 */
#include <string.h>
#include <sys/socket.h>

#include "agent/config.h"
#include "base/query.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    unsigned v = 12345;
    if (tp_query_uint(text, 3600, &v) == 0) {
        fuzz_check(v <= 3600);
        fuzz_check(text[0] >= '0' && text[0] <= '9' && strlen(text) <= 9);
    } else {
        fuzz_check(v == 12345);
    }
    tp_http_addr_t a;
    if (tp_parse_http_addr(text, &a) == 0) {
        fuzz_check(a.family == AF_INET || a.family == AF_INET6 || a.family == AF_UNIX);
        fuzz_check(a.port <= 65535);
        fuzz_check(a.family != AF_UNIX || a.path[0] == '/');
        fuzz_check(memchr(a.host, '\0', sizeof a.host) != NULL);
    }
    free(text);
    return 0;
}
