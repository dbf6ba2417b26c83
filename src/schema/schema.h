/* JSON Schema validation (draft 2020-12; draft-07 documents accepted) on jansson + PCRE2.
 *
 * schema_compile() turns a schema document into an immutable tree of flat nodes (one struct per
 * subschema, every keyword already parsed, every regex compiled once), resolving all local
 * $ref/$anchor/$id references up front. Validation never looks a keyword up by name, so a compiled
 * schema may be shared by any number of threads validating at once.
 *
 * Supported: type enum const properties required additionalProperties patternProperties
 * propertyNames items prefixItems (draft-07 array items + additionalItems) contains minContains
 * maxContains min/maxItems min/maxLength (code points) min/maxProperties uniqueItems minimum maximum
 * exclusiveMinimum exclusiveMaximum multipleOf pattern allOf anyOf oneOf not if/then/else
 * dependentRequired dependentSchemas dependencies $ref $defs definitions $anchor $id, boolean
 * schemas, and format (date-time date time email uri uuid ipv4 ipv6) asserted only with
 * SCHEMA_FORMAT_ASSERT. Not supported: unevaluatedProperties/unevaluatedItems, $dynamicRef,
 * $recursiveRef (ignored as unknown keywords) and remote references (a $ref that does not resolve
 * inside the document is a compile error).
 *
 * Dialect: a root "$schema" naming draft-07/06/04 or the SCHEMA_DRAFT7 flag selects draft-07 rules
 * ($ref ignores its siblings, "$id": "#name" is an anchor); otherwise 2020-12 rules apply. */
#ifndef WARDEN_SCHEMA_H
#define WARDEN_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

struct schema; /* compiled and immutable: safe to share across threads for validation */
struct schema_cache;

enum {
    SCHEMA_FORMAT_ASSERT = 1, /* "format" fails validation instead of being an annotation */
    SCHEMA_DRAFT7 = 2,        /* treat a document without "$schema" as draft-07 */
};

/* Returns NULL and writes a message naming the problem and where it is into err, e.g.
 * `unknown $ref "#/$defs/x" at #/properties/a` or `minLength must be a non-negative integer at
 * #/properties/a`. The document is copied: the caller keeps ownership of doc. */
struct schema *schema_compile(const json_t *doc, int flags, char *err, size_t errsz);
void schema_free(struct schema *s);

struct schema_error {
    char *instance_path; /* JSON pointer into the instance, "" for the root */
    char *schema_path;   /* "#/properties/tags/items/type" (the location after following $ref) */
    char *message;       /* "expected string, got integer" */
};

struct schema_errors {
    struct schema_error *items;
    size_t count;
    size_t max; /* the caller sets the cap before validating; 0 means 20 */
};

/* Returns 0 if instance is valid, WARDEN_ESCHEMA if not. With errs == NULL validation stops at the
 * first failure; otherwise up to errs->max errors are appended to errs (free them with
 * schema_errors_free, which leaves the struct reusable). */
int schema_validate(const struct schema *s, const json_t *instance, struct schema_errors *errs);
void schema_errors_free(struct schema_errors *e);
/* "/tags/2: expected string, got integer (at #/properties/tags/items/type)" joined by "; "; the root
 * instance is shown as "(root)". The caller frees the string. Returns "" (allocated) when empty. */
char *schema_errors_format(const struct schema_errors *e);

/* Compiled schemas keyed by a hash of the canonical text (json_dumps JSON_SORT_KEYS|JSON_COMPACT)
 * plus flags, so key order does not matter. Thread-safe; bounded to max_entries (least recently used
 * unreferenced entries are evicted); entries are refcounted so a schema in use is never freed. */
struct schema_cache *schema_cache_create(size_t max_entries);
/* Every schema obtained from the cache must have been released first. */
void schema_cache_destroy(struct schema_cache *c);
/* Returns a referenced compiled schema, or NULL with err filled if the document does not compile. */
const struct schema *schema_cache_get(struct schema_cache *c, const json_t *doc, int flags, char *err, size_t errsz);
void schema_cache_release(struct schema_cache *c, const struct schema *s);

#endif
