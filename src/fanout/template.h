/* Filling prompt templates (util/template.h syntax) for fan-out steps.
 *
 * The filled prompt is written as a JSON string literal, quotes included, ready to be
 * placed in the upstream body: the template's text and every value are escaped as JSON
 * string content (quotes, backslashes, control characters; invalid UTF-8 becomes U+FFFD),
 * so no value can end the string, add a field or a message, or change the body's
 * structure. Values are inserted as data: a "{{" inside a value is never expanded (the
 * template is read once, values are never read as templates). A string value goes in as
 * its text; any other JSON value as its compact JSON text. */
#ifndef WARDEN_FANOUT_TEMPLATE_H
#define WARDEN_FANOUT_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

enum {
    FANOUT_TEMPLATE_MISSING = 1, /* a reference names nothing in vars / steps */
    FANOUT_TEMPLATE_BAD = 2,     /* the template does not parse (config checks prevent it) */
    FANOUT_TEMPLATE_TOO_BIG = 3, /* out reached its cap */
};

/* Appends t[0..len) filled to out as a JSON string literal. References "steps.NAME..." read
 * steps (an object: step name -> output; may be NULL), all others vars (the request's
 * object). Returns 0 or one of the codes above; on FANOUT_TEMPLATE_MISSING, what[] holds
 * the reference's path, on FANOUT_TEMPLATE_BAD the reason (NUL-terminated, truncated). */
int fanout_template_fill(const char *t, size_t len, const json_t *vars, const json_t *steps, struct util_buf *out, char *what,
                         size_t what_sz);

/* The value a reference path names, or NULL (borrowed). */
json_t *fanout_template_lookup(const char *path, size_t len, const json_t *vars, const json_t *steps);

#endif
