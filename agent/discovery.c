/*
 * discovery: the per-process discovery file (agent/discovery.h).
 * (Being written: these are stubs.)
 */
#include "agent/discovery.h"
#include "agent/internal.h"

void tp_discovery_publish(void)
{
}

void tp_discovery_set_http(const char *url)
{
    (void)url;
    tp_discovery_publish();
}

void tp_discovery_remove(void)
{
}
