/* lx_fs.c: Linux path calls. Without granted folders the guest sees an empty root. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/stat.h>

#include "linux/lx.h"

#define LX_PATH_MAX 4096

/*
 * The guest's view of a path, made absolute and tidy: "." and empty components
 * dropped, ".." taken back (never above "/"). The cwd is "/" until folders exist.
 */
static int lx_path_str(struct ukmon_vm *vm, int dirfd, const char *guest, char *out)
{
    char in[LX_PATH_MAX];
    snprintf(in, sizeof(in), "%s", guest);
    if (in[0] == 0)
        return -ENOENT;
    if (in[0] != '/' && dirfd != AT_FDCWD)
        return fdt_entry(&vm->fdt, dirfd) ? -ENOTDIR : -EBADF;
    size_t n = 0;
    out[n++] = '/';
    for (char *save, *c = strtok_r(in, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            while (n > 1 && out[n - 1] != '/')
                n--;
            if (n > 1)
                n--;
            continue;
        }
        size_t len = strlen(c);
        if (n + (n > 1) + len >= LX_PATH_MAX)
            return -ENAMETOOLONG;
        if (n > 1)
            out[n++] = '/';
        memcpy(out + n, c, len);
        n += len;
    }
    out[n] = 0;
    return 0;
}

static int lx_path(struct ukmon_vm *vm, int dirfd, uint64_t gva, char *out)
{
    char in[LX_PATH_MAX];
    int r = lx_copy_string(vm, gva, in, sizeof(in));
    return r < 0 ? r : lx_path_str(vm, dirfd, in, out);
}

/* What exists: an empty root directory. */
static int lx_lookup(struct ukmon_vm *vm, const char *path, struct stat *st)
{
    (void)vm;
    if (strcmp(path, "/"))
        return -ENOENT;
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    st->st_blksize = 4096;
    return 0;
}

int64_t lx_path_stat(struct ukmon_vm *vm, int dirfd, uint64_t path, uint64_t buf,
                     uint64_t flags)
{
    char p[LX_PATH_MAX];
    struct stat st;
    if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    int r = lx_path(vm, dirfd, path, p);
    if (r == 0)
        r = lx_lookup(vm, p, &st);
    return r < 0 ? r : lx_copy_out(vm, buf, &st, sizeof(st));
}

int64_t lx_path_statx(struct ukmon_vm *vm, int dirfd, uint64_t path, uint64_t flags,
                      unsigned mask, uint64_t buf)
{
    (void)mask;
    char p[LX_PATH_MAX];
    struct stat st;
    int r = lx_path(vm, dirfd, path, p);
    if (r == 0)
        r = lx_lookup(vm, p, &st);
    if (r < 0)
        return r;
    (void)flags;
    struct statx sx;
    memset(&sx, 0, sizeof(sx));
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = (uint32_t)st.st_blksize;
    sx.stx_nlink = (uint32_t)st.st_nlink;
    sx.stx_mode = (uint16_t)st.st_mode;
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

LX_HANDLER(lx_openat)
{
    char p[LX_PATH_MAX];
    struct stat st;
    int r = lx_path(vm, (int32_t)a[0], a[1], p);
    if (r == 0)
        r = lx_lookup(vm, p, &st);
    if (r == 0)
        r = (a[2] & O_ACCMODE) != O_RDONLY ? -EISDIR : -EACCES;
    return r;
}

LX_HANDLER(lx_open)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], 0, 0};
    return lx_openat(vm, b);
}

LX_HANDLER(lx_faccessat)
{
    char p[LX_PATH_MAX];
    struct stat st;
    if (a[2] & ~(uint64_t)(R_OK | W_OK | X_OK))
        return -EINVAL;
    int r = lx_path(vm, (int32_t)a[0], a[1], p);
    if (r == 0)
        r = lx_lookup(vm, p, &st);
    return r < 0 ? r : (a[2] & W_OK) ? -EROFS : 0;
}

LX_HANDLER(lx_access)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], 0, 0, 0};
    return lx_faccessat(vm, b);
}

LX_HANDLER(lx_readlinkat)
{
    char p[LX_PATH_MAX];
    int r = lx_path(vm, (int32_t)a[0], a[1], p);
    if (r < 0)
        return r;
    if ((int64_t)a[3] <= 0)
        return -EINVAL;
    if (strcmp(p, "/proc/self/exe")) {
        struct stat st;
        r = lx_lookup(vm, p, &st);
        return r < 0 ? r : -EINVAL;
    }
    size_t n = strlen(vm->exe_path);
    if (n > a[3])
        n = a[3];
    return lx_copy_out(vm, a[2], vm->exe_path, n) < 0 ? -EFAULT : (int64_t)n;
}

LX_HANDLER(lx_readlink)
{
    const uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], 0, 0};
    return lx_readlinkat(vm, b);
}

LX_HANDLER(lx_getcwd)
{
    if (a[1] < 2)
        return -ERANGE;
    return lx_copy_out(vm, a[0], "/", 2) < 0 ? -EFAULT : 2;
}

LX_HANDLER(lx_chdir)
{
    char p[LX_PATH_MAX];
    struct stat st;
    int r = lx_path(vm, AT_FDCWD, a[0], p);
    if (r == 0)
        r = lx_lookup(vm, p, &st);
    return r < 0 ? r : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* The file execve names: a host fd to run it from (the caller's, or vm->exe_fd). */
int lx_exec_open(struct ukmon_vm *vm, const char *guest_path, int *fd)
{
    char p[LX_PATH_MAX];
    int r = lx_path_str(vm, AT_FDCWD, guest_path, p);
    if (r < 0)
        return r;
    if (!strcmp(p, "/proc/self/exe")) {
        if (vm->exe_fd < 0)
            return -ENOENT;
        *fd = vm->exe_fd;
        return 0;
    }
    struct stat st;
    r = lx_lookup(vm, p, &st);
    return r < 0 ? r : -EACCES;
}

/* mmap of an fd: regular files only (pipes and terminals cannot be mapped). */
int64_t lx_mmap_file(struct ukmon_vm *vm, const uint64_t a[6])
{
    uint64_t len = a[1], prot = a[2], flags = a[3], off = a[5];
    const struct fd_entry *f = fdt_entry(&vm->fdt, (int32_t)a[4]);
    if (!f)
        return -EBADF;
    struct stat st;
    if (fstat(f->host_fd, &st) < 0)
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -ENODEV;
    if (off % PAGE_SIZE_4K)
        return -EINVAL;
    if (flags & (MAP_FIXED | 0x100000))
        return -EINVAL; /* at an address of its choosing: not yet */
    uint64_t size = (len + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    if (size == 0 || size > vm->mem_size)
        return -ENOMEM;
    uint64_t lo = as_find_free(vm, size, (vm->as.brk + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1),
                               vm->as.mmap_top);
    if (!lo)
        return -ENOMEM;
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
    int r = as_map_file(vm, lo, lo + in_file, perm, f->host_fd, off,
                        (flags & 0xf) != MAP_PRIVATE);
    if (r == 0 && in_file < size)
        r = as_replace(vm, lo + in_file, lo + size, PG_M);
    return r < 0 ? r : (int64_t)lo;
}
