/* Byte-level helpers on JSON text that jansson has already accepted.
 *
 * Warden forwards request bodies byte-for-byte except for the "model" value.
 * Re-serialising the parsed tree would reformat numbers and reorder nothing
 * useful, and costs a full dump per request; instead we find the byte span
 * of a top-level member's value and splice. */
#ifndef WARDEN_API_JSON_SPAN_H
#define WARDEN_API_JSON_SPAN_H

#include <stddef.h>

/* Finds the value of top-level member `key` (compared byte-for-byte, so an
 * escaped key is not found) in the object `json`. Returns 0 and the span
 * [*start, *end) or -1 if absent or if the text is not an object. */
int json_span_find_member(const char *json, size_t len, const char *key, size_t *start, size_t *end);

/* One pass over the top-level members: for each keys[i] present, its value's span
 * (starts[i] == 0 when absent: a value never starts at byte 0). Returns how many were found. */
size_t json_span_members(const char *json, size_t len, const char *const *keys, size_t n, size_t *starts, size_t *ends);

/* Appends s as a JSON string literal (quotes included) to a malloc'd copy of
 * json with [start,end) replaced. Returns the new text; *out_len its length. */
char *json_span_replace_with_string(const char *json, size_t len, size_t start, size_t end, const char *s, size_t *out_len);

/* Checks that json[0..len) is exactly one well-formed JSON value (RFC 8259:
 * string escapes, UTF-8, number grammar, literals; nesting up to 256 deep).
 * About 1-2 ns a byte: the request path validates every body with it and
 * builds a jansson tree only when something needs one. Returns 0, or -1 with
 * a message naming the byte offset. */
int json_span_validate(const char *json, size_t len, char *err, size_t errsz);

/* The primitives the validator and the request scanner (texts.c) share.
 * json_span_string_end: p at an opening quote; returns the byte after the closing quote
 * with *msg left alone, or sets *msg (why) and returns where it failed. Checks escapes
 * (\u surrogates must pair) and UTF-8; sets *escaped when the literal holds a backslash.
 * json_span_number_end: the end of the number at p (RFC 8259 grammar) or NULL.
 * json_span_unescape: decodes the inside of a literal that json_span_string_end accepted
 * into out (at least n bytes); returns the decoded length. */
const char *json_span_string_end(const char *p, const char *e, int *escaped, const char **msg);
const char *json_span_number_end(const char *p, const char *e);
size_t json_span_unescape(const char *in, size_t n, char *out);

/* The end of the value starting at p (strings by their closing quote, containers by bracket
 * depth, scalars by the next delimiter): never reads past end; NULL if it does not end. Lenient:
 * it finds the end of valid JSON, and does not validate. */
const char *json_span_value_end(const char *p, const char *end);

/* Type of the value starting at v (valid JSON): one of "{[\"tfn" or '0' for a number. */
char json_span_type(const char *v);

/* Iterates the elements of the valid array [start, end): *pos starts at 0.
 * Returns 1 with the element's span, or 0 at the end. */
int json_span_array_next(const char *json, size_t start, size_t end, size_t *pos, size_t *es, size_t *ee);

/* Finds member `key` of the valid object json[start, end); like json_span_find_member. */
int json_span_find_in(const char *json, size_t start, size_t end, const char *key, size_t *vs, size_t *ve);

/* Decodes the valid JSON string literal [start, end) into a malloc'd C string (NULL on
 * an embedded NUL). */
char *json_span_string(const char *json, size_t start, size_t end);

#endif
