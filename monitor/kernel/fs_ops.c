/* fs_ops.c: file calls on guest paths, both personalities: open, stat, mkdir, rename... */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kernel/proc.h"
#include "kernel/io.h"
#include "kvm/vmm.h"

/* The /etc files made up when no granted folder has them: root, nobody, and us. */
const char *fs_etc_text(int which)
{
    static char text[2][256];
    if (!text[0][0]) {
        unsigned u = getuid(), g = getgid();
        snprintf(text[0], sizeof(text[0]), "root:x:0:0:root:/:/bin/sh\n%s"
                 "nobody:x:65534:65534:nobody:/:/bin/false\n", "");
        if (u != 0 && u != 65534)
            snprintf(text[0] + strlen(text[0]), sizeof(text[0]) - strlen(text[0]),
                     "user:x:%u:%u:user:/:/bin/sh\n", u, g);
        snprintf(text[1], sizeof(text[1]), "root:x:0:\nnogroup:x:65534:\n");
        if (g != 0 && g != 65534)
            snprintf(text[1] + strlen(text[1]), sizeof(text[1]) - strlen(text[1]),
                     "user:x:%u:\n", g);
    }
    return text[which];
}

/* openat2 of one name in a folder, with real flags, never following anything. */
static int fs_open_at(int dirfd, const char *name, int flags, unsigned mode)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
                   RESOLVE_NO_XDEV,
    };
    int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
    if (fd < 0 && errno == EXDEV)
        errno = EACCES;
    return fd < 0 ? -errno : fd;
}

/* An open of the node itself: through its parent, or a mount's root as ".". */
static int fs_reopen(const struct ukmon_vm *vm, const struct fs_node *n, int flags)
{
    if (n->dirfd >= 0)
        return fs_open_at(n->dirfd, n->name, flags, 0);
    return fs_open_at(vm->fs.mounts[n->mount].dirfd, ".", flags, 0);
}

struct fifo_open {
    const struct ukmon_vm *vm;
    const struct fs_node *n;
    int flags;
};

static int64_t fs_fifo_open_call(void *arg)
{
    const struct fifo_open *o = arg;
    return fs_reopen(o->vm, o->n, o->flags);
}

/*
 * A FIFO's open waits, as Linux's does, for the other end: O_RDONLY for a writer,
 * O_WRONLY for a reader (with O_NONBLOCK: ENXIO if there is none). The wait is the
 * host's open itself, cut short by a signal the guest must see (fs_host_wait).
 */
static int fs_open_fifo(struct ukmon_vm *vm, const struct fs_node *n, int flags)
{
    if ((flags & O_NONBLOCK) || (flags & O_ACCMODE) == O_RDWR)
        return fs_reopen(vm, n, flags);
    struct fifo_open o = {vm, n, flags};
    return (int)fs_host_wait(vm, fs_fifo_open_call, &o);
}

/* A file of its own with `text` in it, so that each open has its own offset. */
static int fs_text_fd(const char *text)
{
    int fd = (int)syscall(SYS_memfd_create, "ukmon", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -EIO;
    }
    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    return fd;
}

/*
 * The mode a new object gets: the guest's bits as Linux takes them (07777 for files,
 * 01777 for folders: mkdir keeps no set-id bits), under the guest's umask. The
 * monitor's own umask is 0 while the guest runs (fs_run_begin): the guest's is the
 * only one applied, as for a process. Never a set-id bit (FS_NO_SETID).
 */
#define FS_NO_SETID (~(unsigned)(S_ISUID | S_ISGID))
static unsigned fs_new_mode(const struct ukmon_vm *vm, unsigned mode, unsigned bits)
{
    return mode & bits & FS_NO_SETID & ~vm->fs.umask;
}

static int fs_writing(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

/* Open flags the guest may ask for (the rest are refused: O_PATH, O_TMPFILE...). */
#define FS_OPEN_OK (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | \
                    O_DSYNC | O_SYNC | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME | \
                    O_LARGEFILE | O_DIRECT | O_ASYNC)

/* The host fd for an open of the node (not yet in the guest's table). */
static int fs_open_node(struct ukmon_vm *vm, struct fs_node *n, int flags, unsigned mode)
{
    int acc = flags & O_ACCMODE;
    if (!n->exists) {
        if (!(flags & O_CREAT))
            return -ENOENT;
        if (n->kind != FS_HOST || n->dirfd < 0)
            return -EACCES;
        if (!fs_mount_writable(vm, n->mount))
            return -EROFS;
        return fs_open_at(n->dirfd, n->name, flags & ~O_NOFOLLOW, fs_new_mode(vm, mode, 07777));
    }
    if ((flags & O_CREAT) && (flags & O_EXCL))
        return -EEXIST;
    bool dir = (n->kind == FS_HOST && S_ISDIR(n->st.st_mode)) || n->kind == FS_VDIR;
    if ((flags & O_DIRECTORY) && !dir)
        return -ENOTDIR;
    if (dir && acc != O_RDONLY)
        return -EISDIR;
    switch (n->kind) {
    case FS_HOST:
        if (S_ISLNK(n->st.st_mode))
            return -ELOOP; /* O_NOFOLLOW on a symlink, as Linux says */
        if (fs_writing(flags) && !fs_mount_writable(vm, n->mount))
            return -EROFS;
        if (S_ISFIFO(n->st.st_mode))
            return fs_open_fifo(vm, n, flags & ~(O_CREAT | O_EXCL));
        return fs_reopen(vm, n, flags & ~(O_CREAT | O_EXCL));
    case FS_VDIR:
        return fs_text_fd(""); /* a placeholder: the fd table marks it a directory */
    case FS_DEV: {
        int h = fcntl(vm->fs.dev[n->which], F_DUPFD_CLOEXEC, 3);
        return h < 0 ? -errno : h;
    }
    case FS_STDIO: {
        int hs = fdt_host(&vm->fdt, n->which);
        if (hs < 0)
            return -ENOENT;
        int h = fcntl(hs, F_DUPFD_CLOEXEC, 3);
        return h < 0 ? -errno : h;
    }
    case FS_EXE: {
        if (fs_writing(flags))
            return -ETXTBSY;
        int h = vm->exe_fd < 0 ? -1 : fcntl(vm->exe_fd, F_DUPFD_CLOEXEC, 3);
        return h < 0 ? -ENOENT : h;
    }
    case FS_ETC:
        return fs_writing(flags) ? -EROFS : fs_text_fd(fs_etc_text(n->which));
    case FS_PROC:
        return fs_writing(flags) ? -EACCES : fs_proc_open(vm, n);
    case FS_LINK:
        return -ELOOP; /* O_NOFOLLOW on it, as on a symlink */
    }
    return -ENOENT;
}

int64_t fs_open(struct ukmon_vm *vm, const char *start, const char *path, int flags,
                unsigned mode)
{
    if (flags & ~FS_OPEN_OK)
        return -EINVAL;
    int gfd = fdt_lowest_free(&vm->fdt, 0);
    if (gfd < 0)
        return -EMFILE;
    int64_t obj = proc_acct_new(vm, ACCT_FILE, NULL); /* the tree's limit on open files */
    if (obj < 0)
        return obj;
    struct fs_node n;
    int walk = ((flags & O_NOFOLLOW) ? 0 : FS_FOLLOW) | ((flags & O_CREAT) ? FS_MAY_NOT_EXIST : 0);
    int r = fs_walk(vm, start, path, walk, &n);
    if (r == 0 && n.exists && (flags & O_CREAT) && n.kind == FS_HOST && S_ISDIR(n.st.st_mode))
        r = -EISDIR;
    int h = r < 0 ? r : fs_open_node(vm, &n, flags, mode);
    if (h < 0) {
        fs_node_release(&n);
        proc_acct_drop(vm->fdt.tree, vm->fdt.slot, (uint32_t)obj);
        return h;
    }
    bool dir = n.kind == FS_VDIR || (n.kind == FS_HOST && n.exists && S_ISDIR(n.st.st_mode));
    fdt_install(&vm->fdt, gfd, h, fdt_wants_syscalls(h));
    struct fd_entry *e = &vm->fdt.fd[gfd];
    e->obj = (uint32_t)obj;
    e->cloexec = (flags & O_CLOEXEC) != 0;
    e->vdir = n.kind == FS_VDIR;
    e->path = dir ? strdup(n.path) : NULL;
    e->may_change = n.kind == FS_HOST && fs_mount_writable(vm, n.mount);
    e->read_only = (n.kind == FS_HOST && !e->may_change) || n.kind == FS_VDIR;
    e->devnull = n.kind == FS_DEV && n.which == FS_DEV_NULL;
    fs_node_release(&n);
    return gfd;
}

int fs_stat(struct ukmon_vm *vm, const char *start, const char *path, bool follow,
            struct stat *st)
{
    struct fs_node n;
    int r = fs_walk(vm, start, path, follow ? FS_FOLLOW : 0, &n);
    if (r == 0)
        *st = n.st;
    fs_node_release(&n);
    return r;
}

/* access(): root may read and write anything (but not in a read-only folder). */
int fs_access(struct ukmon_vm *vm, const char *start, const char *path, int mode,
              bool follow)
{
    struct fs_node n;
    int r = fs_walk(vm, start, path, follow ? FS_FOLLOW : 0, &n);
    if (r == 0 && (mode & W_OK)) {
        if (n.kind == FS_HOST && !fs_mount_writable(vm, n.mount))
            r = -EROFS;
        else if (n.kind == FS_VDIR || n.kind == FS_EXE || n.kind == FS_ETC || n.kind == FS_PROC)
            r = -EACCES;
    }
    if (r == 0 && (mode & X_OK) && !S_ISDIR(n.st.st_mode) && !(n.st.st_mode & 0111))
        r = -EACCES;
    if (r == 0 && n.kind == FS_HOST && n.st.st_uid != getuid() && geteuid() != 0) {
        int want = ((mode & R_OK) ? 4 : 0) | ((mode & W_OK) ? 2 : 0) | ((mode & X_OK) ? 1 : 0);
        int have = n.st.st_gid == getgid() ? (n.st.st_mode >> 3) & 7 : n.st.st_mode & 7;
        if (n.st.st_uid == getuid())
            have = (n.st.st_mode >> 6) & 7;
        if ((want & have) != want)
            r = -EACCES;
    }
    fs_node_release(&n);
    return r;
}

int64_t fs_readlink(struct ukmon_vm *vm, const char *start, const char *path, char *buf,
                    size_t len)
{
    struct fs_node n;
    int64_t r = fs_walk(vm, start, path, 0, &n);
    if (r == 0) {
        if (n.kind == FS_EXE) {
            size_t l = strlen(vm->exe_path);
            r = (int64_t)(l < len ? l : len);
            memcpy(buf, vm->exe_path, (size_t)r);
        } else if (n.kind == FS_HOST && S_ISLNK(n.st.st_mode)) {
            ssize_t l = readlinkat(n.fd, "", buf, len);
            r = l < 0 ? -errno : l;
        } else if (n.kind == FS_LINK) {
            r = fs_proc_link(vm, n.path, buf, len);
        } else {
            r = -EINVAL;
        }
    }
    fs_node_release(&n);
    return r;
}

/*
 * Where a new name goes, or an existing one is changed: a walk to it (not following
 * its last component), which must end in a writable folder. A granted folder's mount
 * point, and every directory on the way to one, is pinned (EBUSY, as Linux answers
 * for a mount point): renamed away, the folder under it would be reached by another
 * guest path, through the outer folder's rights instead of its own.
 */
static int fs_change(struct ukmon_vm *vm, const char *start, const char *path, bool may_exist,
                     bool must_exist, struct fs_node *n)
{
    int r = fs_walk(vm, start, path, FS_MAY_NOT_EXIST, n);
    if (r < 0)
        return r;
    if (n->exists && !may_exist)
        return -EEXIST;
    if (!n->exists && must_exist)
        return -ENOENT;
    if (n->exists && (fs_mount_find(vm, n->path) >= 0 || fs_is_mount_parent(vm, n->path)))
        return -EBUSY;
    if (n->kind != FS_HOST)
        return n->kind == FS_VDIR && !n->exists ? -EROFS : -EPERM;
    if (n->dirfd < 0)
        return -EBUSY; /* a granted folder's own root */
    return fs_mount_writable(vm, n->mount) ? 0 : -EROFS;
}

int fs_mkdir(struct ukmon_vm *vm, const char *start, const char *path, unsigned mode)
{
    struct fs_node n;
    int r = fs_change(vm, start, path, false, false, &n);
    if (r == 0 && mkdirat(n.dirfd, n.name, fs_new_mode(vm, mode, 01777)) < 0)
        r = -errno;
    fs_node_release(&n);
    return r;
}

/*
 * mknod: FIFOs, and regular files (as open with O_CREAT|O_EXCL makes them). Devices
 * are EPERM, as for a process without CAP_MKNOD (a container's); so are sockets,
 * which ukmon does not make (no UNIX socket files). The type is looked at first, the
 * path next, as Linux does.
 */
int fs_mknod(struct ukmon_vm *vm, const char *start, const char *path, unsigned mode)
{
    unsigned type = mode & S_IFMT;
    if (type == S_IFDIR)
        return -EPERM;
    if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFCHR && type != S_IFBLK &&
        type != S_IFSOCK)
        return -EINVAL;
    struct fs_node n;
    int r = fs_change(vm, start, path, false, false, &n);
    if (r == 0 && (type == S_IFCHR || type == S_IFBLK || type == S_IFSOCK))
        r = -EPERM;
    if (r == 0 && type == S_IFIFO &&
        mknodat(n.dirfd, n.name, S_IFIFO | fs_new_mode(vm, mode, 07777), 0) < 0)
        r = -errno;
    if (r == 0 && type != S_IFIFO) {
        int fd = fs_open_at(n.dirfd, n.name, O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK,
                            fs_new_mode(vm, mode, 07777));
        r = fd < 0 ? fd : close(fd);
    }
    fs_node_release(&n);
    return r;
}

int fs_unlink(struct ukmon_vm *vm, const char *start, const char *path, bool dir)
{
    struct fs_node n;
    int r = fs_change(vm, start, path, true, true, &n);
    if (r == 0 && !dir && S_ISDIR(n.st.st_mode))
        r = -EISDIR;
    if (r == 0 && dir && !S_ISDIR(n.st.st_mode))
        r = -ENOTDIR;
    if (r == 0 && unlinkat(n.dirfd, n.name, dir ? AT_REMOVEDIR : 0) < 0)
        r = -errno;
    fs_node_release(&n);
    return r;
}

int fs_rename(struct ukmon_vm *vm, const char *start1, const char *from, const char *start2,
              const char *to, unsigned flags)
{
    struct fs_node a, b;
    fs_node_init(&a);
    fs_node_init(&b);
    int r = fs_change(vm, start1, from, true, true, &a);
    if (r == 0)
        r = fs_change(vm, start2, to, true, false, &b);
    if (r == 0 && a.mount != b.mount)
        r = -EXDEV;
    if (r == 0 && syscall(SYS_renameat2, a.dirfd, a.name, b.dirfd, b.name, flags) < 0)
        r = -errno;
    fs_node_release(&a);
    fs_node_release(&b);
    return r;
}

int fs_link(struct ukmon_vm *vm, const char *start1, const char *from, const char *start2,
            const char *to, bool follow)
{
    struct fs_node a, b;
    fs_node_init(&a);
    fs_node_init(&b);
    int r = fs_walk(vm, start1, from, follow ? FS_FOLLOW : 0, &a);
    if (r == 0 && a.kind != FS_HOST)
        r = -EPERM;
    if (r == 0 && a.dirfd < 0)
        r = -EPERM;
    if (r == 0 && S_ISDIR(a.st.st_mode))
        r = -EPERM;
    if (r == 0)
        r = fs_change(vm, start2, to, false, false, &b);
    if (r == 0 && a.mount != b.mount)
        r = -EXDEV;
    if (r == 0 && linkat(a.dirfd, a.name, b.dirfd, b.name, 0) < 0)
        r = -errno;
    fs_node_release(&a);
    fs_node_release(&b);
    return r;
}

/* The target is the guest's text: walks read it later as a guest path, never the host. */
int fs_symlink(struct ukmon_vm *vm, const char *target, const char *start, const char *path)
{
    struct fs_node n;
    int r = fs_change(vm, start, path, false, false, &n);
    if (r == 0 && symlinkat(target, n.dirfd, n.name) < 0)
        r = -errno;
    fs_node_release(&n);
    return r;
}

/*
 * A change to an existing object's metadata (mode, owner, times, size): it must be a
 * file or folder of a granted folder, and that folder writable. Unlike names
 * (fs_change), a folder's own root may change: Linux lets a mount point's mode change
 * too, on a writable mount. Made-up directories are a read-only file system of their
 * own; the other made-up files are not the guest's to change.
 */
static int fs_meta(struct ukmon_vm *vm, const char *start, const char *path, bool follow,
                   struct fs_node *n)
{
    int r = fs_walk(vm, start, path, follow ? FS_FOLLOW : 0, n);
    if (r < 0)
        return r;
    if (!n->exists)
        return -ENOENT;
    if (n->kind != FS_HOST)
        return n->kind == FS_VDIR ? -EROFS : -EPERM;
    return fs_mount_writable(vm, n->mount) ? 0 : -EROFS;
}

/*
 * chmod through an fd of the object itself (opened without following anything):
 * fchmodat() on a name would follow a symlink swapped in meanwhile, on the host.
 * chmod follows a symlink in the last component, as Linux's does. A host file never
 * gets a set-user-id or set-group-id bit from a guest: they are dropped without a
 * word, as Linux drops S_ISGID for a group the caller is not in.
 */
int fs_chmod(struct ukmon_vm *vm, const char *start, const char *path, unsigned mode)
{
    struct fs_node n;
    int r = fs_meta(vm, start, path, true, &n);
    int fd = r == 0 ? fs_reopen(vm, &n, O_RDONLY | O_NONBLOCK) : -1;
    if (r == 0 && fd < 0)
        r = fd;
    if (r == 0 && fchmod(fd, fs_chmod_bits(mode)) < 0)
        r = -errno;
    if (fd >= 0)
        close(fd);
    fs_node_release(&n);
    return r;
}

/* The mode bits chmod and fchmod give a host file. */
unsigned fs_chmod_bits(unsigned mode)
{
    return mode & 07777 & FS_NO_SETID;
}

/*
 * Owners. The guest is given the model of an unprivileged user namespace in which
 * only its own ids are mapped, with one addition: a guest that is root (run by the
 * host's root) may give a file to anyone, and the call succeeds without changing
 * anything on the host. So a change to the owner and group the file has (or -1) is
 * a success that changes nothing; a change to other ids succeeds, changing nothing
 * and recorded nowhere (stat still shows the host's owner), when the guest's
 * effective uid is 0, and is EPERM otherwise. ukmon never hands a host file to
 * another host user. `st` is the object's; read-only folders said EROFS before.
 */
int fs_chown_ids(const struct stat *st, uint32_t uid, uint32_t gid)
{
    bool same = (uid == (uint32_t)-1 || uid == st->st_uid) &&
                (gid == (uint32_t)-1 || gid == st->st_gid);
    return same || geteuid() == 0 ? 0 : -EPERM;
}

/* chown, lchown, fchownat: the checks of a change to metadata, then the ids' (above). */
int fs_chown(struct ukmon_vm *vm, const char *start, const char *path, uint32_t uid,
             uint32_t gid, bool follow)
{
    struct fs_node n;
    int r = fs_meta(vm, start, path, follow, &n);
    if (r == 0)
        r = fs_chown_ids(&n.st, uid, gid);
    fs_node_release(&n);
    return r;
}

int fs_utimens(struct ukmon_vm *vm, const char *start, const char *path,
               const struct timespec ts[2], bool follow)
{
    struct fs_node n;
    int r = fs_meta(vm, start, path, follow, &n);
    if (r == 0) {
        int fd = n.dirfd >= 0 ? n.dirfd : vm->fs.mounts[n.mount].dirfd;
        if (utimensat(fd, n.dirfd >= 0 ? n.name : ".", ts, AT_SYMLINK_NOFOLLOW) < 0)
            r = -errno;
    }
    fs_node_release(&n);
    return r;
}

int fs_truncate(struct ukmon_vm *vm, const char *start, const char *path, int64_t len)
{
    struct fs_node n;
    int r = fs_meta(vm, start, path, true, &n);
    if (r == -EPERM) /* a made-up file: a device, the program, /etc's: not regular ones */
        r = n.kind == FS_ETC ? -EROFS : -EINVAL;
    if ((r == 0 || r == -EROFS) && (n.kind == FS_VDIR || S_ISDIR(n.st.st_mode)))
        r = -EISDIR;
    if (r == 0 && !S_ISREG(n.st.st_mode))
        r = -EINVAL; /* a FIFO: as Linux says for what is no regular file */
    int fd = r == 0 ? fs_reopen(vm, &n, O_WRONLY | O_NONBLOCK) : -1;
    if (r == 0 && fd < 0)
        r = fd;
    if (r == 0 && ftruncate(fd, len) < 0)
        r = -errno;
    if (fd >= 0)
        close(fd);
    fs_node_release(&n);
    return r;
}

int fs_chdir(struct ukmon_vm *vm, const char *start, const char *path)
{
    struct fs_node n;
    int r = fs_walk(vm, start, path, FS_FOLLOW, &n);
    if (r == 0 && !(n.kind == FS_VDIR || (n.kind == FS_HOST && S_ISDIR(n.st.st_mode))))
        r = -ENOTDIR;
    if (r == 0)
        snprintf(vm->fs.cwd, sizeof(vm->fs.cwd), "%s", n.path);
    fs_node_release(&n);
    return r;
}

/* The guest path a directory fd was opened at (for *at() calls and fchdir), or NULL. */
const char *fs_fd_path(const struct ukmon_vm *vm, int64_t fd)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    return e ? e->path : NULL;
}

int fs_fstat(struct ukmon_vm *vm, int64_t fd, struct stat *st)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    if (!e)
        return -EBADF;
    if (e->vdir)
        return fs_stat(vm, NULL, e->path, true, st);
    return fstat(e->host_fd, st) < 0 ? -errno : 0;
}

/* Appends one linux_dirent64 to buf; false when it does not fit. */
static bool fs_put_dirent(uint8_t *buf, uint64_t len, uint64_t *used, uint64_t ino,
                          int64_t off, uint8_t type, const char *name)
{
    size_t nl = strlen(name);
    uint64_t reclen = (19 + nl + 1 + 7) & ~7ULL;
    if (*used + reclen > len)
        return false;
    uint8_t *p = buf + *used;
    memset(p, 0, reclen);
    memcpy(p, &ino, 8);
    memcpy(p + 8, &off, 8);
    uint16_t rl = (uint16_t)reclen;
    memcpy(p + 16, &rl, 2);
    p[18] = type;
    memcpy(p + 19, name, nl);
    *used += reclen;
    return true;
}

/* The names in a made-up directory: our own entries and the way to mounts below. */
static unsigned fs_vdir_names(struct ukmon_vm *vm, const char *dir,
                              char names[][FS_NAME_MAX + 1], unsigned max)
{
    if (fs_proc_dir(dir))
        return fs_proc_names(vm, dir, names, max);
    unsigned n = 0;
    size_t dl = strlen(dir);
    char cand[FS_PATH_MAX];
    for (unsigned i = 0; i < vm->fs.nmounts + 3 && n < max; i++) {
        /* candidates: every mount point, /dev/x, /proc/self/exe, /etc files */
        const char *p = i < vm->fs.nmounts ? vm->fs.mounts[i].guest :
                        i == vm->fs.nmounts ? "/dev/null" :
                        i == vm->fs.nmounts + 1 ? "/proc/self/exe" : "/etc/passwd";
        snprintf(cand, sizeof(cand), "%s", p);
        if (strncmp(cand, dir, dl) || (dl > 1 && cand[dl] != '/') || !cand[dl])
            continue;
        const char *c = cand + (dl > 1 ? dl + 1 : 1);
        char *slash = strchr(c, '/');
        if (slash)
            *slash = 0;
        bool dup = false;
        for (unsigned k = 0; k < n; k++)
            dup = dup || !strcmp(names[k], c);
        if (!dup && *c)
            snprintf(names[n++], FS_NAME_MAX + 1, "%s", c);
    }
    if (!strcmp(dir, "/dev")) {
        static const char *devs[] = {"zero", "urandom", "random", "stdin", "stdout", "stderr",
                                     "fd", "tty"};
        for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]) && n < max; i++)
            if (i != 7 || vm->fs.dev[FS_DEV_TTY] >= 0)
                snprintf(names[n++], FS_NAME_MAX + 1, "%s", devs[i]);
    }
    if (!strcmp(dir, "/etc") && n < max)
        snprintf(names[n++], FS_NAME_MAX + 1, "group");
    if (!strcmp(dir, "/dev/fd"))
        for (int fd = 0; fd < FDT_MAX && n < max; fd++)
            if (fdt_entry(&vm->fdt, fd))
                snprintf(names[n++], FS_NAME_MAX + 1, "%d", fd);
    return n;
}

/*
 * getdents64: a folder's directory straight from the host into guest memory; a
 * made-up one from our list (".", "..", then its names).
 */
int64_t fs_getdents(struct ukmon_vm *vm, int64_t fd, ukmon_gpa_t buf, uint64_t len)
{
    struct fd_entry *e = (struct fd_entry *)fdt_entry(&vm->fdt, fd);
    if (!e)
        return -EBADF;
    if (len > (1U << 20))
        len = 1U << 20;
    uint8_t *io = gmem_io_ptr(vm, buf, len, true);
    if (!io)
        return -EFAULT;
    if (!e->vdir) {
        if (!e->path)
            return -ENOTDIR;
        long n = syscall(SYS_getdents64, e->host_fd, io, len);
        return n < 0 ? -errno : n;
    }
    /* Made up here, then copied out: a made-up folder's listing is small. */
    static uint8_t p[64 << 10];
    if (len > sizeof(p))
        len = sizeof(p);
    static char names[FDT_MAX + 64][FS_NAME_MAX + 1];
    unsigned count = fs_vdir_names(vm, e->path, names, sizeof(names) / sizeof(names[0]));
    uint64_t used = 0;
    for (int64_t i = e->vdir_pos; i < (int64_t)count + 2; i++) {
        char full[FS_PATH_MAX];
        const char *name = i == 0 ? "." : i == 1 ? ".." : names[i - 2];
        snprintf(full, sizeof(full), "%s/%s", strcmp(e->path, "/") ? e->path : "", name);
        struct stat st;
        uint8_t type = 0; /* DT_UNKNOWN if it cannot be said cheaply */
        if (i < 2 || fs_stat(vm, NULL, full, false, &st) == 0)
            type = i < 2 ? 4 : (uint8_t)((st.st_mode & S_IFMT) >> 12);
        uint64_t ino = 1000 + (uint64_t)i;
        if (!fs_put_dirent(p, len, &used, ino, i + 1, type, name)) {
            if (used == 0)
                return -EINVAL;
            break;
        }
        e->vdir_pos = i + 1;
    }
    return gmem_write(vm, buf, p, used) < 0 ? -EFAULT : (int64_t)used;
}

/*
 * execve's file: a regular file of a granted folder with an execute bit, opened for
 * reading; *real gets its guest path. /proc/self/exe is the running program.
 */
int fs_open_exec(struct ukmon_vm *vm, const char *path, int *fd, char *real, size_t reallen)
{
    struct fs_node n;
    int r = fs_walk(vm, NULL, path, FS_FOLLOW, &n);
    if (r == 0) {
        snprintf(real, reallen, "%s", n.path);
        if (n.kind == FS_EXE) {
            *fd = vm->exe_fd;
            fs_node_release(&n);
            return vm->exe_fd < 0 ? -ENOENT : 0;
        }
        if (n.kind != FS_HOST || !S_ISREG(n.st.st_mode))
            r = -EACCES;
        else if (!(n.st.st_mode & 0111))
            r = -EACCES;
        else
            r = *fd = fs_reopen(vm, &n, O_RDONLY);
    }
    fs_node_release(&n);
    return r < 0 ? r : 0;
}
