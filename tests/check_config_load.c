/*
 * Check suite for agent/config.c, tp_config_load() driven by a fake
 * environment table whose warnings are collected through the warn
 * callback: defaults, good values applied, and exactly one warning per
 * bad value that names the variable and the default kept.  The parsers of
 * the single values and tp_signal_name() are in check_config.
 *
 * The fake environment and the collected warnings are globals (the
 * callbacks take no context); a checked fixture resets them before every
 * test so the suite also runs with CK_FORK=no (valgrind).
 */

#include <check.h>
#include <sys/socket.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "tests/testbase.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define TEST_UID 4321u
#define DEFAULT_DIR "/tmp/threadprof-4321"

/* ---- fake environment and warning collector ---- */

#define NVARS 23
static const char *const var_names[NVARS] = {
    "THREADPROF_DIR", "THREADPROF_SIGNAL", "THREADPROF_ON_EXIT",
    "THREADPROF_INTERVAL", "THREADPROF_QUIET", "THREADPROF_DEADLOCK_CHECK",
    "THREADPROF_MUTEX_FRACTION", "THREADPROF_BLOCK_RATE",
    "THREADPROF_LOCK_ORDER", "THREADPROF_HEAP_RATE", "THREADPROF_DUMP_THREAD",
    "THREADPROF_PROGRAMS", "THREADPROF_EXITCODE", "THREADPROF_KEEP",
    "THREADPROF_TREND", "THREADPROF_TRIGGER", "THREADPROF_HTTP", "THREADPROF_HTTP_TOKEN",
    "THREADPROF_HTTP_TOKEN_FILE", "THREADPROF_METRICS_FILE", "THREADPROF_ON_CRASH",
    "THREADPROF_CRASH_TIMEOUT", "THREADPROF_HOLD_FRACTION",
};

/* 100 characters, and program lists too long to keep (over 1023). */
#define HUNDRED "python3,redis-server,memcached,mariadbd,nginx,postgres,"  \
                "java,node,ruby,perl,php-fpm,haproxy,envoy,vim"
#define LIST_1100 HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED \
                  HUNDRED HUNDRED HUNDRED HUNDRED
static const char *env_values[NVARS];   /* NULL: unset */
static int env_lookups[NVARS];          /* times each variable was read */
static int env_foreign_lookups;         /* reads of any other name */

#define MAX_WARNINGS 32
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
    ck_assert_int_eq(c->hold_fraction, 256);
    ck_assert_uint_eq(c->block_rate_ns, 10000);
    ck_assert_int_eq(c->lock_order, 0);
    ck_assert_uint_eq(c->heap_rate, 524288);
    ck_assert_int_eq(c->lazy_dump_thread, 0);
    ck_assert_str_eq(c->programs, "");
    ck_assert_int_eq(c->exitcode, 0);
    ck_assert_uint_eq(c->keep, 50);
    ck_assert_uint_eq(c->trend_ns, 10000000000ull);
    ck_assert_int_eq(c->nthresholds, 0);
    ck_assert_int_eq(c->http.family, 0);
    ck_assert_str_eq(c->http_token, "");
    ck_assert_str_eq(c->http_token_file, "");
    ck_assert_str_eq(c->metrics_file, "");
    ck_assert_int_eq(c->on_crash, 1);
    ck_assert_uint_eq(c->crash_timeout_ns, 3000000000ull);
}

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
    set_env("THREADPROF_PROGRAMS", "server, /usr/bin/python3.11");
    set_env("THREADPROF_EXITCODE", "66");
    set_env("THREADPROF_KEEP", "0");
    set_env("THREADPROF_ON_CRASH", "no");
    set_env("THREADPROF_CRASH_TIMEOUT", "500ms");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 0);
    ck_assert_int_eq(c.on_crash, 0);
    ck_assert_uint_eq(c.crash_timeout_ns, 500 * NS_PER_MS);
    ck_assert_int_eq(c.exitcode, 66);
    ck_assert_uint_eq(c.keep, 0);
    ck_assert_str_eq(c.programs, "server, /usr/bin/python3.11");
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
    {"THREADPROF_HOLD_FRACTION", {"garbage", "-1", "1000001"}, "using 256"},
    {"THREADPROF_BLOCK_RATE", {"fast", "10 us", "2h"}, "using 10000 (10 us)"},
    {"THREADPROF_LOCK_ORDER", {"always", "2", ""}, "using 0 (no lock-order checking)"},
    {"THREADPROF_HEAP_RATE", {"lots", "-1", "2GiB"}, "using 524288 (512 KiB)"},
    {"THREADPROF_DUMP_THREAD", {"sometimes", "1", ""}, "using always"},
    {"THREADPROF_PROGRAMS", {LIST_1100, LIST_1100 "x", LIST_1100 ",y"}, "using every program"},
    {"THREADPROF_EXITCODE", {"fail", "256", "-1"}, "using off"},
    {"THREADPROF_KEEP", {"many", "1", "100001"}, "using 50"},
    {"THREADPROF_TREND", {"often", "-1", "5ms"}, "using 10s"},
    {"THREADPROF_TRIGGER", {"threads", "heap>lots", "sockets>5"}, "ignoring that item"},
    {"THREADPROF_HTTP", {"localhost:6060", "127.0.0.1", "unix:relative.sock"}, "using off"},
    {"THREADPROF_HTTP_TOKEN", {"short", "has space in it", ""}, "using none"},
    {"THREADPROF_HTTP_TOKEN_FILE", {"token.txt", "", "./t"}, "using none"},
    {"THREADPROF_METRICS_FILE", {"metrics.prom", "", "/var/lib/"}, "using none"},
    {"THREADPROF_ON_CRASH", {"maybe", "2", ""}, "using 1"},
    {"THREADPROF_CRASH_TIMEOUT", {"soon", "10ms", "1h"}, "using 3s"},
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
        ck_assert_msg(tu_starts_with(w, prefix), "warning \"%s\" does not start "
                      "with %s", w, prefix);
        ck_assert_msg(strstr(w, bad_cases[_i].fallback) != NULL,
                      "warning \"%s\" does not say \"%s\"", w,
                      bad_cases[_i].fallback);
        /* A complete line without the logger's prefix or a newline. */
        ck_assert_ptr_null(strchr(w, '\n'));
        ck_assert(!tu_starts_with(w, "threadprof"));
        assert_defaults(&c);
    }
}
END_TEST

START_TEST(config_trend_below_minimum)
{
    set_env("THREADPROF_TREND", "50ms");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 1);
    ck_assert(tu_starts_with(warnings[0], "THREADPROF_TREND=\"50ms\" is not at least 100ms"));
    ck_assert_uint_eq(c.trend_ns, 100000000ull);
    reset_env();
    set_env("THREADPROF_TREND", "off");
    load(&c);
    ck_assert_int_eq(nwarnings, 0);
    ck_assert_uint_eq(c.trend_ns, 0);
}
END_TEST

/* Each bad item of a trigger list is named once; the good ones stay. */
START_TEST(config_trigger_items_one_by_one)
{
    set_env("THREADPROF_TRIGGER",
            "threads>500, bogus ,heap>1g,wait>30s,fds>-1,contention>1000/s,rss>2G,,fds>10000");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 2);
    ck_assert_str_eq(warnings[0] + strlen(warnings[0]) - strlen("ignoring that item"),
                     "ignoring that item");
    ck_assert(tu_starts_with(warnings[0], "THREADPROF_TRIGGER=\"bogus\" is not a threshold"));
    ck_assert(tu_starts_with(warnings[1], "THREADPROF_TRIGGER=\"fds>-1\" is not a threshold"));
    ck_assert_int_eq(c.nthresholds, 6);
    ck_assert_int_eq(c.thresholds[0].kind, TP_THRESHOLD_THREADS);
    ck_assert_uint_eq(c.thresholds[0].limit, 500);
    ck_assert_int_eq(c.thresholds[1].kind, TP_THRESHOLD_HEAP);
    ck_assert_uint_eq(c.thresholds[1].limit, 1ull << 30);
    ck_assert_int_eq(c.thresholds[2].kind, TP_THRESHOLD_WAIT);
    ck_assert_uint_eq(c.thresholds[2].limit, 30000000000ull);
    ck_assert_int_eq(c.thresholds[3].kind, TP_THRESHOLD_CONTENTION);
    ck_assert_uint_eq(c.thresholds[3].limit, 1000);
    ck_assert_int_eq(c.thresholds[4].kind, TP_THRESHOLD_RSS);
    ck_assert_uint_eq(c.thresholds[4].limit, 2ull << 30);
    ck_assert_int_eq(c.thresholds[5].kind, TP_THRESHOLD_FDS);
    ck_assert_uint_eq(c.thresholds[5].limit, 10000);
    /* The rest of the configuration is untouched. */
    ck_assert_uint_eq(c.trend_ns, 10000000000ull);
}
END_TEST

START_TEST(config_http_settings)
{
    set_env("THREADPROF_HTTP", "[::1]:0");
    set_env("THREADPROF_HTTP_TOKEN", "s3cret-token");
    set_env("THREADPROF_METRICS_FILE", "/var/lib/node_exporter/tp.prom");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 0);
    ck_assert_int_eq(c.http.family, AF_INET6);
    ck_assert_str_eq(c.http.host, "::1");
    ck_assert_uint_eq(c.http.port, 0);
    ck_assert_int_eq(c.http.loopback, 1);
    ck_assert_str_eq(c.http_token, "s3cret-token");
    ck_assert_str_eq(c.metrics_file, "/var/lib/node_exporter/tp.prom");
    reset_env();
    set_env("THREADPROF_HTTP", "off");
    load(&c);
    ck_assert_int_eq(nwarnings, 0);
    ck_assert_int_eq(c.http.family, 0);
}
END_TEST

START_TEST(config_bad_signal_warns_once)
{
    set_env("THREADPROF_SIGNAL", "SIGSEGV");
    tp_config_t c;
    load(&c);
    ck_assert_int_eq(nwarnings, 1);
    ck_assert(tu_starts_with(warnings[0], "THREADPROF_SIGNAL=\"SIGSEGV\" is not "));
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
            if (tu_starts_with(warnings[j], prefix)) {
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
    ck_assert(tu_starts_with(warnings[0], "THREADPROF_SIGNAL="));
    ck_assert(tu_starts_with(warnings[1], "THREADPROF_INTERVAL="));
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
    ck_assert(tu_starts_with(warnings[0], "THREADPROF_DIR=\"/ddd"));
    ck_assert_ptr_nonnull(strstr(warnings[0], "using the default " DEFAULT_DIR));
    ck_assert(tu_starts_with(warnings[1], "THREADPROF_SIGNAL=\"qqq"));
    ck_assert_ptr_nonnull(strstr(warnings[1], "; using SIGUSR2"));
    ck_assert_uint_lt(strlen(warnings[1]), 1024);
    assert_defaults(&c);
    free(huge);
    free(huge_dir);
}
END_TEST

static Suite *config_load_suite(void)
{
    Suite *s = suite_create("config_load");

    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 20);
    tcase_add_checked_fixture(tc, reset_env, NULL);
    tcase_add_test(tc, config_load_defaults);
    tcase_add_test(tc, config_load_default_dir_names_uid);
    tcase_add_test(tc, config_load_good_values_applied);
    tcase_add_test(tc, config_on_exit_all);
    tcase_add_loop_test(tc, config_load_each_good_value_alone, 0, NVARS);
    tcase_add_loop_test(tc, config_bad_value_warns_once, 0, NVARS);
    tcase_add_test(tc, config_trend_below_minimum);
    tcase_add_test(tc, config_http_settings);
    tcase_add_test(tc, config_trigger_items_one_by_one);
    tcase_add_test(tc, config_bad_signal_warns_once);
    tcase_add_test(tc, config_all_bad_one_warning_each);
    tcase_add_test(tc, config_bad_value_keeps_good_neighbours);
    tcase_add_test(tc, config_long_bad_value_warning_complete);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(config_load_suite());
}
