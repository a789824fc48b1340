/*
 * symbolizer: code addresses of this process to function, file, line and
 * inlined frames.
 *
 * It runs only in the dump thread (or in unit tests), never on a hot path.
 * libdw (elfutils) is loaded with dlopen() on first use, so programs that
 * never dump never load it; when libdw cannot be loaded the symbolizer falls
 * back to dladdr() names and module+offset.  Results are cached for the life
 * of the process; strings returned stay valid until tp_sym_reset().
 */
#ifndef TP_SYMBOLIZER_H
#define TP_SYMBOLIZER_H

#include <stddef.h>
#include <stdint.h>

/* One source-level frame.  A single address expands into several frames
 * when the compiler inlined calls: the innermost inlined function comes
 * first, the real (outermost) function last. */
typedef struct tp_sym_frame {
    const char *function;     /* demangled name, NULL when unknown */
    const char *file;         /* source file path, NULL when unknown */
    int line;                 /* 0 when unknown */
    int inlined;              /* 1: inlined into the next frame of this address */
    uintptr_t func_offset;    /* pc - function entry (0 for inlined frames) */
    const char *module;       /* path of the ELF object, NULL when unmapped */
    uintptr_t module_offset;  /* pc relative to the module's load bias */
} tp_sym_frame_t;

/*
 * Symbolizes the code address pc into at most max frames (max >= 1).
 * is_return_address: pc is a return address (every frame of a backtrace
 * except a precise signal/fault pc); the line is then looked up at pc - 1
 * so that a call at the end of a function or before a noreturn call gets
 * its own line, while func_offset stays pc - entry (Go's +0x convention).
 * Returns the number of frames written, always >= 1 (an unknown address
 * yields one frame with function == NULL, and module/module_offset when
 * the address lies in a mapped object).  When there are more than max
 * frames, the innermost max are written.  Thread-safe (internal lock);
 * not async-signal-safe (it locks and allocates).
 */
int tp_sym_resolve(uintptr_t pc, int is_return_address,
                   tp_sym_frame_t *out, int max);

/* Demangles a C++ (Itanium ABI) name into buf; returns buf, or name itself
 * when it is not mangled or no demangler is available. */
const char *tp_sym_demangle(const char *name, char *buf, size_t len);

/* Drops the cache and libdw session (after fork in the child; strings
 * previously returned become invalid). */
void tp_sym_reset(void);
/* In a crash's dump child: a new libdw session, the cache kept when it
 * can be (see symbolizer.c). */
void tp_sym_abandon_session(void);

/* Closes the files the libdw session holds open, keeping cached results
 * (and the strings returned) valid; the next uncached lookup reopens what
 * it needs.  Call when a dump is complete. */
void tp_sym_release_files(void);

#endif
