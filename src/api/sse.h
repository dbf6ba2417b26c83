/* An incremental Server-Sent Events parser for upstream streams.
 *
 * Bytes go in as they arrive (split anywhere); complete events come out
 * through a callback with their joined "data:" payload. Warden uses it to
 * see the "[DONE]" sentinel (a stream that ends without it was cut), to pull
 * the answer's text out of chunks for output checks, and to notice an
 * upstream's in-band error event. Lines and events are size-capped. */
#ifndef WARDEN_API_SSE_H
#define WARDEN_API_SSE_H

#include <stddef.h>

#include "util/buf.h"

struct sse_parser {
    struct util_buf line;  /* the line being assembled */
    struct util_buf data;  /* data of the event being assembled */
    size_t event_bytes;    /* raw bytes of the current event, for callers that re-frame */
    int overflow;          /* an event exceeded the cap: the stream is not SSE we can handle */
    int has_data;          /* the event being assembled has a data field (maybe empty) */
};

/* Returns non-zero to stop parsing (the value is returned by sse_parser_feed). */
typedef int (*sse_event_cb)(void *ud, const char *data, size_t len);

void sse_parser_init(struct sse_parser *p, size_t max_event);
int sse_parser_feed(struct sse_parser *p, const char *bytes, size_t len, sse_event_cb cb, void *ud);
void sse_parser_free(struct sse_parser *p);

#endif
