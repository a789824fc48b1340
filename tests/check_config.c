/*
 * Check suite for agent/config.c, its pure parsers of the THREADPROF_*
 * values (every accepted spelling and the near misses that must be
 * refused, with the output left untouched) and tp_signal_name().
 * tp_config_load() reading the environment is in check_config_load.
 */

#include <check.h>
#include <errno.h>
#include <sys/socket.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "base/query.h"
#include "base/signame.h"
#include "tests/testbase.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

/* ---- tp_parse_bool ---- */

START_TEST(config_bool_accepts_spellings)
{
    static const struct { const char *s; int v; } cases[] = {
        {"1", 1}, {"0", 0}, {"yes", 1}, {"no", 0}, {"true", 1},
        {"false", 0}, {"on", 1}, {"off", 0}, {"YES", 1}, {"No", 0},
        {"TRUE", 1}, {"False", 0}, {"On", 1}, {"OFF", 0}, {"tRuE", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int out = 42;
        ck_assert_msg(tp_parse_bool(cases[i].s, &out) == 0,
                      "\"%s\" refused", cases[i].s);
        ck_assert_msg(out == cases[i].v, "\"%s\" gave %d", cases[i].s, out);
    }
}
END_TEST

START_TEST(config_bool_rejects_garbage)
{
    static const char *const bad[] = {
        "", "2", "maybe", " 1", "1 ", "yess", "of", "-1", "10", "on\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int out = 42;
        ck_assert_msg(tp_parse_bool(bad[i], &out) == -EINVAL,
                      "\"%s\" accepted", bad[i]);
        ck_assert_msg(out == 42, "\"%s\" changed out to %d", bad[i], out);
    }
}
END_TEST

/* ---- tp_parse_signal ---- */

START_TEST(config_signal_accepts_names_and_numbers)
{
    const struct { const char *s; int v; } cases[] = {
        {"SIGUSR2", SIGUSR2}, {"USR2", SIGUSR2}, {"usr2", SIGUSR2},
        {"SigUsr2", SIGUSR2}, {"12", SIGUSR2}, {"SIGUSR1", SIGUSR1},
        {"10", SIGUSR1}, {"SIGPROF", SIGPROF}, {"quit", SIGQUIT},
        {"SIGRTMIN", SIGRTMIN}, {"SIGRTMIN+3", SIGRTMIN + 3},
        {"rtmin+0", SIGRTMIN}, {"RTMAX-1", SIGRTMAX - 1},
        {"SIGRTMAX", SIGRTMAX}, {"none", 0}, {"NONE", 0}, {"0", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int out = -42;
        ck_assert_msg(tp_parse_signal(cases[i].s, &out) == 0,
                      "\"%s\" refused", cases[i].s);
        ck_assert_msg(out == cases[i].v, "\"%s\" gave %d, expected %d",
                      cases[i].s, out, cases[i].v);
    }
}
END_TEST

START_TEST(config_signal_rejects_bad)
{
    static const char *const bad[] = {
        "SIGFOO", "SIGKILL", "KILL", "9", "SIGSTOP", "19", "SIGSEGV", "11",
        "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "6", "SIGTRAP", "64x", "",
        "-1", "SIGRTMIN+99", "SIGRTMIN-1", "SIGRTMAX+1", "RTMIN+", "RTMIN3",
        "65", "1000", " 12", "12 ", "SIG", "SIGUSR2 ", "USR",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int out = -42;
        ck_assert_msg(tp_parse_signal(bad[i], &out) == -EINVAL,
                      "\"%s\" accepted (gave %d)", bad[i], out);
        ck_assert_msg(out == -42, "\"%s\" changed out to %d", bad[i], out);
    }
}
END_TEST

/* glibc keeps the signals between 31 and SIGRTMIN for itself (thread
 * cancellation, setxid); its sigaction() refuses them, so a trigger there
 * would be accepted here and silently never installed. */
START_TEST(config_signal_rejects_libc_reserved)
{
    for (int signo = 32; signo < SIGRTMIN; signo++) {
        char num[16];
        snprintf(num, sizeof num, "%d", signo);
        int out = -42;
        ck_assert_msg(tp_parse_signal(num, &out) == -EINVAL,
                      "reserved signal \"%s\" accepted", num);
        ck_assert_int_eq(out, -42);
    }
    /* The first real-time signal is fine by number too. */
    char num[16];
    snprintf(num, sizeof num, "%d", SIGRTMIN);
    int out = -42;
    ck_assert_int_eq(tp_parse_signal(num, &out), 0);
    ck_assert_int_eq(out, SIGRTMIN);
}
END_TEST

/* ---- tp_parse_duration ---- */

START_TEST(config_duration_accepts_units)
{
    static const struct { const char *s; uint64_t ns; } cases[] = {
        {"30", 30 * NS_PER_S},          {"30s", 30 * NS_PER_S},
        {"1.5s", 1500 * NS_PER_MS},     {"1.5", 1500 * NS_PER_MS},
        {"250ms", 250 * NS_PER_MS},     {"10ms", 10 * NS_PER_MS},
        {"5m", 300 * NS_PER_S},         {"2h", 7200 * NS_PER_S},
        {"0.5m", 30 * NS_PER_S},        {".25s", 250 * NS_PER_MS},
        {"off", 0},                     {"OFF", 0},
        {"0", 0},                       {"0s", 0},
        {"8784h", 8784ull * 3600 * NS_PER_S},   /* 366 days, the limit */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint64_t ns = 42;
        ck_assert_msg(tp_parse_duration(cases[i].s, &ns) == 0,
                      "\"%s\" refused", cases[i].s);
        ck_assert_msg(ns == cases[i].ns, "\"%s\" gave %llu ns, expected %llu",
                      cases[i].s, (unsigned long long)ns,
                      (unsigned long long)cases[i].ns);
    }
}
END_TEST

/* Decimal fractions that a double cannot hold exactly still give the
 * nanosecond count the person wrote. */
START_TEST(config_duration_decimals_exact)
{
    static const struct { const char *s; uint64_t ns; } cases[] = {
        {"1.001s", 1001 * NS_PER_MS}, {"1.003", 1003 * NS_PER_MS},
        {"0.3s", 300 * NS_PER_MS},    {"2.3", 2300 * NS_PER_MS},
        {"4.35s", 4350 * NS_PER_MS},  {"0.07", 70 * NS_PER_MS},
        {"1.1m", 66 * NS_PER_S},      {"0.1h", 360 * NS_PER_S},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint64_t ns = 42;
        ck_assert_msg(tp_parse_duration(cases[i].s, &ns) == 0,
                      "\"%s\" refused", cases[i].s);
        ck_assert_msg(ns == cases[i].ns, "\"%s\" gave %llu ns, expected %llu",
                      cases[i].s, (unsigned long long)ns,
                      (unsigned long long)cases[i].ns);
    }
}
END_TEST

START_TEST(config_duration_rejects_bad)
{
    static const char *const bad[] = {
        "abc", "-1", "5x", "1ms", "9ms", "0.009", "", "inf", "nan", "1e30",
        "infinity", "+5", " 5", "5 ", "5 s", "5sec", ".", "s", "ms", "5mm",
        "8785h", "1d", "-0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t ns = 42;
        ck_assert_msg(tp_parse_duration(bad[i], &ns) == -EINVAL,
                      "\"%s\" accepted (gave %llu ns)", bad[i],
                      (unsigned long long)ns);
        ck_assert_msg(ns == 42, "\"%s\" changed out", bad[i]);
    }
}
END_TEST

/* ---- tp_parse_dir ---- */

START_TEST(config_dir_absolute_accepted)
{
    static const struct { const char *s, *want; } cases[] = {
        {"/var/tmp/tp", "/var/tmp/tp"}, {"/var/tmp/tp/", "/var/tmp/tp"},
        {"/var/tmp/tp///", "/var/tmp/tp"}, {"/x", "/x"}, {"/", "/"},
        {"///", "/"}, {"/with space/dir", "/with space/dir"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[PATH_MAX];
        memset(out, 'Z', sizeof out);
        ck_assert_msg(tp_parse_dir(cases[i].s, out, sizeof out) == 0,
                      "\"%s\" refused", cases[i].s);
        ck_assert_str_eq(out, cases[i].want);
    }
}
END_TEST

START_TEST(config_dir_rejects_relative_empty_long)
{
    static const char *const bad[] = {"", "tmp/tp", "./tp", "../tp", "~/tp",
                                      " /tmp"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char out[PATH_MAX] = "untouched";
        ck_assert_msg(tp_parse_dir(bad[i], out, sizeof out) == -EINVAL,
                      "\"%s\" accepted", bad[i]);
        ck_assert_str_eq(out, "untouched");
    }

    /* PATH_MAX - 1 characters fit a PATH_MAX buffer, PATH_MAX do not. */
    char *longest = malloc(PATH_MAX + 1);
    ck_assert_ptr_nonnull(longest);
    memset(longest, 'a', PATH_MAX);
    longest[0] = '/';
    longest[PATH_MAX] = '\0';
    char out[PATH_MAX] = "untouched";
    ck_assert_int_eq(tp_parse_dir(longest, out, sizeof out), -EINVAL);
    ck_assert_str_eq(out, "untouched");
    longest[PATH_MAX - 1] = '\0';
    ck_assert_int_eq(tp_parse_dir(longest, out, sizeof out), 0);
    ck_assert_str_eq(out, longest);
    free(longest);

    /* The limit is the len passed, not PATH_MAX. */
    char small[5] = "keep";
    ck_assert_int_eq(tp_parse_dir("/abcd", small, sizeof small), -EINVAL);
    ck_assert_str_eq(small, "keep");
    ck_assert_int_eq(tp_parse_dir("/abc", small, sizeof small), 0);
    ck_assert_str_eq(small, "/abc");
}
END_TEST

/* ---- tp_signal_name ---- */

START_TEST(config_signal_name_known)
{
    char buf[32];
    ck_assert_str_eq(tp_signal_name(SIGUSR2, buf, sizeof buf), "SIGUSR2");
    ck_assert_str_eq(tp_signal_name(SIGUSR1, buf, sizeof buf), "SIGUSR1");
    ck_assert_str_eq(tp_signal_name(SIGQUIT, buf, sizeof buf), "SIGQUIT");
    ck_assert_str_eq(tp_signal_name(SIGRTMIN, buf, sizeof buf), "SIGRTMIN");
    ck_assert_str_eq(tp_signal_name(SIGRTMIN + 3, buf, sizeof buf),
                     "SIGRTMIN+3");
    char want[32];
    snprintf(want, sizeof want, "SIGRTMIN+%d", SIGRTMAX - SIGRTMIN);
    ck_assert_str_eq(tp_signal_name(SIGRTMAX, buf, sizeof buf), want);
    /* The result is buf itself. */
    ck_assert_ptr_eq(tp_signal_name(SIGUSR2, buf, sizeof buf), buf);
}
END_TEST

/* Fatal signals are named (crash dumps) but never parsed as a trigger
 * (config_parse_signal_bad above). */
START_TEST(config_signal_name_fatal)
{
    char buf[32];
    ck_assert_str_eq(tp_signal_name(SIGSEGV, buf, sizeof buf), "SIGSEGV");
    ck_assert_str_eq(tp_signal_name(SIGABRT, buf, sizeof buf), "SIGABRT");
    ck_assert_str_eq(tp_signal_name(SIGFPE, buf, sizeof buf), "SIGFPE");
    ck_assert_str_eq(tp_signal_name(SIGBUS, buf, sizeof buf), "SIGBUS");
    ck_assert_str_eq(tp_signal_name(SIGILL, buf, sizeof buf), "SIGILL");
    ck_assert_int_eq(tp_signal_by_name("SEGV"), 0);
}
END_TEST

START_TEST(config_signal_code_names)
{
    ck_assert_str_eq(tp_signal_code_name(SIGSEGV, SEGV_MAPERR), "SEGV_MAPERR");
    ck_assert_str_eq(tp_signal_code_name(SIGSEGV, SEGV_ACCERR), "SEGV_ACCERR");
    ck_assert_str_eq(tp_signal_code_name(SIGFPE, FPE_INTDIV), "FPE_INTDIV");
    ck_assert_str_eq(tp_signal_code_name(SIGBUS, BUS_ADRERR), "BUS_ADRERR");
    ck_assert_str_eq(tp_signal_code_name(SIGILL, ILL_ILLOPN), "ILL_ILLOPN");
    ck_assert_str_eq(tp_signal_code_name(SIGABRT, SI_TKILL), "SI_TKILL");
    ck_assert_str_eq(tp_signal_code_name(SIGSEGV, SI_KERNEL), "SI_KERNEL");
    ck_assert_ptr_null(tp_signal_code_name(SIGSEGV, 99));
    ck_assert_ptr_null(tp_signal_code_name(SIGABRT, 1));
}
END_TEST

START_TEST(config_signal_name_unknown_numbers)
{
    char buf[32];
    ck_assert_str_eq(tp_signal_name(70, buf, sizeof buf), "signal 70");
    char want[32];
    snprintf(want, sizeof want, "signal %d", SIGRTMAX + 1);
    ck_assert_str_eq(tp_signal_name(SIGRTMAX + 1, buf, sizeof buf), want);
    snprintf(want, sizeof want, "signal %d", SIGRTMIN - 1);
    ck_assert_str_eq(tp_signal_name(SIGRTMIN - 1, buf, sizeof buf), want);
    ck_assert_str_eq(tp_signal_name(0, buf, sizeof buf), "signal 0");
    ck_assert_str_eq(tp_signal_name(-1, buf, sizeof buf), "signal -1");
    ck_assert_str_eq(tp_signal_name(1000, buf, sizeof buf), "signal 1000");
    /* A short buffer is cut, not overrun. */
    char tiny[6];
    memset(tiny, 'Z', sizeof tiny);
    ck_assert_str_eq(tp_signal_name(70, tiny, sizeof tiny), "signa");
    ck_assert_str_eq(tp_signal_name(SIGRTMIN + 3, tiny, sizeof tiny), "SIGRT");
}
END_TEST

/* Every name it prints that looks like a signal name parses back to the
 * same signal, so a warning's advice can be pasted into the variable;
 * the fatal and unstoppable signals, named only in crash dumps, are
 * refused as the trigger. */
START_TEST(config_signal_name_round_trips)
{
    static const int never_trigger[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE,
                                        SIGABRT, SIGTRAP, SIGKILL, SIGSTOP};
    int named = 0;
    for (int signo = 1; signo < NSIG; signo++) {
        char buf[32];
        const char *name = tp_signal_name(signo, buf, sizeof buf);
        if (strncmp(name, "SIG", 3) != 0)
            continue;
        int fatal = 0;
        for (size_t i = 0; i < sizeof never_trigger / sizeof *never_trigger; i++)
            fatal |= never_trigger[i] == signo;
        if (fatal) {
            int out = -42;
            ck_assert_msg(tp_parse_signal(name, &out) == -EINVAL, "%s accepted", name);
            ck_assert_int_eq(out, -42);
            continue;
        }
        named++;
        int out = -42;
        ck_assert_msg(tp_parse_signal(name, &out) == 0, "%s refused", name);
        ck_assert_msg(out == signo, "%s parsed as %d, not %d", name, out, signo);
    }
    /* The 22 classic names and all real-time signals. */
    ck_assert_int_ge(named, 22 + (SIGRTMAX - SIGRTMIN + 1));
}
END_TEST

/* ---- profile settings ---- */

START_TEST(config_parse_fraction)
{
    long v = -7;
    ck_assert_int_eq(tp_parse_fraction("0", &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(tp_parse_fraction("1", &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(tp_parse_fraction("1000000000", &v), 0);
    ck_assert_int_eq(v, 1000000000);
    static const char *const bad[] = {"", "-1", "+5", "1.5", "5x", " 5",
                                      "1000000001", "99999999999999999999",
                                      "off"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = -7;
        ck_assert_msg(tp_parse_fraction(bad[i], &v) == -EINVAL, "\"%s\" accepted", bad[i]);
        ck_assert_int_eq(v, -7);
    }
}
END_TEST

START_TEST(config_parse_rate_ns)
{
    static const struct { const char *s; uint64_t ns; } good[] = {
        {"0", 0}, {"off", 0}, {"OFF", 0}, {"1", 1}, {"10000", 10000},
        {"250ns", 250}, {"50us", 50000}, {"1ms", NS_PER_MS}, {"2s", 2 * NS_PER_S},
        {"3600s", 3600 * NS_PER_S}, {"3600000000000", 3600 * NS_PER_S},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        uint64_t v = 7;
        ck_assert_msg(tp_parse_rate_ns(good[i].s, &v) == 0, "\"%s\" refused", good[i].s);
        ck_assert_uint_eq(v, good[i].ns);
    }
    static const char *const bad[] = {"", "-1", "1.5us", "10 us", "5m", "us",
                                      "3601s", "3600000000001",
                                      "99999999999999999999999", "none"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v = 7;
        ck_assert_msg(tp_parse_rate_ns(bad[i], &v) == -EINVAL, "\"%s\" accepted", bad[i]);
        ck_assert_uint_eq(v, 7);
    }
}
END_TEST

START_TEST(config_parse_bytes)
{
    static const struct { const char *s; uint64_t v; } good[] = {
        {"0", 0}, {"off", 0}, {"1", 1}, {"524288", 524288}, {"64k", 65536},
        {"64K", 65536}, {"64KiB", 65536}, {"2m", 2u << 20}, {"1MiB", 1u << 20},
        {"1g", 1u << 30}, {"1GiB", 1u << 30}, {"1073741824", 1u << 30},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        uint64_t v = 7;
        ck_assert_msg(tp_parse_bytes(good[i].s, &v) == 0, "\"%s\" refused", good[i].s);
        ck_assert_uint_eq(v, good[i].v);
    }
    static const char *const bad[] = {"", "-1", "1.5k", "10 k", "k", "2g",
                                      "1073741825", "64kb", "99999999999999999999999",
                                      "none"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint64_t v = 7;
        ck_assert_msg(tp_parse_bytes(bad[i], &v) == -EINVAL, "\"%s\" accepted", bad[i]);
        ck_assert_uint_eq(v, 7);
    }
}
END_TEST

/* THREADPROF_TRIGGER items: a known name, '>', a positive value in the
 * kind's unit and within bounds; anything else refused, out untouched. */
START_TEST(config_parse_threshold)
{
    static const struct { const char *s; tp_threshold_kind_t kind; uint64_t limit; } good[] = {
        {"threads>500", TP_THRESHOLD_THREADS, 500}, {"THREADS>1", TP_THRESHOLD_THREADS, 1},
        {"heap>1g", TP_THRESHOLD_HEAP, 1ull << 30}, {"heap>512MiB", TP_THRESHOLD_HEAP, 512ull << 20},
        {"rss>2G", TP_THRESHOLD_RSS, 2ull << 30}, {"rss>1T", TP_THRESHOLD_RSS, 1ull << 40},
        {"fds>10000", TP_THRESHOLD_FDS, 10000}, {"wait>30s", TP_THRESHOLD_WAIT, 30000000000ull},
        {"wait>1.5", TP_THRESHOLD_WAIT, 1500000000ull}, {"wait>5m", TP_THRESHOLD_WAIT, 300000000000ull},
        {"contention>1000/s", TP_THRESHOLD_CONTENTION, 1000},
        {"contention>20", TP_THRESHOLD_CONTENTION, 20},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        tp_threshold_t t = {.kind = TP_THRESHOLD_COUNT, .limit = 7};
        ck_assert_msg(tp_parse_threshold(good[i].s, &t) == 0, "\"%s\" refused", good[i].s);
        ck_assert_int_eq(t.kind, good[i].kind);
        ck_assert_uint_eq(t.limit, good[i].limit);
    }
    static const char *const bad[] = {
        "", "threads", "threads>", ">5", "threads<5", "threads=5", "threads>0", "threads>-1",
        "threads>1.5", "threads>20000000", "heap>2P", "heap>lots", "heap>-1g", "wait>off",
        "wait>400d", "wait>5ms", "contention>5/min", "contention>2000000000", "goroutines>5",
        "threads>>5", "threads >5", "fds>1e9",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tp_threshold_t t = {.kind = TP_THRESHOLD_COUNT, .limit = 7};
        ck_assert_msg(tp_parse_threshold(bad[i], &t) == -EINVAL, "\"%s\" accepted", bad[i]);
        ck_assert_uint_eq(t.limit, 7);
    }
}
END_TEST

/* THREADPROF_HTTP: numeric addresses with a port, or unix:/path; which
 * are loopback decides whether a token is needed. */
START_TEST(config_parse_http_addr)
{
    static const struct { const char *s; int family; const char *host; unsigned port; int loopback; } good[] = {
        {"127.0.0.1:6060", AF_INET, "127.0.0.1", 6060, 1},
        {"127.0.0.2:0", AF_INET, "127.0.0.2", 0, 1},
        {"0.0.0.0:8080", AF_INET, "0.0.0.0", 8080, 0},
        {"10.1.2.3:65535", AF_INET, "10.1.2.3", 65535, 0},
        {"[::1]:6060", AF_INET6, "::1", 6060, 1},
        {"[::]:0", AF_INET6, "::", 0, 0},
        {"[fe80::1]:80", AF_INET6, "fe80::1", 80, 0},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        tp_http_addr_t a;
        ck_assert_msg(tp_parse_http_addr(good[i].s, &a) == 0, "\"%s\" refused", good[i].s);
        ck_assert_int_eq(a.family, good[i].family);
        ck_assert_str_eq(a.host, good[i].host);
        ck_assert_uint_eq(a.port, good[i].port);
        ck_assert_int_eq(a.loopback, good[i].loopback);
    }
    tp_http_addr_t a;
    ck_assert_int_eq(tp_parse_http_addr("unix:/run/tp.sock", &a), 0);
    ck_assert_int_eq(a.family, AF_UNIX);
    ck_assert_str_eq(a.path, "/run/tp.sock");
    ck_assert_int_eq(a.loopback, 1);
    static const char *const bad[] = {
        "", "6060", ":6060", "localhost:6060", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:80x", "::1:6060", "[::1]6060", "[::1]:", "[nope]:1",
        "unix:", "unix:relative", "unix:/bad\npath", "1.2.3.4.5:6", "http://127.0.0.1:6060",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(tp_parse_http_addr(bad[i], &a) == -EINVAL, "\"%s\" accepted", bad[i]);
}
END_TEST

/* Endpoint query values: digits only, bounded. */
START_TEST(config_query_uint)
{
    unsigned v = 7;
    ck_assert_int_eq(tp_query_uint("0", 60, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(tp_query_uint("60", 60, &v), 0);
    ck_assert_uint_eq(v, 60);
    static const char *const bad[] = {"", "-1", "61", "1e99", "1.5", " 1", "1 ", "+1", "0x10",
                                      "9999999999", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        v = 7;
        ck_assert_msg(tp_query_uint(bad[i], 60, &v) == -EINVAL, "\"%s\" accepted", bad[i]);
        ck_assert_uint_eq(v, 7);
    }
}
END_TEST

/* THREADPROF_PROGRAMS: names match the last component of the executable
 * or of argv[0], paths match whole; an empty list selects every program. */
START_TEST(config_programs_selected)
{
    const char *exe = "/usr/bin/python3.11", *argv0 = "python3";
    ck_assert_int_eq(tp_program_selected("", exe, argv0), 1);
    ck_assert_int_eq(tp_program_selected(" , ,", exe, argv0), 1);
    ck_assert_int_eq(tp_program_selected("python3", exe, argv0), 1);       /* argv[0] */
    ck_assert_int_eq(tp_program_selected("python3.11", exe, argv0), 1);    /* exe */
    ck_assert_int_eq(tp_program_selected("redis-server, python3 ", exe, argv0), 1);
    ck_assert_int_eq(tp_program_selected("/usr/bin/python3.11", exe, argv0), 1);
    ck_assert_int_eq(tp_program_selected("bash,readlink", exe, argv0), 0);
    ck_assert_int_eq(tp_program_selected("python", exe, argv0), 0);        /* whole names */
    ck_assert_int_eq(tp_program_selected("/usr/local/bin/python3.11", exe, argv0), 0);
    ck_assert_int_eq(tp_program_selected("bin/python3.11", exe, argv0), 0);  /* paths whole */
    ck_assert_int_eq(tp_program_selected("./server", "/srv/server", "./server"), 1);
    ck_assert_int_eq(tp_program_selected("server", "/srv/server", "./server"), 1);
    ck_assert_int_eq(tp_program_selected("python3", NULL, NULL), 0);       /* nothing known */
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");

    TCase *tc = tcase_create("parsers");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, config_bool_accepts_spellings);
    tcase_add_test(tc, config_bool_rejects_garbage);
    tcase_add_test(tc, config_signal_accepts_names_and_numbers);
    tcase_add_test(tc, config_signal_rejects_bad);
    tcase_add_test(tc, config_signal_rejects_libc_reserved);
    tcase_add_test(tc, config_duration_accepts_units);
    tcase_add_test(tc, config_duration_decimals_exact);
    tcase_add_test(tc, config_duration_rejects_bad);
    tcase_add_test(tc, config_dir_absolute_accepted);
    tcase_add_test(tc, config_dir_rejects_relative_empty_long);
    tcase_add_test(tc, config_signal_name_known);
    tcase_add_test(tc, config_signal_name_fatal);
    tcase_add_test(tc, config_signal_code_names);
    tcase_add_test(tc, config_signal_name_unknown_numbers);
    tcase_add_test(tc, config_signal_name_round_trips);
    tcase_add_test(tc, config_parse_bytes);
    tcase_add_test(tc, config_parse_fraction);
    tcase_add_test(tc, config_parse_rate_ns);
    tcase_add_test(tc, config_programs_selected);
    tcase_add_test(tc, config_parse_threshold);
    tcase_add_test(tc, config_parse_http_addr);
    tcase_add_test(tc, config_query_uint);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(config_suite());
}
