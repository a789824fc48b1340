/*
 * hooks/process: waiting for children, and starting programs.
 *
 * exec*, posix_spawn*, system and popen are wrapped only so the new
 * program starts with the signal mask the host meant it to have: the
 * agent keeps its dump signal blocked in host threads, and a blocked
 * signal would otherwise be inherited across exec.
 */
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/agent.h"

TP_REAL_DECL(wait);
TP_REAL_DECL(waitpid);
TP_REAL_DECL(waitid);
TP_REAL_DECL(wait3);
TP_REAL_DECL(wait4);
TP_REAL_DECL(execve);
TP_REAL_DECL(execv);
TP_REAL_DECL(execvp);
TP_REAL_DECL(execvpe);
TP_REAL_DECL(fexecve);
TP_REAL_DECL(posix_spawn);
TP_REAL_DECL(posix_spawnp);
TP_REAL_DECL(system);
TP_REAL_DECL(popen);

TP_HOOK pid_t wait(int *status)
{
    TP_WAIT_SCOPE(TP_ST_CHILD, "wait", NULL, NULL, -1);
    return TP_REAL(wait)(status);
}

TP_HOOK pid_t waitpid(pid_t pid, int *status, int options)
{
    if (options & WNOHANG)
        return TP_REAL(waitpid)(pid, status, options);
    TP_WAIT_SCOPE(TP_ST_CHILD, "waitpid", NULL, NULL, pid);
    return TP_REAL(waitpid)(pid, status, options);
}

TP_HOOK int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    if (options & WNOHANG)
        return TP_REAL(waitid)(idtype, id, info, options);
    TP_WAIT_SCOPE(TP_ST_CHILD, "waitid", NULL, NULL,
                                   idtype == P_PID ? (long)id : -1);
    return TP_REAL(waitid)(idtype, id, info, options);
}

TP_HOOK pid_t wait3(int *status, int options, struct rusage *usage)
{
    if (options & WNOHANG)
        return TP_REAL(wait3)(status, options, usage);
    TP_WAIT_SCOPE(TP_ST_CHILD, "wait3", NULL, NULL, -1);
    return TP_REAL(wait3)(status, options, usage);
}

TP_HOOK pid_t wait4(pid_t pid, int *status, int options, struct rusage *usage)
{
    if (options & WNOHANG)
        return TP_REAL(wait4)(pid, status, options, usage);
    TP_WAIT_SCOPE(TP_ST_CHILD, "wait4", NULL, NULL, pid);
    return TP_REAL(wait4)(pid, status, options, usage);
}

/* --- starting programs ------------------------------------------------ */

TP_HOOK int execve(const char *path, char *const argv[], char *const envp[])
{
    sigset_t saved;
    tp_trigger_release_for_exec(&saved);
    int r = TP_REAL(execve)(path, argv, envp);
    tp_trigger_restore_after_exec(&saved);
    return r;
}

TP_HOOK int execv(const char *path, char *const argv[])
{
    sigset_t saved;
    tp_trigger_release_for_exec(&saved);
    int r = TP_REAL(execv)(path, argv);
    tp_trigger_restore_after_exec(&saved);
    return r;
}

TP_HOOK int execvp(const char *file, char *const argv[])
{
    sigset_t saved;
    tp_trigger_release_for_exec(&saved);
    int r = TP_REAL(execvp)(file, argv);
    tp_trigger_restore_after_exec(&saved);
    return r;
}

TP_HOOK int execvpe(const char *file, char *const argv[], char *const envp[])
{
    sigset_t saved;
    tp_trigger_release_for_exec(&saved);
    int r = TP_REAL(execvpe)(file, argv, envp);
    tp_trigger_restore_after_exec(&saved);
    return r;
}

TP_HOOK int fexecve(int fd, char *const argv[], char *const envp[])
{
    sigset_t saved;
    tp_trigger_release_for_exec(&saved);
    int r = TP_REAL(fexecve)(fd, argv, envp);
    tp_trigger_restore_after_exec(&saved);
    return r;
}

/* execl, execlp, execle: collect the variable arguments into an argv on
 * the stack (exec must not allocate: it may run in a vfork child). */
#define COLLECT_ARGS(first, ap, argv, want_env, envp_out)                     \
    size_t argc_ = 1;                                                         \
    va_start(ap, first);                                                      \
    while (va_arg(ap, const char *) != NULL)                                  \
        argc_++;                                                              \
    va_end(ap);                                                               \
    const char *argv[argc_ + 1];                                              \
    argv[0] = first;                                                          \
    va_start(ap, first);                                                      \
    for (size_t i_ = 1; i_ <= argc_; i_++)                                    \
        argv[i_] = va_arg(ap, const char *);                                  \
    envp_out = (want_env) ? va_arg(ap, char *const *) : NULL;                 \
    va_end(ap)

TP_HOOK int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    char *const *unused;
    COLLECT_ARGS(arg, ap, argv, 0, unused);
    (void)unused;
    return execv(path, (char *const *)argv);
}

TP_HOOK int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    char *const *unused;
    COLLECT_ARGS(arg, ap, argv, 0, unused);
    (void)unused;
    return execvp(file, (char *const *)argv);
}

TP_HOOK int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    char *const *envp;
    COLLECT_ARGS(arg, ap, argv, 1, envp);
    return execve(path, (char *const *)argv, envp);
}

/* posix_spawn without POSIX_SPAWN_SETSIGMASK: give the child the mask the
 * host has in mind rather than the one with the dump signal blocked. */
static const posix_spawnattr_t *spawn_attr(const posix_spawnattr_t *attr,
                                           posix_spawnattr_t *copy)
{
    short flags = 0;
    if (attr != NULL)
        posix_spawnattr_getflags(attr, &flags);
    sigset_t mask;
    if ((flags & POSIX_SPAWN_SETSIGMASK) || !tp_trigger_child_mask(&mask))
        return attr;
    if (attr != NULL)
        *copy = *attr;
    else
        posix_spawnattr_init(copy);
    posix_spawnattr_setflags(copy, (short)(flags | POSIX_SPAWN_SETSIGMASK));
    posix_spawnattr_setsigmask(copy, &mask);
    return copy;
}

TP_HOOK int posix_spawn(pid_t *restrict pid, const char *restrict path,
                        const posix_spawn_file_actions_t *actions,
                        const posix_spawnattr_t *restrict attr,
                        char *const argv[restrict], char *const envp[restrict])
{
    posix_spawnattr_t copy;
    return TP_REAL(posix_spawn)(pid, path, actions, spawn_attr(attr, &copy),
                                argv, envp);
}

TP_HOOK int posix_spawnp(pid_t *restrict pid, const char *restrict file,
                         const posix_spawn_file_actions_t *actions,
                         const posix_spawnattr_t *restrict attr,
                         char *const argv[restrict], char *const envp[restrict])
{
    posix_spawnattr_t copy;
    return TP_REAL(posix_spawnp)(pid, file, actions, spawn_attr(attr, &copy),
                                 argv, envp);
}

TP_HOOK int system(const char *command)
{
    sigset_t saved;
    tp_trigger_release_for_exec(&saved);
    int r;
    {
        TP_WAIT_SCOPE(TP_ST_CHILD, "system", NULL, NULL, -1);
        r = TP_REAL(system)(command);
    }
    tp_trigger_restore_after_exec(&saved);
    return r;
}

TP_HOOK FILE *popen(const char *command, const char *type)
{
    sigset_t saved;
    tp_trigger_release_for_exec(&saved);
    FILE *f = TP_REAL(popen)(command, type);
    tp_trigger_restore_after_exec(&saved);
    return f;
}
