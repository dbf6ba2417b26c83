/* Request framing that two HTTP parsers could read differently (request smuggling).
 *
 * libh2o 2.2.5 frames an HTTP/1 request by the last Transfer-Encoding header, or else
 * by the first Content-Length, and drops both headers from req->headers: a request
 * with both, or with two different lengths, is read one way by h2o and possibly
 * another by a proxy in front of it, and the bytes after the body were served as a
 * second request. The handler therefore reads the raw request head h2o parsed (it is
 * still at the start of the connection's input buffer while the request is handled)
 * and refuses such a request before anything else; the connection is then closed. */
#ifndef WARDEN_API_FRAMING_H
#define WARDEN_API_FRAMING_H

#include <h2o.h>
#include <stddef.h>

/* The problem with the framing of the raw HTTP/1 request head in head[0..len) (request
 * line, header lines, blank line; what follows is ignored), or NULL when it is
 * unambiguous: at most one Transfer-Encoding header and no Content-Length beside it,
 * and every Content-Length header with the same value. */
const char *api_framing_problem(const char *head, size_t len);

/* The same for an h2o request: the head is read from the connection's input buffer.
 * HTTP/2 requests have no such framing and give NULL. */
const char *api_framing_problem_of_req(h2o_req_t *req);

#endif
