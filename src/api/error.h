/* OpenAI-style error bodies: {"error":{"message","type","code","param"}}.
 *
 * Each request carries one struct api_error; the first error set wins
 * (later ones are usually consequences of the first). A later error that must
 * win over an earlier one says so with api_error_replace (a guardrail block
 * after an upstream error, the request's deadline, a drain, the schema verdict
 * after failed attempts). */
#ifndef WARDEN_API_ERROR_H
#define WARDEN_API_ERROR_H

#include <jansson.h>
#include <stddef.h>

struct api_error {
    int status;         /* 0 = no error */
    const char *type;   /* "invalid_request_error", "api_error", "guardrail_violation"... */
    const char *code;   /* may be NULL -> null */
    char param[128];    /* a copy (callers pass stack buffers and scan paths); "" -> null */
    char message[512];
    json_t *extra;      /* optional members merged into "error" (owned); e.g. "guardrail" */
};

/* Sets the error unless one is already set. Returns 1 if it was set. */
int api_error_set(struct api_error *e, int status, const char *type, const char *code, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Sets the error whatever was set before (the earlier one, and its extra, are dropped). */
void api_error_replace(struct api_error *e, int status, const char *type, const char *code, const char *param,
                       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Takes ownership of extra (even if the error was already set). */
void api_error_set_extra(struct api_error *e, json_t *extra);
/* Forgets the error and frees its extra (the end of the request). */
void api_error_clear(struct api_error *e);
/* Serialises the error as a JSON body; the caller frees the string. */
char *api_error_body(const struct api_error *e, size_t *len);

#endif
