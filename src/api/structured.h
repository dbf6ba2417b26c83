/* Structured output: what the client asked the answer to be
 * (response_format json_schema / json_object, tool parameter schemas) and
 * the check of an answer against it. Schemas come from the process-wide
 * compiled-schema cache (compiled once per distinct schema). */
#ifndef WARDEN_API_STRUCTURED_H
#define WARDEN_API_STRUCTURED_H

#include <jansson.h>
#include <stddef.h>

#include "api/error.h"

struct schema;
struct schema_cache;

enum structured_mode { STRUCTURED_NONE, STRUCTURED_JSON_OBJECT, STRUCTURED_JSON_SCHEMA };

struct structured_spec {
    enum structured_mode mode;
    const struct schema *schema; /* a cache reference (JSON_SCHEMA) */
    int validate_tools;
    int flags;
    struct schema_cache *cache;
};

/* Reads response_format from a chat request. Returns 0, or -1 with err set (400: bad schema,
 * unknown $ref, invalid regex...). */
int structured_spec_init(struct structured_spec *s, json_t *body, struct schema_cache *cache, int flags, int validate_tools,
                         struct api_error *err);
void structured_spec_release(struct structured_spec *s);
int structured_active(const struct structured_spec *s);

/* Checks an answer's text. Returns 0 if valid, else -1 and *errors (malloc'd, "; "-joined). */
int structured_check_content(const struct structured_spec *s, const char *content, size_t len, char **errors);
/* Checks each tool call's arguments against the request's tools[].function.parameters. */
int structured_check_tool_calls(const struct structured_spec *s, json_t *request, json_t *tool_calls, char **errors);

#endif
