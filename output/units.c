/*
 * units: durations and sizes as every text output words them
 * (output/units.h).
 */
#include "output/units.h"

#include <stdio.h>

void tp_format_duration(uint64_t ns, char *buf, size_t len)
{
    uint64_t ms = ns / 1000000u;
    uint64_t s = ns / 1000000000u;
    if (ms < 1000)
        snprintf(buf, len, "%llums", (unsigned long long)ms);
    else if (s < 10)
        snprintf(buf, len, "%llu.%llus", (unsigned long long)s,
                 (unsigned long long)(ms % 1000 / 100));
    else if (s < 60)
        snprintf(buf, len, "%llus", (unsigned long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%llum%llus", (unsigned long long)(s / 60),
                 (unsigned long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%lluh%llum", (unsigned long long)(s / 3600),
                 (unsigned long long)(s % 3600 / 60));
    else
        snprintf(buf, len, "%llud%lluh", (unsigned long long)(s / 86400),
                 (unsigned long long)(s % 86400 / 3600));
}

void tp_format_wait(uint64_t ns, char *buf, size_t len)
{
    if (ns < 1000u)
        snprintf(buf, len, "%lluns", (unsigned long long)ns);
    else if (ns < 1000000u)
        snprintf(buf, len, "%llu.%lluus", (unsigned long long)(ns / 1000u),
                 (unsigned long long)(ns % 1000u / 100u));
    else if (ns < 1000000000u)
        snprintf(buf, len, "%llu.%02llums", (unsigned long long)(ns / 1000000u),
                 (unsigned long long)(ns % 1000000u / 10000u));
    else if (ns < 60000000000ull)
        snprintf(buf, len, "%llu.%02llus", (unsigned long long)(ns / 1000000000u),
                 (unsigned long long)(ns % 1000000000u / 10000000u));
    else
        tp_format_duration(ns, buf, len);
}

void tp_format_bytes(uint64_t bytes, char *buf, size_t len)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, len, "%llu B", (unsigned long long)bytes);
        return;
    }
    double v = (double)bytes / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof unit / sizeof *unit) {
        v /= 1024;
        u++;
    }
    snprintf(buf, len, "%.1f %s", v, unit[u]);
}
