/* The secrets guardrail's rules: provider keys (OpenAI, Anthropic, AWS,
 * GitHub, GitLab, Slack, Stripe, Google, Hugging Face), private-key blocks,
 * JWTs, database URLs with a password, and generic high-entropy values next
 * to key words (api_key=, token:, password ...), plus the rules a config
 * adds; compiled into one detect set (detect.h).
 *
 * Finding types: OPENAI_API_KEY, ANTHROPIC_API_KEY, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, GITLAB_TOKEN, SLACK_TOKEN,
 * SLACK_WEBHOOK, STRIPE_KEY, GOOGLE_API_KEY, HUGGINGFACE_TOKEN, PRIVATE_KEY,
 * JWT, DATABASE_URL, GENERIC_SECRET. A generic finding's span is the value
 * only (not the key word), so redaction keeps "api_key=" readable.
 *
 * Stripe publishable keys (pk_live_) are public by design: they score 0.4,
 * under the default threshold, and count only with score_threshold <= 0.4. */
#ifndef WARDEN_GUARD_SECRETS_H
#define WARDEN_GUARD_SECRETS_H

#include <stddef.h>

#include "guard/detect.h"

struct config_guardrail;

struct detect_set *guard_secrets_compile(const struct config_guardrail *g, char *err, size_t errsz);

extern const char *const guard_secret_entity_names[];

/* The value after a key word: starts after ':' / '=' and optional quote, ends at
 * whitespace or the closing quote. Exposed for tests. 1 and *value set, or 0. */
int guard_secret_value_span(const char *t, size_t len, size_t after, struct detect_span *value);

#endif
