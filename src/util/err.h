/* Warden error codes.
 *
 * Functions return 0 on success or a negative WARDEN_E* code, as libuv does
 * with UV_E*. warden_strerror() names a code for logs and error bodies. */
#ifndef WARDEN_UTIL_ERR_H
#define WARDEN_UTIL_ERR_H

#include <stddef.h>

enum warden_err {
    WARDEN_OK = 0,
    WARDEN_ENOMEM = -1,      /* allocation failed (only where we chose not to abort) */
    WARDEN_EINVAL = -2,      /* bad argument or malformed input */
    WARDEN_ETOOBIG = -3,     /* a capped buffer or limit was exceeded */
    WARDEN_EIO = -4,         /* an OS call failed; errno carries the detail */
    WARDEN_ECONFIG = -5,     /* the configuration is invalid */
    WARDEN_EUPSTREAM = -6,   /* the upstream failed (connect, protocol, status) */
    WARDEN_ETIMEDOUT = -7,   /* a deadline passed */
    WARDEN_ECANCELED = -8,   /* the operation was cancelled before it completed */
    WARDEN_ENOTFOUND = -9,   /* a named thing does not exist */
    WARDEN_EGUARD = -10,     /* a guardrail blocked the request */
    WARDEN_EOVERLOAD = -11,  /* a queue or concurrency limit is full */
    WARDEN_ESCHEMA = -12,    /* a JSON Schema is invalid or an instance failed it */
};

const char *warden_strerror(int code);

/* Writes a message into a caller's error buffer (err, errsz), the convention of
 * functions that report why they failed; does nothing when err is NULL or errsz 0. */
void util_set_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
