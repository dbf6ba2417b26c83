/* Fan-out over HTTP: pipelines and batches (README "Pipelines and batches").
 *
 *   POST /v1/pipelines/{name}          body: the variables ({"text": ...}); answer: pipeline.h
 *   POST /v1/pipelines/{name}/batch    body: {"inputs": [vars, ...], "stream": bool}
 *   POST /v1/chat/completions/batch    body: {"requests": [chat body, ...], "stream": bool}
 *
 * A batch answers {"object": "batch", "results": [{"index", "status", "result" | "error"}]}
 * in input order, or with "stream": true NDJSON lines {"index", "status", "result" |
 * "error"} as items finish and a last line {"done": true, ...}. Over `batch.max_items`: 413.
 * A client that goes away (a hang-up while waiting, or a failed write) cancels everything
 * in flight - the upstream calls are closed at once - and nothing more starts.
 *
 * The module sits above api/ (it starts internal requests, api/internal.h), so the program
 * registers its routes, before api_register: h2o picks the first registered path prefix
 * that matches, and /v1/chat/completions/batch must not land on /v1/chat/completions. */
#ifndef WARDEN_FANOUT_FANOUT_H
#define WARDEN_FANOUT_FANOUT_H

#include <h2o.h>

void fanout_register(h2o_hostconf_t *host);

#endif
