/* hc_fs.c: file hypercalls (ABI 2), thin adapters over the file-system service. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kernel/io.h"
#include "kvm/vmm.h"
#include "native/hypercalls.h"

/* A path argument, copied out of guest memory: -EFAULT, -ENAMETOOLONG. */
static int hc_path(struct ukmon_vm *vm, ukmon_gpa_t gpa, char *out)
{
    int64_t r = gmem_read_str(vm, gpa, out, FS_PATH_MAX);
    return r < 0 ? (int)r : 0;
}

enum run_next hc_open(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_open *a = arg;
    char p[FS_PATH_MAX];
    int r = hc_path(vm, a->path, p);
    a->ret = r < 0 ? r : a->flags > 0xffffffff ? -EINVAL :
             fs_open(vm, NULL, p, (int)a->flags, (unsigned)a->mode);
    return RUN_CONTINUE;
}

static void hc_stat_fill(struct ukmon_stat *o, const struct stat *st)
{
    *o = (struct ukmon_stat){
        .dev = st->st_dev, .ino = st->st_ino, .mode = st->st_mode, .nlink = st->st_nlink,
        .uid = st->st_uid, .gid = st->st_gid, .rdev = st->st_rdev,
        .size = (uint64_t)st->st_size, .blksize = (uint64_t)st->st_blksize,
        .blocks = (uint64_t)st->st_blocks,
        .atime_ns = st->st_atim.tv_sec * 1000000000LL + st->st_atim.tv_nsec,
        .mtime_ns = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec,
        .ctime_ns = st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec,
    };
}

enum run_next hc_stat(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_stat *a = arg;
    struct stat st;
    char p[FS_PATH_MAX];
    int r;
    struct ukmon_stat out;
    if (!gmem_check(vm, a->st, sizeof(out), true))
        r = -EFAULT;
    else if (a->fd >= 0)
        r = fs_fstat(vm, a->fd, &st);
    else if ((r = hc_path(vm, a->path, p)) == 0)
        r = fs_stat(vm, NULL, p, a->nofollow == 0, &st);
    if (r == 0) {
        hc_stat_fill(&out, &st);
        r = gmem_write(vm, a->st, &out, sizeof(out));
    }
    a->ret = r;
    return RUN_CONTINUE;
}

enum run_next hc_getdents(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_rw *a = arg;
    a->ret = fs_getdents(vm, a->fd, a->buf, a->len);
    return RUN_CONTINUE;
}

enum run_next hc_unlink(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_path *a = arg;
    char p[FS_PATH_MAX];
    int r = hc_path(vm, a->path, p);
    a->ret = r < 0 ? r : a->arg & ~(uint64_t)UKMON_UNLINK_DIR ? -EINVAL :
             fs_unlink(vm, NULL, p, a->arg & UKMON_UNLINK_DIR);
    return RUN_CONTINUE;
}

enum run_next hc_mkdir(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_path *a = arg;
    char p[FS_PATH_MAX];
    int r = hc_path(vm, a->path, p);
    a->ret = r < 0 ? r : fs_mkdir(vm, NULL, p, (unsigned)a->arg);
    return RUN_CONTINUE;
}

enum run_next hc_chdir(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_path *a = arg;
    char p[FS_PATH_MAX];
    int r = hc_path(vm, a->path, p);
    a->ret = r < 0 ? r : fs_chdir(vm, NULL, p);
    return RUN_CONTINUE;
}

enum run_next hc_lseek(struct ukmon_vm *vm, void *arg)
{
    struct ukmon_hc_lseek *a = arg;
    const struct fd_entry *e = fdt_entry(&vm->fdt, a->fd);
    if (!e) {
        a->ret = -EBADF;
    } else if (a->whence > SEEK_END) {
        a->ret = -EINVAL;
    } else {
        off_t r = lseek(e->host_fd, (off_t)a->offset, (int)a->whence);
        a->ret = r < 0 ? -errno : r;
    }
    return RUN_CONTINUE;
}
