/*
 * Check suite for output/protobuf.c, the protocol buffer encoder under the
 * pprof writer: varints (one to ten bytes), optional fields that vanish at
 * zero, packed repeated numbers, strings, nested messages with their
 * length moved in front, and the sticky error.  The encoded bytes are
 * compared with hand-written ones and read back with tests/pprof_decode.h.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "output/protobuf.h"
#include "tests/pprof_decode.h"
#include "tests/testbase.h"

enum { NCASES = PD_VARINT_CASES };

START_TEST(protobuf_varint_edge_cases)
{
    tp_pb_t pb;
    tp_pb_init(&pb);
    for (size_t i = 0; i < NCASES; i++) {
        tp_pb_reset(&pb);
        tp_pb_int64(&pb, 2, pd_varint_cases[i].v);
        ck_assert_uint_eq(tp_pb_varint_size((uint64_t)pd_varint_cases[i].v), pd_varint_cases[i].len);
        ck_assert_uint_eq(pb.len, 1 + pd_varint_cases[i].len);
        ck_assert_uint_eq(pb.data[0], 2 << 3);
        ck_assert(memcmp(pb.data + 1, pd_varint_cases[i].bytes, pd_varint_cases[i].len) == 0);
        /* A bare varint is the same bytes without the key. */
        tp_pb_reset(&pb);
        tp_pb_varint(&pb, (uint64_t)pd_varint_cases[i].v);
        ck_assert_uint_eq(pb.len, pd_varint_cases[i].len);
        ck_assert(memcmp(pb.data, pd_varint_cases[i].bytes, pd_varint_cases[i].len) == 0);
    }
    ck_assert_uint_eq(tp_pb_varint_size(UINT64_MAX), 10);
    ck_assert_int_eq(pb.err, 0);
    tp_pb_free(&pb);
}
END_TEST

START_TEST(protobuf_optional_zero_writes_nothing)
{
    tp_pb_t pb;
    tp_pb_init(&pb);
    tp_pb_int64_opt(&pb, 3, 0);
    tp_pb_uint64_opt(&pb, 3, 0);
    tp_pb_bool_opt(&pb, 3, 0);
    tp_pb_uint64s(&pb, 3, NULL, 0);
    tp_pb_int64s(&pb, 3, NULL, 0);
    ck_assert_uint_eq(pb.len, 0);
    /* The non-optional forms write a zero; the others their value. */
    tp_pb_uint64(&pb, 1, 0);
    tp_pb_int64_opt(&pb, 2, -1);
    tp_pb_bool_opt(&pb, 3, 42);
    static const unsigned char want[] = {
        0x08, 0x00,
        0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        0x18, 0x01,
    };
    ck_assert_uint_eq(pb.len, sizeof want);
    ck_assert(memcmp(pb.data, want, sizeof want) == 0);
    tp_pb_free(&pb);
}
END_TEST

START_TEST(protobuf_packed_numbers_one_field)
{
    uint64_t u[NCASES];
    int64_t s[NCASES];
    size_t total = 0;
    for (size_t i = 0; i < NCASES; i++) {
        u[i] = (uint64_t)pd_varint_cases[i].v;
        s[i] = pd_varint_cases[i].v;
        total += pd_varint_cases[i].len;
    }
    tp_pb_t pb;
    tp_pb_init(&pb);
    tp_pb_uint64s(&pb, 1, u, NCASES);
    tp_pb_int64s(&pb, 2, s, NCASES);
    ck_assert_int_eq(pb.err, 0);
    /* Each is one length-delimited field holding the varints back to back. */
    pd_field_t f[2];
    ck_assert_uint_eq(pd_fields(pb.data, pb.len, 1, &f[0], 1), 1);
    ck_assert_uint_eq(pd_fields(pb.data, pb.len, 2, &f[1], 1), 1);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(f[k].wire, 2);
        ck_assert_uint_eq(f[k].len, total);
        size_t off = 0;
        for (size_t i = 0; i < NCASES; i++) {
            ck_assert(memcmp(f[k].data + off, pd_varint_cases[i].bytes, pd_varint_cases[i].len) == 0);
            off += pd_varint_cases[i].len;
        }
    }
    uint64_t back[NCASES];
    ck_assert_uint_eq(pd_numbers(pb.data, pb.len, 2, back, NCASES), NCASES);
    for (size_t i = 0; i < NCASES; i++)
        ck_assert_int_eq((int64_t)back[i], pd_varint_cases[i].v);
    tp_pb_free(&pb);
}
END_TEST

START_TEST(protobuf_empty_string_is_written)
{
    tp_pb_t pb;
    tp_pb_init(&pb);
    tp_pb_bytes(&pb, 6, "", 0);
    tp_pb_bytes(&pb, 6, "ab", 2);
    static const unsigned char want[] = {0x32, 0x00, 0x32, 0x02, 'a', 'b'};
    ck_assert_uint_eq(pb.len, sizeof want);
    ck_assert(memcmp(pb.data, want, sizeof want) == 0);
    tp_pb_free(&pb);
}
END_TEST

START_TEST(protobuf_nested_message_length_in_front)
{
    tp_pb_t pb;
    tp_pb_init(&pb);
    size_t m = tp_pb_start_message(&pb);
    tp_pb_bytes(&pb, 1, "abc", 3);
    tp_pb_end_message(&pb, 4, m);
    static const unsigned char nested[] = {0x22, 5, 0x0a, 3, 'a', 'b', 'c'};
    ck_assert_uint_eq(pb.len, sizeof nested);
    ck_assert(memcmp(pb.data, nested, sizeof nested) == 0);
    ck_assert_int_eq(pb.nest, 0);

    /* A message longer than 127 bytes: a two-byte length in front. */
    tp_pb_reset(&pb);
    m = tp_pb_start_message(&pb);
    char big[200];
    memset(big, 'x', sizeof big);
    tp_pb_bytes(&pb, 1, big, sizeof big);
    tp_pb_end_message(&pb, 2, m);
    ck_assert_uint_eq(pb.len, 3 + 3 + sizeof big);
    ck_assert_uint_eq(pb.data[0], 0x12);
    ck_assert_uint_eq(pb.data[1], 0xcb);          /* 203 = 0x80 | 0x4b, 0x01 */
    ck_assert_uint_eq(pb.data[2], 0x01);
    ck_assert_uint_eq(pb.data[3], 0x0a);

    /* Two levels, after a field of the outer message. */
    tp_pb_reset(&pb);
    tp_pb_uint64(&pb, 9, 7);
    size_t outer = tp_pb_start_message(&pb);
    tp_pb_uint64(&pb, 1, 1);
    size_t inner = tp_pb_start_message(&pb);
    tp_pb_uint64(&pb, 2, 300);
    tp_pb_end_message(&pb, 4, inner);
    tp_pb_end_message(&pb, 3, outer);
    static const unsigned char two[] = {0x48, 7, 0x1a, 7, 0x08, 1, 0x22, 3, 0x10, 0xac, 0x02};
    ck_assert_uint_eq(pb.len, sizeof two);
    ck_assert(memcmp(pb.data, two, sizeof two) == 0);
    ck_assert_int_eq(pb.nest, 0);
    ck_assert_int_eq(pb.err, 0);
    tp_pb_free(&pb);
}
END_TEST

/* Many fields: the buffer grows, and reset keeps its storage. */
START_TEST(protobuf_buffer_grows_and_resets)
{
    tp_pb_t pb;
    tp_pb_init(&pb);
    for (uint64_t i = 0; i < 100000; i++)
        tp_pb_uint64(&pb, 1, i);
    ck_assert_int_eq(pb.err, 0);
    uint64_t *back = malloc(100000 * sizeof *back);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(pd_numbers(pb.data, pb.len, 1, back, 100000), 100000);
    for (uint64_t i = 0; i < 100000; i++)
        ck_assert_uint_eq(back[i], i);
    free(back);
    size_t cap = pb.cap;
    unsigned char *data = pb.data;
    tp_pb_reset(&pb);
    ck_assert_uint_eq(pb.len, 0);
    ck_assert_uint_eq(pb.cap, cap);
    ck_assert_ptr_eq(pb.data, data);
    tp_pb_free(&pb);
    ck_assert_ptr_null(pb.data);
    ck_assert_uint_eq(pb.cap, 0);
}
END_TEST

/* Once an allocation failed (err -ENOMEM) every call is a no-op, and the
 * error stays across a reset, so an encoder checks it once at the end. */
START_TEST(protobuf_error_is_sticky)
{
    tp_pb_t pb;
    tp_pb_init(&pb);
    tp_pb_uint64(&pb, 1, 5);
    size_t len = pb.len;
    pb.err = -ENOMEM;
    tp_pb_uint64(&pb, 1, 6);
    tp_pb_bytes(&pb, 2, "abc", 3);
    uint64_t x[] = {1, 2};
    tp_pb_uint64s(&pb, 3, x, 2);
    size_t m = tp_pb_start_message(&pb);
    tp_pb_varint(&pb, 1);
    tp_pb_end_message(&pb, 4, m);
    ck_assert_uint_eq(pb.len, len);
    tp_pb_reset(&pb);
    ck_assert_int_eq(pb.err, -ENOMEM);
    tp_pb_free(&pb);
    ck_assert_int_eq(pb.err, 0);
}
END_TEST

static Suite *protobuf_suite(void)
{
    Suite *s = suite_create("protobuf");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, protobuf_varint_edge_cases);
    tcase_add_test(tc, protobuf_optional_zero_writes_nothing);
    tcase_add_test(tc, protobuf_packed_numbers_one_field);
    tcase_add_test(tc, protobuf_empty_string_is_written);
    tcase_add_test(tc, protobuf_nested_message_length_in_front);
    tcase_add_test(tc, protobuf_buffer_grows_and_resets);
    tcase_add_test(tc, protobuf_error_is_sticky);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(protobuf_suite());
}
