/* The answer part (answer.h): a complete non-streaming answer made checkable (decoded,
 * scanned, coverage), rewritten by output guardrails, and given the request's redacted
 * originals back. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "api/answer.h"
#include "api/attempt.h"
#include "api/checks.h"
#include "api/lifecycle_int.h"
#include "api/restore.h"
#include "metrics/metrics.h"
#include "server/server.h"
#include "util/buf.h"

/* The answer cannot be checked: it is not relayed (fail closed), 502 unverifiable_response. */
int answer_unverifiable(struct req_ctx *ctx, const char *why)
{
    metrics_count(ctx->w->metrics, METRICS_UNVERIFIABLE_RESPONSES, 1);
    api_error_replace(&ctx->err, 502, "api_error", "unverifiable_response", NULL,
                  "the upstream answer could not be checked by the output guardrails: %s", why);
    lifecycle_respond_error(ctx);
    return -1;
}

/* Inflates in into out (capped by out's limit) with zlib window bits wbits: Z_STREAM_END when
 * the whole input decoded to exactly one stream, else the zlib error (Z_MEM_ERROR: over the cap). */
static int inflate_body(const struct util_buf *in, int wbits, struct util_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, wbits) != Z_OK)
        return Z_STREAM_ERROR;
    z.next_in = (Bytef *)(in->data ? in->data : "");
    z.avail_in = (uInt)in->len;
    int rc = Z_OK;
    char chunk[16384];
    while (rc == Z_OK) {
        z.next_out = (Bytef *)chunk;
        z.avail_out = sizeof(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END)
            break;
        if (util_buf_append(out, chunk, sizeof(chunk) - z.avail_out) != 0) {
            rc = Z_MEM_ERROR;
            break;
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)
            rc = Z_BUF_ERROR; /* truncated */
    }
    if (rc == Z_STREAM_END && z.avail_in != 0)
        rc = Z_DATA_ERROR; /* bytes after the stream */
    inflateEnd(&z);
    return rc;
}

/* Decodes a gzip / deflate answer in place (up.body), capped at max_response_bytes. "deflate" is
 * zlib-wrapped by the RFC, raw in some servers: both are tried. */
int answer_decode(struct req_ctx *ctx, int gzip, char *why, size_t whysz)
{
    static const int gzip_bits[] = {16 + MAX_WBITS}, deflate_bits[] = {MAX_WBITS, -MAX_WBITS};
    const int *bits = gzip ? gzip_bits : deflate_bits;
    size_t n_bits = gzip ? 1 : 2;
    int rc = Z_DATA_ERROR;
    for (size_t i = 0; i < n_bits && rc != Z_STREAM_END && rc != Z_MEM_ERROR; i++) {
        struct util_buf out;
        util_buf_init(&out, ctx->w->cfg->server.max_response_bytes);
        rc = inflate_body(&ctx->up.body, bits[i], &out);
        if (rc == Z_STREAM_END) {
            util_buf_free(&ctx->up.body);
            ctx->up.body = out;
            ctx->answer.decoded = 1;
            return 0;
        }
        util_buf_free(&out);
    }
    if (rc == Z_MEM_ERROR)
        snprintf(why, whysz, "the decoded answer exceeds server.max_response_bytes");
    else
        snprintf(why, whysz, "its %s encoding does not decode", gzip ? "gzip" : "deflate");
    return -1;
}

/* Makes the collected answer checkable: decoded if it has a Content-Encoding, scanned (valid
 * JSON, no duplicate keys, texts collected). Else answers 502 and returns -1. */
int answer_prepare(struct req_ctx *ctx)
{
    char why[300];
    const char *enc = attempt_upstream_header(ctx, "content-encoding");
    if (enc != NULL && *enc && strcasecmp(enc, "identity") != 0) {
        int gzip = strcasecmp(enc, "gzip") == 0 || strcasecmp(enc, "x-gzip") == 0;
        if (!gzip && strcasecmp(enc, "deflate") != 0) {
            snprintf(why, sizeof(why), "unsupported Content-Encoding \"%.40s\"", enc);
            return answer_unverifiable(ctx, why);
        }
        if (answer_decode(ctx, gzip, why, sizeof(why)) != 0)
            return answer_unverifiable(ctx, why);
    }
    api_scan_free(&ctx->answer.scan);
    json_decref(ctx->answer.tools);
    ctx->answer.tools = NULL;
    if (api_scan(&ctx->answer.scan, ctx->up.body.data ? ctx->up.body.data : "", ctx->up.body.len, API_SCAN_ANSWER, 1) != 0) {
        snprintf(why, sizeof(why), "%s", ctx->answer.scan.err);
        return answer_unverifiable(ctx, why);
    }
    ctx->answer.scanned = 1;
    int any, unknown_refuse, non_text_refuse;
    checks_coverage(ctx, CONFIG_STAGE_OUTPUT, &any, &unknown_refuse, &non_text_refuse);
    if (unknown_refuse && ctx->answer.scan.unknown_path[0]) {
        snprintf(why, sizeof(why), "field %s is outside what the guardrails read (unknown_fields: refuse)",
                 ctx->answer.scan.unknown_path);
        return answer_unverifiable(ctx, why);
    }
    if (ctx->answer.scan.non_text) {
        if (non_text_refuse) {
            snprintf(why, sizeof(why), "%s is not text (non_text: refuse)", ctx->answer.scan.non_text_path);
            return answer_unverifiable(ctx, why);
        }
        checks_log_note(ctx, "non_text=unchecked");
    }
    return 0;
}

/* The originals of the request's placeholders back into the answer (restore.h). 0, or -1
 * after answering 502 (a splice that does not scan cannot come from valid literals). */
int answer_restore(struct req_ctx *ctx)
{
    struct guard_verdict v = {0};
    if (api_restore_texts(ctx->checks.placeholders, ctx->checks.n_placeholders, ctx->answer.scan.texts, ctx->answer.scan.lens, ctx->answer.scan.n,
                          &v.texts, &v.lens) == 0)
        return 0;
    v.n = ctx->answer.scan.n;
    int rc = answer_apply_rewrite(ctx, &v);
    api_restore_free(v.texts, v.lens, v.n);
    if (rc < 0) {
        answer_unverifiable(ctx, "the redacted values could not be restored in the answer");
        return -1;
    }
    return 0;
}

/* Splices a guard's rewritten texts into the answer and scans the result for the next guard. */
int answer_apply_rewrite(struct req_ctx *ctx, struct guard_verdict *v)
{
    if (v->texts != NULL && v->n != ctx->answer.scan.n)
        return -1;
    if (v->texts == NULL || api_scan_changed(&ctx->answer.scan, v->texts, v->lens, v->n) == 0)
        return 0;
    size_t len;
    char *body = api_scan_splice(&ctx->answer.scan, ctx->up.body.data, ctx->up.body.len, v->texts, v->lens, NULL, &len);
    if (body == NULL)
        return -1;
    struct api_scan ns;
    if (api_scan(&ns, body, len, API_SCAN_ANSWER, 1) != 0) {
        api_scan_free(&ns);
        free(body);
        return -1;
    }
    api_scan_free(&ctx->answer.scan);
    ctx->answer.scan = ns;
    util_buf_free(&ctx->up.body);
    util_buf_init(&ctx->up.body, SIZE_MAX);
    ctx->up.body.data = body; /* the buffer takes the spliced bytes (malloc'd, NUL-terminated) */
    ctx->up.body.len = len;
    ctx->up.body.cap = len + 1;
    json_decref(ctx->answer.tools);
    ctx->answer.tools = NULL;
    return 1;
}
