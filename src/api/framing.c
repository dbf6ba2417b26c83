/* Request framing checks; the why is in framing.h. */
#include "api/framing.h"

#include <string.h>
#include <strings.h>

static int name_is(const char *line, size_t name_len, const char *name)
{
    return strlen(name) == name_len && strncasecmp(line, name, name_len) == 0;
}

static void trim(const char **v, size_t *len)
{
    while (*len > 0 && (**v == ' ' || **v == '\t')) {
        (*v)++;
        (*len)--;
    }
    while (*len > 0 && ((*v)[*len - 1] == ' ' || (*v)[*len - 1] == '\t' || (*v)[*len - 1] == '\r'))
        (*len)--;
}

const char *api_framing_problem(const char *head, size_t len)
{
    const char *p = head, *end = head + len;
    while (p < end && (*p == '\r' || *p == '\n')) /* the parser skips blank lines before a request */
        p++;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
        return NULL;
    p = nl + 1; /* past the request line */
    size_t n_te = 0, n_cl = 0;
    const char *cl = NULL;
    size_t cl_len = 0;
    int cl_differ = 0;
    while (p < end) {
        nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        size_t line_len = (size_t)(line_end - p);
        if (line_len > 0 && p[line_len - 1] == '\r')
            line_len--;
        if (line_len == 0)
            break; /* end of the head */
        const char *colon = (*p == ' ' || *p == '\t') ? NULL : memchr(p, ':', line_len); /* folded lines continue a value */
        if (colon != NULL) {
            size_t name_len = (size_t)(colon - p);
            const char *v = colon + 1;
            size_t vl = line_len - name_len - 1;
            trim(&v, &vl);
            if (name_is(p, name_len, "transfer-encoding")) {
                n_te++;
            } else if (name_is(p, name_len, "content-length")) {
                if (n_cl++ == 0) {
                    cl = v;
                    cl_len = vl;
                } else if (vl != cl_len || memcmp(v, cl, vl) != 0) {
                    cl_differ = 1;
                }
            }
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    if (n_te > 0 && n_cl > 0)
        return "the request has both Content-Length and Transfer-Encoding";
    if (n_te > 1)
        return "the request has more than one Transfer-Encoding header";
    if (cl_differ)
        return "the request has Content-Length headers with different values";
    return NULL;
}

const char *api_framing_problem_of_req(h2o_req_t *req)
{
    if (req->version >= 0x200 || req->conn->callbacks->get_socket == NULL)
        return NULL;
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL || sock->input == NULL)
        return NULL;
    size_t len = sock->input->size < H2O_MAX_REQLEN ? sock->input->size : H2O_MAX_REQLEN;
    return api_framing_problem(sock->input->bytes, len);
}
