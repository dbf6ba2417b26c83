#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *warden_strerror(int code)
{
    switch (code) {
    case WARDEN_OK: return "ok";
    case WARDEN_ENOMEM: return "out of memory";
    case WARDEN_EINVAL: return "invalid argument";
    case WARDEN_ETOOBIG: return "too large";
    case WARDEN_EIO: return "i/o error";
    case WARDEN_ECONFIG: return "invalid configuration";
    case WARDEN_EUPSTREAM: return "upstream error";
    case WARDEN_ETIMEDOUT: return "timed out";
    case WARDEN_ECANCELED: return "cancelled";
    case WARDEN_ENOTFOUND: return "not found";
    case WARDEN_EGUARD: return "blocked by guardrail";
    case WARDEN_EOVERLOAD: return "overloaded";
    case WARDEN_ESCHEMA: return "schema validation failed";
    }
    return "unknown error";
}

void util_set_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (!err || errsz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}
