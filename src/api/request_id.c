/* Request ids (request_id.h). */
#include <stdint.h>
#include <string.h>

#include "api/request_id.h"
#include "util/clock.h"
#include "util/fmt.h"

int api_request_id_ok(const char *v, size_t len)
{
    if (len == 0 || len > API_REQUEST_ID_MAX)
        return 0;
    for (size_t k = 0; k < len; k++)
        if (v[k] <= 0x20 || v[k] >= 0x7f || v[k] == '"' || v[k] == '\\')
            return 0;
    return 1;
}

size_t api_request_id(const h2o_headers_t *headers, char out[API_REQUEST_ID_SIZE])
{
    ssize_t i = headers != NULL ? h2o_find_header_by_str(headers, H2O_STRLIT("x-request-id"), -1) : -1;
    if (i >= 0) {
        h2o_iovec_t v = headers->entries[i].value;
        if (api_request_id_ok(v.base, v.len)) {
            memcpy(out, v.base, v.len);
            out[v.len] = '\0';
            return v.len;
        }
    }
    static __thread uint64_t seq;
    static __thread uint64_t salt;
    if (salt == 0) /* the time and this thread's own address: workers start at the same time */
        salt = (util_now_ns() ^ ((uint64_t)(uintptr_t)&seq << 40)) | 1;
    seq++;
    memcpy(out, "req_", 4);
    util_fmt_hex(out + 4, salt, 12);
    util_fmt_hex(out + 16, seq, 8);
    out[24] = '\0';
    return 24;
}
