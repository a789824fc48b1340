/*
 * mutex_types: every mutex type and the error codes the program gets
 * back, printed one per line, so a test can compare the output with and
 * without the agent.  Ends with a pause in a condition wait ("ready"), so
 * a dump can check the held-lock lists were left consistent.  On stderr
 * it names the lock and semaphore functions that resolve outside libc
 * (interposed), so a test can tell the agent's hooks ran.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;

static void show(const char *what, int r)
{
    printf("%s: %s\n", what, r == 0 ? "0" : strerrorname_np(r));
}

/* A call that reports through errno: "-1 EAGAIN", or "0" (errno then
 * must be what it was before the call, here EINTR). */
static void show_errno(const char *what, int r)
{
    if (r == 0)
        printf("%s: 0%s\n", what, errno == EINTR ? "" : " (errno changed)");
    else
        printf("%s: %d %s\n", what, r, strerrorname_np(errno));
    errno = EINTR;
}

static void name_interposed(void)
{
    const char *names[] = {"pthread_mutex_init", "pthread_rwlock_init", "sem_trywait",
                           "sem_post"};
    fprintf(stderr, "interposed:");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        Dl_info info;
        void *f = dlsym(RTLD_DEFAULT, names[i]);
        if (f != NULL && dladdr(f, &info) != 0 && info.dli_fname != NULL &&
            strstr(info.dli_fname, "libc.so") == NULL)
            fprintf(stderr, " %s", names[i]);
    }
    fprintf(stderr, "\n");
}

/* Semaphores have no owner: try and post are the real calls. */
static void semaphores(void)
{
    sem_t s;
    errno = EINTR;
    show_errno("sem_init", sem_init(&s, 0, 0));
    show_errno("sem_trywait at zero", sem_trywait(&s));
    show_errno("sem_post", sem_post(&s));
    show_errno("sem_trywait after post", sem_trywait(&s));
    show_errno("sem_trywait at zero again", sem_trywait(&s));
    sem_destroy(&s);
    show_errno("sem_init at max", sem_init(&s, 0, SEM_VALUE_MAX));
    show_errno("sem_post at max", sem_post(&s));
    show_errno("sem_trywait at max", sem_trywait(&s));
    sem_destroy(&s);
}

/* A mutex destroyed (once it is free) and initialised again is usable. */
static void reinit(void)
{
    pthread_mutex_t m;
    show("init", pthread_mutex_init(&m, NULL));
    show("lock", pthread_mutex_lock(&m));
    show("destroy while locked", pthread_mutex_destroy(&m));
    show("unlock", pthread_mutex_unlock(&m));
    show("destroy", pthread_mutex_destroy(&m));
    show("init after destroy", pthread_mutex_init(&m, NULL));
    show("lock after init", pthread_mutex_lock(&m));
    show("unlock after init", pthread_mutex_unlock(&m));
    pthread_mutex_destroy(&m);
    pthread_rwlock_t rw;
    show("rwlock init", pthread_rwlock_init(&rw, NULL));
    show("rwlock wrlock", pthread_rwlock_wrlock(&rw));
    show("rwlock unlock", pthread_rwlock_unlock(&rw));
    show("rwlock destroy", pthread_rwlock_destroy(&rw));
    show("rwlock init after destroy", pthread_rwlock_init(&rw, NULL));
    show("rwlock rdlock after init", pthread_rwlock_rdlock(&rw));
    show("rwlock unlock", pthread_rwlock_unlock(&rw));
    pthread_rwlock_destroy(&rw);
}

static pthread_mutex_t errorcheck_m;

static void *unlock_foreign(void *arg)
{
    (void)arg;
    show("errorcheck unlock by other thread", pthread_mutex_unlock(&errorcheck_m));
    show("trylock held by other thread", pthread_mutex_trylock(&shared));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    show("timedlock held by other thread", pthread_mutex_timedlock(&shared, &ts));
    return NULL;
}

static pthread_mutex_t robust_m;

static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust_m);
    return NULL;   /* exits while holding it */
}

int main(void)
{
    alarm(120);
    pthread_mutexattr_t a;
    pthread_t t;

    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&errorcheck_m, &a);
    show("errorcheck lock", pthread_mutex_lock(&errorcheck_m));
    show("errorcheck relock", pthread_mutex_lock(&errorcheck_m));
    show("errorcheck trylock", pthread_mutex_trylock(&errorcheck_m));
    pthread_mutex_lock(&shared);
    pthread_create(&t, NULL, unlock_foreign, NULL);
    pthread_join(t, NULL);
    pthread_mutex_unlock(&shared);
    show("errorcheck unlock", pthread_mutex_unlock(&errorcheck_m));
    show("errorcheck unlock unlocked", pthread_mutex_unlock(&errorcheck_m));

    pthread_mutex_t rec;
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &a);
    show("recursive lock", pthread_mutex_lock(&rec));
    show("recursive lock again", pthread_mutex_lock(&rec));
    show("recursive trylock", pthread_mutex_trylock(&rec));
    show("recursive unlock 1", pthread_mutex_unlock(&rec));
    show("recursive unlock 2", pthread_mutex_unlock(&rec));
    show("recursive unlock 3", pthread_mutex_unlock(&rec));
    show("recursive unlock unlocked", pthread_mutex_unlock(&rec));

    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_DEFAULT);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust_m, &a);
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    show("robust lock after owner died", pthread_mutex_lock(&robust_m));
    show("robust consistent", pthread_mutex_consistent(&robust_m));
    show("robust unlock", pthread_mutex_unlock(&robust_m));

    pthread_mutex_t pi;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&pi, &a);
    show("pi lock", pthread_mutex_lock(&pi));
    show("pi trylock", pthread_mutex_trylock(&pi));
    show("pi unlock", pthread_mutex_unlock(&pi));

    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    show("rwlock wrlock", pthread_rwlock_wrlock(&rw));
    show("rwlock rdlock while writing", pthread_rwlock_rdlock(&rw));
    show("rwlock unlock", pthread_rwlock_unlock(&rw));
    show("rwlock tryrdlock", pthread_rwlock_tryrdlock(&rw));
    show("rwlock trywrlock while reading", pthread_rwlock_trywrlock(&rw));
    show("rwlock unlock", pthread_rwlock_unlock(&rw));
    semaphores();
    reinit();
    name_interposed();
    fflush(stdout);

    /* Nothing is held now: park for a dump. */
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    printf("ready\n");
    fflush(stdout);
    pthread_mutex_lock(&m);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 1;
    show("cond timedwait", pthread_cond_timedwait(&c, &m, &ts));
    pthread_mutex_unlock(&m);
    return 0;
}
