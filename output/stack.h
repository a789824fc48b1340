/*
 * stack: the one renderer of code addresses as text, for every text
 * output: Go's two lines a frame in the thread dump, one line a frame
 * ("f (file:line)") in the summary.  Each address expands into its
 * source-level frames, inlined functions first and the real function
 * last, so no enclosing function is ever dropped.  Symbolizes through
 * symbolizer/ (dump thread only).
 */
#ifndef TP_OUTPUT_STACK_H
#define TP_OUTPUT_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "output/sink.h"
#include "symbolizer/symbolizer.h"

/* How a call site reads: "f (file:line)" or, in the lock-order section,
 * "f at file:line"; "f (module+0x12)" / "f in module+0x12" without line
 * information. */
typedef enum tp_site_style { TP_SITE_PAREN, TP_SITE_AT } tp_site_style_t;

/* The innermost source-level function of return address pc and where it
 * is, into buf: the call site of a lock or an allocation. */
void tp_stack_site(uintptr_t pc, tp_site_style_t style, char *buf, size_t len);

/* One line per source-level frame of the n return addresses pcs:
 * indent, then "f (file:line)".  first_exact: pcs[0] is a precise pc. */
void tp_stack_write_lines(tp_sink_t *s, const uintptr_t *pcs, size_t n,
                          const char *indent, int first_exact);

/* Go's frames, as in a goroutine dump: "f(...)" and under it a tab and
 * "file:line +0xoffset" ("file:line (inlined)", "module+0xoffset", "?").
 * first_exact: pcs[0] is a precise pc, not a return address. */
void tp_stack_write_go(tp_sink_t *s, const uintptr_t *pcs, size_t n, int first_exact);

/* The second of Go's lines for one frame; 0 (nothing written) when
 * neither its file nor its module is known. */
int tp_stack_write_go_place(tp_sink_t *s, const tp_sym_frame_t *f);

#endif
