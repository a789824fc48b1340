/*
 * Check suite for agent/config.c: the pure parsers of the THREADPROF_*
 * values (every accepted spelling and the near misses that must be
 * refused, with the output left untouched), tp_signal_name(), and
 * tp_config_load() driven by a fake environment table whose warnings are
 * collected through the warn callback: defaults, good values applied, and
 * exactly one warning per bad value that names the variable and the
 * default kept.
 *
 * The fake environment and the collected warnings are globals (the
 * callbacks take no context); a checked fixture resets them before every
 * test so the suite also runs with CK_FORK=no (valgrind).
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define TEST_UID 4321u
#define DEFAULT_DIR "/tmp/threadprof-4321"

/* ---- fake environment and warning collector ---- */

#define NVARS 11
static const char *const var_names[NVARS] = {
    "THREADPROF_DIR", "THREADPROF_SIGNAL", "THREADPROF_ON_EXIT",
    "THREADPROF_INTERVAL", "THREADPROF_QUIET", "THREADPROF_DEADLOCK_CHECK",
    "THREADPROF_MUTEX_FRACTION", "THREADPROF_BLOCK_RATE",
    "THREADPROF_LOCK_ORDER", "THREADPROF_HEAP_RATE", "THREADPROF_DUMP_THREAD",
};
static const char *env_values[NVARS];   /* NULL: unset */
static int env_lookups[NVARS];          /* times each variable was read */
static int env_foreign_lookups;         /* reads of any other name */

#define MAX_WARNINGS 16
static char warnings[MAX_WARNINGS][2048];
static int nwarnings;

static int var_index(const char *name)
{
    for (int i = 0; i < NVARS; i++)
        if (strcmp(name, var_names[i]) == 0)
            return i;
    return -1;
}

static const char *fake_getenv(const char *name)
{
    int i = var_index(name);
    if (i < 0) {
        env_foreign_lookups++;
        return NULL;
    }
    env_lookups[i]++;
    return env_values[i];
}

static void collect_warning(const char *line)
{
    if (nwarnings < MAX_WARNINGS)
        snprintf(warnings[nwarnings], sizeof warnings[0], "%s", line);
    nwarnings++;
}

static void set_env(const char *name, const char *value)
{
    int i = var_index(name);
    ck_assert_msg(i >= 0, "not a THREADPROF variable: %s", name);
    env_values[i] = value;
}

static void reset_env(void)
{
    memset(env_values, 0, sizeof env_values);
    memset(env_lookups, 0, sizeof env_lookups);
    env_foreign_lookups = 0;
    memset(warnings, 0, sizeof warnings);
    nwarnings = 0;
}

static void load(tp_config_t *c)
{
    /* Garbage first, so that a field load() forgets to set shows up. */
    memset(c, 0xa5, sizeof *c);
    tp_config_load(c, fake_getenv, collect_warning, TEST_UID);
}

static void assert_defaults(const tp_config_t *c)
{
    ck_assert_str_eq(c->dir, DEFAULT_DIR);
    ck_assert_int_eq(c->dir_is_default, 1);
    ck_assert_int_eq(c->signo, SIGUSR2);
    ck_assert_int_eq(c->on_exit, 1);
    ck_assert_uint_eq(c->interval_ns, 0);
    ck_assert_int_eq(c->quiet, 0);
    ck_assert_int_eq(c->deadlock_check, 1);
    ck_assert_int_eq(c->mutex_fraction, 1);
    ck_assert_uint_eq(c->block_rate_ns, 10000);
    ck_assert_int_eq(c->lock_order, 0);
    ck_assert_uint_eq(c->heap_rate, 524288);
    ck_assert_int_eq(c->lazy_dump_thread, 0);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

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
        ck_assert_msg(tp_parse_bool(bad[i], &out) == -1,
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
        ck_assert_msg(tp_parse_signal(bad[i], &out) == -1,
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
        ck_assert_msg(tp_parse_signal(num, &out) == -1,
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
        ck_assert_msg(tp_parse_duration(bad[i], &ns) == -1,
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
        ck_assert_msg(tp_parse_dir(bad[i], out, sizeof out) == -1,
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
    ck_assert_int_eq(tp_parse_dir(longest, out, sizeof out), -1);
    ck_assert_str_eq(out, "untouched");
    longest[PATH_MAX - 1] = '\0';
    ck_assert_int_eq(tp_parse_dir(longest, out, sizeof out), 0);
    ck_assert_str_eq(out, longest);
    free(longest);

    /* The limit is the len passed, not PATH_MAX. */
    char small[5] = "keep";
    ck_assert_int_eq(tp_parse_dir("/abcd", small, sizeof small), -1);
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
 * same signal, so a warning's advice can be pasted into the variable. */
START_TEST(config_signal_name_round_trips)
{
    int named = 0;
    for (int signo = 1; signo < NSIG; signo++) {
        char buf[32];
        const char *name = tp_signal_name(signo, buf, sizeof buf);
        if (strncmp(name, "SIG", 3) != 0)
            continue;
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
        ck_assert_msg(tp_parse_fraction(bad[i], &v) == -1, "\"%s\" accepted", bad[i]);
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
        ck_assert_msg(tp_parse_rate_ns(bad[i], &v) == -1, "\"%s\" accepted", bad[i]);
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
        ck_assert_msg(tp_parse_bytes(bad[i], &v) == -1, "\"%s\" accepted", bad[i]);
        ck_assert_uint_eq(v, 7);
    }
}
END_TEST

/* ---- tp_config_load ---- */

START_TEST(config_load_defaults)
{
    tp_config_t c;
    load(&c);
    assert_defaults(&c);
    ck_assert_int_eq(nwarnings, 0);
    /* Each variable is read exactly once, and nothing else. */
    for (int i = 0; i < NVARS; i++)
        ck_assert_msg(env_lookups[i] == 1, "%s read %d times", var_names[i],
                      env_lookups[i]);
    ck_assert_int_eq(env_foreign_lookups, 0);
}
END_TEST

START_TEST(config_load_default_dir_names_uid)
{
    tp_config_t c;
    memset(&c, 0, sizeof c);
    tp_config_load(&c, fake_getenv, collect_warning, 0);
    ck_assert_str_eq(c.dir, "/tmp/threadprof-0");
    tp_config_load(&c, fake_getenv, collect_warning, 4294967295u);
    ck_assert_str_eq(c.dir, "/tmp/threadprof-4294967295");
    ck_assert_int_eq(c.dir_is_default, 1);
    ck_assert_int_eq(nwarnings, 0);
}
END_TEST

START_TEST(config_load_good_values_applied)
{
    set_env("THREADPROF_DIR", "/var/tmp/tp-out/");
    set_env("THREADPROF_SIGNAL", "SIGRTMIN+3");
    set_env("THREADPROF_ON_EXIT", "no");
    set_env("THREADPROF_INTERVAL", "1.5s");
    set_env("THREADPROF_QUIET", "yes");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 0);
    ck_assert_str_eq(c.dir, "/var/tmp/tp-out");
    ck_assert_int_eq(c.dir_is_default, 0);
    ck_assert_int_eq(c.signo, SIGRTMIN + 3);
    ck_assert_int_eq(c.on_exit, 0);
    ck_assert_uint_eq(c.interval_ns, 1500 * NS_PER_MS);
    ck_assert_int_eq(c.quiet, 1);
}
END_TEST

/* THREADPROF_ON_EXIT=all also dumps short-lived forked children. */
START_TEST(config_on_exit_all)
{
    static const char *const spellings[] = {"all", "ALL", "All"};
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
        set_env("THREADPROF_ON_EXIT", spellings[i]);
        tp_config_t c;
        load(&c);
        ck_assert_int_eq(nwarnings, 0);
        ck_assert_int_eq(c.on_exit, TP_ON_EXIT_ALL);
    }
    set_env("THREADPROF_ON_EXIT", "yes");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(c.on_exit, TP_ON_EXIT_ON);
}
END_TEST

/* Each good value alone changes its field and nothing else. */
START_TEST(config_load_each_good_value_alone)
{
    static const char *const good[NVARS] = {"/srv/dumps", "none", "0", "5m",
                                            "1", "off", "100", "1ms",
                                            "yes", "64k", "LAZY"};
    set_env(var_names[_i], good[_i]);
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 0);
    ck_assert_str_eq(c.dir, _i == 0 ? "/srv/dumps" : DEFAULT_DIR);
    ck_assert_int_eq(c.dir_is_default, _i == 0 ? 0 : 1);
    ck_assert_int_eq(c.signo, _i == 1 ? 0 : SIGUSR2);
    ck_assert_int_eq(c.on_exit, _i == 2 ? 0 : 1);
    ck_assert_uint_eq(c.interval_ns, _i == 3 ? 300 * NS_PER_S : 0);
    ck_assert_int_eq(c.quiet, _i == 4 ? 1 : 0);
    ck_assert_int_eq(c.deadlock_check, _i == 5 ? 0 : 1);
    ck_assert_int_eq(c.mutex_fraction, _i == 6 ? 100 : 1);
    ck_assert_uint_eq(c.block_rate_ns, _i == 7 ? NS_PER_MS : 10000);
    ck_assert_int_eq(c.lock_order, _i == 8 ? 1 : 0);
    ck_assert_uint_eq(c.heap_rate, _i == 9 ? 65536 : 524288);
    ck_assert_int_eq(c.lazy_dump_thread, _i == 10 ? 1 : 0);
}
END_TEST

/* One bad value per variable (loop index = variable), several spellings. */
static const struct {
    const char *var;
    const char *bad[3];
    const char *fallback;   /* what the warning must say is used */
} bad_cases[NVARS] = {
    {"THREADPROF_DIR", {"relative/dir", "", "tmp"},
     "using the default " DEFAULT_DIR},
    {"THREADPROF_SIGNAL", {"SIGFOO", "SIGKILL", "9"}, "using SIGUSR2"},
    {"THREADPROF_ON_EXIT", {"maybe", "2", ""}, "using 1"},
    {"THREADPROF_INTERVAL", {"1ms", "abc", "-1"}, "using off"},
    {"THREADPROF_QUIET", {"sometimes", " 1", "yess"}, "using 0"},
    {"THREADPROF_DEADLOCK_CHECK", {"often", "2", ""}, "using 1"},
    {"THREADPROF_MUTEX_FRACTION", {"garbage", "-1", "1.5"}, "using 1 (every contention)"},
    {"THREADPROF_BLOCK_RATE", {"fast", "10 us", "2h"}, "using 10000 (10 us)"},
    {"THREADPROF_LOCK_ORDER", {"always", "2", ""}, "using 0 (no lock-order checking)"},
    {"THREADPROF_HEAP_RATE", {"lots", "-1", "2GiB"}, "using 524288 (512 KiB)"},
    {"THREADPROF_DUMP_THREAD", {"sometimes", "1", ""}, "using always"},
};

START_TEST(config_bad_value_warns_once)
{
    for (int k = 0; k < 3; k++) {
        reset_env();
        const char *bad = bad_cases[_i].bad[k];
        set_env(bad_cases[_i].var, bad);
        tp_config_t c;
        load(&c);
        ck_assert_msg(nwarnings == 1, "%s=\"%s\": %d warnings",
                      bad_cases[_i].var, bad, nwarnings);
        const char *w = warnings[0];
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%s=\"%s\"", bad_cases[_i].var, bad);
        ck_assert_msg(starts_with(w, prefix), "warning \"%s\" does not start "
                      "with %s", w, prefix);
        ck_assert_msg(strstr(w, bad_cases[_i].fallback) != NULL,
                      "warning \"%s\" does not say \"%s\"", w,
                      bad_cases[_i].fallback);
        /* A complete line without the logger's prefix or a newline. */
        ck_assert_ptr_null(strchr(w, '\n'));
        ck_assert(!starts_with(w, "threadprof"));
        assert_defaults(&c);
    }
}
END_TEST

START_TEST(config_bad_signal_warns_once)
{
    set_env("THREADPROF_SIGNAL", "SIGSEGV");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 1);
    ck_assert(starts_with(warnings[0], "THREADPROF_SIGNAL=\"SIGSEGV\" is not "));
    ck_assert_ptr_nonnull(strstr(warnings[0], "; using SIGUSR2"));
    ck_assert_int_eq(c.signo, SIGUSR2);
}
END_TEST

START_TEST(config_all_bad_one_warning_each)
{
    for (int i = 0; i < NVARS; i++)
        set_env(bad_cases[i].var, bad_cases[i].bad[0]);
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, NVARS);
    /* One line per variable, each naming its own variable and fallback. */
    for (int i = 0; i < NVARS; i++) {
        int found = 0;
        for (int j = 0; j < nwarnings; j++) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s=", bad_cases[i].var);
            if (starts_with(warnings[j], prefix)) {
                found++;
                ck_assert_ptr_nonnull(strstr(warnings[j], bad_cases[i].fallback));
            }
        }
        ck_assert_msg(found == 1, "%s named by %d warnings", bad_cases[i].var,
                      found);
    }
    assert_defaults(&c);
}
END_TEST

/* A bad value does not undo its neighbours' good ones. */
START_TEST(config_bad_value_keeps_good_neighbours)
{
    set_env("THREADPROF_DIR", "/srv/tp");
    set_env("THREADPROF_SIGNAL", "SIGRTMIN+99");
    set_env("THREADPROF_ON_EXIT", "off");
    set_env("THREADPROF_INTERVAL", "5x");
    set_env("THREADPROF_QUIET", "on");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 2);
    ck_assert(starts_with(warnings[0], "THREADPROF_SIGNAL="));
    ck_assert(starts_with(warnings[1], "THREADPROF_INTERVAL="));
    ck_assert_str_eq(c.dir, "/srv/tp");
    ck_assert_int_eq(c.dir_is_default, 0);
    ck_assert_int_eq(c.signo, SIGUSR2);
    ck_assert_int_eq(c.on_exit, 0);
    ck_assert_uint_eq(c.interval_ns, 0);
    ck_assert_int_eq(c.quiet, 1);
}
END_TEST

/* A huge bad value is cut in the warning, but the line still names the
 * variable and the default, and a bad directory keeps the default one. */
START_TEST(config_long_bad_value_warning_complete)
{
    size_t n = 3 * PATH_MAX;
    char *huge = malloc(n + 1);
    ck_assert_ptr_nonnull(huge);
    memset(huge, 'q', n);
    huge[n] = '\0';
    char *huge_dir = malloc(n + 1);
    ck_assert_ptr_nonnull(huge_dir);
    memset(huge_dir, 'd', n);
    huge_dir[0] = '/';
    huge_dir[n] = '\0';

    set_env("THREADPROF_SIGNAL", huge);
    set_env("THREADPROF_DIR", huge_dir);
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 2);
    ck_assert(starts_with(warnings[0], "THREADPROF_DIR=\"/ddd"));
    ck_assert_ptr_nonnull(strstr(warnings[0], "using the default " DEFAULT_DIR));
    ck_assert(starts_with(warnings[1], "THREADPROF_SIGNAL=\"qqq"));
    ck_assert_ptr_nonnull(strstr(warnings[1], "; using SIGUSR2"));
    ck_assert_uint_lt(strlen(warnings[1]), 1024);
    assert_defaults(&c);
    free(huge);
    free(huge_dir);
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
    tcase_add_test(tc, config_signal_name_unknown_numbers);
    tcase_add_test(tc, config_signal_name_round_trips);
    suite_add_tcase(s, tc);

    tc = tcase_create("load");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, reset_env, NULL);
    tcase_add_test(tc, config_parse_bytes);
    tcase_add_test(tc, config_load_defaults);
    tcase_add_test(tc, config_load_default_dir_names_uid);
    tcase_add_test(tc, config_load_good_values_applied);
    tcase_add_test(tc, config_on_exit_all);
    tcase_add_loop_test(tc, config_load_each_good_value_alone, 0, NVARS);
    tcase_add_test(tc, config_parse_fraction);
    tcase_add_test(tc, config_parse_rate_ns);
    tcase_add_loop_test(tc, config_bad_value_warns_once, 0, NVARS);
    tcase_add_test(tc, config_bad_signal_warns_once);
    tcase_add_test(tc, config_all_bad_one_warning_each);
    tcase_add_test(tc, config_bad_value_keeps_good_neighbours);
    tcase_add_test(tc, config_long_bad_value_warning_complete);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
