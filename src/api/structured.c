#include "api/structured.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"
#include "util/alloc.h"
#include "util/buf.h"

int structured_spec_init(struct structured_spec *s, json_t *body, struct schema_cache *cache, int flags, int validate_tools,
                         struct api_error *err)
{
    memset(s, 0, sizeof(*s));
    s->cache = cache;
    s->flags = flags;
    s->validate_tools = validate_tools && json_is_array(json_object_get(body, "tools"));
    if (s->validate_tools) {
        /* compile every tool's parameters now: a broken schema is the client's 400, not a late 422 */
        size_t k;
        json_t *t;
        json_array_foreach(json_object_get(body, "tools"), k, t)
        {
            json_t *params = json_object_get(json_object_get(t, "function"), "parameters");
            if (params == NULL)
                continue;
            char e[400];
            const struct schema *sc = schema_cache_get(cache, params, flags, e, sizeof(e));
            if (sc == NULL) {
                api_error_set(err, 400, "invalid_request_error", "invalid_schema", "tools",
                              "tools[%zu].function.parameters is not a valid JSON Schema: %s", k, e);
                return -1;
            }
            schema_cache_release(cache, sc);
        }
    }
    json_t *rf = json_object_get(body, "response_format");
    if (rf == NULL || json_is_null(rf))
        return 0;
    const char *type = json_string_value(json_object_get(rf, "type"));
    if (!json_is_object(rf) || type == NULL) {
        api_error_set(err, 400, "invalid_request_error", "invalid_type", "response_format",
                      "'response_format' must be an object with a string 'type'");
        return -1;
    }
    if (strcmp(type, "json_object") == 0) {
        s->mode = STRUCTURED_JSON_OBJECT;
        return 0;
    }
    if (strcmp(type, "text") == 0)
        return 0;
    if (strcmp(type, "json_schema") != 0) {
        api_error_set(err, 400, "invalid_request_error", "invalid_value", "response_format.type",
                      "response_format.type must be 'text', 'json_object' or 'json_schema', got '%.40s'", type);
        return -1;
    }
    json_t *schema = json_object_get(json_object_get(rf, "json_schema"), "schema");
    if (!json_is_object(schema) && !json_is_boolean(schema)) {
        api_error_set(err, 400, "invalid_request_error", "invalid_schema", "response_format.json_schema.schema",
                      "response_format.json_schema.schema must be a JSON Schema object");
        return -1;
    }
    char e[400];
    s->schema = schema_cache_get(cache, schema, flags, e, sizeof(e));
    if (s->schema == NULL) {
        api_error_set(err, 400, "invalid_request_error", "invalid_schema", "response_format.json_schema.schema",
                      "invalid JSON Schema: %s", e);
        return -1;
    }
    s->mode = STRUCTURED_JSON_SCHEMA;
    return 0;
}

void structured_spec_release(struct structured_spec *s)
{
    if (s->schema != NULL)
        schema_cache_release(s->cache, s->schema);
    s->schema = NULL;
    s->mode = STRUCTURED_NONE;
}

int structured_active(const struct structured_spec *s)
{
    return s->mode != STRUCTURED_NONE || s->validate_tools;
}

static int check_value(const struct schema *schema, json_t *v, const char *prefix, struct util_buf *out)
{
    struct schema_errors errs = {.max = 10};
    if (schema_validate(schema, v, &errs) == 0) {
        schema_errors_free(&errs);
        return 0;
    }
    char *f = schema_errors_format(&errs);
    util_buf_appendf(out, "%s%s%s", out->len ? "; " : "", prefix, f ? f : "invalid");
    free(f);
    schema_errors_free(&errs);
    return -1;
}

int structured_check_content(const struct structured_spec *s, const char *content, size_t len, char **errors)
{
    *errors = NULL;
    if (s->mode == STRUCTURED_NONE)
        return 0;
    struct util_buf out;
    util_buf_init(&out, 8192);
    json_error_t je;
    json_t *v = content ? json_loadb(content, len, 0, &je) : NULL;
    int rc = 0;
    if (v == NULL) {
        util_buf_appendf(&out, "the answer is not valid JSON: %s", content ? je.text : "no content");
        rc = -1;
    } else if (s->mode == STRUCTURED_JSON_OBJECT && !json_is_object(v)) {
        util_buf_appendf(&out, "the answer must be a JSON object");
        rc = -1;
    } else if (s->mode == STRUCTURED_JSON_SCHEMA) {
        rc = check_value(s->schema, v, "", &out);
    }
    json_decref(v);
    if (rc != 0)
        *errors = util_buf_take(&out, NULL);
    util_buf_free(&out);
    return rc;
}

int structured_check_tool_calls(const struct structured_spec *s, json_t *request, json_t *tool_calls, char **errors)
{
    *errors = NULL;
    if (!s->validate_tools || !json_is_array(tool_calls))
        return 0;
    struct util_buf out;
    util_buf_init(&out, 8192);
    json_t *tools = json_object_get(request, "tools");
    size_t i;
    json_t *call;
    json_array_foreach(tool_calls, i, call)
    {
        json_t *fn = json_object_get(call, "function");
        const char *name = json_string_value(json_object_get(fn, "name"));
        const char *args = json_string_value(json_object_get(fn, "arguments"));
        json_t *params = NULL;
        size_t k;
        json_t *t;
        json_array_foreach(tools, k, t)
        {
            json_t *tf = json_object_get(t, "function");
            const char *tn = json_string_value(json_object_get(tf, "name"));
            if (name && tn && strcmp(name, tn) == 0)
                params = json_object_get(tf, "parameters");
        }
        char prefix[200];
        snprintf(prefix, sizeof(prefix), "tool call %zu (%.100s): ", i, name ? name : "?");
        if (name == NULL || params == NULL) {
            util_buf_appendf(&out, "%s%sthe request declares no such tool", out.len ? "; " : "", prefix);
            continue;
        }
        json_error_t je;
        json_t *v = args ? json_loads(args, 0, &je) : NULL;
        if (v == NULL) {
            util_buf_appendf(&out, "%s%sarguments are not valid JSON", out.len ? "; " : "", prefix);
            continue;
        }
        char e[300];
        const struct schema *sc = schema_cache_get(s->cache, params, s->flags, e, sizeof(e));
        if (sc == NULL)
            util_buf_appendf(&out, "%s%sthe tool's parameters schema is invalid: %s", out.len ? "; " : "", prefix, e);
        else {
            check_value(sc, v, prefix, &out);
            schema_cache_release(s->cache, sc);
        }
        json_decref(v);
    }
    int rc = out.len ? -1 : 0;
    if (rc)
        *errors = util_buf_take(&out, NULL);
    util_buf_free(&out);
    return rc;
}
