/*
 * guestcfg.c: from a container's spec to libukmon's configuration: the root file
 * system, mounts as granted folders, the environment and working directory, memory,
 * the network, and ukmon's own options from annotations io.ukmon.*. Checked before
 * the container's process is made, so that create fails with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runc/guestcfg.h"

/* "64M", "1G", "512MiB", bytes without a suffix. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (errno)
        return -1;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (*end == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B')
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static bool is_true(const char *v)
{
    return !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes");
}

static bool is_bool(const char *v)
{
    return is_true(v) || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no");
}

/* A comma-separated list of --publish or --connect specs. */
static int parse_list(const char *key, const char *v, struct guest_cfg *g, bool publish)
{
    char buf[4096];
    if (strlen(v) >= sizeof(buf)) {
        runc_error("annotation %s: too long", key);
        return -1;
    }
    strcpy(buf, v);
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        char err[200];
        unsigned *n = publish ? &g->cfg.npublish : &g->cfg.nconnect;
        if (*n == (publish ? UKMON_PUBLISH_MAX : UKMON_CONNECT_MAX)) {
            runc_error("annotation %s: too many entries", key);
            return -1;
        }
        int r = publish ? ukmon_parse_publish(t, &g->pub[*n], err, sizeof(err))
                        : ukmon_parse_connect(t, &g->conn[*n], err, sizeof(err));
        if (r < 0) {
            runc_error("annotation %s: %s", key, err);
            return -1;
        }
        (*n)++;
    }
    return 0;
}

static int annotations(const struct spec *sp, struct guest_cfg *g)
{
    bool connect_set = false;
    for (size_t i = 0; i < sp->nann; i++) {
        const char *k = sp->ann_keys[i], *v = sp->ann_values[i];
        if (strncmp(k, "io.ukmon.", 9))
            continue;
        const char *o = k + 9;
        uint64_t size;
        if (!strcmp(o, "mem") || !strcmp(o, "tree-mem")) {
            if (parse_size(v, &size) < 0) {
                runc_error("annotation %s=%s: not a size (examples: 256M, 1G)", k, v);
                return -1;
            }
            *(!strcmp(o, "mem") ? &g->cfg.mem_size : &g->cfg.tree_mem) = size;
            g->mem_from_annotation |= !strcmp(o, "mem");
        } else if (!strcmp(o, "max-procs")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 1 || n > UKMON_MAX_PROCS_LIMIT) {
                runc_error("annotation %s=%s: a number from 1 to %d", k, v, UKMON_MAX_PROCS_LIMIT);
                return -1;
            }
            g->cfg.max_procs = (unsigned)n;
        } else if (!strcmp(o, "publish")) {
            if (parse_list(k, v, g, true) < 0)
                return -1;
        } else if (!strcmp(o, "connect")) {
            if (parse_list(k, v, g, false) < 0)
                return -1;
            connect_set = true;
        } else if (!strcmp(o, "no-fork") || !strcmp(o, "hugepages") ||
                   !strcmp(o, "syscall-exits") || !strcmp(o, "trace") || !strcmp(o, "stats")) {
            if (!is_bool(v)) {
                runc_error("annotation %s=%s: true or false", k, v);
                return -1;
            }
            bool t = is_true(v);
            if (!strcmp(o, "no-fork"))
                g->cfg.fork_policy = t ? UKMON_FORK_DENY : UKMON_FORK_ALLOW;
            else if (!strcmp(o, "hugepages"))
                g->cfg.hugepages = t;
            else if (!strcmp(o, "syscall-exits"))
                g->cfg.syscall_rewrite = !t;
            else if (!strcmp(o, "trace"))
                g->cfg.trace_fd = t ? 2 : -1;
            else
                g->cfg.stats_fd = t ? 2 : -1;
        } else {
            runc_error("annotation %s: unknown to ukmon (mem, tree-mem, max-procs, publish, "
                       "connect, no-fork, hugepages, syscall-exits, trace, stats)", k);
            return -1;
        }
    }
    /*
     * In a network namespace of its own (podman's, joined, or a new one) the tree may
     * bind any port there, as a container's processes may, and connect anywhere its
     * namespace routes to, unless io.ukmon.connect says where.
     */
    if (sp->ns_network) {
        g->cfg.bind_any = 1;
        if (!connect_set && (parse_list("(default)", "0.0.0.0/0:1-65535,[::]/0:1-65535", g,
                                        false) < 0))
            return -1;
    }
    return 0;
}

/* A path relative to the bundle, or absolute, made absolute. */
static int bundle_path(const char *bundle, const char *p, char *out, size_t outlen)
{
    int n = p[0] == '/' ? snprintf(out, outlen, "%s", p) : snprintf(out, outlen, "%s/%s", bundle, p);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Adds a granted folder; -1 past ukmon's limit. */
static int add_dir(struct guest_cfg *g, const char *host, const char *guest, bool rw)
{
    if (g->cfg.ndirs + 1 >= UKMON_DIRS_MAX) { /* one is the root's */
        runc_error("more mounts than ukmon grants folders (%d with the root)", UKMON_DIRS_MAX);
        return -1;
    }
    unsigned i = g->cfg.ndirs;
    if ((size_t)snprintf(g->dir_host[i], sizeof(g->dir_host[i]), "%s", host) >=
            sizeof(g->dir_host[i]) ||
        (size_t)snprintf(g->dir_guest[i], sizeof(g->dir_guest[i]), "%s", guest) >=
            sizeof(g->dir_guest[i])) {
        runc_error("mount %.100s: path too long", guest);
        return -1;
    }
    g->cfg.ndirs++;
    g->dirs[i] = (struct ukmon_dir){g->dir_host[i], g->dir_guest[i], rw};
    return 0;
}

/*
 * Mounts: bind mounts of folders are granted folders (read-only with "ro"); a tmpfs a
 * private folder in the state directory, removed with the container; proc, sysfs,
 * devpts, mqueue and cgroup what ukmon makes up (/proc, /dev) or nothing; a tmpfs at
 * /dev or /tmp is ukmon's own /dev and private /tmp.
 */
static int mounts(const struct spec *sp, const char *bundle, const char *state_dir,
                  struct guest_cfg *g)
{
    for (size_t i = 0; i < sp->nmounts; i++) {
        const struct spec_mount *m = &sp->mounts[i];
        const char *type = m->type ? m->type : "";
        if (m->bind) {
            char src[4096];
            struct stat st;
            if (bundle_path(bundle, m->source, src, sizeof(src)) < 0 || stat(src, &st) < 0) {
                runc_error("mount %s: source %s: %s", m->destination, m->source,
                           strerror(errno ? errno : ENAMETOOLONG));
                return -1;
            }
            if (!S_ISDIR(st.st_mode)) {
                /* podman's /etc/hosts, /etc/resolv.conf, /etc/hostname: files */
                runc_warn("mount %s: ukmon grants folders, not single files: %s left out",
                          m->destination, m->source);
                continue;
            }
            if (add_dir(g, src, m->destination, !m->ro) < 0)
                return -1;
        } else if (!strcmp(type, "tmpfs")) {
            if (!strcmp(m->destination, "/dev") || !strcmp(m->destination, "/tmp"))
                continue;
            char dir[4200];
            snprintf(dir, sizeof(dir), "%s/tmpfs-%zu", state_dir, i);
            if (mkdir(dir, 01777) < 0 || chmod(dir, 01777) < 0) {
                runc_error("tmpfs %s: %s: %s", m->destination, dir, strerror(errno));
                return -1;
            }
            if (add_dir(g, dir, m->destination, !m->ro) < 0)
                return -1;
        } else if (strcmp(type, "proc") && strcmp(type, "sysfs") && strcmp(type, "devpts") &&
                   strcmp(type, "mqueue") && strcmp(type, "cgroup") && strcmp(type, "cgroup2")) {
            runc_warn("mount %s of type %s: not supported by ukmon, left out", m->destination,
                      type);
        }
    }
    return 0;
}

int guest_cfg_make(const struct spec *sp, const char *bundle, const char *state_dir,
                   struct guest_cfg *g)
{
    memset(g, 0, sizeof(*g));
    ukmon_config_init(&g->cfg);
    g->cfg.sandbox = !RUNC_SANITIZED;
    g->cfg.landlock = !RUNC_SANITIZED;
    g->cfg.private_tmp = 1;
    g->cfg.tree_mem = ukmon_tree_mem_default();
    g->cfg.dirs = g->dirs;
    g->cfg.publish = g->pub;
    g->cfg.connect = g->conn;
    if (!sp->has_process) {
        runc_error("config.json: no process to run");
        return -1;
    }
    if (bundle_path(bundle, sp->root_path, g->rootfs, sizeof(g->rootfs)) < 0) {
        runc_error("root.path: too long");
        return -1;
    }
    struct stat st;
    if (stat(g->rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
        runc_error("root.path %s: %s", g->rootfs, errno ? strerror(errno) : "not a directory");
        return -1;
    }
    g->cfg.root = g->rootfs;
    g->cfg.root_writable = !sp->root_readonly;
    g->cfg.cwd = sp->cwd;
    g->cfg.envp = (char *const *)sp->env;
    if (sp->has_mem_limit && sp->mem_limit > 0) {
        uint64_t m = (uint64_t)sp->mem_limit & ~((2ULL << 20) - 1);
        if (m < UKMON_MEM_MIN) {
            runc_error("linux.resources.memory.limit %lld: ukmon's guests need at least %llu MiB",
                       (long long)sp->mem_limit, UKMON_MEM_MIN >> 20);
            return -1;
        }
        g->cfg.mem_size = m > UKMON_MEM_MAX ? UKMON_MEM_MAX : m;
    }
    if (annotations(sp, g) < 0 || mounts(sp, bundle, state_dir, g) < 0)
        return -1;
    if (g->cfg.mem_size < UKMON_MEM_MIN || g->cfg.mem_size > UKMON_MEM_MAX ||
        g->cfg.mem_size % (2ULL << 20)) {
        runc_error("guest memory %llu bytes: a multiple of 2 MiB from %llu MiB to %llu GiB",
                   (unsigned long long)g->cfg.mem_size, UKMON_MEM_MIN >> 20, UKMON_MEM_MAX >> 30);
        return -1;
    }
    return 0;
}
