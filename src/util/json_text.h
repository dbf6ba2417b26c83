/* JSON string escapes decoded the way a lenient JSON reader decodes them.
 *
 * Tool-call arguments are a JSON text inside a JSON string: a client or a tool decodes
 * them once more. The request and answer scanners (api/texts.c) build that decoded view,
 * and the placeholders of a redaction inside such a text (guard/placeholder.c) name a
 * value by what it decodes to; both must decode alike, so they share this function. */
#ifndef WARDEN_UTIL_JSON_TEXT_H
#define WARDEN_UTIL_JSON_TEXT_H

#include <stddef.h>

/* The text a JSON reader gets from `in` (n bytes) with its backslash escapes decoded once
 * (\uXXXX, surrogate pairs, \n...; a malformed escape is kept, a lone surrogate becomes
 * U+FFFD). out needs n bytes (never longer than the input). Returns its length. */
size_t util_json_unescape_once(const char *in, size_t n, char *out);

#endif
