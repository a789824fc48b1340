/*
 * check_hostile: integration tests of the agent in a hostile environment.
 * Each starts a test program under the agent and checks the files it
 * left, its stderr and its exit status:
 *
 *   - symlinks planted at the names a dump will use (final and temporary):
 *     never followed, the victim file untouched;
 *   - two processes dumping into one directory at the same time;
 *   - a thread name that tries to forge a line of the dump;
 *   - garbage in every THREADPROF_* variable at once (one line each, with
 *     control characters escaped; defaults; the host's output and exit
 *     status as without the agent);
 *   - secure execution: a set-uid program run by another user with the
 *     agent preloaded by the loader reads no THREADPROF_* variable and
 *     writes no file.
 *
 * A hostile output directory (missing, unwritable, nearly full, a symlink,
 * a planted default directory) is check_hostile_dir's.
 *
 * The secure-execution test installs a set-uid library: it needs root and
 * is skipped (tu_skip) otherwise.  An unchecked fixture
 * (tests/hostile_util.h, run by the parent process, even after a failed
 * test) removes what it installed.
 */
#include "tests/hostile_util.h"

/* ---- planted names, concurrent writers ---- */

/* Symlinks to a victim file at every name dump 1 would use, at dump 2's
 * other names and at its temporary names: the dump goes to the first
 * sequence number whose thread dump name is free, replaces the planted
 * links by its own files (rename never follows), skips planted temporary
 * names, and the victim stays as it was. */
START_TEST(hostile_planted_symlinks_not_followed)
{
    tu_proc_t p, v;
    memset(&p, 0, sizeof p);
    memset(&v, 0, sizeof v);
    make_dir(&v);
    char victim[PATH_MAX], go[PATH_MAX], ghost[PATH_MAX];
    snprintf(victim, sizeof victim, "%.3000s/victim", v.dir);
    snprintf(go, sizeof go, "%.3000s/go", v.dir);
    tu_write_file(victim, "precious\n", 0644);
    struct stat before;
    ck_assert_int_eq(stat(victim, &before), 0);

    const char *args[] = {"wait", go, NULL};
    make_dir(&p);
    snprintf(ghost, sizeof ghost, "%.3000s/ghost", p.dir);
    tu_start_full(&p, "hostile_probe", 1, NULL, args);
    tu_wait_output(&p, "ready", WAIT_MS);
    char path[PATH_MAX], tmp[PATH_MAX];
    for (size_t k = 0; k < NKINDS; k++) {
        file_path(path, sizeof path, p.dir, p.pid, 1, kinds[k]);
        ck_assert_int_eq(symlink(victim, path), 0);
        if (k > 0) {
            file_path(path, sizeof path, p.dir, p.pid, 2, kinds[k]);
            ck_assert_int_eq(symlink(victim, path), 0);
        }
        snprintf(tmp, sizeof tmp, "%.3000s/.threadprof.%d.000002.%s.0.tmp", p.dir,
                 (int)p.pid, kinds[k]);
        ck_assert_int_eq(symlink(k % 2 ? ghost : victim, tmp), 0);
    }
    kill(p.pid, SIGUSR2);
    char *dump = tu_wait_dump(&p, p.pid, 2, WAIT_MS);
    free(dump);
    /* The summary is written last: wait for the real one. */
    file_path(path, sizeof path, p.dir, p.pid, 2, "summary.txt");
    long end = tu_now_ms() + WAIT_MS;
    struct stat st;
    while (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && tu_now_ms() < end)
        usleep(10000);
    tu_write_file(go, "", 0600);
    tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
                  "status %#x, stderr:\n%s", p.status, p.err);
    ck_assert_str_eq(p.out, "ready\ndone\n");

    /* The victim, untouched. */
    struct stat after;
    ck_assert_int_eq(stat(victim, &after), 0);
    ck_assert_int_eq(after.st_size, before.st_size);
    ck_assert_uint_eq(after.st_mode, before.st_mode);
    ck_assert(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
              after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    char *text = tu_read_file(victim);
    ck_assert_str_eq(text, "precious\n");
    free(text);
    ck_assert_int_eq(lstat(ghost, &st), -1);

    /* Dump 1's links left alone, dumps 2 (signal) and 3 (exit) whole. */
    for (size_t k = 0; k < NKINDS; k++) {
        file_path(path, sizeof path, p.dir, p.pid, 1, kinds[k]);
        ck_assert_int_eq(lstat(path, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        snprintf(tmp, sizeof tmp, "%.3000s/.threadprof.%d.000002.%s.0.tmp", p.dir,
                 (int)p.pid, kinds[k]);
        ck_assert_int_eq(lstat(tmp, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
    }
    assert_dump_files(p.dir, p.pid, 2);
    assert_dump_files(p.dir, p.pid, 3);
    ck_assert_int_eq(tu_count(p.err, "threadprof: wrote "), 2);
    ck_assert_int_eq(tu_count(p.err, "threadprof: "), 2);
    tu_cleanup(&p);
    tu_cleanup(&v);
}
END_TEST

/* Two processes dumping into one directory at once (periodic dumps and
 * signals): distinct files, every dump announced is there and whole,
 * nothing temporary left. */
START_TEST(hostile_two_processes_one_dir)
{
    tu_proc_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    make_dir(&a);
    memcpy(b.dir, a.dir, sizeof b.dir);
    const char *env[] = {"THREADPROF_INTERVAL=100ms", NULL};
    const char *args[] = {"busy", "1500", NULL};
    tu_start_full(&a, "hostile_probe", 1, env, args);
    tu_start_full(&b, "hostile_probe", 1, env, args);
    for (int i = 0; i < 5; i++) {
        usleep(150000);
        kill(a.pid, SIGUSR2);
        kill(b.pid, SIGUSR2);
    }
    tu_proc_t *procs[] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        tu_proc_t *p = procs[i];
        tu_finish(p, 0, WAIT_MS);
        ck_assert_msg(WIFEXITED(p->status) && WEXITSTATUS(p->status) == 0,
                      "status %#x, stderr:\n%s", p->status, p->err);
        ck_assert_str_eq(p->out, "done\n");
    }
    ck_assert_int_eq(tu_count_entries(a.dir, "."), 0);
    int total = 0;
    for (int i = 0; i < 2; i++) {
        tu_proc_t *p = procs[i];
        int wrote = tu_count(p->err, "threadprof: wrote ");
        ck_assert_msg(wrote >= 3, "only %d dumps:\n%s", wrote, p->err);
        ck_assert_int_eq(tu_count(p->err, "threadprof: "), wrote);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "threadprof.%d.", (int)p->pid);
        ck_assert_int_eq(tu_count_entries(a.dir, prefix), wrote * (int)NKINDS);
        for (int seq = 1; seq <= wrote; seq++)
            assert_dump_files(a.dir, p->pid, (unsigned)seq);
        total += wrote;
    }
    ck_assert_int_eq(tu_count_entries(a.dir, NULL), total * (int)NKINDS);
    tu_cleanup(&a);
}
END_TEST

/* A thread name is the program's text: one that tries to end its line
 * and forge a thread of its own is printed escaped, on its own line. */
START_TEST(hostile_thread_name_cannot_forge_lines)
{
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    make_dir(&p);
    const char *args[] = {"name", NULL};
    tu_start_full(&p, "hostile_probe", 1, NULL, args);
    tu_finish(&p, 0, WAIT_MS);
    ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0,
                  "status %#x, stderr:\n%s", p.status, p.err);
    ck_assert_str_eq(p.out, "done\n");
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/threadprof.%d.000001.threads.txt", p.dir, (int)p.pid);
    char *dump = tu_read_file(path);
    ck_assert_msg(dump != NULL, "no exit dump at %s", path);
    tu_assert_match(dump, "^thread [0-9]+ \"x\\\\x22\\\\x0athread 1 \\\\x22y\" \\[cond wait");
    ck_assert_msg(strstr(dump, "\nthread 1 ") == NULL, "a forged line:\n%s", dump);
    free(dump);
    tu_cleanup(&p);
}
END_TEST

/* ---- settings ---- */

/* Garbage in every variable at once, including a value that tries to
 * forge a line of its own, an escape sequence and an overlong number:
 * one line per variable (control characters escaped), defaults in force
 * (the exit dump written to the default directory), the program's
 * stdout and exit status as without the agent. */
START_TEST(hostile_garbage_in_every_setting)
{
    static char huge[5000 + 32];
    memset(huge, '9', sizeof huge);
    memcpy(huge, "THREADPROF_HEAP_RATE=", 21);
    huge[sizeof huge - 1] = '\0';
    const char *env[] = {
        "THREADPROF_DIR=relative/../etc",
        "THREADPROF_SIGNAL=SIGKILL",
        "THREADPROF_ON_EXIT=maybe",
        "THREADPROF_INTERVAL=-1s",
        "THREADPROF_QUIET=2",
        "THREADPROF_DEADLOCK_CHECK=\x1b[31mred",
        "THREADPROF_MUTEX_FRACTION=99999999999999999999999",
        "THREADPROF_BLOCK_RATE=1e9",
        "THREADPROF_LOCK_ORDER=yes\nthreadprof: forged line",
        huge,
        NULL,
    };
    static const char *const vars[] = {
        "DIR", "SIGNAL", "ON_EXIT", "INTERVAL", "QUIET", "DEADLOCK_CHECK",
        "MUTEX_FRACTION", "BLOCK_RATE", "LOCK_ORDER", "HEAP_RATE",
    };
    tu_proc_t native, p;
    memset(&native, 0, sizeof native);
    memset(&p, 0, sizeof p);
    make_dir(&native);
    tu_start_full(&native, "exiter", 0, env, NULL);
    tu_finish(&native, 0, WAIT_MS);
    make_dir(&p);
    tu_start(&p, "exiter", env);
    tu_finish(&p, 0, WAIT_MS);

    ck_assert_int_eq(p.status, native.status);
    ck_assert_str_eq(p.out, native.out);
    assert_exiter_ran(&p);
    ck_assert_str_eq(native.err, "");
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\nthreadprof: THREADPROF_%s=\"", vars[i]);
        char with_nl[70000];
        snprintf(with_nl, sizeof with_nl, "\n%s", p.err);
        ck_assert_msg(tu_count(with_nl, needle) == 1, "THREADPROF_%s: %d lines in\n%s",
                      vars[i], tu_count(with_nl, needle), p.err);
    }
    ck_assert_int_eq(tu_count(p.err, "threadprof: THREADPROF_"), 10);
    tu_assert_match(p.err, "^threadprof: THREADPROF_LOCK_ORDER=\"yes\\\\x0athreadprof: forged line\" is not ");
    tu_assert_match(p.err, "^threadprof: THREADPROF_DEADLOCK_CHECK=\"\\\\x1b\\[31mred\" is not ");
    tu_assert_no_match(p.err, "^threadprof: forged");
    ck_assert_ptr_null(strchr(p.err, '\x1b'));
    /* Defaults: the exit dump, announced, in the default directory. */
    char def[64];
    default_dir(def, sizeof def, getuid());
    ck_assert_int_eq(tu_count(p.err, "\n"), 11);
    unsigned seq = wrote_seq(&p, def);
    assert_dump_files(def, p.pid, seq);
    remove_dump_files(def, p.pid, seq);
    ck_assert_int_eq(tu_count_entries(p.dir, NULL), 0);
    tu_cleanup(&native);
    tu_cleanup(&p);
}
END_TEST

/* ---- secure execution ---- */

/* A set-uid root copy of a program, run by nobody with the agent preloaded
 * the only way the loader allows in secure mode (a name without a slash,
 * from a standard directory, set-uid): the agent is loaded, says it writes
 * nothing, and neither THREADPROF_DIR nor the default directory gets a
 * file. */
START_TEST(hostile_secure_execution_writes_nothing)
{
    if (geteuid() != 0)
        tu_skip("installing a set-uid library needs root");
    struct stat st;
    ck_assert_msg(stat("/usr/lib/x86_64-linux-gnu", &st) == 0 && S_ISDIR(st.st_mode),
                  "no /usr/lib/x86_64-linux-gnu");
    char lib[PATH_MAX], prog[PATH_MAX];
    lib_path(lib);
    prog_path(prog, sizeof prog, "hostile_probe");
    tu_sh("install -m 04755 -o root '%s' '%s'", lib, SECURE_LIB);

    tu_proc_t bin, out;
    memset(&bin, 0, sizeof bin);
    memset(&out, 0, sizeof out);
    make_dir(&bin);
    ck_assert_int_eq(chmod(bin.dir, 0755), 0);
    char copy[PATH_MAX + 16];
    snprintf(copy, sizeof copy, "%.3000s/probe", bin.dir);
    tu_sh("install -m 04755 -o root '%s' '%s'", prog, copy);
    make_dir(&out);
    ck_assert_int_eq(chown(out.dir, nobody_uid(), nobody_gid()), 0);
    ck_assert_int_eq(chmod(out.dir, 0777), 0);
    char def[64];
    default_dir(def, sizeof def, nobody_uid());
    int def_before = lstat(def, &st) == 0 && S_ISDIR(st.st_mode)
                         ? tu_count_entries(def, NULL) : -1;

    char env_dir[PATH_MAX + 32];
    snprintf(env_dir, sizeof env_dir, "THREADPROF_DIR=%s", out.dir);
    const char *env[] = {env_dir, "THREADPROF_ON_EXIT=1", "THREADPROF_INTERVAL=10ms",
                         "THREADPROF_SIGNAL=SIGUSR1", "THREADPROF_QUIET=junk", NULL};
    const char *args[] = {"maps", NULL};
    tu_proc_t p;
    memset(&p, 0, sizeof p);
    start_prog(&p, copy, "libthreadprof-securetest.so", 1, env, args);
    tu_finish(&p, 0, WAIT_MS);
    unlink(SECURE_LIB);

    ck_assert_msg(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 3,
                  "status %#x, stdout:\n%s\nstderr:\n%s", p.status, p.out, p.err);
    char want[128];
    snprintf(want, sizeof want, "agent mapped: yes\nuid %u euid 0 secure 1\n",
             (unsigned)nobody_uid());
    ck_assert_str_eq(p.out, want);
    ck_assert_str_eq(p.err, "threadprof: secure-execution program (set-uid or "
                     "capabilities): threadprof reads no settings and writes no "
                     "files here\n");
    ck_assert_int_eq(tu_count_entries(out.dir, NULL), 0);
    int def_after = lstat(def, &st) == 0 && S_ISDIR(st.st_mode)
                        ? tu_count_entries(def, NULL) : -1;
    ck_assert_int_eq(def_after, def_before);
    tu_cleanup(&bin);
    tu_cleanup(&out);
}
END_TEST

static Suite *hostile_suite(void)
{
    Suite *s = suite_create("hostile");
    TCase *tc = tcase_create("hostile");
    tcase_set_timeout(tc, 90);
    tcase_add_unchecked_fixture(tc, fixture_setup, fixture_teardown);
    tcase_add_test(tc, hostile_planted_symlinks_not_followed);
    tcase_add_test(tc, hostile_two_processes_one_dir);
    tcase_add_test(tc, hostile_thread_name_cannot_forge_lines);
    tcase_add_test(tc, hostile_garbage_in_every_setting);
    tcase_add_test(tc, hostile_secure_execution_writes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(hostile_suite());
}
