/* Logging: one line per event on stderr, prefixed with level and module.
 * Prompts are never logged. util_log_raw writes a line as it is: the access
 * log (one JSON object per request, built by api/) goes through
 * server_access_log_write, which uses it when server.access_log is "-"
 * (stderr, the default) and writes to its own file descriptor otherwise. */
#ifndef WARDEN_UTIL_LOG_H
#define WARDEN_UTIL_LOG_H

#include <stddef.h>

enum util_log_level { UTIL_LOG_DEBUG, UTIL_LOG_INFO, UTIL_LOG_WARN, UTIL_LOG_ERROR };

void util_log_set_level(enum util_log_level level);
int util_log_enabled(enum util_log_level level);
void util_log(enum util_log_level level, const char *module, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes one complete line (a newline is added) atomically. */
void util_log_raw(const char *line, size_t len);

#define LOG_DEBUG(mod, ...) (util_log_enabled(UTIL_LOG_DEBUG) ? util_log(UTIL_LOG_DEBUG, mod, __VA_ARGS__) : (void)0)
#define LOG_INFO(mod, ...) util_log(UTIL_LOG_INFO, mod, __VA_ARGS__)
#define LOG_WARN(mod, ...) util_log(UTIL_LOG_WARN, mod, __VA_ARGS__)
#define LOG_ERROR(mod, ...) util_log(UTIL_LOG_ERROR, mod, __VA_ARGS__)

#endif
