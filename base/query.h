/*
 * query: the endpoint's own parsing of query values (the HTTP library
 * splits and unescapes the query string; what a value means is ours).
 * Pure, fuzzed (tests/fuzz).
 */
#ifndef TP_QUERY_H
#define TP_QUERY_H

/* A whole number of at most max: decimal digits only (no sign, space,
 * exponent or fraction; at most 9 digits).  0 or -EINVAL (out untouched). */
int tp_query_uint(const char *s, unsigned max, unsigned *out);

#endif
