/*
 * signame: signal numbers and their names, both ways (base/signame.c).
 * The configuration parses THREADPROF_SIGNAL with it; warnings and the
 * dump's reason line name the trigger with it.
 */
#ifndef TP_SIGNAME_H
#define TP_SIGNAME_H

#include <stddef.h>

/* "SIGUSR2", "SIGRTMIN+3" or "signal 70" into buf; returns buf. */
const char *tp_signal_name(int signo, char *buf, size_t len);

/* The number of a classic signal named without its "SIG" prefix, any
 * case ("usr2", "HUP"); 0 when the name is not one of them (real-time
 * signals are spelt RTMIN+n, which the caller parses). */
int tp_signal_by_name(const char *name);

/* The name of a signal's si_code ("SEGV_MAPERR", "FPE_INTDIV", "SI_TKILL"),
 * NULL when it has none. */
const char *tp_signal_code_name(int signo, int code);

#endif
