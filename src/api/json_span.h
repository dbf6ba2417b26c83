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

/* Appends s as a JSON string literal (quotes included) to a malloc'd copy of
 * json with [start,end) replaced. Returns the new text; *out_len its length. */
char *json_span_replace_with_string(const char *json, size_t len, size_t start, size_t end, const char *s, size_t *out_len);

#endif
