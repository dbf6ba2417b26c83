/* The OpenAI-compatible HTTP API: routes, request lifecycle, error bodies.
 *
 * The program hands api_server_app to server_create(): server/ then calls
 * api_register() once at start-up to install the handlers, and runs each
 * worker's API state (api/worker.h) through the table's callbacks: created on
 * the worker's thread before serving, drained when the drain time-out passes
 * (every live request ends with an error, pending async_post checks are
 * cancelled), stopped on the worker's thread and freed after the join. */
#ifndef WARDEN_API_H
#define WARDEN_API_H

#include <h2o.h>

#include "server/server.h"

extern const struct server_app api_server_app;

void api_register(h2o_hostconf_t *host);

/* For routes served by modules above api/ (src/fanout, registered by the program ahead of
 * api_register): what every /v1 request gets first - framing and size checks, client auth.
 * Returns 1 when the request may go on; 0 when it has been answered (an error). */
int api_route_admit(struct server_worker *w, h2o_req_t *req);

#endif
