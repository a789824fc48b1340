/*
 * hooks/sleep: nanosleep, clock_nanosleep, usleep, sleep.  The requested
 * duration (in ms) is kept so the dump can say "sleep for 5s".
 */
#include <unistd.h>

#include "agent/agent.h"

TP_REAL_DECL(nanosleep);
TP_REAL_DECL(clock_nanosleep);
TP_REAL_DECL(usleep);
TP_REAL_DECL(sleep);

TP_INLINE long ts_ms(const struct timespec *ts)
{
    return ts ? (long)ts->tv_sec * 1000 + ts->tv_nsec / 1000000 : 0;
}

TP_HOOK int nanosleep(const struct timespec *req, struct timespec *rem)
{
    TP_WAIT_SCOPE(TP_ST_SLEEP, "nanosleep", NULL, NULL, ts_ms(req));
    return TP_REAL(nanosleep)(req, rem);
}

TP_HOOK int clock_nanosleep(clockid_t clock, int flags,
                            const struct timespec *req, struct timespec *rem)
{
    long ms = (flags & TIMER_ABSTIME) ? 0 : ts_ms(req);
    TP_WAIT_SCOPE(TP_ST_SLEEP, "clock_nanosleep", NULL, NULL, ms);
    return TP_REAL(clock_nanosleep)(clock, flags, req, rem);
}

TP_HOOK int usleep(useconds_t usec)
{
    TP_WAIT_SCOPE(TP_ST_SLEEP, "usleep", NULL, NULL, usec / 1000);
    return TP_REAL(usleep)(usec);
}

TP_HOOK unsigned int sleep(unsigned int seconds)
{
    TP_WAIT_SCOPE(TP_ST_SLEEP, "sleep", NULL, NULL,
                                   (long)seconds * 1000);
    return TP_REAL(sleep)(seconds);
}
