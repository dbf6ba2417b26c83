#include "api/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void error_fill(struct api_error *e, int status, const char *type, const char *code, const char *param,
                       const char *fmt, va_list ap)
{
    e->status = status;
    e->type = type;
    e->code = code;
    snprintf(e->param, sizeof(e->param), "%s", param ? param : "");
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
}

int api_error_set(struct api_error *e, int status, const char *type, const char *code, const char *param, const char *fmt, ...)
{
    if (e->status != 0)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    error_fill(e, status, type, code, param, fmt, ap);
    va_end(ap);
    return 1;
}

void api_error_replace(struct api_error *e, int status, const char *type, const char *code, const char *param,
                       const char *fmt, ...)
{
    json_decref(e->extra);
    memset(e, 0, sizeof(*e));
    va_list ap;
    va_start(ap, fmt);
    error_fill(e, status, type, code, param, fmt, ap);
    va_end(ap);
}

void api_error_set_extra(struct api_error *e, json_t *extra)
{
    if (e->extra != NULL || e->status == 0) {
        json_decref(extra);
        return;
    }
    e->extra = extra;
}

void api_error_clear(struct api_error *e)
{
    json_decref(e->extra);
    memset(e, 0, sizeof(*e));
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

char *api_error_body(const struct api_error *e, size_t *len)
{
    json_t *err = json_object();
    /* json_string rejects invalid UTF-8; fall back to a sanitised copy */
    json_t *msg = json_string(e->message);
    if (msg == NULL) {
        char clean[sizeof(e->message)];
        size_t i = 0;
        for (; e->message[i] && i + 1 < sizeof(clean); i++)
            clean[i] = (unsigned char)e->message[i] < 0x80 ? e->message[i] : '?';
        clean[i] = '\0';
        msg = json_string(clean);
    }
    json_object_set_new(err, "message", msg);
    json_object_set_new(err, "type", string_or_null(e->type ? e->type : "api_error"));
    json_object_set_new(err, "param", string_or_null(e->param[0] ? e->param : NULL));
    json_object_set_new(err, "code", string_or_null(e->code));
    if (e->extra != NULL)
        json_object_update(err, e->extra);
    json_t *root = json_pack("{s:o}", "error", err);
    char *body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    *len = body ? strlen(body) : 0;
    return body;
}
