/* The OpenAI-compatible HTTP API: routes, request lifecycle, error bodies.
 *
 * api_register() installs the handlers on an h2o host config once at
 * start-up. Each worker calls api_worker_start() on its own thread before
 * serving, api_worker_drain_expired() when the drain time-out passes (it
 * ends every live request with an error), and api_worker_stop() last. */
#ifndef WARDEN_API_H
#define WARDEN_API_H

#include <h2o.h>

struct server_worker;

void api_register(h2o_hostconf_t *host);
int api_worker_start(struct server_worker *w);
void api_worker_drain_expired(struct server_worker *w);
void api_worker_stop(struct server_worker *w);

#endif
