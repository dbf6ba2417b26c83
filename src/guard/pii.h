/* The pii guardrail's recognizers: Presidio's entity names (EMAIL_ADDRESS,
 * PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, US_SSN, IP_ADDRESS, MAC_ADDRESS,
 * CRYPTO, URL) plus the recognizers a config adds, compiled into one
 * detect set (detect.h). The secrets guardrail (secrets.h) uses the same
 * validator lookup for its custom rules.
 *
 * Scores: a checksum or structure the check confirmed -> high (card, IBAN,
 * Bitcoin: 1.0; e-mail 0.95; SSN with dashes 0.85; IP/MAC 0.75-0.8); a
 * pattern alone -> medium (US phone formats 0.5-0.7) or low (national phone
 * formats, spaced SSN: only with a context word such as "phone" or "ssn"
 * nearby; undashed SSNs and bare ten-digit phones only right after such a
 * label, "SSN: 123456789"). Words like "order", "invoice" or "version" just
 * before a number lower its score. The default score_threshold is 0.5.
 *
 * Spans: phone numbers include an extension ("x123", "ext. 12") and a "+1",
 * "1-" or "001-" prefix; a number that continues a grouped code ("PL24 1064
 * 4401 ...") is not reported on its own. */
#ifndef WARDEN_GUARD_PII_H
#define WARDEN_GUARD_PII_H

#include <stddef.h>

#include "guard/detect.h"

struct config_guardrail;
struct config_recognizer;

/* The guardrail's selected built-ins (entities:, default all) and its recognizers:. */
struct detect_set *guard_pii_compile(const struct config_guardrail *g, char *err, size_t errsz);

/* Built-in entity names, NULL-terminated. */
extern const char *const guard_pii_entity_names[];

/* The span check for a validator name (luhn, card, iban, ssn, ipv4, ipv6, mac,
 * crypto, phone, email, entropy), NULL if unknown. */
detect_check_fn guard_validator_check(const char *name);

/* Is a built-in entity selected by the guardrail's entities: (none listed = all)? */
int guard_entity_selected(const struct config_guardrail *g, const char *entity);

/* A config recognizer as a detect rule (strings point into r). */
void guard_recognizer_rule(const struct config_recognizer *r, struct detect_rule *out);

#endif
