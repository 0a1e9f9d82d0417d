/*
 * spec.h: a bundle's config.json (the OCI runtime spec), read strictly into what
 * ukmon-runc acts on. Unknown properties are ignored, as the spec requires; known
 * ones of the wrong type or out of range are errors naming their path.
 */
#ifndef UKMON_RUNC_SPEC_H
#define UKMON_RUNC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runc/json.h"

#define SPEC_ARGS_MAX 4096
#define SPEC_MOUNTS_MAX 128
#define SPEC_RLIMITS_MAX 16
#define SPEC_HOOKS_MAX 32
#define SPEC_ANNOTATIONS_MAX 256

struct spec_mount {
    const char *destination, *source, *type;
    bool bind;                   /* type "bind", or a "bind"/"rbind" option */
    bool ro;                     /* a "ro" option */
};

struct spec_hook {
    const char *path;
    const char **args;           /* NULL-terminated; may be empty */
    const char **env;            /* NULL-terminated */
    int timeout;                 /* seconds, 0: none */
};

enum spec_hook_kind {
    HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER, HOOK_START_CONTAINER,
    HOOK_POSTSTART, HOOK_POSTSTOP, HOOK_KINDS,
};

struct spec_rlimit {
    int resource;                /* RLIMIT_* */
    uint64_t soft, hard;
};

struct spec {
    struct json_doc doc;         /* every string below points into it */
    const char *oci_version;
    const char *root_path;       /* as written: relative to the bundle, or absolute */
    bool root_readonly;
    bool has_process;
    const char **args;           /* NULL-terminated, at least one */
    size_t nargs;
    const char **env;            /* NULL-terminated */
    const char *cwd;
    uint32_t uid, gid;
    uint32_t *gids;
    size_t ngids;
    bool has_umask;
    uint32_t umask;
    bool terminal;
    unsigned console_height, console_width;
    bool no_new_privileges;
    struct spec_rlimit rlimits[SPEC_RLIMITS_MAX];
    size_t nrlimits;
    struct spec_mount *mounts;
    size_t nmounts;
    const char *hostname;
    bool ns_network, ns_uts, ns_mount, ns_pid, ns_ipc;
    const char *netns_path;      /* a network namespace to join, or NULL */
    bool has_mem_limit;
    int64_t mem_limit;           /* linux.resources.memory.limit, bytes (-1: none) */
    const char **ann_keys, **ann_values;
    size_t nann;
    struct spec_hook *hooks[HOOK_KINDS];
    size_t nhooks[HOOK_KINDS];
};

/* Parses config.json text into *s; 0, or -1 with a message in err. spec_free() after. */
int spec_parse(struct spec *s, const char *text, size_t len, char *err, size_t errlen);
/* Reads <bundle>/config.json (at most JSON_TEXT_MAX bytes) and parses it. */
int spec_load(struct spec *s, const char *bundle, char *err, size_t errlen);
void spec_free(struct spec *s);
const char *spec_annotation(const struct spec *s, const char *key);
extern const char *const spec_hook_names[HOOK_KINDS];

/* Reads a whole file of at most `max` bytes (NUL-terminated); NULL with errno. */
char *spec_read_file(const char *path, size_t max, size_t *len);

#endif
