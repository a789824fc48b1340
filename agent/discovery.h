/*
 * discovery: one small file per process running the agent, in a fixed
 * per-user place, so `scripts/threadprof` finds every process's settings
 * (dump directory, trigger signal, HTTP endpoint) without reading
 * /proc/<pid>/environ, which programs may rewrite (agent/discovery.c;
 * the format is in the file's comment).
 */
#ifndef TP_DISCOVERY_H
#define TP_DISCOVERY_H

/* Writes (or rewrites) this process's file.  Cheap; called at start, in a
 * forked child when its dump thread starts, and when the endpoint's
 * address is known.  Failures are silent (the CLI falls back). */
void tp_discovery_publish(void);
/* The endpoint's URL ("http://127.0.0.1:41234", "unix:/path"), NULL or ""
 * for none; publishes. */
void tp_discovery_set_http(const char *url);
/* Removes this process's file (normal exit). */
void tp_discovery_remove(void);

#endif
