/* Decoders for payloads hidden from a reader, internal to the prompt_injection detector
 * (injection.c): each writes a decoded copy of a text into a caller's buffer of at least
 * the text's length (no decoding here makes text longer), and returns the decoded length,
 * 0 when there is nothing worth scoring. injection.c scores the decoded copy like the text.
 *
 *   escapes   percent-encoding (%20), \xHH escapes and HTML numeric entities of ASCII characters
 *             (&#105; &#x69;), decoded in place in the text; needs at least four escapes (a URL
 *             with one %20 is not a payload)
 *   hex       runs of hex byte pairs (16+ digits; "49676e...", "0x4967...", "49 67 6e ...")
 *             whose decoding is printable text; runs are joined with newlines
 *   rot13     the whole text, rotated
 *   reverse   the whole text, byte-reversed with UTF-8 characters kept whole */
#ifndef WARDEN_GUARD_INJECTION_DECODE_H
#define WARDEN_GUARD_INJECTION_DECODE_H

#include <stddef.h>

int inj_has_escapes(const char *s, size_t n); /* four or more escapes: worth decoding */
size_t inj_decode_escapes(const char *s, size_t n, char *out);
size_t inj_decode_hex(const char *s, size_t n, char *out);
size_t inj_decode_rot13(const char *s, size_t n, char *out);
size_t inj_decode_reverse(const char *s, size_t n, char *out);

#endif
