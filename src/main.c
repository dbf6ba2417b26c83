/* warden: the gateway's entry point.
 *
 *   warden --config FILE         serve
 *   warden --check-config FILE   validate FILE and exit (0 if valid, else 1 with FILE:LINE: message)
 *   warden train ...             train a classifier model (src/cli/train.c)
 *   warden eval ...              measure a guardrail on labelled data (src/cli/eval.c)
 *   warden audit --config FILE [filters] [--json]   read the audit log (src/audit/cli.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "audit/cli.h"
#include "cli/cli.h"
#include "config/config.h"
#include "fanout/fanout.h"
#include "server/server.h"
#include "util/log.h"

#define WARDEN_VERSION "0.1.0"

static void usage(FILE *f)
{
    fprintf(f, "usage: warden --config FILE [--log-level debug|info|warn|error]\n"
               "       warden --check-config FILE\n"
               "       warden train --data CSV --text-column NAME --label-column NAME --out FILE [...]\n"
               "       warden eval --config FILE --guardrail NAME --data FILE [--json] [--min-f1 X] [--min-recall X]\n"
               "       warden audit --config FILE [--since T] [--until T] [--model M] [--key K] [--status N] [--limit N] [--json]\n"
               "       warden --version\n");
}

/* The routes: fan-out (above api/, it starts internal requests) first, since h2o picks the
 * first registered prefix that matches and /v1/chat/completions/batch lies under the API's
 * /v1/chat/completions; then the API's. */
static void register_routes(h2o_hostconf_t *host)
{
    fanout_register(host);
    api_register(host);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "audit") == 0)
        return audit_cli_main(argc - 1, argv + 1);
    const char *config_path = NULL;
    int check_only = 0;
    if (argc > 1 && strcmp(argv[1], "train") == 0)
        return cli_train_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "eval") == 0)
        return cli_eval_main(argc - 1, argv + 1);
    for (int i = 1; i < argc; i++) {
        if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "-c") == 0) && i + 1 < argc) {
            config_path = argv[++i];
        } else if (strcmp(argv[i], "--check-config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
            check_only = 1;
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            const char *l = argv[++i];
            util_log_set_level(strcmp(l, "debug") == 0  ? UTIL_LOG_DEBUG
                               : strcmp(l, "warn") == 0 ? UTIL_LOG_WARN
                               : strcmp(l, "error") == 0 ? UTIL_LOG_ERROR
                                                         : UTIL_LOG_INFO);
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("warden %s\n", WARDEN_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "warden: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (config_path == NULL) {
        usage(stderr);
        return 2;
    }
    char err[1024];
    struct config *cfg = config_load(config_path, err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (check_only) {
        printf("%s: ok (%zu providers, %zu models, %zu guardrails)\n", config_path, cfg->n_providers, cfg->n_models,
               cfg->n_guardrails);
        config_free(cfg);
        return 0;
    }
    struct server_app app = api_server_app;
    app.register_routes = register_routes;
    struct server *s = server_create(cfg, &app, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "warden: %s\n", err);
        config_free(cfg);
        return 1;
    }
    int rc = server_run(s);
    server_destroy(s);
    config_free(cfg);
    return rc == 0 ? 0 : 1;
}
