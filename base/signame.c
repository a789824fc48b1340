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

/* Named in crash dumps, never accepted as the trigger. */
static const struct { const char *name; int signo; } fatal_names[] = {
    {"SEGV", SIGSEGV}, {"BUS", SIGBUS},   {"ILL", SIGILL}, {"FPE", SIGFPE},
    {"ABRT", SIGABRT}, {"TRAP", SIGTRAP}, {"KILL", SIGKILL}, {"STOP", SIGSTOP},
};

const char *tp_signal_name(int signo, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof signal_names / sizeof *signal_names; i++) {
        if (signal_names[i].signo == signo) {
            snprintf(buf, len, "SIG%s", signal_names[i].name);
            return buf;
        }
    }
    for (size_t i = 0; i < sizeof fatal_names / sizeof *fatal_names; i++) {
        if (fatal_names[i].signo == signo) {
            snprintf(buf, len, "SIG%s", fatal_names[i].name);
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

/* The kernel's si_code values of the fault signals (siginfo.h), indexed
 * from 1. */
static const char *const segv_codes[] = {"SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR",
                                         "SEGV_PKUERR", "SEGV_ACCADI", "SEGV_ADIDERR",
                                         "SEGV_ADIPERR", "SEGV_MTEAERR", "SEGV_MTESERR"};
static const char *const bus_codes[] = {"BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR",
                                        "BUS_MCEERR_AR", "BUS_MCEERR_AO"};
static const char *const ill_codes[] = {"ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR",
                                        "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG",
                                        "ILL_COPROC", "ILL_BADSTK", "ILL_BADIADDR"};
static const char *const fpe_codes[] = {"FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV",
                                        "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES",
                                        "FPE_FLTINV", "FPE_FLTSUB", "FPE_FLTUNK",
                                        "FPE_CONDTRAP"};

#define CODE_NAME(table, code) \
    ((code) >= 1 && (size_t)(code) <= sizeof(table) / sizeof *(table) ? (table)[(code) - 1] : NULL)

const char *tp_signal_code_name(int signo, int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    default: break;
    }
    switch (signo) {
    case SIGSEGV: return CODE_NAME(segv_codes, code);
    case SIGBUS: return CODE_NAME(bus_codes, code);
    case SIGILL: return CODE_NAME(ill_codes, code);
    case SIGFPE: return CODE_NAME(fpe_codes, code);
    default: return NULL;
    }
}
