/* lx_fs.c: Linux path and file calls, thin adapters over the file-system service. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kernel/io.h"
#include "kernel/proc.h"
#include "linux/lx.h"

/*
 * A path argument: copied out of guest memory (EFAULT, ENAMETOOLONG), and where a
 * relative one starts: the cwd, or the directory `dirfd` was opened at.
 */
struct lx_path {
    char p[FS_PATH_MAX];
    const char *start;
};

static int lx_path_get(struct ukmon_vm *vm, int dirfd, uint64_t gva, struct lx_path *out)
{
    int r = lx_copy_string(vm, gva, out->p, sizeof(out->p));
    if (r < 0)
        return r;
    out->start = NULL;
    if (out->p[0] != '/' && dirfd != AT_FDCWD) {
        if (!fdt_entry(&vm->fdt, dirfd))
            return -EBADF;
        out->start = fs_fd_path(vm, dirfd);
        if (!out->start)
            return -ENOTDIR;
    }
    return 0;
}

/* The kernel's O_LARGEFILE, which musl passes; glibc's headers call it 0 on x86-64. */
#define LX_O_LARGEFILE 0100000

LX_HANDLER(lx_openat)
{
    struct lx_path p;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_open(vm, p.start, p.p, (int)a[2] & ~LX_O_LARGEFILE, (unsigned)a[3]);
}

LX_HANDLER(lx_open)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], 0, 0};
    return lx_openat(vm, b);
}

LX_HANDLER(lx_creat)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, a[1], 0, 0};
    return lx_openat(vm, b);
}

static int64_t lx_stat_out(struct ukmon_vm *vm, int r, const struct stat *st, uint64_t buf)
{
    return r < 0 ? r : lx_copy_out(vm, buf, st, sizeof(*st));
}

/* newfstatat with a path (the empty path with AT_EMPTY_PATH is lx_fd.c's). */
int64_t lx_path_stat(struct ukmon_vm *vm, int dirfd, uint64_t path, uint64_t buf,
                     uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct lx_path p;
    struct stat st;
    int r = lx_path_get(vm, dirfd, path, &p);
    if (r == 0)
        r = fs_stat(vm, p.start, p.p, !(flags & AT_SYMLINK_NOFOLLOW), &st);
    return lx_stat_out(vm, r, &st, buf);
}

/* statx from a struct stat: the basic fields, which is what stat gives. */
static void lx_stat_to_statx(const struct stat *st, struct statx *sx)
{
    memset(sx, 0, sizeof(*sx));
    sx->stx_mask = STATX_BASIC_STATS;
    sx->stx_blksize = (uint32_t)st->st_blksize;
    sx->stx_nlink = (uint32_t)st->st_nlink;
    sx->stx_uid = st->st_uid;
    sx->stx_gid = st->st_gid;
    sx->stx_mode = (uint16_t)st->st_mode;
    sx->stx_ino = st->st_ino;
    sx->stx_size = (uint64_t)st->st_size;
    sx->stx_blocks = (uint64_t)st->st_blocks;
    sx->stx_atime = (struct statx_timestamp){st->st_atim.tv_sec, (uint32_t)st->st_atim.tv_nsec, 0};
    sx->stx_mtime = (struct statx_timestamp){st->st_mtim.tv_sec, (uint32_t)st->st_mtim.tv_nsec, 0};
    sx->stx_ctime = (struct statx_timestamp){st->st_ctim.tv_sec, (uint32_t)st->st_ctim.tv_nsec, 0};
    sx->stx_rdev_major = major(st->st_rdev);
    sx->stx_rdev_minor = minor(st->st_rdev);
    sx->stx_dev_major = major(st->st_dev);
    sx->stx_dev_minor = minor(st->st_dev);
}

int64_t lx_path_statx(struct ukmon_vm *vm, int dirfd, uint64_t path, uint64_t flags,
                      unsigned mask, uint64_t buf)
{
    (void)mask;
    struct lx_path p;
    struct stat st;
    struct statx sx;
    int r = lx_path_get(vm, dirfd, path, &p);
    if (r == 0)
        r = fs_stat(vm, p.start, p.p, !(flags & AT_SYMLINK_NOFOLLOW), &st);
    if (r < 0)
        return r;
    lx_stat_to_statx(&st, &sx);
    return lx_copy_out(vm, buf, &sx, sizeof(sx));
}

int64_t lx_fd_statx(struct ukmon_vm *vm, int fd, uint64_t buf)
{
    struct stat st;
    struct statx sx;
    int r = fs_fstat(vm, fd, &st);
    if (r < 0)
        return r;
    lx_stat_to_statx(&st, &sx);
    return lx_copy_out(vm, buf, &sx, sizeof(sx));
}

LX_HANDLER(lx_stat)
{
    return lx_path_stat(vm, AT_FDCWD, a[0], a[1], 0);
}

LX_HANDLER(lx_lstat)
{
    return lx_path_stat(vm, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

LX_HANDLER(lx_faccessat)
{
    struct lx_path p;
    if (a[2] & ~(uint64_t)(R_OK | W_OK | X_OK))
        return -EINVAL;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_access(vm, p.start, p.p, (int)a[2], !(a[3] & AT_SYMLINK_NOFOLLOW));
}

LX_HANDLER(lx_access)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], 0, 0, 0};
    return lx_faccessat(vm, b);
}

LX_HANDLER(lx_readlinkat)
{
    struct lx_path p;
    char buf[FS_PATH_MAX];
    if ((int64_t)a[3] <= 0)
        return -EINVAL;
    int64_t r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    if (r == 0)
        r = fs_readlink(vm, p.start, p.p, buf, a[3] < sizeof(buf) ? a[3] : sizeof(buf));
    if (r > 0 && lx_copy_out(vm, a[2], buf, (size_t)r) < 0)
        return -EFAULT;
    return r;
}

LX_HANDLER(lx_readlink)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], 0, 0};
    return lx_readlinkat(vm, b);
}

LX_HANDLER(lx_getcwd)
{
    const char *cwd = fs_cwd(vm);
    size_t n = strlen(cwd) + 1;
    if (a[1] < n)
        return -ERANGE;
    return lx_copy_out(vm, a[0], cwd, n) < 0 ? -EFAULT : (int64_t)n;
}

LX_HANDLER(lx_chdir)
{
    struct lx_path p;
    int r = lx_path_get(vm, AT_FDCWD, a[0], &p);
    return r < 0 ? r : fs_chdir(vm, NULL, p.p);
}

LX_HANDLER(lx_fchdir)
{
    if (!fdt_entry(&vm->fdt, (int32_t)a[0]))
        return -EBADF;
    const char *dir = fs_fd_path(vm, (int32_t)a[0]);
    return dir ? fs_chdir(vm, NULL, dir) : -ENOTDIR;
}

LX_HANDLER(lx_mkdirat)
{
    struct lx_path p;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_mkdir(vm, p.start, p.p, (unsigned)a[2]);
}

LX_HANDLER(lx_mkdir)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], 0, 0, 0};
    return lx_mkdirat(vm, b);
}

/* The device number is looked at by nobody: devices are EPERM (fs_mknod). */
LX_HANDLER(lx_mknodat)
{
    struct lx_path p;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_mknod(vm, p.start, p.p, (unsigned)a[2]);
}

LX_HANDLER(lx_mknod)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], 0, 0};
    return lx_mknodat(vm, b);
}

LX_HANDLER(lx_unlinkat)
{
    struct lx_path p;
    if (a[2] & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_unlink(vm, p.start, p.p, a[2] & AT_REMOVEDIR);
}

LX_HANDLER(lx_unlink)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], 0, 0, 0, 0};
    return lx_unlinkat(vm, b);
}

LX_HANDLER(lx_rmdir)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], AT_REMOVEDIR, 0, 0, 0};
    return lx_unlinkat(vm, b);
}

#define LX_RENAME_NOREPLACE 1
#define LX_RENAME_EXCHANGE 2

LX_HANDLER(lx_renameat2)
{
    struct lx_path p1, p2;
    if (a[4] & ~(uint64_t)(LX_RENAME_NOREPLACE | LX_RENAME_EXCHANGE))
        return -EINVAL;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p1);
    if (r == 0)
        r = lx_path_get(vm, (int32_t)a[2], a[3], &p2);
    return r < 0 ? r : fs_rename(vm, p1.start, p1.p, p2.start, p2.p, (unsigned)a[4]);
}

LX_HANDLER(lx_renameat)
{
    const uint64_t b[6] = {a[0], a[1], a[2], a[3], 0, 0};
    return lx_renameat2(vm, b);
}

LX_HANDLER(lx_rename)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], (uint64_t)AT_FDCWD, a[1], 0, 0};
    return lx_renameat2(vm, b);
}

LX_HANDLER(lx_linkat)
{
    struct lx_path p1, p2;
    if (a[4] & ~(uint64_t)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p1);
    if (r == 0)
        r = lx_path_get(vm, (int32_t)a[2], a[3], &p2);
    return r < 0 ? r : fs_link(vm, p1.start, p1.p, p2.start, p2.p, a[4] & AT_SYMLINK_FOLLOW);
}

LX_HANDLER(lx_link)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], (uint64_t)AT_FDCWD, a[1], 0, 0};
    return lx_linkat(vm, b);
}

LX_HANDLER(lx_symlinkat)
{
    char target[FS_PATH_MAX];
    struct lx_path p;
    int r = lx_copy_string(vm, a[0], target, sizeof(target));
    if (r == 0)
        r = lx_path_get(vm, (int32_t)a[1], a[2], &p);
    if (r == 0 && !target[0])
        r = -ENOENT;
    return r < 0 ? r : fs_symlink(vm, target, p.start, p.p);
}

LX_HANDLER(lx_symlink)
{
    const uint64_t b[6] = {a[0], (uint64_t)AT_FDCWD, a[1], 0, 0, 0};
    return lx_symlinkat(vm, b);
}

LX_HANDLER(lx_fchmodat)
{
    struct lx_path p;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_chmod(vm, p.start, p.p, (unsigned)a[2]);
}

LX_HANDLER(lx_chmod)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], 0, 0, 0};
    return lx_fchmodat(vm, b);
}

/*
 * On an fd: only files opened from :rw folders may change their mode or times (the
 * host would allow it on a read-only fd, and on fds 0-2, which are the user's). A
 * file of a read-only folder says so as a read-only mount would: EROFS.
 */
static int lx_fd_writable(struct ukmon_vm *vm, int fd, int *host)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    if (!e)
        return -EBADF;
    *host = e->host_fd;
    return e->may_change ? 0 : e->read_only ? -EROFS : -EPERM;
}

LX_HANDLER(lx_fchmod)
{
    int h, r = lx_fd_writable(vm, (int32_t)a[0], &h);
    if (r < 0)
        return r;
    return fchmod(h, fs_chmod_bits((unsigned)a[1])) < 0 ? -errno : 0;
}

/* Owners: see fs_chown_ids() for the model; nothing changes on the host. */
LX_HANDLER(lx_fchownat)
{
    if (a[4] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char c;
    if ((a[4] & AT_EMPTY_PATH) && lx_copy_string(vm, a[1], &c, 1) == 0 && !c) {
        const uint64_t b[6] = {a[0], a[2], a[3], 0, 0, 0};
        return lx_fchown(vm, b);
    }
    struct lx_path p;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_chown(vm, p.start, p.p, (uint32_t)a[2], (uint32_t)a[3],
                                !(a[4] & AT_SYMLINK_NOFOLLOW));
}

LX_HANDLER(lx_chown)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], 0, 0};
    return lx_fchownat(vm, b);
}

LX_HANDLER(lx_lchown)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW, 0};
    return lx_fchownat(vm, b);
}

/*
 * On an fd: EROFS for a file of a read-only folder (or a made-up folder); any other
 * fd (a file, a pipe, a socket) by the ids its host object has.
 */
LX_HANDLER(lx_fchown)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, (int32_t)a[0]);
    if (!e)
        return -EBADF;
    if (e->read_only)
        return -EROFS;
    struct stat st;
    int r = fs_fstat(vm, (int32_t)a[0], &st);
    return r < 0 ? r : fs_chown_ids(&st, (uint32_t)a[1], (uint32_t)a[2]);
}

/* Needs an fd open for writing, which read-only folders never give. */
LX_HANDLER(lx_ftruncate)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, (int32_t)a[0]);
    if (!e)
        return -EBADF;
    if ((int64_t)a[1] < 0 || e->path)
        return -EINVAL;
    return ftruncate(e->host_fd, (off_t)a[1]) < 0 ? -errno : 0;
}

LX_HANDLER(lx_truncate)
{
    struct lx_path p;
    int r = lx_path_get(vm, AT_FDCWD, a[0], &p);
    if (r == 0 && (int64_t)a[1] < 0)
        r = -EINVAL;
    return r < 0 ? r : fs_truncate(vm, NULL, p.p, (int64_t)a[1]);
}

LX_HANDLER(lx_fsync)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, (int32_t)a[0]);
    if (!e)
        return -EBADF;
    return fsync(e->host_fd) < 0 && errno != EINVAL && errno != EROFS ? -errno : 0;
}

LX_HANDLER(lx_utimensat)
{
    struct timespec ts[2], *tsp = NULL;
    if (a[2]) {
        if (lx_copy_in(vm, ts, a[2], sizeof(ts)) < 0)
            return -EFAULT;
        tsp = ts;
    }
    if (a[3] & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!a[1]) { /* futimens(): the fd itself */
        int h, r = lx_fd_writable(vm, (int32_t)a[0], &h);
        if (r < 0)
            return r;
        return futimens(h, tsp) < 0 ? -errno : 0;
    }
    struct lx_path p;
    int r = lx_path_get(vm, (int32_t)a[0], a[1], &p);
    return r < 0 ? r : fs_utimens(vm, p.start, p.p, tsp, !(a[3] & AT_SYMLINK_NOFOLLOW));
}

LX_HANDLER(lx_getdents64)
{
    return fs_getdents(vm, (int32_t)a[0], a[1], a[2]);
}

/* statfs: numbers that say "a local file system with room", from the host's. */
static int64_t lx_statfs_of(struct ukmon_vm *vm, int host_fd, uint64_t buf)
{
    struct statfs sf;
    memset(&sf, 0, sizeof(sf));
    if (host_fd >= 0 && fstatfs(host_fd, &sf) < 0)
        return -errno;
    if (host_fd < 0) {
        sf.f_type = 0x858458f6; /* RAMFS_MAGIC: a made-up directory */
        sf.f_bsize = 4096;
        sf.f_namelen = FS_NAME_MAX;
    }
    return lx_copy_out(vm, buf, &sf, sizeof(sf));
}

LX_HANDLER(lx_fstatfs)
{
    const struct fd_entry *e = fdt_entry(&vm->fdt, (int32_t)a[0]);
    if (!e)
        return -EBADF;
    return lx_statfs_of(vm, e->vdir ? -1 : e->host_fd, a[1]);
}

LX_HANDLER(lx_statfs)
{
    struct lx_path p;
    int r = lx_path_get(vm, AT_FDCWD, a[0], &p);
    if (r < 0)
        return r;
    int64_t fd = fs_open(vm, NULL, p.p, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
    if (fd < 0)
        return fd;
    const uint64_t b[6] = {(uint64_t)fd, a[1], 0, 0, 0, 0};
    int64_t s = lx_fstatfs(vm, b);
    io_close(vm, fd);
    return s;
}

/*
 * Extended attributes: the guest's files have none it can see or set, as on a file
 * system without them (EOPNOTSUPP, which ls -l, cp -a and tar take quietly; ENOSYS
 * made ls print an error for every file).
 */
LX_HANDLER(lx_xattr)
{
    (void)vm;
    (void)a;
    return -EOPNOTSUPP;
}

/*
 * mmap of an fd: regular files only (pipes and terminals cannot be mapped), where the
 * guest asks (MAP_FIXED: ld.so places a library's segments so) or mmap would put it.
 */
int64_t lx_mmap_file(struct ukmon_vm *vm, const uint64_t a[6])
{
    uint64_t len = a[1], prot = a[2], flags = a[3], off = a[5];
    const struct fd_entry *f = fdt_entry(&vm->fdt, (int32_t)a[4]);
    if (!f)
        return -EBADF;
    struct stat st;
    if (f->vdir || fstat(f->host_fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -ENODEV;
    if (off % PAGE_SIZE_4K)
        return -EINVAL;
    int acc = fcntl(f->host_fd, F_GETFL) & O_ACCMODE;
    if (acc == O_WRONLY || ((flags & 0xf) != MAP_PRIVATE && (prot & PROT_WRITE) && acc == O_RDONLY))
        return -EACCES;
    uint64_t size = (len + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1), lo;
    if (len == 0)
        return -EINVAL;
    int64_t w = lx_map_where(vm, a[0], size, flags, &lo);
    if (w < 0)
        return w;
    uint8_t perm = PG_M;
    if (prot & (PROT_READ | PROT_WRITE | PROT_EXEC))
        perm |= PG_P | PG_U | ((prot & PROT_WRITE) ? PG_W : 0) | ((prot & PROT_EXEC) ? PG_X : 0);
    /*
     * Only the file's own pages are mapped: touching a file mapping past its end is
     * SIGBUS, which the monitor's own copies to and from guest memory must never
     * meet. The rest of the range stays reserved and inaccessible (the guest gets
     * SIGSEGV there where Linux gives SIGBUS).
     */
    uint64_t in_file = (uint64_t)st.st_size > off ? (uint64_t)st.st_size - off : 0;
    in_file = (in_file + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    if (in_file > size)
        in_file = size;
    /* MAP_FIXED may land over a file window, SysV or MAP_SHARED memory: they end here. */
    lx_windows_clear_range(vm, lo, lo + size);
    shm_unmapped(vm, lo, lo + size);
    int r = as_map_file(vm, lo, lo + in_file, perm, f->host_fd, off,
                        (flags & 0xf) != MAP_PRIVATE);
    if (r == 0 && in_file < size)
        r = as_replace(vm, lo + in_file, lo + size, PG_M);
    return r < 0 ? r : (int64_t)lo;
}
