/*
 * unwind: call stacks through libunwind.
 *
 * libunwind.so.8 exports backtrace() and the whole _Unwind_* ABI; linked
 * normally (or loaded RTLD_GLOBAL) it would replace glibc's backtrace()
 * and libgcc's exception unwinder for the host.  So it is dlopen'd
 * RTLD_LOCAL once at start-up and reached through the pointers below.
 *
 * Two entry points: the calling thread's own stack (thread creation), and
 * the stack of a thread parked in a hook, walked from the registers the
 * hook saved (agent.h, TP_SAVE_REGS) while the park protocol guarantees
 * its frames stay put.  Frames inside the agent are left out, so stacks
 * start at the host's call site.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <link.h>
#include <string.h>
#include <ucontext.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "base/forkguard.h"
#include "agent/internal.h"

static int (*p_backtrace)(void **, int);
static int (*p_init_local)(unw_cursor_t *, unw_context_t *);
static int (*p_init_local2)(unw_cursor_t *, unw_context_t *, int);  /* 1.6+ */
static int (*p_step)(unw_cursor_t *);
static int (*p_get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
static int (*p_set_caching_policy)(unw_addr_space_t, unw_caching_policy_t);
static unw_addr_space_t *p_local_as;

static uintptr_t agent_lo, agent_hi;      /* our code */
static uintptr_t agent_mod_lo, agent_mod_hi;  /* every segment of our module */

static int find_agent_text(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    uintptr_t probe = (uintptr_t)data;
    uintptr_t mod_lo = UINTPTR_MAX, mod_hi = 0;
    int ours = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (lo < mod_lo)
            mod_lo = lo;
        if (lo + ph->p_memsz > mod_hi)
            mod_hi = lo + ph->p_memsz;
        if (probe >= lo && probe < lo + ph->p_memsz)
            ours = 1;
    }
    if (ours) {
        agent_mod_lo = mod_lo;
        agent_mod_hi = mod_hi;
    }
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        uintptr_t hi = lo + ph->p_memsz;
        if (probe >= lo && probe < hi) {
            agent_lo = lo;
            agent_hi = hi;
            return 1;
        }
    }
    return 0;
}

static _Atomic int loaded;   /* the pointers above are set */
void tp_unwind_locate_agent(void)
{
    dl_iterate_phdr(find_agent_text, (void *)(uintptr_t)&tp_unwind_locate_agent);
}

/* Loads libunwind (about 200 us), once, from the constructor: a thread
 * creation must never wait for it, and loading it later inside a hook of
 * a thread that may hold the program's locks could deadlock against
 * another thread's dlopen.  The exit dump calls it again (a no-op) for
 * the case the constructor's attempt failed. */
int tp_unwind_load(void)
{
    if (atomic_load(&loaded))
        return 0;
    void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        tp_warn("cannot load libunwind.so.8 (%s); thread dumps will have no "
                "stacks (install libunwind8)", dlerror());
        return -1;
    }
    p_backtrace = (int (*)(void **, int))dlsym(h, "unw_backtrace");
    p_init_local = (int (*)(unw_cursor_t *, unw_context_t *))dlsym(h, "_ULx86_64_init_local");
    p_init_local2 = (int (*)(unw_cursor_t *, unw_context_t *, int))dlsym(
        h, "_ULx86_64_init_local2");
    p_step = (int (*)(unw_cursor_t *))dlsym(h, "_ULx86_64_step");
    p_get_reg = (int (*)(unw_cursor_t *, unw_regnum_t, unw_word_t *))dlsym(h, "_ULx86_64_get_reg");
    p_set_caching_policy = (int (*)(unw_addr_space_t, unw_caching_policy_t))
        dlsym(h, "_ULx86_64_set_caching_policy");
    p_local_as = (unw_addr_space_t *)dlsym(h, "_ULx86_64_local_addr_space");
    if (!p_backtrace || !p_init_local || !p_step || !p_get_reg) {
        tp_warn("libunwind.so.8 lacks the expected functions; thread dumps "
                "will have no stacks");
        p_backtrace = NULL;
        p_init_local = NULL;
        return -1;
    }
    if (p_set_caching_policy && p_local_as)
        p_set_caching_policy(*p_local_as, UNW_CACHE_PER_THREAD);
    atomic_store_explicit(&loaded, 1, memory_order_release);
    return 0;
}

int tp_pc_in_agent(uintptr_t pc)
{
    return pc >= agent_lo && pc < agent_hi;
}

int tp_addr_in_agent(uintptr_t addr)
{
    return addr >= agent_mod_lo && addr < agent_mod_hi;
}

int tp_backtrace(uintptr_t *pcs, int max)
{
    void *raw[TP_CREATE_FRAMES + 16];
    if (!atomic_load_explicit(&loaded, memory_order_acquire))
        return 0;
    int want = max + 16 > (int)(sizeof raw / sizeof *raw)
                   ? (int)(sizeof raw / sizeof *raw) : max + 16;
    if (!tp_loader_enter())
        return 0;      /* a fork is being prepared (base/forkguard.c) */
    tp_in_agent++;
    int n = p_backtrace(raw, want);
    tp_in_agent--;
    tp_loader_leave();
    int out = 0;
    for (int i = 0; i < n && out < max; i++) {
        uintptr_t pc = (uintptr_t)raw[i];
        if (tp_pc_in_agent(pc))
            continue;  /* our own frames: hooks, and main's wrapper */
        pcs[out++] = pc;
    }
    return out;
}

int tp_backtrace_nowait(uintptr_t *pcs, int max)
{
    if (!atomic_load_explicit(&loaded, memory_order_acquire))
        return -1;
    return tp_backtrace(pcs, max);
}

/* Walks from uc.  signal_frame: uc's pc is where a fault struck, not a
 * return address, so its own unwind entry is the one that covers it (a
 * fault on a function's first instruction, as a stack overflow's push
 * often is, must not be looked up in the function before). */
static int walk(ucontext_t *uc, int signal_frame, uintptr_t *pcs, int max)
{
    unw_cursor_t cursor;
    if (!tp_loader_enter())
        return 0;      /* a fork is being prepared (base/forkguard.c) */
    int r = signal_frame && p_init_local2 != NULL
                ? p_init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME)
                : p_init_local(&cursor, (unw_context_t *)uc);
    if (r < 0) {
        tp_loader_leave();
        return 0;
    }
    int n = 0;
    for (int guard = 0; n < max && guard < max + 16; guard++) {
        unw_word_t ip;
        if (p_get_reg(&cursor, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        if (!tp_pc_in_agent((uintptr_t)ip))
            pcs[n++] = (uintptr_t)ip;
        if (p_step(&cursor) <= 0)
            break;
    }
    tp_loader_leave();
    return n;
}

int tp_unwind_regs(const tp_regs_t *r, uintptr_t *pcs, int max)
{
    if (!atomic_load_explicit(&loaded, memory_order_acquire))
        return 0;
    ucontext_t uc;
    memset(&uc, 0, sizeof uc);
    greg_t *g = uc.uc_mcontext.gregs;
    g[REG_RIP] = (greg_t)r->rip;
    g[REG_RSP] = (greg_t)r->rsp;
    g[REG_RBP] = (greg_t)r->rbp;
    g[REG_RBX] = (greg_t)r->rbx;
    g[REG_R12] = (greg_t)r->r12;
    g[REG_R13] = (greg_t)r->r13;
    g[REG_R14] = (greg_t)r->r14;
    g[REG_R15] = (greg_t)r->r15;
    return walk(&uc, 0, pcs, max);
}

int tp_unwind_fault(const void *ucontext, uintptr_t *pcs, int max)
{
    if (!atomic_load_explicit(&loaded, memory_order_acquire))
        return 0;
    ucontext_t uc;
    memcpy(&uc, ucontext, sizeof uc);
    return walk(&uc, 1, pcs, max);
}
