/*
 * json.h: a small, strict JSON parser (RFC 8259) for config.json and our own state
 * files, which are hostile input: no extension of the grammar, UTF-8 checked, limits
 * on depth, size and counts, duplicate keys refused, and no allocation per node (one
 * arena per document, freed at once). And the few writers the runtime needs.
 */
#ifndef UKMON_RUNC_JSON_H
#define UKMON_RUNC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 64          /* nesting of arrays and objects */
#define JSON_TEXT_MAX (16u << 20)  /* bytes of one document */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
    enum json_type type;
    bool b;                  /* JSON_BOOL */
    /*
     * JSON_NUMBER: is_int when it is an integer that fits int64 or uint64 (neg says
     * which); the value then in i (negative) or u. Other numbers keep only their text.
     */
    bool is_int, neg;
    int64_t i;
    uint64_t u;
    const char *s;           /* JSON_STRING: the value, NUL-terminated (no NUL inside);
                              * JSON_NUMBER: its text */
    size_t n;                /* ARRAY, OBJECT: how many items; STRING: its length */
    struct json **items;     /* ARRAY, OBJECT: the values */
    const char **keys;       /* OBJECT: the keys, in order */
};

struct json_block;
struct json_doc {
    struct json_block *blocks;   /* the arena: everything of the document */
    size_t nodes;                /* how many values it has */
};

/*
 * Parses text[0..len) into doc; the root value, or NULL with a message in err
 * ("line 3, column 14: ..."). json_free() the doc in both cases.
 */
const struct json *json_parse(struct json_doc *doc, const char *text, size_t len, char *err,
                              size_t errlen);
void json_free(struct json_doc *doc);
/* n zeroed bytes that live as long as the document (NULL when out of memory). */
void *json_alloc(struct json_doc *doc, size_t n);

/* The value of `key` in an object, or NULL (also when obj is no object). */
const struct json *json_get(const struct json *obj, const char *key);

/* Writers: a string with JSON's escapes (quotes included). */
void json_put_string(FILE *f, const char *s);

#endif
