/* spec.c: config.json (OCI runtime spec) read strictly into struct spec. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runc/spec.h"

const char *const spec_hook_names[HOOK_KINDS] = {
    [HOOK_PRESTART] = "prestart", [HOOK_CREATE_RUNTIME] = "createRuntime",
    [HOOK_CREATE_CONTAINER] = "createContainer", [HOOK_START_CONTAINER] = "startContainer",
    [HOOK_POSTSTART] = "poststart", [HOOK_POSTSTOP] = "poststop",
};

struct ctx {
    struct spec *s;
    char *err;
    size_t errlen;
};

static int bad(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct ctx *c, const char *fmt, ...)
{
    int n = snprintf(c->err, c->errlen, "config.json: ");
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < c->errlen)
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* An optional member of the expected type: 0 (absent: *out NULL), or -1. */
static int member(struct ctx *c, const struct json *obj, const char *key, enum json_type t,
                  const char *path, const struct json **out)
{
    static const char *const names[] = {"null", "a boolean", "a number", "a string",
                                        "an array", "an object"};
    *out = json_get(obj, key);
    if (!*out)
        return 0;
    if ((*out)->type == JSON_NULL) { /* as absent: Go's encoder writes null for nil */
        *out = NULL;
        return 0;
    }
    if ((*out)->type != t)
        return bad(c, "%s%s%s: expected %s, not %s", path, path[0] ? "." : "", key, names[t],
                   names[(*out)->type]);
    return 0;
}

static int get_string(struct ctx *c, const struct json *obj, const char *key, const char *path,
                      const char **out)
{
    const struct json *j;
    if (member(c, obj, key, JSON_STRING, path, &j) < 0)
        return -1;
    *out = j ? j->s : NULL;
    return 0;
}

static int get_bool(struct ctx *c, const struct json *obj, const char *key, const char *path,
                    bool *out)
{
    const struct json *j;
    if (member(c, obj, key, JSON_BOOL, path, &j) < 0)
        return -1;
    *out = j ? j->b : false;
    return 0;
}

/* An integer in [lo, hi]; absent leaves *out alone. */
static int get_int(struct ctx *c, const struct json *obj, const char *key, const char *path,
                   int64_t lo, uint64_t hi, bool *present, int64_t *out)
{
    const struct json *j;
    if (member(c, obj, key, JSON_NUMBER, path, &j) < 0)
        return -1;
    if (present)
        *present = j != NULL;
    if (!j)
        return 0;
    if (!j->is_int || (j->neg ? j->i < lo : j->u > hi))
        return bad(c, "%s.%s: %s is not an integer from %lld to %llu", path, key, j->s,
                   (long long)lo, (unsigned long long)hi);
    *out = j->neg ? j->i : (int64_t)j->u;
    return 0;
}

/* An array of strings, NULL-terminated, in the document's memory. */
static int get_strings(struct ctx *c, const struct json *obj, const char *key, const char *path,
                       size_t max, const char ***out, size_t *n)
{
    const struct json *j;
    *out = NULL;
    if (n)
        *n = 0;
    if (member(c, obj, key, JSON_ARRAY, path, &j) < 0)
        return -1;
    size_t cnt = j ? j->n : 0;
    if (cnt > max)
        return bad(c, "%s.%s: more than %zu entries", path, key, max);
    const char **v = json_alloc(&c->s->doc, (cnt + 1) * sizeof(*v));
    if (!v)
        return bad(c, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        if (j->items[i]->type != JSON_STRING)
            return bad(c, "%s.%s[%zu]: expected a string", path, key, i);
        v[i] = j->items[i]->s;
    }
    *out = v;
    if (n)
        *n = cnt;
    return 0;
}

static const struct { const char *name; int res; } rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA}, {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS}, {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_process(struct ctx *c, const struct json *p)
{
    struct spec *s = c->s;
    s->has_process = true;
    if (get_strings(c, p, "args", "process", SPEC_ARGS_MAX, &s->args, &s->nargs) < 0 ||
        get_strings(c, p, "env", "process", SPEC_ARGS_MAX, &s->env, NULL) < 0 ||
        get_string(c, p, "cwd", "process", &s->cwd) < 0 ||
        get_bool(c, p, "terminal", "process", &s->terminal) < 0 ||
        get_bool(c, p, "noNewPrivileges", "process", &s->no_new_privileges) < 0)
        return -1;
    if (s->nargs == 0)
        return bad(c, "process.args: must name the program (it is empty)");
    if (!s->cwd || s->cwd[0] != '/')
        return bad(c, "process.cwd: must be an absolute path");
    for (size_t i = 0; s->env[i]; i++)
        if (!strchr(s->env[i], '='))
            return bad(c, "process.env[%zu]: expected NAME=VALUE", i);
    const struct json *j;
    if (member(c, p, "consoleSize", JSON_OBJECT, "process", &j) < 0)
        return -1;
    if (j) {
        int64_t h = 0, w = 0;
        if (get_int(c, j, "height", "process.consoleSize", 0, 65535, NULL, &h) < 0 ||
            get_int(c, j, "width", "process.consoleSize", 0, 65535, NULL, &w) < 0)
            return -1;
        s->console_height = (unsigned)h;
        s->console_width = (unsigned)w;
    }
    if (member(c, p, "user", JSON_OBJECT, "process", &j) < 0)
        return -1;
    if (j) {
        int64_t uid = 0, gid = 0, um = 0;
        if (get_int(c, j, "uid", "process.user", 0, UINT32_MAX - 1, NULL, &uid) < 0 ||
            get_int(c, j, "gid", "process.user", 0, UINT32_MAX - 1, NULL, &gid) < 0 ||
            get_int(c, j, "umask", "process.user", 0, 0777, &s->has_umask, &um) < 0)
            return -1;
        s->uid = (uint32_t)uid;
        s->gid = (uint32_t)gid;
        s->umask = (uint32_t)um;
        const struct json *g;
        if (member(c, j, "additionalGids", JSON_ARRAY, "process.user", &g) < 0)
            return -1;
        if (g) {
            if (g->n > 64)
                return bad(c, "process.user.additionalGids: more than 64");
            s->gids = json_alloc(&s->doc, (g->n + 1) * sizeof(*s->gids));
            if (!s->gids)
                return bad(c, "out of memory");
            for (size_t i = 0; i < g->n; i++) {
                const struct json *e = g->items[i];
                if (e->type != JSON_NUMBER || !e->is_int || e->neg || e->u >= UINT32_MAX)
                    return bad(c, "process.user.additionalGids[%zu]: not a group id", i);
                s->gids[i] = (uint32_t)e->u;
            }
            s->ngids = g->n;
        }
    }
    if (member(c, p, "rlimits", JSON_ARRAY, "process", &j) < 0)
        return -1;
    for (size_t i = 0; j && i < j->n; i++) {
        const struct json *r = j->items[i];
        const char *type = NULL;
        if (r->type != JSON_OBJECT)
            return bad(c, "process.rlimits[%zu]: expected an object", i);
        if (get_string(c, r, "type", "process.rlimits[]", &type) < 0)
            return -1;
        int res = -1;
        for (size_t k = 0; type && k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
            if (!strcmp(rlimit_names[k].name, type))
                res = rlimit_names[k].res;
        if (res < 0)
            return bad(c, "process.rlimits[%zu].type: unknown rlimit \"%.64s\"", i,
                       type ? type : "");
        if (s->nrlimits == SPEC_RLIMITS_MAX)
            return bad(c, "process.rlimits: more than %d", SPEC_RLIMITS_MAX);
        int64_t soft = 0, hard = 0;
        bool hs, hh;
        if (get_int(c, r, "soft", "process.rlimits[]", 0, UINT64_MAX, &hs, &soft) < 0 ||
            get_int(c, r, "hard", "process.rlimits[]", 0, UINT64_MAX, &hh, &hard) < 0)
            return -1;
        if (!hs || !hh)
            return bad(c, "process.rlimits[%zu]: soft and hard are required", i);
        if ((uint64_t)soft > (uint64_t)hard)
            return bad(c, "process.rlimits[%zu] (%s): soft limit above the hard one", i, type);
        s->rlimits[s->nrlimits++] = (struct spec_rlimit){res, (uint64_t)soft, (uint64_t)hard};
    }
    return 0;
}

static int parse_mounts(struct ctx *c, const struct json *m)
{
    struct spec *s = c->s;
    if (m->n > SPEC_MOUNTS_MAX)
        return bad(c, "mounts: more than %d", SPEC_MOUNTS_MAX);
    s->mounts = json_alloc(&s->doc, (m->n + 1) * sizeof(*s->mounts));
    if (!s->mounts)
        return bad(c, "out of memory");
    for (size_t i = 0; i < m->n; i++) {
        const struct json *e = m->items[i];
        struct spec_mount *o = &s->mounts[i];
        char path[32];
        snprintf(path, sizeof(path), "mounts[%zu]", i);
        if (e->type != JSON_OBJECT)
            return bad(c, "%s: expected an object", path);
        const char **opts;
        size_t nopts;
        if (get_string(c, e, "destination", path, &o->destination) < 0 ||
            get_string(c, e, "source", path, &o->source) < 0 ||
            get_string(c, e, "type", path, &o->type) < 0 ||
            get_strings(c, e, "options", path, 256, &opts, &nopts) < 0)
            return -1;
        if (!o->destination || o->destination[0] != '/')
            return bad(c, "%s.destination: must be an absolute path", path);
        o->bind = o->type && !strcmp(o->type, "bind");
        for (size_t k = 0; k < nopts; k++) {
            if (!strcmp(opts[k], "bind") || !strcmp(opts[k], "rbind"))
                o->bind = true;
            else if (!strcmp(opts[k], "ro"))
                o->ro = true;
            else if (!strcmp(opts[k], "rw"))
                o->ro = false;
        }
        if (o->bind && (!o->source || !o->source[0]))
            return bad(c, "%s: a bind mount needs a source", path);
    }
    s->nmounts = m->n;
    return 0;
}

static int parse_hooks(struct ctx *c, const struct json *h)
{
    struct spec *s = c->s;
    for (int k = 0; k < HOOK_KINDS; k++) {
        const struct json *list;
        if (member(c, h, spec_hook_names[k], JSON_ARRAY, "hooks", &list) < 0)
            return -1;
        if (!list)
            continue;
        if (list->n > SPEC_HOOKS_MAX)
            return bad(c, "hooks.%s: more than %d", spec_hook_names[k], SPEC_HOOKS_MAX);
        s->hooks[k] = json_alloc(&s->doc, (list->n + 1) * sizeof(struct spec_hook));
        if (!s->hooks[k])
            return bad(c, "out of memory");
        for (size_t i = 0; i < list->n; i++) {
            const struct json *e = list->items[i];
            struct spec_hook *o = &s->hooks[k][i];
            char path[48];
            snprintf(path, sizeof(path), "hooks.%s[%zu]", spec_hook_names[k], i);
            if (e->type != JSON_OBJECT)
                return bad(c, "%s: expected an object", path);
            int64_t t = 0;
            if (get_string(c, e, "path", path, &o->path) < 0 ||
                get_strings(c, e, "args", path, SPEC_ARGS_MAX, &o->args, NULL) < 0 ||
                get_strings(c, e, "env", path, SPEC_ARGS_MAX, &o->env, NULL) < 0 ||
                get_int(c, e, "timeout", path, 1, 3600 * 24, NULL, &t) < 0)
                return -1;
            if (!o->path || o->path[0] != '/')
                return bad(c, "%s.path: must be an absolute path", path);
            o->timeout = (int)t;
        }
        s->nhooks[k] = list->n;
    }
    return 0;
}

static int parse_linux(struct ctx *c, const struct json *l)
{
    struct spec *s = c->s;
    const struct json *j, *r;
    if (member(c, l, "namespaces", JSON_ARRAY, "linux", &j) < 0)
        return -1;
    for (size_t i = 0; j && i < j->n; i++) {
        const struct json *e = j->items[i];
        const char *type = NULL, *path = NULL;
        if (e->type != JSON_OBJECT)
            return bad(c, "linux.namespaces[%zu]: expected an object", i);
        if (get_string(c, e, "type", "linux.namespaces[]", &type) < 0 ||
            get_string(c, e, "path", "linux.namespaces[]", &path) < 0)
            return -1;
        if (!type)
            return bad(c, "linux.namespaces[%zu]: no type", i);
        if (!strcmp(type, "network")) {
            s->ns_network = true;
            if (path && path[0] != '/')
                return bad(c, "linux.namespaces[%zu].path: must be an absolute path", i);
            s->netns_path = path && path[0] ? path : NULL;
        } else if (!strcmp(type, "uts")) {
            s->ns_uts = true;
        } else if (!strcmp(type, "mount")) {
            s->ns_mount = true;
        } else if (!strcmp(type, "pid")) {
            s->ns_pid = true;
        } else if (!strcmp(type, "ipc")) {
            s->ns_ipc = true;
        } else if (strcmp(type, "user") && strcmp(type, "cgroup") && strcmp(type, "time")) {
            return bad(c, "linux.namespaces[%zu].type: unknown namespace \"%.32s\"", i, type);
        }
    }
    if (member(c, l, "resources", JSON_OBJECT, "linux", &r) < 0)
        return -1;
    if (r && member(c, r, "memory", JSON_OBJECT, "linux.resources", &j) < 0)
        return -1;
    s->mem_limit = -1;
    if (r && j && get_int(c, j, "limit", "linux.resources.memory", -1, INT64_MAX,
                          &s->has_mem_limit, &s->mem_limit) < 0)
        return -1;
    return 0;
}

int spec_parse(struct spec *s, const char *text, size_t len, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->mem_limit = -1;
    struct ctx c = {s, err, errlen};
    char jerr[200];
    const struct json *root = json_parse(&s->doc, text, len, jerr, sizeof(jerr));
    if (!root)
        return bad(&c, "%s", jerr);
    if (root->type != JSON_OBJECT)
        return bad(&c, "expected an object at the top");
    const struct json *j;
    if (get_string(&c, root, "ociVersion", "", &s->oci_version) < 0)
        return -1;
    if (!s->oci_version)
        return bad(&c, "ociVersion is missing");
    if (member(&c, root, "root", JSON_OBJECT, "", &j) < 0)
        return -1;
    if (!j)
        return bad(&c, "root is missing: ukmon-runc needs a root file system");
    if (get_string(&c, j, "path", "root", &s->root_path) < 0 ||
        get_bool(&c, j, "readonly", "root", &s->root_readonly) < 0)
        return -1;
    if (!s->root_path || !s->root_path[0])
        return bad(&c, "root.path is missing");
    if (member(&c, root, "process", JSON_OBJECT, "", &j) < 0 || (j && parse_process(&c, j) < 0))
        return -1;
    if (get_string(&c, root, "hostname", "", &s->hostname) < 0)
        return -1;
    if (s->hostname && strlen(s->hostname) > 64)
        return bad(&c, "hostname: longer than 64 bytes");
    if (member(&c, root, "mounts", JSON_ARRAY, "", &j) < 0 || (j && parse_mounts(&c, j) < 0))
        return -1;
    if (member(&c, root, "hooks", JSON_OBJECT, "", &j) < 0 || (j && parse_hooks(&c, j) < 0))
        return -1;
    if (member(&c, root, "linux", JSON_OBJECT, "", &j) < 0 || (j && parse_linux(&c, j) < 0))
        return -1;
    if (member(&c, root, "annotations", JSON_OBJECT, "", &j) < 0)
        return -1;
    if (j) {
        if (j->n > SPEC_ANNOTATIONS_MAX)
            return bad(&c, "annotations: more than %d", SPEC_ANNOTATIONS_MAX);
        s->ann_keys = (const char **)j->keys;
        s->ann_values = json_alloc(&s->doc, (j->n + 1) * sizeof(*s->ann_values));
        if (!s->ann_values)
            return bad(&c, "out of memory");
        for (size_t i = 0; i < j->n; i++) {
            if (j->items[i]->type != JSON_STRING)
                return bad(&c, "annotations.%.64s: expected a string", j->keys[i]);
            s->ann_values[i] = j->items[i]->s;
        }
        s->nann = j->n;
    }
    return 0;
}

void spec_free(struct spec *s)
{
    json_free(&s->doc);
    memset(s, 0, sizeof(*s));
}

const char *spec_annotation(const struct spec *s, const char *key)
{
    for (size_t i = 0; i < s->nann; i++)
        if (!strcmp(s->ann_keys[i], key))
            return s->ann_values[i];
    return NULL;
}

char *spec_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        int e = fstat(fd, &st) < 0 ? errno : S_ISREG(st.st_mode) ? EFBIG : EINVAL;
        close(fd);
        errno = e;
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf)
        return NULL;
    buf[got] = 0;
    *len = got;
    return buf;
}

int spec_load(struct spec *s, const char *bundle, char *err, size_t errlen)
{
    char path[4096];
    memset(s, 0, sizeof(*s));
    if ((size_t)snprintf(path, sizeof(path), "%s/config.json", bundle) >= sizeof(path)) {
        snprintf(err, errlen, "%s: bundle path too long", bundle);
        return -1;
    }
    size_t len = 0;
    char *text = spec_read_file(path, JSON_TEXT_MAX, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, errno == EFBIG ? "larger than 16 MiB" :
                 strerror(errno));
        return -1;
    }
    int r = spec_parse(s, text, len, err, errlen);
    free(text); /* the document holds copies of every string */
    return r;
}
