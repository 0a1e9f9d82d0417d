/* fs_walk.c: a guest path, walked by the monitor one component at a time. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kernel/io.h"

/*
 * Confinement is the kernel's: every step is openat2() of ONE name relative to a
 * directory fd the monitor holds, with RESOLVE_BENEATH (no "..", no absolute path),
 * RESOLVE_NO_SYMLINKS and RESOLVE_NO_MAGICLINKS (nothing followed by the host) and
 * RESOLVE_NO_XDEV (no host mount crossed), and O_NOFOLLOW|O_PATH: a symlink comes
 * back as itself. The walk then does what the guest's kernel would: a symlink's
 * target is read and walked as a guest path, ".." goes up the guest's own path, at
 * most 40 links are followed. No host path is ever built from guest input, and a
 * file swapped for a symlink mid-walk is only ever seen as a symlink.
 */

static int fs_open_one(int dirfd, const char *name)
{
    struct open_how how = {
        .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                   RESOLVE_NO_XDEV,
    };
    int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
    if (fd < 0 && errno == EXDEV)
        errno = EACCES; /* a host mount inside a granted folder: not part of it */
    return fd < 0 ? -errno : fd;
}

void fs_node_release(struct fs_node *n)
{
    if (n->fd >= 0)
        close(n->fd);
    if (n->dirfd >= 0)
        close(n->dirfd);
    n->fd = n->dirfd = -1;
}

const char *fs_cwd(const struct ukmon_vm *vm)
{
    return vm->fs.cwd[0] ? vm->fs.cwd : "/";
}

/* The names the monitor answers itself, over whatever the folders hold. */
static const struct synth {
    const char *path;
    enum fs_kind kind;
    int which;
} synth[] = {
    {"/dev", FS_VDIR, 0},
    {"/dev/null", FS_DEV, FS_DEV_NULL},
    {"/dev/zero", FS_DEV, FS_DEV_ZERO},
    {"/dev/urandom", FS_DEV, FS_DEV_URANDOM},
    {"/dev/random", FS_DEV, FS_DEV_URANDOM},
    {"/dev/tty", FS_DEV, FS_DEV_TTY},
    {"/dev/stdin", FS_STDIO, 0},
    {"/dev/stdout", FS_STDIO, 1},
    {"/dev/stderr", FS_STDIO, 2},
    {"/dev/fd", FS_VDIR, 0},
};

/* /dev/fd/N: the guest's own fd N (/proc's are fs_proc.c's). */
static int fs_fd_name(const char *path)
{
    const char *n = NULL;
    if (!strncmp(path, "/dev/fd/", 8))
        n = path + 8;
    if (!n || !*n || strlen(n) > 4)
        return -1;
    int v = 0;
    for (; *n; n++) {
        if (*n < '0' || *n > '9')
            return -1;
        v = v * 10 + (*n - '0');
    }
    return v < FDT_MAX ? v : -1;
}

/* A made-up node for `path`, if it is one of ours (else false). */
static bool fs_synth_node(struct ukmon_vm *vm, const char *path, struct fs_node *n)
{
    for (size_t i = 0; i < sizeof(synth) / sizeof(synth[0]); i++) {
        if (strcmp(synth[i].path, path))
            continue;
        if (synth[i].kind == FS_DEV && vm->fs.dev[synth[i].which] < 0)
            return false; /* no such host device (no terminal): ENOENT */
        n->kind = synth[i].kind;
        n->which = synth[i].which;
        return true;
    }
    int fd = fs_fd_name(path);
    if (fd >= 0) {
        n->kind = FS_STDIO;
        n->which = fd;
        return true;
    }
    return fs_proc_node(vm, path, n);
}

/* /etc, /etc/passwd and /etc/group when no folder provides them. */
static bool fs_etc_node(const char *path, struct fs_node *n)
{
    if (!strcmp(path, "/etc")) {
        n->kind = FS_VDIR;
        return true;
    }
    if (!strcmp(path, "/etc/passwd") || !strcmp(path, "/etc/group")) {
        n->kind = FS_ETC;
        n->which = path[5] == 'p' ? 0 : 1;
        return true;
    }
    return false;
}

/* st for a node that has no host object of its own. */
static void fs_made_up_stat(struct ukmon_vm *vm, struct fs_node *n)
{
    memset(&n->st, 0, sizeof(n->st));
    n->st.st_nlink = 1;
    n->st.st_blksize = 4096;
    n->st.st_uid = getuid();
    n->st.st_gid = getgid();
    uint64_t h = 1469598103934665603ULL; /* a stable inode number: FNV-1a of the path */
    for (const char *p = n->path; *p; p++)
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    n->st.st_ino = h;
    switch (n->kind) {
    case FS_VDIR:
        /* /proc/PID/fd is its owner's only, as on Linux */
        n->st.st_mode = S_IFDIR | (fs_proc_dir(n->path) && strstr(n->path, "/fd") ? 0500 : 0555);
        n->st.st_nlink = 2;
        break;
    case FS_PROC:
        n->st.st_mode = S_IFREG | 0444; /* size 0, as Linux's /proc files say */
        break;
    case FS_LINK: {
        char t[FS_PATH_MAX];
        int64_t l = fs_proc_link(vm, n->path, t, sizeof(t));
        n->st.st_mode = S_IFLNK | 0777;
        n->st.st_size = l > 0 ? l : 0;
        break;
    }
    case FS_DEV:
        fstat(vm->fs.dev[n->which], &n->st);
        break;
    case FS_STDIO: {
        int h2 = fdt_host(&vm->fdt, n->which);
        if (h2 < 0 || fstat(h2, &n->st) < 0)
            n->exists = false;
        break;
    }
    case FS_EXE:
        if (vm->exe_fd < 0 || fstat(vm->exe_fd, &n->st) < 0)
            n->exists = false;
        break;
    case FS_ETC:
        n->st.st_mode = S_IFREG | 0644;
        n->st.st_size = (off_t)strlen(fs_etc_text(n->which));
        break;
    default:
        break;
    }
}

void fs_node_init(struct fs_node *n)
{
    memset(n, 0, sizeof(*n));
    n->fd = n->dirfd = n->mount = -1;
}

/* The node for "/": a folder granted at "/", or a made-up directory. */
static int fs_root(struct ukmon_vm *vm, struct fs_node *n)
{
    fs_node_init(n);
    snprintf(n->path, sizeof(n->path), "/");
    n->exists = true;
    int m = fs_mount_find(vm, "/");
    if (m >= 0) {
        n->kind = FS_HOST;
        n->mount = m;
        n->fd = fcntl(vm->fs.mounts[m].dirfd, F_DUPFD_CLOEXEC, 0);
        if (n->fd < 0 || fstat(n->fd, &n->st) < 0)
            return -errno;
        return 0;
    }
    n->kind = FS_VDIR;
    fs_made_up_stat(vm, n);
    return 0;
}

/* One step down from directory `cur` (path cur->path) to `name`. */
static int fs_step(struct ukmon_vm *vm, const struct fs_node *cur, const char *name,
                   struct fs_node *n)
{
    fs_node_init(n);
    size_t cl = strlen(cur->path), nl = strlen(name);
    if (nl > FS_NAME_MAX)
        return -ENAMETOOLONG;
    if ((size_t)snprintf(n->path, sizeof(n->path), "%s%s%s", cur->path, cl > 1 ? "/" : "",
                         name) >= sizeof(n->path))
        return -ENAMETOOLONG;
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->exists = true;
    if (fs_synth_node(vm, n->path, n)) {
        fs_made_up_stat(vm, n);
        return 0;
    }
    int m = fs_mount_find(vm, n->path);
    if (m >= 0) {
        n->kind = FS_HOST;
        n->mount = m;
        n->fd = fcntl(vm->fs.mounts[m].dirfd, F_DUPFD_CLOEXEC, 0);
        if (n->fd < 0 || fstat(n->fd, &n->st) < 0)
            return -errno;
        return 0; /* a mount's root: no parent to rename or remove it through */
    }
    if (cur->kind == FS_HOST) {
        n->kind = FS_HOST;
        n->mount = cur->mount;
        n->dirfd = fcntl(cur->fd, F_DUPFD_CLOEXEC, 0);
        if (n->dirfd < 0)
            return -errno;
        int fd = fs_open_one(cur->fd, name);
        if (fd >= 0) {
            n->fd = fd;
            return fstat(fd, &n->st) < 0 ? -errno : 0;
        }
        /*
         * Not found, or another host file system (a host mount inside a granted folder
         * is not part of it): either way, a directory on the way to a folder granted
         * below it is one of ours, as where no folder is (the checkout on a mount of its
         * own under a --root /, say).
         */
        if (fd != -ENOENT && !(fd == -EACCES && fs_is_mount_parent(vm, n->path)))
            return fd;
    } else if (cur->kind != FS_VDIR) {
        return -ENOTDIR;
    }
    /* Not in a folder: a directory leading to a mount, an /etc file of ours, or none. */
    if (fs_is_mount_parent(vm, n->path)) {
        fs_node_release(n);
        n->kind = FS_VDIR;
        fs_made_up_stat(vm, n);
        return 0;
    }
    if (fs_etc_node(n->path, n)) {
        fs_node_release(n);
        fs_made_up_stat(vm, n);
        return 0;
    }
    n->exists = false;
    if (cur->kind == FS_VDIR)
        n->kind = FS_VDIR; /* nothing can be made here */
    return 0;
}

/* The node at a guest path with no symlinks left in it (after ".."): walk it again. */
static int fs_reach(struct ukmon_vm *vm, const char *path, struct fs_node *out)
{
    int r = fs_root(vm, out);
    char buf[FS_PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *c = strtok_r(buf, "/", &save); c && r == 0; c = strtok_r(NULL, "/", &save)) {
        struct fs_node next;
        r = fs_step(vm, out, c, &next);
        fs_node_release(out);
        *out = next;
        if (r == 0 && !out->exists)
            r = -ENOENT;
    }
    return r;
}

static bool fs_is_dir(const struct fs_node *n)
{
    return n->kind == FS_VDIR || (n->kind == FS_HOST && S_ISDIR(n->st.st_mode));
}

/*
 * Walks `path` (relative ones from the guest directory `start`, NULL meaning the cwd)
 * to its node. The caller releases *out whatever the result.
 */
int fs_walk(struct ukmon_vm *vm, const char *start, const char *path, int flags,
            struct fs_node *out)
{
    fs_node_init(out);
    if (!path[0])
        return -ENOENT;
    /* What is left to walk; a followed symlink puts its target in front of the rest. */
    char todo[2 * FS_PATH_MAX];
    if (strlen(path) >= FS_PATH_MAX)
        return -ENAMETOOLONG;
    snprintf(todo, sizeof(todo), "%s", path);
    int r = path[0] == '/' ? fs_root(vm, out) : fs_reach(vm, start ? start : fs_cwd(vm), out);
    if (r < 0)
        return r;
    unsigned links = 0;
    size_t pos = 0;
    for (;;) {
        while (todo[pos] == '/')
            pos++;
        if (!todo[pos])
            return fs_is_dir(out) || path[strlen(path) - 1] != '/' ? 0 : -ENOTDIR;
        size_t end = pos;
        while (todo[end] && todo[end] != '/')
            end++;
        char name[FS_NAME_MAX + 1];
        if (end - pos > FS_NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(name, todo + pos, end - pos);
        name[end - pos] = 0;
        pos = end;
        size_t rest = pos;
        while (todo[rest] == '/')
            rest++;
        bool last = todo[rest] == 0;
        if (!fs_is_dir(out))
            return -ENOTDIR;
        if (!strcmp(name, "."))
            continue;
        if (!strcmp(name, "..")) {
            char up[FS_PATH_MAX];
            snprintf(up, sizeof(up), "%s", out->path);
            char *slash = strrchr(up, '/');
            if (slash == up)
                up[1] = 0;
            else if (slash)
                *slash = 0;
            fs_node_release(out);
            if ((r = fs_reach(vm, up, out)) < 0)
                return r;
            continue;
        }
        struct fs_node next;
        r = fs_step(vm, out, name, &next);
        if (r < 0) {
            fs_node_release(&next);
            return r;
        }
        if (!next.exists) {
            if (!last || !(flags & FS_MAY_NOT_EXIST)) {
                fs_node_release(&next);
                return -ENOENT;
            }
            fs_node_release(out);
            *out = next;
            return 0;
        }
        bool is_link = (next.kind == FS_HOST && S_ISLNK(next.st.st_mode)) || next.kind == FS_LINK;
        if (is_link && (!last || (flags & FS_FOLLOW))) {
            char target[FS_PATH_MAX];
            ssize_t tl = next.kind == FS_LINK
                             ? (ssize_t)fs_proc_link(vm, next.path, target, sizeof(target) - 1)
                             : readlinkat(next.fd, "", target, sizeof(target) - 1);
            if (tl < 0 && next.kind == FS_LINK)
                errno = (int)-tl;
            fs_node_release(&next);
            if (++links > FS_LINKS_MAX)
                return -ELOOP;
            if (tl <= 0)
                return tl < 0 ? -errno : -ENOENT;
            target[tl] = 0;
            char nt[2 * FS_PATH_MAX];
            if ((size_t)snprintf(nt, sizeof(nt), "%s/%s", target, todo + pos) >= sizeof(nt))
                return -ENAMETOOLONG;
            memcpy(todo, nt, strlen(nt) + 1);
            pos = 0;
            if (target[0] == '/') {
                fs_node_release(out);
                if ((r = fs_root(vm, out)) < 0)
                    return r;
            }
            continue;
        }
        fs_node_release(out);
        *out = next;
    }
}
