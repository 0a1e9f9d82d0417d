/* fs_mounts.c: the granted folders and the host devices behind /dev, opened up front. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "profile.h"

/*
 * A guest mount point as given: absolute, then made canonical ("//a/./b/" -> "/a/b").
 * ".." is refused rather than interpreted: it would only confuse.
 */
static int fs_guest_point(const char *in, char *out, size_t outlen)
{
    if (in[0] != '/')
        return -EINVAL;
    size_t n = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - p);
        if (len == 0)
            break;
        if ((len == 1 && p[0] == '.'))
            ;
        else if (len == 2 && p[0] == '.' && p[1] == '.')
            return -EINVAL;
        else {
            if (n + 1 + len + 1 > outlen)
                return -ENAMETOOLONG;
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p = e;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = 0;
    return 0;
}

/*
 * Opens every granted folder (O_PATH: nothing is read yet) and the host devices the
 * guest's /dev stands for, before the jail, Landlock and the seccomp filter leave
 * the monitor unable to. Idempotent.
 */
int fs_setup(struct ukmon_vm *vm)
{
    struct fs_state *fs = &vm->fs;
    if (fs->opened)
        return 0;
    if (vm->cfg.ndirs + (vm->cfg.root != NULL) > UKMON_DIRS_MAX)
        return vm_fail(vm, -EINVAL, "at most %d folders can be granted", UKMON_DIRS_MAX);
    /* The root is one more folder, at "/": the others are found first, on top of it. */
    const struct ukmon_dir root = {vm->cfg.root, "/", vm->cfg.root_writable};
    for (unsigned i = 0; i < vm->cfg.ndirs + (vm->cfg.root != NULL); i++) {
        const struct ukmon_dir *d = i < vm->cfg.ndirs ? &vm->cfg.dirs[i] : &root;
        const char *opt = d == &root ? "--root" : "--dir";
        struct fs_mount *m = &fs->mounts[fs->nmounts];
        if (!d->host || !d->guest || fs_guest_point(d->guest, m->guest, sizeof(m->guest)) < 0)
            return vm_fail(vm, -EINVAL, "--dir %s:%s: the guest path must be absolute, "
                           "without '..'", d->host ? d->host : "?", d->guest ? d->guest : "?");
        for (unsigned j = 0; j < fs->nmounts; j++)
            if (!strcmp(fs->mounts[j].guest, m->guest))
                return vm_fail(vm, -EINVAL, "%s: two folders granted at %s%s", opt, m->guest,
                               d == &root ? " (--root and a --dir at /)" : "");
        m->dirfd = open(d->host, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (m->dirfd < 0)
            return vm_fail(vm, -errno, "%s %s: %s", opt, d->host, errno == ENOTDIR ?
                           "not a directory" : strerror(errno));
        char *real = realpath(d->host, NULL);
        snprintf(m->host, sizeof(m->host), "%s", real ? real : d->host);
        free(real);
        m->rw = d->writable != 0;
        fs->nmounts++;
    }
    PROF_MARK("fs_setup: granted folders opened");
    int r = fs_tmp_setup(vm);
    PROF_MARK("fs_setup: private /tmp made, its remover forked");
    if (r < 0)
        return r;
    static const struct { const char *path; int flags; } devs[FS_DEV_COUNT] = {
        [FS_DEV_NULL] = {"/dev/null", O_RDWR}, [FS_DEV_ZERO] = {"/dev/zero", O_RDWR},
        [FS_DEV_URANDOM] = {"/dev/urandom", O_RDONLY}, [FS_DEV_TTY] = {"/dev/tty", O_RDWR},
    };
    for (int i = 0; i < FS_DEV_COUNT; i++) {
        fs->dev[i] = -1;
        /* The guest's /dev/tty is the host's only where its stdin is a terminal. */
        if (i == FS_DEV_TTY && !isatty(vm->cfg.stdin_fd))
            continue;
        fs->dev[i] = open(devs[i].path, devs[i].flags | O_CLOEXEC | O_NOCTTY);
    }
    snprintf(fs->cwd, sizeof(fs->cwd), "/");
    /* The first program's umask is ours, as a process inherits its parent's. */
    fs->umask = umask(022);
    umask(fs->umask);
    fs->opened = true;
    if (vm->cfg.cwd && (r = fs_chdir(vm, NULL, vm->cfg.cwd)) < 0)
        return vm_fail(vm, r, "working directory %s: %s", vm->cfg.cwd, strerror(-r));
    return 0;
}

/*
 * While the guest runs, the monitor's own umask is 0: the mode of what the guest
 * creates is the guest's mode under the guest's umask, nothing else (fs_ops.c).
 * The caller's umask is back once the tree has ended.
 */
void fs_run_begin(struct ukmon_vm *vm)
{
    vm->fs.host_umask = umask(0);
}

void fs_run_end(struct ukmon_vm *vm)
{
    umask(vm->fs.host_umask);
}

void fs_free(struct ukmon_vm *vm)
{
    struct fs_state *fs = &vm->fs;
    if (fs->opened)
        fs_tmp_end(vm);
    for (unsigned i = 0; i < fs->nmounts; i++)
        close(fs->mounts[i].dirfd);
    fs->nmounts = 0;
    for (int i = 0; fs->opened && i < FS_DEV_COUNT; i++)
        if (fs->dev[i] >= 0)
            close(fs->dev[i]);
    fs->opened = false;
}

/* The mount at exactly this guest path, or -1. */
int fs_mount_find(const struct ukmon_vm *vm, const char *guest_path)
{
    for (unsigned i = 0; i < vm->fs.nmounts; i++)
        if (!strcmp(vm->fs.mounts[i].guest, guest_path))
            return (int)i;
    return -1;
}

/* Whether a mount lies strictly below this guest path (so the path is a directory). */
bool fs_is_mount_parent(const struct ukmon_vm *vm, const char *guest_path)
{
    size_t n = strlen(guest_path);
    for (unsigned i = 0; i < vm->fs.nmounts; i++) {
        const char *g = vm->fs.mounts[i].guest;
        if (n == 1 ? g[1] != 0 : strncmp(g, guest_path, n) == 0 && g[n] == '/')
            return true;
    }
    return false;
}

/* How many folders the user granted: the mounts but the private /tmp. */
unsigned fs_granted(const struct ukmon_vm *vm)
{
    return vm->fs.nmounts - (vm->fs.tmp_on ? 1 : 0);
}

bool fs_mount_writable(const struct ukmon_vm *vm, int mount)
{
    return mount >= 0 && (unsigned)mount < vm->fs.nmounts && vm->fs.mounts[mount].rw;
}

/*
 * The guest path of a host file (a real path: no symlinks, no ".."), if a granted
 * folder holds it; the innermost folder wins, as the walk would reach it. -ENOENT
 * when no folder does.
 */
int fs_guest_path_of(const struct ukmon_vm *vm, const char *real, char *out, size_t outlen)
{
    int best = -1;
    size_t best_len = 0;
    for (unsigned i = 0; i < vm->fs.nmounts; i++) {
        const char *h = vm->fs.mounts[i].host;
        size_t n = strlen(h);
        if (n == 1 && h[0] == '/')
            n = 0; /* the host's / itself: everything is below it */
        if (strncmp(real, h, n) || (real[n] != '/' && real[n] != 0) || (best >= 0 && n < best_len))
            continue;
        best = (int)i;
        best_len = n;
    }
    if (best < 0)
        return -ENOENT;
    const char *g = vm->fs.mounts[best].guest, *rest = real + best_len;
    int w = snprintf(out, outlen, "%s%s", strcmp(g, "/") || !*rest ? g : "", rest);
    return w < 0 || (size_t)w >= outlen ? -ENAMETOOLONG : 0;
}

/*
 * A path the user named, made absolute by words alone: the monitor's cwd in front of
 * a relative one, "." and ".." taken away; no symlink is looked at.
 */
int fs_host_absolute(const char *path, char *out, size_t outlen)
{
    char buf[2 * FS_PATH_MAX];
    if (path[0] == '/') {
        snprintf(buf, sizeof(buf), "%s", path);
    } else {
        char cwd[FS_PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return -errno;
        snprintf(buf, sizeof(buf), "%s/%s", cwd, path);
    }
    size_t n = 0;
    for (char *save = NULL, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            while (n > 0 && out[--n] != '/')
                ;
            continue;
        }
        size_t l = strlen(c);
        if (n + 1 + l + 1 > outlen)
            return -ENAMETOOLONG;
        out[n++] = '/';
        memcpy(out + n, c, l);
        n += l;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = 0;
    return 0;
}
