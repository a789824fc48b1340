/*
 * check_report: `threadprof report` and `threadprof diff`
 * (scripts/threadprof_report.py).
 *
 * The report tests run on a copy of tests/fixtures/soak: two processes'
 * trend files written to the letter of docs/trends.md (pid 4242,
 * "soakleak", 60 samples of a thread and memory leak with six dumps, of
 * which 1 and 4 were thinned out and their files removed, a threshold dump
 * "threads 505 > 500" and three verdicts; pid 4300, a wrapper script that
 * execs "server", whose threads end in a deadlock dump), beside small
 * stand-ins for the dumps' files.  Each bad-input test adds one kind of
 * damage to the copy and expects its one stderr line and still a page.
 * The browser test loads the page in headless Chromium (skipped without
 * it).  The diff tests make two real dumps of tests/programs/soakleak under
 * the agent, before and after a burst of 20 threads, 2.25 MiB of heap and
 * 20 contended locks.
 */
#include "tests/testutil.h"

#define FIXTURE "tests/fixtures/soak"
#define SOAKLEAK_SRC "tests/programs/soakleak.c"
#define WAIT_MS 10000
#define CHARTS_IN_FIXTURE 14   /* 4242: 6, the wrapper: 4, server: 4 */

typedef struct cli {
    int status;                /* exit status, -1 when killed */
    char *out, *err;
} cli_t;

static void cli_free(cli_t *r)
{
    free(r->out);
    free(r->err);
}

/* Runs `scripts/threadprof ARGS` with stdout and stderr apart (stderr
 * through a hidden file of dir, which the report ignores). */
static cli_t cli(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static cli_t cli(const char *dir, const char *fmt, ...)
{
    char args[2 * PATH_MAX], cmd[4 * PATH_MAX], err[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(err, sizeof err, "%s/.stderr", dir);
    snprintf(cmd, sizeof cmd, "scripts/threadprof %s 2>'%s'", args, err);
    cli_t r;
    int st;
    r.out = tu_cmd_output(cmd, &st);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.err = tu_read_file(err);
    ck_assert_ptr_nonnull(r.err);
    unlink(err);
    return r;
}

static int have(const char *command)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", command);
    return system(cmd) == 0;
}

/* A fresh copy of the fixture in a private directory. */
static void fixture_copy(char *dir, size_t len)
{
    tu_temp_dir(dir, len, "report-");
    tu_sh("cp -R " FIXTURE "/. '%s/'", dir);
}

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "ae");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

/* Lines in the file at path (the number of the next one appended). */
static int line_count(const char *path)
{
    char *text = tu_read_file(path);
    ck_assert_ptr_nonnull(text);
    int n = tu_count(text, "\n");
    free(text);
    return n;
}

/* Runs the report on dir (default output), expects success; returns the
 * page and keeps stderr in *err. */
static char *report_ok(const char *dir, char **err)
{
    cli_t r = cli(dir, "report '%s'", dir);
    char page[PATH_MAX], printed[PATH_MAX + 2];
    snprintf(page, sizeof page, "%s/report.html", dir);
    snprintf(printed, sizeof printed, "%s\n", page);
    ck_assert_msg(r.status == 0, "report exited %d:\n%.3000s", r.status, r.err);
    ck_assert_str_eq(r.out, printed);   /* the path of the page, on stdout */
    char *html = tu_read_file(page);
    ck_assert_msg(html != NULL, "no %s", page);
    *err = r.err;
    free(r.out);
    return html;
}

/* The text of the element of the page with id (from it to the end of its
 * svg or section), malloc'd. */
static char *element(const char *html, const char *id, const char *end_tag)
{
    char needle[128];
    snprintf(needle, sizeof needle, "id=\"%s\"", id);
    const char *start = strstr(html, needle);
    ck_assert_msg(start != NULL, "no element %s in the page", id);
    const char *end = strstr(start, end_tag);
    ck_assert_ptr_nonnull(end);
    return strndup(start, (size_t)(end - start));
}

#define SKIP_WITHOUT_PYTHON()                                                 \
    do {                                                                      \
        if (!have("python3"))                                                 \
            tu_skip("no python3 (make setup installs it)");                   \
    } while (0)

START_TEST(report_fixture_charts)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], *err;
    fixture_copy(dir, sizeof dir);
    char *html = report_ok(dir, &err);
    ck_assert_msg(err[0] == '\0', "unexpected stderr: %s", err);
    ck_assert_int_eq(tu_count(html, "<svg class=\"chart\""), CHARTS_IN_FIXTURE);

    /* Threads by group: the total, the named groups, a key never named. */
    char *svg = element(html, "pid4242-1-threads", "</svg>");
    tu_assert_match(svg, ">all threads<tspan class=\"stat\">  last 550, peak 550</tspan>");
    tu_assert_match(svg, ">cond wait at await_callback \\(soakleak\\.c:35\\), created at "
                    "handle_request \\(soakleak\\.c:56\\)<tspan");
    tu_assert_match(svg, ">epoll_wait at event_loop \\(soakleak\\.c:88\\), created at main");
    tu_assert_match(svg, ">g3<tspan");
    tu_assert_match(svg, "<polyline class=\"series\" points=\"[0-9., ]+\" stroke=\"#222222\"");
    tu_assert_match(svg, "time since the process started \\(s\\)");
    free(svg);

    svg = element(html, "pid4242-1-states", "</svg>");
    tu_assert_match(svg, ">cond wait<tspan class=\"stat\">  last 543, peak 543<");
    free(svg);
    svg = element(html, "pid4242-1-heap", "</svg>");
    tu_assert_match(svg, ">remember_response \\(soakleak\\.c:24\\)<tspan class=\"stat\">  "
                    "last 33\\.9 MiB, peak 33\\.9 MiB<");
    tu_assert_match(svg, ">load_config \\(soakleak\\.c:20\\)<");
    tu_assert_match(svg, ">other \\(not in the 3 above\\)<");
    tu_assert_match(svg, ">40 MiB</text>");       /* a y axis in MiB */
    free(svg);
    svg = element(html, "pid4242-1-rss", "</svg>");
    tu_assert_match(svg, ">RSS \\(resident set\\)<");
    tu_assert_match(svg, ">HWM \\(peak RSS\\)<");
    free(svg);
    svg = element(html, "pid4242-1-fds", "</svg>");
    tu_assert_match(svg, ">socket<tspan class=\"stat\">  last 3, peak 7<");
    free(svg);
    /* Contended acquisitions per second from the cumulative counters:
     * the fixture adds 40, 50, 60 a second in turn. */
    svg = element(html, "pid4242-1-locks", "</svg>");
    tu_assert_match(svg, ">all locks<tspan class=\"stat\">  last 40/s, peak 60/s<");
    tu_assert_match(svg, ">mutex 0x55d0c3a1b2c0 at worker \\(soakleak\\.c:10\\)<");
    free(svg);

    /* Only the charts with data: the server has no heap and no locks. */
    ck_assert_int_eq(tu_count(html, "-heap\" viewBox"), 1);
    ck_assert_int_eq(tu_count(html, "-locks\" viewBox"), 1);
    ck_assert_ptr_nonnull(strstr(html, "id=\"pid4300-2-threads\""));

    /* Self-contained: nothing the browser would fetch. */
    tu_assert_no_match(html, "<script|<link|<img|<iframe|@import|url\\(|src=");
    ck_assert_int_eq(tu_count(html, "http"), tu_count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_verdicts_on_top)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], *err;
    fixture_copy(dir, sizeof dir);
    char *html = report_ok(dir, &err);
    char *sec = element(html, "pid4242-1", "</section>");
    /* The latest verdicts record, each with its text and confidence, and
     * before the first chart. */
    const char *leak = strstr(sec, "thread leak: threads created at handle_request "
                                   "(soakleak.c:56) 12 \u2192 543 in 60s (+9.0/s), 0 exited");
    ck_assert_msg(leak != NULL, "no verdict in:\n%.3000s", sec);
    ck_assert_ptr_null(strstr(sec, "12 \u2192 498 in 55s"));
    const char *chart = strstr(sec, "<svg");
    ck_assert(chart != NULL && leak < chart);
    tu_assert_match(sec, "0 exited</span><span class=\"conf high\">high confidence</span>");
    tu_assert_match(sec, "rss growth: 10\\.4 MiB .* in 60s \\(\\+1\\.2 MiB/s\\)</span>"
                    "<span class=\"conf medium\">medium confidence</span>");
    /* Text from the file is escaped, never markup. */
    ck_assert_ptr_nonnull(strstr(sec, "(+566.1 KiB/s) &amp; &lt;b&gt;not&lt;/b&gt; freed"));
    ck_assert_ptr_null(strstr(html, "<b>not</b>"));
    free(sec);

    sec = element(html, "pid4300-1", "</section>");
    tu_assert_match(sec, "No verdicts yet");
    free(sec);
    sec = element(html, "pid4300-2", "</section>");
    tu_assert_match(sec, "stuck: 2 threads in mutex wait at transfer \\(server\\.c:77\\) for 6s");
    free(sec);

    /* The index, with one row per image. */
    tu_assert_match(html, "<a href=\"#pid4242-1\">soakleak, pid 4242</a>");
    tu_assert_match(html, "<a href=\"#pid4300-1\">run-server\\.sh, pid 4300 \\(image 1 of 2: "
                    "exec&#x27;d in place\\)</a>");
    tu_assert_match(html, "<a href=\"#pid4300-2\">server, pid 4300 \\(image 2 of 2");
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_dump_markers)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], *err;
    fixture_copy(dir, sizeof dir);
    char *html = report_ok(dir, &err);
    char *svg = element(html, "pid4242-1-heap", "</svg>");
    /* The threshold dump: red, labelled with its detail. */
    tu_assert_match(svg, "<g class=\"mark alarm\"><title>dump 5 at 55s: threshold "
                    "\\(threads 505 &gt; 500\\)</title><line x1=\"([0-9.]+)\" [^>]*/>\n"
                    "<text [^>]*>threads 505 &gt; 500</text>");
    tu_assert_match(svg, "<g class=\"mark event\"><title>dump 3 at 30s: signal</title>");
    tu_assert_match(svg, ">#6 exit</text>");
    /* Periodic dumps are marked, not labelled. */
    ck_assert_int_eq(tu_count(svg, "<g class=\"mark periodic\">"), 3);
    free(svg);
    /* On every chart of the process, and in its dump table. */
    char *sec = element(html, "pid4242-1", "</section>");
    ck_assert_int_eq(tu_count(sec, ">threads 505 &gt; 500</text>"), 6);
    tu_assert_match(sec, "<tr class=\"alarm\"><td>5</td><td>55s</td><td>2026-12-02T13:50:22.324Z"
                    "</td><td>threshold</td><td>threads 505 &gt; 500</td>");
    free(sec);
    sec = element(html, "pid4300-2", "</section>");
    ck_assert_int_eq(tu_count(sec, "<g class=\"mark alarm\"><title>dump 2 at 20s: deadlock"), 4);
    ck_assert_int_eq(tu_count(sec, ">deadlock</text>"), 4);
    free(sec);
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_dump_links_only_for_present_files)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], path[PATH_MAX + 64], *err;
    fixture_copy(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/threadprof.4242.000006.heap.pb.gz", dir);
    ck_assert_int_eq(unlink(path), 0);
    char *html = report_ok(dir, &err);
    tu_assert_match(html, "<a href=\"threadprof\\.4242\\.000002\\.threads\\.txt\" "
                    "title=\"threadprof\\.4242\\.000002\\.threads\\.txt\">threads</a>");
    tu_assert_match(html, "<a href=\"threadprof\\.4242\\.000005\\.heap\\.pb\\.gz\"");
    /* Thinned-out dumps: shown as removed, no link. */
    ck_assert_ptr_null(strstr(html, "href=\"threadprof.4242.000001."));
    ck_assert_ptr_null(strstr(html, "href=\"threadprof.4242.000004."));
    ck_assert_int_eq(tu_count(html, "removed (thinned out)"), 2);
    tu_assert_match(html, "<span class=\"gone\" title=\"threadprof\\.4242\\.000001\\.threads\\.txt: "
                    "removed\">threads</span>");
    /* One file gone out of five. */
    ck_assert_ptr_null(strstr(html, "href=\"threadprof.4242.000006.heap.pb.gz\""));
    tu_assert_match(html, "title=\"threadprof\\.4242\\.000006\\.heap\\.pb\\.gz: removed\">heap</span>"
                    " <span class=\"empty\">\\(1 removed\\)</span>");
    /* Every link names a file that is there. */
    for (const char *p = strstr(html, "<a href=\"threadprof."); p;
         p = strstr(p + 1, "<a href=\"threadprof.")) {
        char name[256], file[PATH_MAX + 256];
        ck_assert_int_eq(sscanf(p, "<a href=\"%255[^\"]\"", name), 1);
        snprintf(file, sizeof file, "%s/%s", dir, name);
        ck_assert_msg(access(file, F_OK) == 0, "dead link %s", name);
    }
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_links_relative_to_page)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], page[PATH_MAX + 32];
    fixture_copy(dir, sizeof dir);
    snprintf(page, sizeof page, "%s/pages/soak.html", dir);
    tu_sh("mkdir '%s/pages'", dir);
    cli_t r = cli(dir, "report '%s' -o '%s'", dir, page);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    char *html = tu_read_file(page);
    ck_assert_ptr_nonnull(html);
    tu_assert_match(html, "<a href=\"\\.\\./threadprof\\.4242\\.000002\\.threads\\.txt\"");
    free(html);
    cli_free(&r);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_same_input_same_page)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], *err, *err2;
    fixture_copy(dir, sizeof dir);
    char *a = report_ok(dir, &err);
    sleep(1);   /* a clock in the page would now differ */
    char *b = report_ok(dir, &err2);
    ck_assert_msg(strcmp(a, b) == 0, "two reports of the same input differ");
    free(a);
    free(b);
    free(err);
    free(err2);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_escapes_text)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], path[PATH_MAX + 64], *err;
    tu_temp_dir(dir, sizeof dir, "report-");
    snprintf(path, sizeof path, "%s/threadprof.77.trend.jsonl", dir);
    tu_write_file(path,
        "{\"type\":\"start\",\"version\":1,\"pid\":77,\"program\":\"<script>alert(1)</script>\","
        "\"cmdline\":\"x \\\"&\\u0007\",\"wall\":\"2026-12-02T13:49:27.123Z\",\"t\":0.001,"
        "\"trend_interval\":1}\n"
        "{\"type\":\"sample\",\"t\":1,\"threads\":2,\"threads_by_group\":{\"g1\":2}}\n"
        "{\"type\":\"sample\",\"t\":2,\"threads\":3,\"threads_by_group\":{\"g1\":3}}\n"
        "{\"type\":\"names\",\"names\":{\"g1\":\"wait at <b>f</b> & \\\"g\\\"\"}}\n"
        "{\"type\":\"dump\",\"t\":2.5,\"seq\":1,\"reasons\":[\"threshold\"],"
        "\"detail\":\"<i>x</i> > 1\",\"files\":{\"threads\":\"../../etc/passwd\"}}\n", 0600);
    char *html = report_ok(dir, &err);
    ck_assert_ptr_null(strstr(html, "<script>"));
    ck_assert_ptr_null(strstr(html, "<b>f</b>"));
    ck_assert_ptr_null(strstr(html, "<i>x</i>"));
    ck_assert_ptr_nonnull(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;, pid 77"));
    ck_assert_ptr_nonnull(strstr(html, ">wait at &lt;b&gt;f&lt;/b&gt; &amp; &quot;g&quot;<"));
    ck_assert_ptr_nonnull(strstr(html, ">&lt;i&gt;x&lt;/i&gt; &gt; 1</text>"));
    ck_assert_ptr_nonnull(strstr(html, "x &quot;&amp;\\x07"));   /* control characters as \xNN */
    /* A file name that is a path is never linked. */
    ck_assert_ptr_null(strstr(html, "passwd\""));
    tu_assert_match(html, "<span class=\"gone\">threads \\(bad name\\)</span>");
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

/* The fixture's trend file of pid 4242 with text appended; returns the
 * number of the first appended line. */
static int damage(const char *dir, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/threadprof.4242.trend.jsonl", dir);
    int next = line_count(path) + 1;
    append(path, text);
    return next;
}

/* The report still works after damage: the charts are all there. */
static void assert_still_a_report(const char *html)
{
    ck_assert_int_eq(tu_count(html, "<svg class=\"chart\""), CHARTS_IN_FIXTURE);
    ck_assert_ptr_nonnull(strstr(html, "thread leak: threads created at handle_request"));
}

START_TEST(report_truncated_last_line)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], line[PATH_MAX], *err;
    fixture_copy(dir, sizeof dir);
    int n = damage(dir, "{\"type\":\"sample\",\"t\":61.001,\"threads\":5");
    char *html = report_ok(dir, &err);
    snprintf(line, sizeof line, "threadprof: threadprof.4242.trend.jsonl:%d: last line cut short "
             "(the process died while writing it?), skipped\n", n);
    ck_assert_str_eq(err, line);
    assert_still_a_report(html);
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_not_json_line)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], line[PATH_MAX], *err;
    fixture_copy(dir, sizeof dir);
    /* Garbage, then a good sample: the reader goes on past the garbage. */
    int n = damage(dir, "\x01\x02 garbage {\n{\"type\":\"sample\",\"t\":61.5,\"threads\":999}\n");
    char *html = report_ok(dir, &err);
    snprintf(line, sizeof line, "threadprof: threadprof.4242.trend.jsonl:%d: not JSON, line "
             "skipped\n", n);
    ck_assert_str_eq(err, line);
    assert_still_a_report(html);
    ck_assert_ptr_nonnull(strstr(html, ">all threads<tspan class=\"stat\">  last 999, peak 999<"));
    /* The problem is also in the page. */
    ck_assert_ptr_nonnull(strstr(html, "1 problem with the input files"));
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_unknown_record_type)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], line[PATH_MAX], *err;
    fixture_copy(dir, sizeof dir);
    int n = damage(dir, "{\"type\":\"gc_pause\",\"t\":3,\"ms\":12}\n"
                        "{\"type\":\"gc_pause\",\"t\":4,\"ms\":12}\n");
    char *html = report_ok(dir, &err);
    snprintf(line, sizeof line, "threadprof: threadprof.4242.trend.jsonl:%d: unknown record type "
             "\"gc_pause\", skipped (and 1 more line like it)\n", n);
    ck_assert_str_eq(err, line);
    assert_still_a_report(html);
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_newer_version)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], line[PATH_MAX], *err;
    fixture_copy(dir, sizeof dir);
    /* A record of version 2 in a version-1 image, then an image of
     * version 2 (skipped whole). */
    int n = damage(dir, "{\"type\":\"sample\",\"version\":2,\"t\":70}\n"
                        "{\"type\":\"start\",\"version\":2,\"pid\":4242,\"program\":\"next\"}\n"
                        "{\"type\":\"sample\",\"t\":1,\"threads\":3}\n");
    char *html = report_ok(dir, &err);
    snprintf(line, sizeof line,
             "threadprof: threadprof.4242.trend.jsonl:%d: sample record of version 2 (this reader "
             "knows 1), skipped\n"
             "threadprof: threadprof.4242.trend.jsonl:%d: start record of version 2 (this reader "
             "knows 1): that image is skipped\n", n, n + 1);
    ck_assert_str_eq(err, line);
    assert_still_a_report(html);
    ck_assert_int_eq(tu_count(html, "<section class=\"proc\""), 3);
    ck_assert_ptr_null(strstr(html, "next, pid 4242"));
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_foreign_files)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], path[PATH_MAX + 64], *err;
    fixture_copy(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/threadprof.abc.trend.jsonl", dir);
    tu_write_file(path, "{\"type\":\"sample\",\"t\":1}\n", 0600);
    snprintf(path, sizeof path, "%s/threadprof.99.trend.jsonl", dir);
    tu_write_file(path, "\x89PNG\r\n\x1a\n\x01\x02\x03 not a trend file", 0600);
    snprintf(path, sizeof path, "%s/program.log", dir);   /* the program's own: not ours */
    tu_write_file(path, "hello\n", 0600);
    char *html = report_ok(dir, &err);
    ck_assert_str_eq(err,
        "threadprof: threadprof.abc.trend.jsonl: not a trend file the agent writes, ignored\n"
        "threadprof: threadprof.99.trend.jsonl: nothing readable (line 1: not JSON, line "
        "skipped), file ignored\n");
    assert_still_a_report(html);
    free(err);
    free(html);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_no_trend_file)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX], path[PATH_MAX + 64];
    tu_temp_dir(dir, sizeof dir, "report-");
    /* Dumps but no trend file (an agent run without THREADPROF_TREND). */
    tu_sh("cp " FIXTURE "/threadprof.4242.000002.* '%s/'", dir);
    cli_t r = cli(dir, "report '%s'", dir);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_int_eq(tu_count(r.err, "\n"), 1);
    tu_assert_match(r.err, "^threadprof: report: no trend file \\(threadprof\\.<pid>\\.trend\\.jsonl\\) "
                    "in /tmp/tp-test-report-");
    snprintf(path, sizeof path, "%s/report.html", dir);
    ck_assert_int_ne(access(path, F_OK), 0);
    cli_free(&r);
    tu_remove_temp_dir(dir);
}
END_TEST

START_TEST(report_usage_errors)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX];
    tu_temp_dir(dir, sizeof dir, "report-");
    cli_t r = cli(dir, "report");
    ck_assert_int_eq(r.status, 2);
    tu_assert_match(r.err, "^usage: threadprof report");
    cli_free(&r);
    r = cli(dir, "report '%s/missing'", dir);
    ck_assert_int_eq(r.status, 2);
    tu_assert_match(r.err, "^threadprof: report: /tmp/tp-test-report-[^/]+/missing: no such directory$");
    cli_free(&r);
    r = cli(dir, "diff only-one");
    ck_assert_int_eq(r.status, 2);
    cli_free(&r);
    tu_remove_temp_dir(dir);
}
END_TEST

/* A soak directory the agent wrote itself: soakleak with trends every
 * 100 ms, two bursts, one signal dump.  Skipped when the agent writes no
 * trend file (a build without THREADPROF_TREND). */
START_TEST(report_real_soak_directory)
{
    SKIP_WITHOUT_PYTHON();
    static const char *const env[] = {"THREADPROF_TREND=100ms", "THREADPROF_QUIET=1", NULL};
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    tu_start(&p, "soakleak", env);
    tu_wait_output(&p, "ready", WAIT_MS);
    kill(p.pid, SIGUSR1);
    tu_wait_output(&p, "grown 1", WAIT_MS);
    kill(p.pid, SIGUSR1);
    tu_wait_output(&p, "grown 2", WAIT_MS);
    usleep(300000);
    kill(p.pid, SIGUSR2);
    free(tu_wait_dump(&p, p.pid, 1, WAIT_MS));
    usleep(300000);
    tu_finish(&p, SIGKILL, WAIT_MS);
    char path[PATH_MAX + 64], re[512], *err;
    snprintf(path, sizeof path, "%s/threadprof.%d.trend.jsonl", p.dir, (int)p.pid);
    if (access(path, F_OK) != 0) {
        tu_cleanup(&p);
        tu_skip("the agent wrote no trend file (a build without THREADPROF_TREND)");
    }
    char *html = report_ok(p.dir, &err);
    ck_assert_msg(err[0] == '\0', "stderr: %s", err);
    snprintf(path, sizeof path, "pid%d-1-threads", (int)p.pid);
    char *svg = element(html, path, "</svg>");
    snprintf(re, sizeof re, ">cond wait at await_callback \\(soakleak\\.c:%d\\), created at "
             "handle_request \\(soakleak\\.c:%d\\)<tspan class=\"stat\">  last 44, peak 44<",
             tu_source_line(SOAKLEAK_SRC, "LINE:await_callback"),
             tu_source_line(SOAKLEAK_SRC, "LINE:handle_request"));
    tu_assert_match(svg, re);
    tu_assert_match(svg, "<g class=\"mark event\"><title>dump 1 at [0-9.]+s: signal</title>");
    free(svg);
    snprintf(re, sizeof re, "<a href=\"threadprof\\.%d\\.000001\\.threads\\.txt\"", (int)p.pid);
    tu_assert_match(html, re);
    free(err);
    free(html);
    tu_cleanup(&p);
}
END_TEST

/* ---- the page in a browser ---- */

/* Loads page in headless Chromium: its DOM after load (malloc'd, *dom),
 * its log (*log), a 1280x2000 screenshot at shot.  No request leaves the
 * machine: every host name resolves to nothing and any proxied request
 * goes to a closed local port. */
static void browse(const char *dir, const char *page, const char *shot, char **dom, char **log)
{
    char cmd[8 * PATH_MAX], path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/chrome.log", dir);
    snprintf(cmd, sizeof cmd,
             "HOME='%s' timeout 90 chromium --headless --no-sandbox --disable-gpu "
             "--hide-scrollbars --user-data-dir='%s/chrome' --no-first-run "
             "--host-resolver-rules='MAP * ~NOTFOUND' --proxy-server=http://127.0.0.1:9 "
             "--disable-background-networking --disable-component-update --disable-sync "
             "--disable-extensions --disable-default-apps --no-pings "
             "--enable-logging=stderr --v=0 --log-net-log='%s/net.json' "
             "--window-size=1280,2000 --screenshot='%s' --dump-dom 'file://%s' 2>'%s'",
             dir, dir, dir, shot, page, path);
    int st;
    *dom = tu_cmd_output(cmd, &st);
    *log = tu_read_file(path);
    ck_assert_ptr_nonnull(*log);
    ck_assert_msg(st == 0, "chromium failed (status %#x):\n%.3000s", st, *log);
}

/* The console messages Chromium logged ("...:INFO:CONSOLE:..." lines, any
 * level) and uncaught errors, as one malloc'd text ("" when none). */
static char *console_lines(const char *log)
{
    size_t n = 0;
    char *out = calloc(1, strlen(log) + 1);
    for (const char *p = log; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) + 1 : strlen(p);
        char line[4096];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        if (strstr(line, ":CONSOLE") || strstr(line, "Uncaught")) {
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    out[n] = '\0';
    return out;
}

/* The number after "key " in the output of tests/png_colors.py. */
static double png_stat(const char *stats, const char *key)
{
    char re[128], cap[64];
    snprintf(re, sizeof re, "^%s ([0-9.]+)$", key);
    ck_assert_msg(tu_match(stats, re, cap, sizeof cap), "no %s in:\n%s", key, stats);
    return atof(cap);
}

/* Hosts Chromium itself calls (its clock, updates, accounts); their
 * requests die at the closed proxy.  Anything else in the net log was
 * asked for by the page. */
static int chromium_own_host(const char *url)
{
    static const char *const own[] = {".google.com", ".googleapis.com", ".gvt1.com", ".gstatic.com"};
    const char *host = strstr(url, "://");
    if (host == NULL)
        return 0;
    host += 3;
    size_t len = strcspn(host, "/:?\"");
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
        size_t m = strlen(own[i]);
        if (len > m && strncmp(host + len - m, own[i], m) == 0)
            return 1;
    }
    return 0;
}

START_TEST(report_in_browser)
{
    SKIP_WITHOUT_PYTHON();
    if (!have("chromium"))
        tu_skip("no chromium (apt-get install chromium)");
    char dir[PATH_MAX], page[PATH_MAX + 32], shot[PATH_MAX + 32], cmd[3 * PATH_MAX];
    char *err, *dom, *log;
    fixture_copy(dir, sizeof dir);
    free(report_ok(dir, &err));
    free(err);

    /* The detector itself: a page with a console error is caught. */
    snprintf(page, sizeof page, "%s/broken.html", dir);
    snprintf(shot, sizeof shot, "%s/broken.png", dir);
    tu_write_file(page, "<!DOCTYPE html><p>x</p><script>console.error('boom'); "
                        "null.x;</script>", 0600);
    browse(dir, page, shot, &dom, &log);
    char *console = console_lines(log);
    ck_assert_msg(strstr(console, "boom") && strstr(console, "Uncaught"),
                  "chromium's log shows no console error of a broken page:\n%.3000s", log);
    free(console);
    free(dom);
    free(log);

    snprintf(page, sizeof page, "%s/report.html", dir);
    snprintf(shot, sizeof shot, "%s/report.png", dir);
    browse(dir, page, shot, &dom, &log);
    ck_assert_int_eq(tu_count(dom, "<svg class=\"chart\""), CHARTS_IN_FIXTURE);
    ck_assert_ptr_nonnull(strstr(dom, "thread leak: threads created at handle_request "
                                      "(soakleak.c:56) 12 \u2192 543 in 60s"));
    ck_assert_ptr_nonnull(strstr(dom, ">threads 505 &gt; 500</text>"));
    console = console_lines(log);
    ck_assert_msg(console[0] == '\0', "console messages:\n%.3000s", console);
    free(console);

    /* Nothing fetched but the page: only Chromium's own hosts in the log. */
    snprintf(cmd, sizeof cmd, "%s/net.json", dir);
    char *net = tu_read_file(cmd);
    ck_assert_ptr_nonnull(net);
    for (const char *p = strstr(net, "\"url\":\"http"); p; p = strstr(p + 1, "\"url\":\"http")) {
        char url[512];
        sscanf(p + 7, "%511[^\"]", url);
        ck_assert_msg(chromium_own_host(url), "the page fetched %s", url);
    }
    free(net);

    /* The screenshot: not blank, with the charts' colours in it (the
     * alarm marker's red, the first series' blue, the total's black). */
    snprintf(cmd, sizeof cmd, "python3 tests/png_colors.py '%s' '#d0021b' '#1f77b4' '#222222'", shot);
    char *stats = tu_run_cmd(cmd);
    tu_assert_match(stats, "^size 1280x2000$");
    ck_assert_msg(png_stat(stats, "colors") > 100, "%s", stats);
    ck_assert_msg(png_stat(stats, "background") < 0.9, "%s", stats);
    ck_assert_msg(png_stat(stats, "#d0021b") > 200, "no threshold marker drawn:\n%s", stats);
    ck_assert_msg(png_stat(stats, "#1f77b4") > 200, "no series drawn:\n%s", stats);
    ck_assert_msg(png_stat(stats, "#222222") > 200, "no total drawn:\n%s", stats);
    free(stats);
    free(dom);
    free(log);
    tu_remove_temp_dir(dir);
}
END_TEST

/* ---- diff on real dumps ---- */

static void wait_for_file(tu_proc_t *p, const char *path)
{
    long end = tu_now_ms() + WAIT_MS;
    while (access(path, F_OK) != 0) {
        tu_drain(p);
        ck_assert_msg(tu_now_ms() < end, "no %s; stderr:\n%.2000s", path, p->err);
        usleep(10000);
    }
}

/* Waits until every part of dump seq of p is on disk. */
static void wait_for_dump(tu_proc_t *p, unsigned seq)
{
    static const char *const parts[] = {"threads.txt", "summary.txt", "mutex.pb.gz",
                                        "block.pb.gz", "heap.pb.gz"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/threadprof.%d.%06u.%s", p->dir, (int)p->pid, seq, parts[i]);
        wait_for_file(p, path);
    }
}

/* soakleak dumped at start (1) and after one burst (2), then killed. */
static void soakleak_dumps(tu_proc_t *p)
{
    static const char *const env[] = {"THREADPROF_HEAP_RATE=1", "THREADPROF_QUIET=1", NULL};
    memset(p, 0, sizeof *p);
    tu_start(p, "soakleak", env);
    tu_wait_output(p, "ready", WAIT_MS);
    kill(p->pid, SIGUSR2);
    wait_for_dump(p, 1);
    kill(p->pid, SIGUSR1);
    tu_wait_output(p, "grown 1", WAIT_MS);
    kill(p->pid, SIGUSR2);
    wait_for_dump(p, 2);
    tu_finish(p, SIGKILL, WAIT_MS);
}

START_TEST(diff_soakleak_deltas)
{
    SKIP_WITHOUT_PYTHON();
    tu_proc_t p;
    soakleak_dumps(&p);
    cli_t r = cli(p.dir, "diff '%s/threadprof.%d.000001.threads.txt' '%s/threadprof.%d.000002'",
                  p.dir, (int)p.pid, p.dir, (int)p.pid);
    ck_assert_msg(r.status == 0 && r.err[0] == '\0', "status %d: %s", r.status, r.err);
    char re[512];
    snprintf(re, sizeof re, "^threadprof diff: threadprof\\.%d\\.000001 \u2192 threadprof\\.%d\\.000002$",
             (int)p.pid, (int)p.pid);
    tu_assert_match(r.out, re);

    /* Threads: 4 parked request threads and main, then 20 more. */
    tu_assert_match(r.out, "^threads: 5 \u2192 25 \\(\\+20\\)$");
    snprintf(re, sizeof re, "^  \\+20  \\(4 \u2192 24\\)  cond wait at await_callback \\(soakleak\\.c:%d\\), "
             "created at handle_request \\(soakleak\\.c:%d\\)$",
             tu_source_line(SOAKLEAK_SRC, "LINE:await_callback"),
             tu_source_line(SOAKLEAK_SRC, "LINE:handle_request"));
    tu_assert_match(r.out, re);

    /* Heap (every allocation tracked): 20 x 64 KiB and 1 MiB more. */
    tu_assert_match(r.out, "^heap in use: [0-9.]+ KiB \u2192 2\\.[0-9] MiB \\(\\+2\\.[23] MiB\\)$");
    snprintf(re, sizeof re, "^ +\\+1\\.2 MiB +\\+20 objects  remember_response \\(soakleak\\.c:%d\\)$",
             tu_source_line(SOAKLEAK_SRC, "LINE:remember_response"));
    tu_assert_match(r.out, re);
    snprintf(re, sizeof re, "^ +\\+1\\.0 MiB +\\+1 object  grow_cache \\(soakleak\\.c:%d\\)$",
             tu_source_line(SOAKLEAK_SRC, "LINE:grow_cache"));
    tu_assert_match(r.out, re);
    ck_assert(strstr(r.out, "remember_response") < strstr(r.out, "grow_cache"));

    /* Locks: the stats mutex, held by hold_stats_lock while main waited. */
    tu_assert_match(r.out, "^lock contention: [0-9]+ \u2192 [0-9]+ contentions \\(\\+[0-9]+\\), "
                    "delay [0-9.]+[mun]?s \u2192 [0-9.]+m?s \\(\\+[0-9.]+m?s\\)$");
    snprintf(re, sizeof re, "^ +\\+[0-9]+ +\\+[0-9.]+m?s  hold_stats_lock \\(soakleak\\.c:%d\\)$",
             tu_source_line(SOAKLEAK_SRC, "LINE:hold_stats_lock"));
    tu_assert_match(r.out, re);

    /* Only what changed. */
    tu_assert_no_match(r.out, "^ +(\\+0|0) ");
    tu_assert_no_match(r.out, "\\+0 B|unchanged");
    cli_free(&r);
    tu_cleanup(&p);
}
END_TEST

START_TEST(diff_missing_and_broken_parts)
{
    SKIP_WITHOUT_PYTHON();
    tu_proc_t p;
    soakleak_dumps(&p);
    char path[PATH_MAX + 64], re[512];
    snprintf(path, sizeof path, "%s/threadprof.%d.000002.heap.pb.gz", p.dir, (int)p.pid);
    ck_assert_int_eq(unlink(path), 0);
    snprintf(path, sizeof path, "%s/threadprof.%d.000001.mutex.pb.gz", p.dir, (int)p.pid);
    tu_write_file(path, "garbage, not a profile\n", 0600);
    cli_t r = cli(p.dir, "diff '%s/threadprof.%d.000001.summary.txt' "
                  "'%s/threadprof.%d.000002.threads.txt'", p.dir, (int)p.pid, p.dir, (int)p.pid);
    ck_assert_int_eq(r.status, 0);
    tu_assert_match(r.out, "^threads: 5 \u2192 25 \\(\\+20\\)$");
    snprintf(re, sizeof re, "^heap: not compared, threadprof\\.%d\\.000002\\.heap\\.pb\\.gz is missing$",
             (int)p.pid);
    tu_assert_match(r.out, re);
    snprintf(re, sizeof re, "^locks: not compared, threadprof\\.%d\\.000001\\.mutex\\.pb\\.gz cannot "
             "be read$", (int)p.pid);
    tu_assert_match(r.out, re);
    ck_assert_int_eq(tu_count(r.err, "\n"), 1);
    tu_assert_match(r.err, "^threadprof: diff: .*/threadprof\\.[0-9]+\\.000001\\.mutex\\.pb\\.gz: "
                    "cannot read: ");
    cli_free(&r);
    tu_cleanup(&p);
}
END_TEST

START_TEST(diff_same_dump_unchanged)
{
    SKIP_WITHOUT_PYTHON();
    tu_proc_t p;
    soakleak_dumps(&p);
    cli_t r = cli(p.dir, "diff '%s/threadprof.%d.000002' '%s/threadprof.%d.000002.heap.pb.gz'",
                  p.dir, (int)p.pid, p.dir, (int)p.pid);
    ck_assert_int_eq(r.status, 0);
    tu_assert_match(r.out, "^threads: 25, unchanged$");
    tu_assert_match(r.out, "^heap in use: 2\\.[0-9] MiB, unchanged$");
    tu_assert_match(r.out, "^lock contention: [0-9]+ contentions, [0-9.]+m?s of delay, unchanged$");
    ck_assert_int_eq(tu_count(r.out, "\n"), 4);
    cli_free(&r);
    tu_cleanup(&p);
}
END_TEST

START_TEST(diff_unreadable_input)
{
    SKIP_WITHOUT_PYTHON();
    char dir[PATH_MAX];
    tu_temp_dir(dir, sizeof dir, "report-");
    cli_t r = cli(dir, "diff '%s/threadprof.1.000001' " FIXTURE "/threadprof.4242.000002", dir);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.out, "");
    ck_assert_int_eq(tu_count(r.err, "\n"), 1);
    tu_assert_match(r.err, "^threadprof: diff: /tmp/tp-test-report-[^/]+/threadprof\\.1\\.000001: "
                    "no dump there");
    cli_free(&r);
    tu_remove_temp_dir(dir);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, report_fixture_charts);
    tcase_add_test(tc, report_verdicts_on_top);
    tcase_add_test(tc, report_dump_markers);
    tcase_add_test(tc, report_dump_links_only_for_present_files);
    tcase_add_test(tc, report_links_relative_to_page);
    tcase_add_test(tc, report_same_input_same_page);
    tcase_add_test(tc, report_escapes_text);
    tcase_add_test(tc, report_truncated_last_line);
    tcase_add_test(tc, report_not_json_line);
    tcase_add_test(tc, report_unknown_record_type);
    tcase_add_test(tc, report_newer_version);
    tcase_add_test(tc, report_foreign_files);
    tcase_add_test(tc, report_no_trend_file);
    tcase_add_test(tc, report_usage_errors);
    tcase_add_test(tc, report_real_soak_directory);
    suite_add_tcase(s, tc);

    TCase *browser = tcase_create("browser");
    tcase_set_timeout(browser, 180);
    tcase_add_test(browser, report_in_browser);
    suite_add_tcase(s, browser);

    TCase *diff = tcase_create("diff");
    tcase_set_timeout(diff, 60);
    tcase_add_test(diff, diff_soakleak_deltas);
    tcase_add_test(diff, diff_missing_and_broken_parts);
    tcase_add_test(diff, diff_same_dump_unchanged);
    tcase_add_test(diff, diff_unreadable_input);
    suite_add_tcase(s, diff);
    return s;
}

int main(void)
{
    return tu_run_suite(report_suite());
}
