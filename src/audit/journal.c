/* The journal file; see journal.h for the frame layout and the replay protocol. */
#include "audit/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "util/alloc.h"
#include "util/err.h"
#include "util/log.h"

#define FRAME_HEAD 8
#define FRAME_MAX (64u << 20) /* a frame longer than this is corruption, not a record */

struct audit_journal {
    pthread_mutex_t mu;
    int fd;
    char *path;
    uint64_t max_bytes;
    uint64_t size;      /* bytes of whole frames */
    uint64_t read_off;  /* first unconsumed frame */
    uint64_t read_next; /* end of the frames handed out by the last read() */
    int dirty;          /* appended since the last sync */
    struct audit_journal_stats st;
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/* Reads the frame at off: 1 with its payload in *buf (grown as needed), 0 at a clean end,
 * -1 at a torn or corrupt frame. */
static int read_frame(int fd, uint64_t off, uint64_t file_size, uint8_t **buf, size_t *cap, uint32_t *len)
{
    if (off == file_size)
        return 0;
    uint8_t head[FRAME_HEAD];
    if (file_size - off < FRAME_HEAD || pread(fd, head, FRAME_HEAD, (off_t)off) != FRAME_HEAD)
        return -1;
    uint32_t n = le32(head), crc = le32(head + 4);
    if (n == 0 || n > FRAME_MAX || file_size - off - FRAME_HEAD < n)
        return -1;
    if (*cap < n) {
        *buf = util_realloc(*buf, n);
        *cap = n;
    }
    if (pread(fd, *buf, n, (off_t)(off + FRAME_HEAD)) != (ssize_t)n || crc_of(*buf, n) != crc)
        return -1;
    *len = n;
    return 1;
}

struct audit_journal *audit_journal_open(const char *path, uint64_t max_bytes, char *err, size_t errsz)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        util_set_err(err, errsz, "audit journal %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        util_set_err(err, errsz, "audit journal %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    struct audit_journal *j = util_calloc(1, sizeof(*j));
    pthread_mutex_init(&j->mu, NULL);
    j->fd = fd;
    j->path = util_strdup(path);
    j->max_bytes = max_bytes;
    /* check every frame; cut at the first bad one (a torn write from a crash) */
    uint64_t file_size = (uint64_t)sb.st_size, off = 0;
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint32_t len;
    int rc;
    while ((rc = read_frame(fd, off, file_size, &buf, &cap, &len)) == 1) {
        off += FRAME_HEAD + len;
        j->st.recovered++;
    }
    free(buf);
    if (rc < 0) {
        j->st.discarded_bytes = file_size - off;
        LOG_WARN("audit", "journal %s: cut %llu bytes of torn or corrupt frames at offset %llu", path,
                 (unsigned long long)j->st.discarded_bytes, (unsigned long long)off);
        if (ftruncate(fd, (off_t)off) != 0) {
            util_set_err(err, errsz, "audit journal %s: truncate: %s", path, strerror(errno));
            audit_journal_close(j);
            return NULL;
        }
        fdatasync(fd);
    }
    j->size = off;
    j->read_off = j->read_next = 0;
    return j;
}

void audit_journal_close(struct audit_journal *j)
{
    if (j == NULL)
        return;
    if (j->dirty)
        fdatasync(j->fd);
    close(j->fd);
    pthread_mutex_destroy(&j->mu);
    free(j->path);
    free(j);
}

int audit_journal_append(struct audit_journal *j, const struct audit_record *recs, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += FRAME_HEAD + audit_record_encoded_max(&recs[i]);
    uint8_t *buf = util_malloc(total ? total : 1), *p = buf;
    for (size_t i = 0; i < n; i++) {
        size_t len = audit_record_encode(&recs[i], p + FRAME_HEAD);
        put_le32(p, (uint32_t)len);
        put_le32(p + 4, crc_of(p + FRAME_HEAD, len));
        p += FRAME_HEAD + len;
    }
    size_t bytes = (size_t)(p - buf);
    pthread_mutex_lock(&j->mu);
    int rc = 0;
    if (j->size + bytes > j->max_bytes) {
        rc = WARDEN_ETOOBIG;
    } else {
        size_t done = 0;
        while (done < bytes) {
            ssize_t w = pwrite(j->fd, buf + done, bytes - done, (off_t)(j->size + done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = (w < 0 && (errno == ENOSPC || errno == EDQUOT)) ? WARDEN_ETOOBIG : WARDEN_EIO;
                break;
            }
            done += (size_t)w;
        }
        if (rc == 0) {
            j->size += bytes;
            j->dirty = 1;
        } else if (ftruncate(j->fd, (off_t)j->size) != 0) {
            /* the partial frame stays; open() cuts it on the next start */
        }
    }
    pthread_mutex_unlock(&j->mu);
    free(buf);
    return rc;
}

int audit_journal_sync(struct audit_journal *j)
{
    pthread_mutex_lock(&j->mu);
    int rc = 0;
    if (j->dirty) {
        rc = fdatasync(j->fd) == 0 ? 0 : WARDEN_EIO;
        if (rc == 0)
            j->dirty = 0;
    }
    pthread_mutex_unlock(&j->mu);
    return rc;
}

size_t audit_journal_read(struct audit_journal *j, struct audit_record *out, size_t max)
{
    pthread_mutex_lock(&j->mu);
    uint64_t off = j->read_off;
    size_t n = 0;
    uint8_t *buf = NULL;
    size_t cap = 0;
    uint32_t len;
    while (n < max && read_frame(j->fd, off, j->size, &buf, &cap, &len) == 1) {
        off += FRAME_HEAD + len;
        if (audit_record_decode(buf, len, &out[n]) == 0)
            n++;
        else
            LOG_WARN("audit", "journal %s: skipped an undecodable record", j->path);
    }
    free(buf);
    j->read_next = off;
    pthread_mutex_unlock(&j->mu);
    return n;
}

void audit_journal_consumed(struct audit_journal *j)
{
    pthread_mutex_lock(&j->mu);
    j->read_off = j->read_next;
    if (j->read_off == j->size && j->size > 0) {
        if (ftruncate(j->fd, 0) == 0) {
            j->size = j->read_off = j->read_next = 0;
            j->dirty = 1;
        }
    }
    pthread_mutex_unlock(&j->mu);
}

void audit_journal_unread(struct audit_journal *j)
{
    pthread_mutex_lock(&j->mu);
    j->read_next = j->read_off;
    pthread_mutex_unlock(&j->mu);
}

void audit_journal_get_stats(struct audit_journal *j, struct audit_journal_stats *st)
{
    pthread_mutex_lock(&j->mu);
    *st = j->st;
    st->bytes = j->size;
    st->pending_bytes = j->size - j->read_off;
    pthread_mutex_unlock(&j->mu);
}
