/*
 * protobuf: the few pieces of the protocol buffer wire format that the
 * pprof writer (output/pprof_encode.c) needs: varints, length-delimited
 * strings, packed repeated numbers and nested messages.  Internal to the
 * pprof writer (and its unit test); not a general protobuf library.
 *
 * Hand-written on purpose, like Go's runtime/pprof/protobuf.go: it is a
 * hundred lines, and it runs inside someone else's production process,
 * where loading protobuf-c (and whatever version of it the host may already
 * carry) is not worth it for one message type written once per dump.
 *
 * The buffer grows with malloc; the first failed allocation sets err to
 * -ENOMEM and every later call becomes a no-op (the sink's sticky error
 * model), so an encoder calls many functions and checks err once.
 */
#ifndef TP_PROTOBUF_H
#define TP_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct tp_pb {
    unsigned char *data;
    size_t len, cap;
    int err;             /* 0, or -ENOMEM once an allocation failed */
    int nest;            /* open messages (tp_pb_start_message) */
} tp_pb_t;

void tp_pb_init(tp_pb_t *b);
void tp_pb_free(tp_pb_t *b);
/* Drops the encoded bytes (keeps the storage and the error). */
void tp_pb_reset(tp_pb_t *b);

/* Bytes the varint encoding of x takes (1..10). */
size_t tp_pb_varint_size(uint64_t x);
/* A bare varint (no field key). */
void tp_pb_varint(tp_pb_t *b, uint64_t x);

/* Fields of wire type 0.  Negative int64 values take ten bytes (two's
 * complement, as protobuf's int64 type wants).  The _opt forms write
 * nothing for 0/false, as proto3 does for default values. */
void tp_pb_uint64(tp_pb_t *b, int tag, uint64_t x);
void tp_pb_uint64_opt(tp_pb_t *b, int tag, uint64_t x);
void tp_pb_int64(tp_pb_t *b, int tag, int64_t x);
void tp_pb_int64_opt(tp_pb_t *b, int tag, int64_t x);
void tp_pb_bool_opt(tp_pb_t *b, int tag, int x);

/* Packed repeated fields (wire type 2); nothing when n == 0. */
void tp_pb_uint64s(tp_pb_t *b, int tag, const uint64_t *x, size_t n);
void tp_pb_int64s(tp_pb_t *b, int tag, const int64_t *x, size_t n);

/* A string or bytes field (wire type 2), also when empty: the string
 * table's first entry is the empty string and must be present. */
void tp_pb_bytes(tp_pb_t *b, int tag, const void *s, size_t n);

/* Nested messages: start returns a mark, end encodes everything written
 * since the mark as field tag (its length is moved in front of it, as Go's
 * protobuf.go does, so no size has to be computed in advance). */
size_t tp_pb_start_message(tp_pb_t *b);
void tp_pb_end_message(tp_pb_t *b, int tag, size_t start);

#endif
