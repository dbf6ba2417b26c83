/* The API's per-worker state and the callbacks server/ runs it through (api/api.h). */
#include "api/worker.h"

#include <stdlib.h>

#include "api/api.h"
#include "api/check_api.h"
#include "api/hangup.h"
#include "api/lifecycle_int.h"
#include "api/scrub.h"
#include "guard/engine.h"
#include "util/alloc.h"

void api_worker_inflight_enter(struct api_worker *aw)
{
    __atomic_fetch_add(&aw->_inflight, 1, __ATOMIC_RELAXED);
}

void api_worker_inflight_leave(struct api_worker *aw)
{
    __atomic_fetch_sub(&aw->_inflight, 1, __ATOMIC_RELAXED);
}

uint64_t api_worker_inflight(const struct api_worker *aw)
{
    return __atomic_load_n(&aw->_inflight, __ATOMIC_RELAXED);
}

static void *on_worker_init(struct server_worker *w)
{
    struct api_worker *aw = util_calloc(1, sizeof(*aw));
    aw->server = w;
    h2o_linklist_init_anchor(&aw->requests);
    h2o_linklist_init_anchor(&aw->checks);
    aw->hangup = api_hangup_create(&w->loop);
    if (aw->hangup == NULL) {
        free(aw);
        return NULL;
    }
    aw->scrub = api_scrub_create(w->cfg);
    return aw;
}

static uint64_t on_inflight(const void *app_worker)
{
    return api_worker_inflight(app_worker);
}

static int on_busy(const void *app_worker)
{
    const struct api_worker *aw = app_worker;
    return api_worker_inflight(aw) > 0 || guard_env_async_pending(aw->server->guards) > 0;
}

/* The drain time-out bounds everything: live requests end with a 503 and pending async_post
 * checks are cancelled (counted and logged by the guard engine). */
static void on_drain(void *app_worker)
{
    struct api_worker *aw = app_worker;
    lifecycle_drain_expired(aw->server);
    api_check_drain_expired(aw->server);
    guard_env_cancel_async(aw->server->guards);
}

static void on_worker_stop(void *app_worker)
{
    struct api_worker *aw = app_worker;
    api_hangup_destroy(aw->hangup);
    aw->hangup = NULL;
    api_scrub_destroy(aw->scrub);
    aw->scrub = NULL;
}

static void on_worker_free(void *app_worker)
{
    free(app_worker);
}

const struct server_app api_server_app = {
    .register_routes = api_register,
    .worker_init = on_worker_init,
    .inflight = on_inflight,
    .busy = on_busy,
    .drain = on_drain,
    .worker_stop = on_worker_stop,
    .worker_free = on_worker_free,
};
