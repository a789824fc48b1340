/*
 * protobuf: see protobuf.h.  Wire types used: 0 (varint) and 2
 * (length-delimited); a field key is (tag << 3) | wire type.
 */
#include "output/protobuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_BYTES = 2 };

void tp_pb_init(tp_pb_t *b)
{
    memset(b, 0, sizeof *b);
}

void tp_pb_free(tp_pb_t *b)
{
    free(b->data);
    tp_pb_init(b);
}

void tp_pb_reset(tp_pb_t *b)
{
    b->len = 0;
    b->nest = 0;
}

/* Makes room for n more bytes; 0, or -1 with err set. */
static int reserve(tp_pb_t *b, size_t n)
{
    if (b->err)
        return -1;
    if (n <= b->cap - b->len)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->err = -ENOMEM;
            return -1;
        }
        cap *= 2;
    }
    unsigned char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->err = -ENOMEM;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

size_t tp_pb_varint_size(uint64_t x)
{
    size_t n = 1;
    while (x >= 0x80) {
        x >>= 7;
        n++;
    }
    return n;
}

void tp_pb_varint(tp_pb_t *b, uint64_t x)
{
    if (reserve(b, 10) != 0)
        return;
    unsigned char *p = b->data + b->len;
    while (x >= 0x80) {
        *p++ = (unsigned char)(x | 0x80);
        x >>= 7;
    }
    *p++ = (unsigned char)x;
    b->len = (size_t)(p - b->data);
}

static void key(tp_pb_t *b, int tag, int wire)
{
    tp_pb_varint(b, ((uint64_t)(unsigned)tag << 3) | (unsigned)wire);
}

void tp_pb_uint64(tp_pb_t *b, int tag, uint64_t x)
{
    key(b, tag, WIRE_VARINT);
    tp_pb_varint(b, x);
}

void tp_pb_uint64_opt(tp_pb_t *b, int tag, uint64_t x)
{
    if (x != 0)
        tp_pb_uint64(b, tag, x);
}

void tp_pb_int64(tp_pb_t *b, int tag, int64_t x)
{
    tp_pb_uint64(b, tag, (uint64_t)x);
}

void tp_pb_int64_opt(tp_pb_t *b, int tag, int64_t x)
{
    if (x != 0)
        tp_pb_int64(b, tag, x);
}

void tp_pb_bool_opt(tp_pb_t *b, int tag, int x)
{
    if (x)
        tp_pb_uint64(b, tag, 1);
}

void tp_pb_uint64s(tp_pb_t *b, int tag, const uint64_t *x, size_t n)
{
    if (n == 0)
        return;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += tp_pb_varint_size(x[i]);
    key(b, tag, WIRE_BYTES);
    tp_pb_varint(b, len);
    if (reserve(b, len) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        tp_pb_varint(b, x[i]);
}

void tp_pb_int64s(tp_pb_t *b, int tag, const int64_t *x, size_t n)
{
    if (n == 0)
        return;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += tp_pb_varint_size((uint64_t)x[i]);
    key(b, tag, WIRE_BYTES);
    tp_pb_varint(b, len);
    if (reserve(b, len) != 0)
        return;
    for (size_t i = 0; i < n; i++)
        tp_pb_varint(b, (uint64_t)x[i]);
}

void tp_pb_bytes(tp_pb_t *b, int tag, const void *s, size_t n)
{
    key(b, tag, WIRE_BYTES);
    tp_pb_varint(b, n);
    if (n == 0 || reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

size_t tp_pb_start_message(tp_pb_t *b)
{
    b->nest++;
    return b->len;
}

void tp_pb_end_message(tp_pb_t *b, int tag, size_t start)
{
    b->nest--;
    if (b->err || start > b->len)
        return;
    /* Append key and length after the body, then rotate them in front. */
    size_t body = b->len - start;
    key(b, tag, WIRE_BYTES);
    tp_pb_varint(b, body);
    if (b->err)
        return;
    size_t hdr = b->len - start - body;
    unsigned char tmp[20];
    memcpy(tmp, b->data + start + body, hdr);
    memmove(b->data + start + hdr, b->data + start, body);
    memcpy(b->data + start, tmp, hdr);
}
