/*
 * stack: code addresses as text (output/stack.h).
 */
#include "output/stack.h"

#include <stdio.h>
#include <string.h>


#define MAX_INLINE 8

static void format_frame(const tp_sym_frame_t *f, tp_site_style_t style, char *buf,
                         size_t len)
{
    const char *name = f->function ? f->function : "??";
    int at = style == TP_SITE_AT;
    if (f->file != NULL)
        snprintf(buf, len, at ? "%s at %s:%d" : "%s (%s:%d)", name, f->file, f->line);
    else if (f->module != NULL)
        snprintf(buf, len, at ? "%s in %s+0x%lx" : "%s (%s+0x%lx)", name, f->module,
                 (unsigned long)f->module_offset);
    else
        snprintf(buf, len, "%s", name);
}

int tp_stack_write_go_place(tp_sink_t *s, const tp_sym_frame_t *f)
{
    if (f->file != NULL && f->inlined)
        tp_sink_printf(s, "\t%s:%d (inlined)\n", f->file, f->line);
    else if (f->file != NULL)
        tp_sink_printf(s, "\t%s:%d +0x%lx\n", f->file, f->line,
                       (unsigned long)f->func_offset);
    else if (f->module != NULL)
        tp_sink_printf(s, "\t%s+0x%lx\n", f->module, (unsigned long)f->module_offset);
    else
        return 0;
    return 1;
}

void tp_stack_write_go(tp_sink_t *s, const uintptr_t *pcs, size_t n, int first_exact)
{
    tp_sym_frame_t fr[MAX_INLINE];
    for (size_t i = 0; i < n; i++) {
        int k = tp_sym_resolve(pcs[i], !(i == 0 && first_exact), fr, MAX_INLINE);
        for (int j = 0; j < k; j++) {
            const char *name = fr[j].function ? fr[j].function : "??";
            /* Demangled C++ names carry their parameter list already. */
            tp_sink_printf(s, "%s%s\n", name, strchr(name, '(') ? "" : "(...)");
            if (!tp_stack_write_go_place(s, &fr[j]))
                tp_sink_puts(s, "\t?\n");
        }
    }
}

void tp_stack_site(uintptr_t pc, tp_site_style_t style, char *buf, size_t len)
{
    tp_sym_frame_t fr[MAX_INLINE];
    tp_sym_resolve(pc, 1, fr, MAX_INLINE);
    format_frame(&fr[0], style, buf, len);
}

void tp_stack_write_lines(tp_sink_t *s, const uintptr_t *pcs, size_t n,
                          const char *indent, int first_exact)
{
    tp_sym_frame_t fr[MAX_INLINE];
    char line[512];
    for (size_t i = 0; i < n; i++) {
        int k = tp_sym_resolve(pcs[i], !(i == 0 && first_exact), fr, MAX_INLINE);
        for (int j = 0; j < k; j++) {
            format_frame(&fr[j], TP_SITE_PAREN, line, sizeof line);
            tp_sink_printf(s, "%s%s\n", indent, line);
        }
    }
}
