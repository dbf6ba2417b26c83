#include "api/sse.h"

#include <string.h>

#include "util/err.h"

void sse_parser_init(struct sse_parser *p, size_t max_event)
{
    util_buf_init(&p->line, max_event);
    util_buf_init(&p->data, max_event);
    p->event_bytes = 0;
    p->overflow = 0;
}

void sse_parser_free(struct sse_parser *p)
{
    util_buf_free(&p->line);
    util_buf_free(&p->data);
}

static int end_line(struct sse_parser *p, sse_event_cb cb, void *ud)
{
    const char *l = p->line.data ? p->line.data : "";
    size_t n = p->line.len;
    if (n > 0 && l[n - 1] == '\r')
        n--;
    int rc = 0;
    if (n == 0) {
        /* blank line: dispatch the event, if it had data */
        if (p->data.len > 0 || p->data.data != NULL)
            rc = cb(ud, p->data.data ? p->data.data : "", p->data.len);
        util_buf_free(&p->data);
        util_buf_init(&p->data, p->line.limit);
        p->event_bytes = 0;
    } else if (n >= 5 && memcmp(l, "data:", 5) == 0) {
        const char *v = l + 5;
        size_t vn = n - 5;
        if (vn > 0 && *v == ' ') {
            v++;
            vn--;
        }
        if (p->data.data != NULL && util_buf_append(&p->data, "\n", 1) != 0)
            p->overflow = 1;
        if (util_buf_append(&p->data, v, vn) != 0)
            p->overflow = 1;
        if (p->data.data == NULL) /* an empty data line still marks the event as having data */
            util_buf_append(&p->data, "", 0);
    }
    /* comments (":") and other fields (event, id, retry) are ignored */
    util_buf_reset(&p->line);
    return rc;
}

int sse_parser_feed(struct sse_parser *p, const char *bytes, size_t len, sse_event_cb cb, void *ud)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(bytes + i, '\n', len - i);
        size_t take = nl ? (size_t)(nl - (bytes + i)) : len - i;
        if (util_buf_append(&p->line, bytes + i, take) != 0) {
            p->overflow = 1;
            return WARDEN_ETOOBIG;
        }
        p->event_bytes += take + (nl ? 1 : 0);
        i += take;
        if (nl) {
            i++;
            int rc = end_line(p, cb, ud);
            if (rc != 0)
                return rc;
            if (p->overflow)
                return WARDEN_ETOOBIG;
        }
    }
    return 0;
}
