/* json.c: the strict JSON parser of json.h, and its writers. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "runc/json.h"

#define JSON_MEMBERS_MAX 4096      /* keys of one object: duplicates are looked for */
#define JSON_ITEMS_MAX (1u << 20)  /* values of one array */
#define BLOCK_MIN (64u << 10)

struct json_block {
    struct json_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

struct parser {
    struct json_doc *doc;
    const unsigned char *p, *end, *start;
    char *err;
    size_t errlen;
    bool failed;
};

/* Memory of the document, 16-byte aligned; NULL when out of memory. */
static void *arena(struct json_doc *doc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct json_block *b = doc->blocks;
    if (!b || b->size - b->used < n) {
        size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
        b = malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->size = size;
        b->used = 0;
        b->next = doc->blocks;
        doc->blocks = b;
    }
    void *r = b->data + b->used;
    b->used += n;
    return r;
}

void *json_alloc(struct json_doc *doc, size_t n)
{
    void *p = arena(doc, n ? n : 1);
    if (p)
        memset(p, 0, n);
    return p;
}

void json_free(struct json_doc *doc)
{
    while (doc->blocks) {
        struct json_block *n = doc->blocks->next;
        free(doc->blocks);
        doc->blocks = n;
    }
    doc->nodes = 0;
}

/* The first error wins; it names where it was seen, as line and column. */
static void *fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return NULL;
    ps->failed = true;
    unsigned line = 1, col = 1;
    for (const unsigned char *q = ps->start; q < ps->p && q < ps->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    int n = snprintf(ps->err, ps->errlen, "line %u, column %u: ", line, col);
    if (n >= 0 && (size_t)n < ps->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return NULL;
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static struct json *new_node(struct parser *ps, enum json_type t)
{
    struct json *j = arena(ps->doc, sizeof(*j));
    if (!j)
        return fail(ps, "out of memory");
    memset(j, 0, sizeof(*j));
    j->type = t;
    ps->doc->nodes++;
    return j;
}

static int hex4(const unsigned char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(unsigned char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xc0 | (c >> 6));
        o[1] = (unsigned char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (c >> 12));
        o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (c & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (c >> 18));
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (c & 0x3f));
    return 4;
}

/*
 * One well-formed UTF-8 sequence at p (no overlong form, no surrogate, at most
 * U+10FFFF): its length, or 0.
 */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n;
    uint32_t v, min;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2; v = c & 0x1f; min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3; v = c & 0x0f; min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4; v = c & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return 0;
    return n;
}

/* A string at ps->p (on its opening quote), decoded into the arena. */
static const char *parse_string(struct parser *ps, size_t *lenp)
{
    const unsigned char *q = ++ps->p;
    /* Decoded, it is never longer than its text: one pass finds the end. */
    while (q < ps->end && *q != '"') {
        if (*q == '\\' && q + 1 < ps->end)
            q++;
        q++;
    }
    if (q >= ps->end)
        return fail(ps, "unterminated string");
    unsigned char *out = arena(ps->doc, (size_t)(q - ps->p) + 1);
    if (!out)
        return fail(ps, "out of memory");
    size_t n = 0;
    while (*ps->p != '"') {
        unsigned c = *ps->p;
        if (c < 0x20)
            return fail(ps, "control character 0x%02x in a string", c);
        if (c >= 0x80) {
            size_t l = utf8_len(ps->p, ps->end);
            if (!l)
                return fail(ps, "invalid UTF-8 in a string");
            memcpy(out + n, ps->p, l);
            n += l;
            ps->p += l;
            continue;
        }
        if (c != '\\') {
            out[n++] = (unsigned char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        c = *ps->p++;
        switch (c) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            int v = ps->end - ps->p >= 4 ? hex4(ps->p) : -1;
            if (v < 0)
                return fail(ps, "bad \\u escape");
            ps->p += 4;
            uint32_t cp = (uint32_t)v;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return fail(ps, "lone low surrogate \\u%04x", cp);
            if (cp >= 0xd800 && cp <= 0xdbff) {
                int lo = ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u'
                             ? hex4(ps->p + 2) : -1;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return fail(ps, "high surrogate \\u%04x without its low half", cp);
                ps->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
            }
            if (cp == 0)
                return fail(ps, "NUL (\\u0000) in a string");
            n += put_utf8(out + n, cp);
            break;
        }
        default:
            ps->p--;
            return fail(ps, "bad escape \\%c", c >= 0x20 && c < 0x7f ? (int)c : '?');
        }
    }
    ps->p++; /* the closing quote */
    out[n] = 0;
    *lenp = n;
    return (const char *)out;
}

static struct json *parse_number(struct parser *ps)
{
    const unsigned char *s = ps->p;
    struct json *j = new_node(ps, JSON_NUMBER);
    if (!j)
        return NULL;
    bool neg = false, frac = false;
    if (ps->p < ps->end && *ps->p == '-') {
        neg = true;
        ps->p++;
    }
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return fail(ps, "bad number");
    uint64_t u = 0;
    bool fits = true;
    if (*ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            return fail(ps, "leading zero in a number");
    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            unsigned d = *ps->p++ - '0';
            if (u > (UINT64_MAX - d) / 10)
                fits = false;
            else
                u = u * 10 + d;
        }
    }
    if (ps->p < ps->end && *ps->p == '.') {
        frac = true;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "bad fraction in a number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        frac = true;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fail(ps, "bad exponent in a number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    size_t len = (size_t)(ps->p - s);
    char *text = arena(ps->doc, len + 1);
    if (!text)
        return fail(ps, "out of memory");
    memcpy(text, s, len);
    text[len] = 0;
    j->s = text;
    j->n = len;
    if (!frac && fits && (!neg || u <= (uint64_t)INT64_MAX + 1)) {
        j->is_int = true;
        j->neg = neg && u != 0;
        j->u = j->neg ? 0 : u;
        j->i = j->neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) : 0;
    }
    return j;
}

static bool literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
        return false;
    ps->p += n;
    return true;
}

static struct json *parse_value(struct parser *ps, unsigned depth);

/* A growing list of values (and keys), copied into the arena once complete. */
struct list {
    struct json **items;
    const char **keys;
    size_t n, cap;
};

static bool list_add(struct list *l, struct json *v, const char *k)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct json **ni = realloc(l->items, cap * sizeof(*ni));
        if (!ni)
            return false;
        l->items = ni;
        const char **nk = realloc(l->keys, cap * sizeof(*nk));
        if (!nk)
            return false;
        l->keys = nk;
        l->cap = cap;
    }
    l->items[l->n] = v;
    l->keys[l->n] = k;
    l->n++;
    return true;
}

static struct json *list_finish(struct parser *ps, struct list *l, struct json *j, bool keys)
{
    j->n = l->n;
    if (l->n) {
        j->items = arena(ps->doc, l->n * sizeof(*j->items));
        if (!j->items)
            return fail(ps, "out of memory");
        memcpy(j->items, l->items, l->n * sizeof(*j->items));
        if (keys) {
            j->keys = arena(ps->doc, l->n * sizeof(*j->keys));
            if (!j->keys)
                return fail(ps, "out of memory");
            memcpy(j->keys, l->keys, l->n * sizeof(*j->keys));
        }
    }
    return j;
}

static struct json *parse_array(struct parser *ps, unsigned depth)
{
    struct json *j = new_node(ps, JSON_ARRAY);
    struct list l = {0};
    ps->p++;
    skip_ws(ps);
    if (j && ps->p < ps->end && *ps->p == ']') {
        ps->p++;
        return j;
    }
    while (j) {
        struct json *v = parse_value(ps, depth + 1);
        if (!v) {
            j = NULL;
            break;
        }
        if (l.n == JSON_ITEMS_MAX || !list_add(&l, v, NULL)) {
            j = fail(ps, l.n == JSON_ITEMS_MAX ? "more than %u values in an array" :
                     "out of memory", JSON_ITEMS_MAX);
            break;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            j = list_finish(ps, &l, j, false);
            break;
        }
        j = fail(ps, "expected ',' or ']' in an array");
    }
    free(l.items);
    free(l.keys);
    return j;
}

static struct json *parse_object(struct parser *ps, unsigned depth)
{
    struct json *j = new_node(ps, JSON_OBJECT);
    struct list l = {0};
    ps->p++;
    skip_ws(ps);
    if (j && ps->p < ps->end && *ps->p == '}') {
        ps->p++;
        return j;
    }
    while (j) {
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"') {
            j = fail(ps, "expected a string as a key");
            break;
        }
        size_t klen;
        const char *k = parse_string(ps, &klen);
        if (!k) {
            j = NULL;
            break;
        }
        bool dup = false;
        for (size_t i = 0; i < l.n && !dup; i++)
            dup = !strcmp(l.keys[i], k);
        if (dup) {
            j = fail(ps, "duplicate key \"%.64s\"", k);
            break;
        }
        skip_ws(ps);
        if (ps->p >= ps->end || *ps->p != ':') {
            j = fail(ps, "expected ':' after a key");
            break;
        }
        ps->p++;
        struct json *v = parse_value(ps, depth + 1);
        if (!v) {
            j = NULL;
            break;
        }
        if (l.n == JSON_MEMBERS_MAX || !list_add(&l, v, k)) {
            j = fail(ps, l.n == JSON_MEMBERS_MAX ? "more than %u keys in an object" :
                     "out of memory", JSON_MEMBERS_MAX);
            break;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == '}') {
            ps->p++;
            j = list_finish(ps, &l, j, true);
            break;
        }
        j = fail(ps, "expected ',' or '}' in an object");
    }
    free(l.items);
    free(l.keys);
    return j;
}

static struct json *parse_value(struct parser *ps, unsigned depth)
{
    if (depth > JSON_DEPTH_MAX)
        return fail(ps, "nested deeper than %u", JSON_DEPTH_MAX);
    skip_ws(ps);
    if (ps->p >= ps->end)
        return fail(ps, "unexpected end of the text");
    struct json *j;
    switch (*ps->p) {
    case '{':
        return parse_object(ps, depth);
    case '[':
        return parse_array(ps, depth);
    case '"': {
        size_t n;
        const char *s = parse_string(ps, &n);
        if (!s || !(j = new_node(ps, JSON_STRING)))
            return NULL;
        j->s = s;
        j->n = n;
        return j;
    }
    case 't':
    case 'f':
        if (!literal(ps, "true") && !literal(ps, "false"))
            return fail(ps, "unknown word");
        if (!(j = new_node(ps, JSON_BOOL)))
            return NULL;
        j->b = ps->p[-1] == 'e' && ps->p[-2] == 'u';
        return j;
    case 'n':
        if (!literal(ps, "null"))
            return fail(ps, "unknown word");
        return new_node(ps, JSON_NULL);
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
            return parse_number(ps);
        return fail(ps, "unexpected character '%c'",
                    *ps->p >= 0x20 && *ps->p < 0x7f ? *ps->p : '?');
    }
}

const struct json *json_parse(struct json_doc *doc, const char *text, size_t len, char *err,
                              size_t errlen)
{
    memset(doc, 0, sizeof(*doc));
    struct parser ps = {.doc = doc, .p = (const unsigned char *)text,
                        .start = (const unsigned char *)text,
                        .end = (const unsigned char *)text + len, .err = err, .errlen = errlen};
    if (errlen)
        err[0] = 0;
    if (len > JSON_TEXT_MAX)
        return fail(&ps, "more than %u bytes", JSON_TEXT_MAX);
    struct json *root = parse_value(&ps, 0);
    if (!root)
        return NULL;
    skip_ws(&ps);
    if (ps.p != ps.end)
        return fail(&ps, "text after the value");
    return root;
}

const struct json *json_get(const struct json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (!strcmp(obj->keys[i], key))
            return obj->items[i];
    return NULL;
}

void json_put_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}
