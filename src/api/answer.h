/* The answer part (internal to api/): a complete, non-streaming 2xx chat answer on its way
 * through output checks (I8). It is decoded (gzip / deflate), scanned (valid JSON, no
 * duplicate keys, texts collected) and held to the output guards' coverage settings;
 * guard rewrites are spliced into it; reversible redactions of the request are restored.
 * An answer that cannot be checked is refused: 502 unverifiable_response. */
#ifndef WARDEN_API_ANSWER_H
#define WARDEN_API_ANSWER_H

struct req_ctx;
struct guard_verdict;

/* Makes ctx->up.body checkable (ctx->answer.scan); else answers 502 and returns -1. */
int answer_prepare(struct req_ctx *ctx);
/* Splices a guard's rewritten texts into the answer and scans it again: 1 changed, 0 not, -1 failed. */
int answer_apply_rewrite(struct req_ctx *ctx, struct guard_verdict *v);
/* The originals of the request's placeholders back into the answer: 0, or -1 after answering 502. */
int answer_restore(struct req_ctx *ctx);
/* Ends the request with 502 unverifiable_response (why is said in the message); returns -1. */
int answer_unverifiable(struct req_ctx *ctx, const char *why);

#endif
