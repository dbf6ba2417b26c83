/* Small formatting and parsing helpers shared by the HTTP and JSON code. The
 * formatting ones replace printf on the request path, where its format
 * parsing was a measurable share of the instructions per request (callgrind). */
#ifndef WARDEN_UTIL_FMT_H
#define WARDEN_UTIL_FMT_H

#include <stddef.h>
#include <stdint.h>

#define UTIL_FMT_U64_MAX 21 /* 20 digits and the NUL */

/* Writes v in decimal to out (UTIL_FMT_U64_MAX bytes), NUL-terminated; returns the length. */
size_t util_fmt_u64(char *out, uint64_t v);
/* Writes the low `digits` hex digits of v (lower case, zero-padded) to out, no NUL. */
void util_fmt_hex(char *out, uint64_t v, int digits);
/* Copies src to dst of size n (> 0), cutting it short if needed; always NUL-terminates.
 * Returns the length copied. */
size_t util_strlcpy(char *dst, const char *src, size_t n);
/* The value of a hex digit, or -1. */
int util_hexval(char c);
/* The value of the four hex digits at p (a JSON \\uXXXX escape's): 0 and *out, or -1. */
int util_hex4(const char *p, uint32_t *out);
/* Does the comma-separated list v[0..n) (an HTTP header value) hold the token tok?
 * Case-insensitive; spaces and tabs around the elements are ignored. */
int util_list_has_token(const char *v, size_t n, const char *tok);

#endif
