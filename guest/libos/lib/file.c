/* file.c: files and directories of the granted folders, each call one hypercall. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hypercall.h"

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    struct ukmon_hc_open a = {.path = (uintptr_t)path, .flags = (uint64_t)(unsigned)flags,
                              .mode = mode};
    hypercall(UKMON_HC_OPEN, &a);
    return (int)__syscall_ret(a.ret);
}

int creat(const char *path, mode_t mode)
{
    return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

static struct timespec ns_to_ts(int64_t ns)
{
    return (struct timespec){.tv_sec = ns / 1000000000LL, .tv_nsec = ns % 1000000000LL};
}

static int do_stat(int fd, const char *path, int nofollow, struct stat *st)
{
    struct ukmon_stat u;
    struct ukmon_hc_stat a = {.fd = fd, .path = (uintptr_t)path,
                              .nofollow = (uint64_t)nofollow, .st = (uintptr_t)&u};
    hypercall(UKMON_HC_STAT, &a);
    if (__syscall_ret(a.ret) < 0)
        return -1;
    *st = (struct stat){
        .st_dev = u.dev, .st_ino = u.ino, .st_mode = (mode_t)u.mode, .st_nlink = u.nlink,
        .st_uid = (uid_t)u.uid, .st_gid = (gid_t)u.gid, .st_rdev = u.rdev,
        .st_size = (off_t)u.size, .st_blksize = (long)u.blksize, .st_blocks = (long)u.blocks,
        .st_atim = ns_to_ts(u.atime_ns), .st_mtim = ns_to_ts(u.mtime_ns),
        .st_ctim = ns_to_ts(u.ctime_ns),
    };
    return 0;
}

int stat(const char *restrict path, struct stat *restrict st)
{
    return do_stat(-1, path, 0, st);
}

int lstat(const char *restrict path, struct stat *restrict st)
{
    return do_stat(-1, path, 1, st);
}

int fstat(int fd, struct stat *st)
{
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    return do_stat(fd, "", 0, st);
}

static int path_call(unsigned nr, const char *path, uint64_t arg)
{
    struct ukmon_hc_path a = {.path = (uintptr_t)path, .arg = arg};
    hypercall(nr, &a);
    return (int)__syscall_ret(a.ret);
}

int mkdir(const char *path, mode_t mode)
{
    return path_call(UKMON_HC_MKDIR, path, mode);
}

int unlink(const char *path)
{
    return path_call(UKMON_HC_UNLINK, path, 0);
}

int rmdir(const char *path)
{
    return path_call(UKMON_HC_UNLINK, path, UKMON_UNLINK_DIR);
}

int chdir(const char *path)
{
    return path_call(UKMON_HC_CHDIR, path, 0);
}

off_t lseek(int fd, off_t offset, int whence)
{
    struct ukmon_hc_lseek a = {.fd = fd, .offset = offset, .whence = (uint64_t)whence};
    hypercall(UKMON_HC_LSEEK, &a);
    return (off_t)__syscall_ret(a.ret);
}

/* A directory stream: records as the monitor gives them (Linux dirent64), one buffer. */
struct __ukmon_dir {
    int fd;
    size_t len, pos;
    struct dirent ent;
    unsigned char buf[4096];
};

DIR *opendir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = calloc(1, sizeof(*d));
    if (!d) {
        close(fd);
        errno = ENOMEM;
        return NULL;
    }
    d->fd = fd;
    return d;
}

struct dirent *readdir(DIR *d)
{
    if (d->pos >= d->len) {
        struct ukmon_hc_rw a = {.fd = d->fd, .buf = (uintptr_t)d->buf, .len = sizeof(d->buf)};
        hypercall(UKMON_HC_GETDENTS, &a);
        if (a.ret <= 0) {
            if (a.ret < 0)
                errno = (int)-a.ret;
            return NULL;
        }
        d->len = (size_t)a.ret;
        d->pos = 0;
    }
    /* dirent64: ino (8), off (8), reclen (2), type (1), name */
    const unsigned char *r = d->buf + d->pos;
    unsigned short reclen;
    memcpy(&d->ent.d_ino, r, 8);
    memcpy(&d->ent.d_off, r + 8, 8);
    memcpy(&reclen, r + 16, 2);
    d->ent.d_reclen = reclen;
    d->ent.d_type = r[18];
    size_t n = strnlen((const char *)r + 19, reclen > 19 ? reclen - 19 : 0);
    if (n > 255)
        n = 255;
    memcpy(d->ent.d_name, r + 19, n);
    d->ent.d_name[n] = 0;
    d->pos += reclen ? reclen : d->len;
    return &d->ent;
}

int closedir(DIR *d)
{
    int r = close(d->fd);
    free(d);
    return r;
}
