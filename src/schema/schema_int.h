/* Internals shared by the schema module's files: the compiled node layout (compile.c builds it,
 * validate.c walks it), JSON equality and the format checkers. */
#ifndef WARDEN_SCHEMA_INT_H
#define WARDEN_SCHEMA_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <jansson.h>
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/schema.h"

/* Bits of schema_node.types; integer is a separate bit because "number" admits it too. */
enum {
    SCHEMA_T_NULL = 1 << 0,
    SCHEMA_T_BOOLEAN = 1 << 1,
    SCHEMA_T_OBJECT = 1 << 2,
    SCHEMA_T_ARRAY = 1 << 3,
    SCHEMA_T_NUMBER = 1 << 4,
    SCHEMA_T_STRING = 1 << 5,
    SCHEMA_T_INTEGER = 1 << 6,
};

enum schema_format {
    SCHEMA_FMT_NONE = 0,
    SCHEMA_FMT_DATE_TIME,
    SCHEMA_FMT_DATE,
    SCHEMA_FMT_TIME,
    SCHEMA_FMT_EMAIL,
    SCHEMA_FMT_URI,
    SCHEMA_FMT_UUID,
    SCHEMA_FMT_IPV4,
    SCHEMA_FMT_IPV6,
};

/* A numeric keyword value; integers are kept exact so big integer bounds compare exactly. */
struct schema_num {
    int set;
    int is_int;
    json_int_t i;
    double d;
};

struct schema_node;

struct schema_prop {
    const char *name; /* points into the schema's own copy of the document */
    size_t len;
    struct schema_node *node;
};

struct schema_regex {
    pcre2_code *re;
    const char *src;
};

struct schema_pattern_prop {
    struct schema_regex rx;
    struct schema_node *node;
};

struct schema_strlist {
    const char *name; /* the property that triggers the dependency */
    size_t len;
    const char **names;
    size_t *lens;
    size_t n;
};

struct schema_node {
    char *path;     /* keyword location of this node, "#/properties/a" */
    int boolean;    /* -1 for an object schema, 0/1 for false/true */
    unsigned types; /* 0: no "type" keyword */
    const json_t *enum_vals;
    const json_t *const_val;
    int has_const;

    struct schema_prop *props; /* sorted by (len, bytes) for bsearch */
    size_t nprops;
    struct schema_pattern_prop *pprops;
    size_t npprops;
    struct schema_node *addl_props;
    struct schema_node *prop_names;
    struct schema_strlist required; /* name unused */
    struct schema_strlist *dep_req;
    size_t ndep_req;
    struct schema_prop *dep_schemas;
    size_t ndep_schemas;
    json_int_t min_props, max_props; /* -1: absent */

    struct schema_node **prefix;
    size_t nprefix;
    struct schema_node *items; /* applies to the elements after the prefix */
    struct schema_node *contains;
    json_int_t min_contains, max_contains;
    json_int_t min_items, max_items;
    int unique;

    json_int_t min_len, max_len;
    struct schema_regex pattern;
    enum schema_format format;

    struct schema_num minimum, maximum, ex_minimum, ex_maximum, multiple_of;

    struct schema_node **all_of, **any_of, **one_of;
    size_t nall_of, nany_of, none_of;
    struct schema_node *not_, *if_, *then_, *else_;
    struct schema_node *ref;
    const char *ref_str;
};

struct schema {
    json_t *doc; /* private deep copy: node strings point into it */
    struct schema_node *root;
    struct schema_node **nodes; /* every node, for schema_free */
    size_t nnodes, capnodes;
    int flags;
    pcre2_match_context *mctx; /* match limits against catastrophic backtracking; read-only */
};

/* JSON equality as JSON Schema defines it: numbers compare by value (1 == 1.0). */
int schema_json_equal(const json_t *a, const json_t *b);

/* Format checkers: 1 if s (len bytes) is valid. */
int schema_format_check(enum schema_format f, const char *s, size_t len);
enum schema_format schema_format_lookup(const char *name);
const char *schema_format_name(enum schema_format f);

#endif
