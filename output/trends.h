/*
 * trends: the words of the soak-test trends (model/trend.h): key names,
 * verdict lines and the summary's `trends:` section.
 */
#ifndef TP_OUTPUT_TRENDS_H
#define TP_OUTPUT_TRENDS_H

#include <stddef.h>

#include "model/trend.h"
#include "output/sink.h"

/* What key stands for: "handle_request (soakleak.c:56)", "cond wait at
 * await_callback (soakleak.c:35), created at handle_request
 * (soakleak.c:56)", "mutex 0x5581... at worker (x.c:10)".  Symbolizes. */
void tp_trend_key_name(const tp_trend_key_t *key, char *buf, size_t len);

/* One verdict as the summary words it, without indentation. */
void tp_trend_verdict_text(const tp_trend_view_t *v, const tp_trend_verdict_t *vd,
                           char *buf, size_t len);

/* Why there is no verdict yet (buf ""): too few samples so far. */
void tp_trend_pending_text(const tp_trend_view_t *v, char *buf, size_t len);

/* The fd kind's plural as a verdict names it ("sockets"). */
const char *tp_fd_kind_name(int kind);

/* The `trends:` section of the summary. */
void tp_summary_trends_write(tp_sink_t *s, const tp_trend_view_t *v);

/* Whether pc (an allocation site) has a memory growth verdict: the
 * summary's "leak suspects". */
const tp_trend_verdict_t *tp_trend_growing_site(const tp_trend_view_t *v, uintptr_t pc);

#endif
