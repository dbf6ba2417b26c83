#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static enum util_log_level min_level = UTIL_LOG_INFO;

void util_log_set_level(enum util_log_level level)
{
    min_level = level;
}

int util_log_enabled(enum util_log_level level)
{
    return level >= min_level;
}

void util_log(enum util_log_level level, const char *module, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    if (level < min_level)
        return;
    char line[2048];
    int n = snprintf(line, sizeof(line), "warden %s [%s] ", names[level], module);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof(line))
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    util_log_raw(line, (size_t)n);
}

void util_log_raw(const char *line, size_t len)
{
    /* one writev keeps lines from different threads whole (stderr is a pipe or tty) */
    struct iovec iov[2] = {{(void *)line, len}, {"\n", 1}};
    ssize_t r = writev(STDERR_FILENO, iov, 2);
    (void)r;
}
