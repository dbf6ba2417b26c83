/* HTTP/1.x response parsing for the lean upstream client (http1_client.c):
 * the status line and header block, and the chunked transfer coding.
 *
 * Both parsers work on bytes as they arrive and never read past the given
 * length. The head parser is restartable (call it again with more bytes from
 * the start of the head); the chunked decoder keeps its state between calls
 * and decodes in place. */
#ifndef WARDEN_UPSTREAM_HTTP1_PARSE_H
#define WARDEN_UPSTREAM_HTTP1_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "upstream/client.h"

#define HTTP1_HEADERS_MAX 100

struct http1_response_head {
    int minor_version; /* HTTP/1.<minor> */
    int status;
    struct upstream_header headers[HTTP1_HEADERS_MAX]; /* point into the parsed buffer */
    size_t n_headers;
    /* framing, from the headers */
    int64_t content_length; /* -1 when absent */
    unsigned chunked : 1;    /* Transfer-Encoding ends in chunked */
    unsigned keep_alive : 1; /* the connection may carry another request afterwards */
};

/* Parses one response head at the start of buf. Returns the number of bytes it
 * took (status line through the blank line), 0 when the head is not complete yet,
 * or WARDEN_EUPSTREAM with *why naming the problem. */
ssize_t http1_parse_response_head(const char *buf, size_t len, struct http1_response_head *h, const char **why);

struct http1_chunked {
    int state;
    uint64_t remaining; /* bytes left in the current chunk, or the size being read */
    int digits;
};

/* Decodes chunked data in place. Reads buf[0..len), writes the payload bytes to
 * the front of buf (never ahead of where it reads) and sets *out_len to their
 * count and *used to the input bytes taken. Returns 1 once the last chunk and
 * the trailers are complete (*used then stops right after them), 0 when it
 * needs more input (*used == len), or WARDEN_EUPSTREAM with *why set. */
int http1_chunked_decode(struct http1_chunked *d, char *buf, size_t len, size_t *out_len, size_t *used, const char **why);

#endif
