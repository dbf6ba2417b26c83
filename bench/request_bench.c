/* Request intake, per request, on a ~1 KB and a ~4 KB chat body:
 *
 *   unguarded, before  json_span_validate + json_span_members + one model splice (the old path)
 *   unguarded, now     api_scan (collect = 0: validation, duplicate keys, routing) + model splice
 *   guarded, before    json_loadb + texts from the tree + json_dumps (the old guarded path)
 *   guarded, now       api_scan (collect = 1: every contract text with its span) + model splice
 *   guarded rewrite    api_scan + a splice of one rewritten text + the rescan the request path does
 *
 *   request_bench [ITERATIONS [CASE]]   (default 200000) prints ns per request for each (or only
 *                                       case CASE, 0-4: for perf stat -e instructions). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/json_span.h"
#include "api/texts.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char *make_body(size_t target)
{
    size_t cap = target + 1024, o = 0;
    char *b = malloc(cap);
    o += (size_t)snprintf(b + o, cap - o,
                          "{\"model\":\"gpt-4o-mini\",\"temperature\":0.2,\"stream\":false,\"messages\":[{\"role\":\"system\","
                          "\"content\":\"You are a helpful assistant. Answer briefly.\"}");
    for (int i = 0; o + 300 < target; i++)
        o += (size_t)snprintf(b + o, cap - o,
                              ",{\"role\":\"%s\",\"content\":\"Message %d: the quick brown fox jumps over the lazy dog, "
                              "caf\\u00e9 na\\u00efve, numbers 12345 and symbols !?\"}",
                              i % 2 ? "assistant" : "user", i);
    snprintf(b + o, cap - o, "]}");
    return b;
}

static volatile size_t sink;

static void old_unguarded(const char *b, size_t n)
{
    static const char *const keys[] = {"model", "messages", "stream", "input", "response_format", "tools"};
    size_t s[6], e[6];
    char err[64];
    if (json_span_validate(b, n, err, sizeof(err)) != 0)
        abort();
    json_span_members(b, n, keys, 6, s, e);
    size_t ol;
    char *out = json_span_replace_with_string(b, n, s[0], e[0], "mock-1", &ol);
    sink += ol;
    free(out);
}

static void new_scan(const char *b, size_t n, int collect)
{
    struct api_scan sc;
    if (api_scan(&sc, b, n, API_SCAN_CHAT, collect) != 0)
        abort();
    size_t ol;
    char *out = api_scan_splice(&sc, b, n, NULL, NULL, "mock-1", &ol);
    sink += ol + sc.n;
    free(out);
    api_scan_free(&sc);
}

static void old_guarded(const char *b, size_t n)
{
    json_error_t je;
    json_t *t = json_loadb(b, n, 0, &je);
    json_t *msgs = json_object_get(t, "messages");
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m) sink += json_string_length(json_object_get(m, "content"));
    json_object_set_new(t, "model", json_string("mock-1"));
    char *out = json_dumps(t, JSON_COMPACT);
    sink += strlen(out);
    free(out);
    json_decref(t);
}

static void new_rewrite(const char *b, size_t n)
{
    struct api_scan sc;
    if (api_scan(&sc, b, n, API_SCAN_CHAT, 1) != 0)
        abort();
    char **texts = calloc(sc.n, sizeof(*texts));
    size_t *lens = calloc(sc.n, sizeof(*lens));
    texts[sc.n - 1] = "[REDACTED]";
    lens[sc.n - 1] = 10;
    size_t rl;
    char *rw = api_scan_splice(&sc, b, n, texts, lens, NULL, &rl);
    struct api_scan again;
    if (api_scan(&again, rw, rl, API_SCAN_CHAT, 1) != 0)
        abort();
    size_t ol;
    char *out = api_scan_splice(&again, rw, rl, NULL, NULL, "mock-1", &ol);
    sink += ol;
    free(out);
    free(rw);
    free(texts);
    free(lens);
    api_scan_free(&again);
    api_scan_free(&sc);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 200000;
    int only = argc > 2 ? atoi(argv[2]) : -1;
    size_t sizes[] = {1024, 4096};
    for (size_t k = 0; k < 2; k++) {
        char *b = make_body(sizes[k]);
        size_t n = strlen(b);
        struct {
            const char *name;
            int which;
        } cases[] = {{"unguarded, before (validate+members+splice)", 0}, {"unguarded, now (api_scan collect=0+splice)", 1},
                     {"guarded, before (jansson tree+dump)", 2},        {"guarded, now (api_scan collect=1+splice)", 3},
                     {"guarded rewrite (scan+splice+rescan+splice)", 4}};
        printf("body %zu bytes\n", n);
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
            if (only >= 0 && cases[c].which != only)
                continue;
            long it = cases[c].which == 2 ? iters / 4 : iters;
            double t0 = now_ns();
            for (long i = 0; i < it; i++) {
                switch (cases[c].which) {
                case 0: old_unguarded(b, n); break;
                case 1: new_scan(b, n, 0); break;
                case 2: old_guarded(b, n); break;
                case 3: new_scan(b, n, 1); break;
                default: new_rewrite(b, n); break;
                }
            }
            printf("  %-46s %8.0f ns/request\n", cases[c].name, (now_ns() - t0) / (double)it);
        }
        free(b);
    }
    return sink == 42 ? 1 : 0;
}
