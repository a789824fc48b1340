/*
 * units: durations and sizes in words, the same in every text output.
 */
#ifndef TP_OUTPUT_UNITS_H
#define TP_OUTPUT_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* A state's length, Go's style: "850ms", "2.0s", "12s", "3m12s", "2h5m",
 * "3d4h". */
void tp_format_duration(uint64_t ns, char *buf, size_t len);

/* A lock wait, finer: "850ns", "12.3us", "4.56ms", "1.23s", then as
 * tp_format_duration from a minute on. */
void tp_format_wait(uint64_t ns, char *buf, size_t len);

/* "512 B", "1.5 KiB", "12.3 MiB", "2.0 GiB". */
void tp_format_bytes(uint64_t bytes, char *buf, size_t len);

#endif
