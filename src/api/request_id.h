/* Request ids under one rule, for every route: the client's x-request-id is echoed when it
 * is safe to put in headers, logs and JSON as is (1 to API_REQUEST_ID_MAX bytes of printable
 * ASCII, no space, quote or backslash); otherwise Warden makes one: "req_" + 12 hex digits of
 * a per-thread salt + 8 of a per-thread sequence. */
#ifndef WARDEN_API_REQUEST_ID_H
#define WARDEN_API_REQUEST_ID_H

#include <h2o.h>
#include <stddef.h>

#define API_REQUEST_ID_MAX 79
#define API_REQUEST_ID_SIZE (API_REQUEST_ID_MAX + 1)

/* Is this client-sent value echoed as the request id? */
int api_request_id_ok(const char *v, size_t len);
/* Writes the request's id (NUL-terminated) into out; returns its length. headers may be NULL. */
size_t api_request_id(const h2o_headers_t *headers, char out[API_REQUEST_ID_SIZE]);

#endif
