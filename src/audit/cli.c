/* `warden audit`; see cli.h. */
#include "audit/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/query.h"
#include "config/config.h"
#include "util/buf.h"

struct cli_out {
    int json;
    int rows;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: warden audit --config FILE [--since RFC3339] [--until RFC3339] [--model NAME] [--key NAME]\n"
               "                    [--status N] [--limit N] [--cursor C] [--json]\n");
}

static void print_row(void *ud, const struct audit_record *r)
{
    struct cli_out *o = ud;
    o->rows++;
    if (o->json) {
        struct util_buf b;
        util_buf_init(&b, 64u << 20);
        audit_record_to_json(r, &b);
        fprintf(stdout, "%s\n", b.data ? b.data : "{}");
        util_buf_free(&b);
        return;
    }
    char t[40], tokens[48], cost[24];
    audit_format_rfc3339(r->time_us, t);
    if (r->tokens_in >= 0)
        snprintf(tokens, sizeof(tokens), "%lld/%lld", (long long)r->tokens_in, (long long)(r->tokens_out < 0 ? 0 : r->tokens_out));
    else
        snprintf(tokens, sizeof(tokens), "-");
    if (r->cost_usd >= 0)
        snprintf(cost, sizeof(cost), "%.6f", r->cost_usd);
    else
        snprintf(cost, sizeof(cost), "-");
    fprintf(stdout, "%-27s %3d %-20.20s %-24.24s %-12.12s %9.1f %13s %10s %s\n", t, r->status, r->model,
            r->target[0] ? r->target : "-", r->key_name[0] ? r->key_name : "-", (double)r->latency_us / 1e3, tokens, cost,
            r->request_id);
}

int audit_cli_main(int argc, char **argv)
{
    const char *config_path = NULL;
    struct audit_filter f;
    audit_filter_init(&f);
    struct cli_out o = {!isatty(STDOUT_FILENO), 0};
    char err[1024];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            o.json = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "warden audit: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--config")) {
            config_path = v;
            continue;
        }
        int rc = audit_filter_set(&f, a + 2, v, err, sizeof(err));
        if (rc == 1) {
            fprintf(stderr, "warden audit: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        if (rc < 0) {
            fprintf(stderr, "warden audit: --%s\n", err);
            return 2;
        }
    }
    if (config_path == NULL) {
        usage(stderr);
        return 2;
    }
    struct config *cfg = config_load(config_path, err, sizeof(err));
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (!o.json)
        fprintf(stdout, "%-27s %3s %-20s %-24s %-12s %9s %13s %10s %s\n", "TIME", "ST", "MODEL", "TARGET", "KEY", "LAT_MS",
                "TOKENS_IN/OUT", "COST_USD", "REQUEST_ID");
    char next[AUDIT_ID_HEX];
    int rc = audit_query_run(&cfg->audit, &f, print_row, &o, next, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "warden audit: %s\n", err);
    else if (next[0])
        fprintf(stderr, "more: --cursor %s\n", next);
    config_free(cfg);
    return rc == 0 ? 0 : 1;
}
