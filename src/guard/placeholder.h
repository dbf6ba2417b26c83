/* Typed placeholders for one request: value <-> "<TYPE_n>".
 *
 * typed and reversible redaction put a placeholder where a value was found:
 * <EMAIL_ADDRESS_1>, <EMAIL_ADDRESS_2>, <PHONE_NUMBER_1>... numbered per
 * distinct value and type within the map, so the same address written twice
 * gets the same placeholder and the model can still tell two addresses apart.
 * A map lives for one request and is never stored or logged (it holds the
 * originals); free it when the request ends.
 *
 * What "the same value" means depends on the text it was found in:
 *   plain text   the bytes themselves: "http://a.b/x" and "http:\/\/a.b\/x" are two
 *                values with two placeholders, so restoring gives back exactly the
 *                bytes each one replaced (_add);
 *   JSON text    tool-call arguments, read by a JSON parser: a spelling stands for what
 *                its escapes decode to (util_json_unescape_once), so "\/" and "/" are one
 *                value (_add_json). A decoded view of the text (api/texts.h) then gets
 *                the same placeholders as the text itself, which is how api_scan checks
 *                that redacting the text redacts what its reader sees.
 * Either way the map keeps the value as a plain reader gets it. Restoring puts that value
 * back as is in plain text, and escaped for the inside of a JSON string in a JSON text
 * (_restore_json, guard_restorer_new_json): the same value, spelled the canonical way.
 *
 * Restoring (reversible mode) replaces each known placeholder in the
 * model's answer by its original. A placeholder the map does not know
 * (<EMAIL_ADDRESS_9>, or text that merely looks like one) is left as is.
 *
 * On a stream a placeholder may arrive split across chunks ("<EMAIL_AD" +
 * "DRESS_1>"): struct guard_restorer holds back only a tail that is still a
 * prefix of some known placeholder and releases everything else at once, so
 * it never buffers more than the longest placeholder (< 64 bytes).
 *
 * Order of use: guard_placeholders_new, _reserve for each text of the request,
 * _add for each finding (the redaction), then _restore or a restorer (the answer), then _free. A
 * restorer reads the map: free the restorer first. */
#ifndef WARDEN_GUARD_PLACEHOLDER_H
#define WARDEN_GUARD_PLACEHOLDER_H

#include <stddef.h>

struct util_buf;
struct guard_placeholders;
struct guard_restorer;

#define GUARD_PLACEHOLDER_MAX 64 /* "<" + type (< 40) + "_" + number + ">" */

struct guard_placeholders *guard_placeholders_new(void);
void guard_placeholders_free(struct guard_placeholders *p);
/* typed (not reversible) redaction: the map numbers the values but _restore and a
 * restorer never give the originals back. */
void guard_placeholders_set_one_way(struct guard_placeholders *p);

/* The placeholder for value (len bytes, found in plain text) of type (letters,
 * digits, '_', under 40 bytes): the existing one if this type and value were
 * added before, else a new <TYPE_n>. Returns a NUL-terminated string owned by
 * the map and its length in *ph_len, or NULL if type is not a valid placeholder type. */
const char *guard_placeholders_add(struct guard_placeholders *p, const char *type, const char *value, size_t len,
                                   size_t *ph_len);
/* The same for a spelling found in a JSON text (tool-call arguments): the value is what
 * its escapes decode to, so every spelling of one value gets one placeholder. */
const char *guard_placeholders_add_json(struct guard_placeholders *p, const char *type, const char *spelling, size_t len,
                                        size_t *ph_len);
size_t guard_placeholders_count(const struct guard_placeholders *p);
/* Marks every <TYPE_n> that text already spells as taken, so that _add never gives it to a
 * value: a placeholder-looking string the client typed itself ("<EMAIL_ADDRESS_1>") stays
 * distinct from the placeholders upstream, and the answer gives it back as typed, never as
 * a value. Call it with every text of the request (and each decoded view) before the first
 * _add; it does nothing after. */
void guard_placeholders_reserve(struct guard_placeholders *p, const char *text, size_t len);

/* A copy of text with every known placeholder replaced by its original
 * (malloc'd, NUL-terminated, length in *outlen); NULL when none occurs. */
char *guard_placeholders_restore(const struct guard_placeholders *p, const char *text, size_t len, size_t *outlen);
/* The same for a JSON text (an answer's tool-call arguments): originals go in escaped for
 * the inside of a JSON string, so a quote or a backslash in them keeps the JSON valid. */
char *guard_placeholders_restore_json(const struct guard_placeholders *p, const char *text, size_t len, size_t *outlen);

/* The inverse of _restore, for what is stored (audit records): a copy of text with
 * every original replaced by its placeholder, also where it appears JSON-escaped once
 * (a message's content) or twice (tool-call arguments); NULL when none occurs. */
char *guard_placeholders_hide(const struct guard_placeholders *p, const char *text, size_t len, size_t *outlen);

struct guard_restorer *guard_restorer_new(const struct guard_placeholders *p);
/* For a text that is JSON (streamed tool-call arguments): originals go out escaped for
 * the inside of a JSON string, so a quote or a backslash in them keeps the JSON valid. */
struct guard_restorer *guard_restorer_new_json(const struct guard_placeholders *p);
/* Takes the next bytes of the stream; appends to out everything that can be
 * released (originals restored). Returns 0 or WARDEN_ETOOBIG if out is full. */
int guard_restorer_feed(struct guard_restorer *r, const char *in, size_t len, struct util_buf *out);
/* The stream ended: releases what was held back (an unfinished placeholder, as is). */
int guard_restorer_finish(struct guard_restorer *r, struct util_buf *out);
/* Bytes currently held back (for tests and metrics). */
size_t guard_restorer_pending(const struct guard_restorer *r);
void guard_restorer_free(struct guard_restorer *r);

#endif
