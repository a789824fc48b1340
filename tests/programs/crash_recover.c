/*
 * crash_recover: a program that handles SIGSEGV itself and recovers with
 * sigsetjmp/siglongjmp (as JVMs and interpreters do).  It must see
 * exactly what it sees natively: SIG_DFL before it installs its handler,
 * its own handler after, SIG_DFL again after it restores the default; and
 * its handler must get all three faults.  Everything goes to stdout, for
 * the test to compare natively and under the agent byte for byte.  Exits
 * 0 (no crash: a crash dump here would be wrong).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf again;
static volatile sig_atomic_t faults;
static volatile int *volatile nowhere;   /* NULL, unknown to the compiler */

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    if (sig == SIGSEGV && si->si_code == SEGV_MAPERR && si->si_addr == NULL)
        faults++;
    siglongjmp(again, 1);
}

static void show(const char *when)
{
    struct sigaction now;
    memset(&now, 0, sizeof now);
    if (sigaction(SIGSEGV, NULL, &now) != 0) {
        printf("%s: sigaction failed\n", when);
        return;
    }
    if (!(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL)
        printf("%s: SIG_DFL\n", when);
    else if (!(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_IGN)
        printf("%s: SIG_IGN\n", when);
    else if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_segv)
        printf("%s: own handler, flags%s%s%s\n", when,
               now.sa_flags & SA_SIGINFO ? " SA_SIGINFO" : "",
               now.sa_flags & SA_NODEFER ? " SA_NODEFER" : "",
               now.sa_flags & SA_ONSTACK ? " SA_ONSTACK" : "");
    else
        printf("%s: another handler (flags %#x)\n", when, (unsigned)now.sa_flags);
}

/* What sigaltstack says of this thread's alternate stack: the agent's own
 * (a thread it saw created, and the main thread, have one) is none. */
static void show_altstack(const char *who)
{
    stack_t ss;
    if (sigaltstack(NULL, &ss) != 0)
        printf("%s altstack: sigaltstack failed\n", who);
    else if (ss.ss_flags & SS_DISABLE)
        printf("%s altstack: none\n", who);
    else
        printf("%s altstack: %zu bytes\n", who, ss.ss_size);
}

static void *thread_main(void *arg)
{
    (void)arg;
    show_altstack("thread");
    return NULL;
}

/* A stack of the program's own replaces the agent's, and reads back. */
static void own_altstack(void)
{
    static char stack[65536];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack, .ss_flags = 0}, old;
    if (sigaltstack(&ss, &old) != 0)
        printf("own altstack: refused\n");
    printf("own altstack: the old one was %s\n", (old.ss_flags & SS_DISABLE) ? "none" : "set");
    show_altstack("main");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    show_altstack("main");
}

int main(void)
{
    pthread_t t;
    show_altstack("main");
    if (pthread_create(&t, NULL, thread_main, NULL) == 0)
        pthread_join(t, NULL);
    own_altstack();
    show("before");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        return 2;
    show("installed");
    for (int i = 0; i < 3; i++)
        if (sigsetjmp(again, 1) == 0)
            printf("read %d\n", *nowhere);   /* faults: never printed */
    printf("recovered %d\n", (int)faults);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = 0;
    if (sigaction(SIGSEGV, &sa, NULL) != 0)
        return 2;
    show("restored");
    return faults == 3 ? 0 : 1;
}
