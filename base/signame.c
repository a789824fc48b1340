/*
 * signame: the names of the signals a person may choose as the dump
 * trigger, and the real-time signals as SIGRTMIN+n (see signame.h).
 */
#include "base/signame.h"

#include <signal.h>
#include <stdio.h>
#include <strings.h>

static const struct { const char *name; int signo; } signal_names[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},       {"QUIT", SIGQUIT},
    {"USR1", SIGUSR1},   {"USR2", SIGUSR2},     {"PIPE", SIGPIPE},
    {"ALRM", SIGALRM},   {"TERM", SIGTERM},     {"CHLD", SIGCHLD},
    {"CONT", SIGCONT},   {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},
    {"TTOU", SIGTTOU},   {"URG", SIGURG},       {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},         {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

const char *tp_signal_name(int signo, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof signal_names / sizeof *signal_names; i++) {
        if (signal_names[i].signo == signo) {
            snprintf(buf, len, "SIG%s", signal_names[i].name);
            return buf;
        }
    }
    if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
        if (signo == SIGRTMIN)
            snprintf(buf, len, "SIGRTMIN");
        else
            snprintf(buf, len, "SIGRTMIN+%d", signo - SIGRTMIN);
        return buf;
    }
    snprintf(buf, len, "signal %d", signo);
    return buf;
}

int tp_signal_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof signal_names / sizeof *signal_names; i++)
        if (strcasecmp(name, signal_names[i].name) == 0)
            return signal_names[i].signo;
    return 0;
}
