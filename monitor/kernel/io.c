/* io.c: the fd services both personalities share: read/write, pipes, close, dup. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kvm/vmm.h"

/* Linux moves at most this much in one read/write call; so do we. */
#define RW_MAX 0x7ffff000ULL

/*
 * See struct fd_entry: regular files, and fds someone made non-blocking (a flag of the
 * open file, shared with whoever else holds it, so it is looked at on every call).
 */
static bool io_use_syscalls(const struct fd_entry *f)
{
    return f->syscalls || io_nonblock(f);
}

/*
 * Whether the guest's fd is non-blocking: the host file's O_NONBLOCK (a flag of the
 * open file, which a forked VM sharing it may change), or for a socket that has no
 * host socket yet, what the guest set on it.
 */
bool io_nonblock(const struct fd_entry *f)
{
    if (f->sock.kind == SK_UNBOUND)
        return f->sock.nonblock;
    int fl = fcntl(f->host_fd, F_GETFL);
    return fl >= 0 && (fl & O_NONBLOCK);
}

/*
 * fcntl(F_GETFL): the open file's status flags. A socket without a host socket yet
 * stands on a placeholder that every such socket shares: its flags are its own.
 */
int64_t io_getfl(struct ukmon_vm *vm, int64_t fd)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, fd);
    if (!f)
        return -EBADF;
    if (f->sock.kind == SK_UNBOUND)
        return O_RDWR | (f->sock.nonblock ? O_NONBLOCK : 0);
    int r = fcntl(f->host_fd, F_GETFL);
    return r < 0 ? -errno : r;
}

/* fcntl(F_SETFL) and FIONBIO: the flags of `mask` set as in `flags`, the rest kept. */
int64_t io_setfl(struct ukmon_vm *vm, int64_t fd, int flags, int mask)
{
    if (!fdt_entry(&vm->fdt, fd))
        return -EBADF;
    struct fd_entry *f = &vm->fdt.fd[fd];
    if (f->sock.kind == SK_UNBOUND) {
        if (mask & O_NONBLOCK)
            f->sock.nonblock = (flags & O_NONBLOCK) != 0;
        return 0;
    }
    int cur = fcntl(f->host_fd, F_GETFL);
    if (cur < 0)
        return -errno;
    int nf = (cur & ~mask) | (flags & mask);
    if (f->ring && (nf & O_DIRECT))
        ring_demote(vm, f); /* a packet pipe: the host's */
    vm->fdt.gen++; /* O_NONBLOCK: the guest-side layer knows it of ring fds */
    return fcntl(f->host_fd, F_SETFL, nf) < 0 ? -errno : 0;
}

/* A write to a pipe or socket with no reader: EPIPE, and SIGPIPE as on Linux. */
static int64_t io_result(bool write, int64_t r)
{
    if (write && r == -EPIPE)
        sig_raise_self(SIGPIPE, SI_USER);
    return r;
}

static int64_t io_rw_one(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf,
                         uint64_t len);

/* A pipe kept as a ring (pipe_ring.c): -ENOTCONN when its host pipe must do it. */
static int64_t io_ring(struct ukmon_vm *vm, const struct fd_entry *f, bool write,
                       const struct ukmon_iovec *iov, unsigned cnt)
{
    if (!f->ring)
        return -ENOTCONN;
    int fl = fcntl(f->host_fd, F_GETFL);
    return ring_rw(vm, f, write, iov, cnt, fl >= 0 && (fl & O_NONBLOCK));
}

int64_t io_rw(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf, uint64_t len)
{
    return io_result(write, io_rw_one(vm, write, fd, buf, len));
}

/*
 * /dev/null as Linux's: reads see the end, writes vanish whole, and the buffer is
 * never touched; only a range outside any process's address space is EFAULT.
 */
static int64_t io_devnull(bool write, ukmon_gpa_t buf, uint64_t len)
{
    const uint64_t task_size = 0x7ffffffff000ULL;
    if (buf > task_size || len > task_size - buf)
        return -EFAULT;
    return write ? (int64_t)(len > RW_MAX ? RW_MAX : len) : 0;
}

static int64_t io_rw_one(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf,
                         uint64_t len)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, fd);
    if (!f)
        return -EBADF;
    if (f->path) /* a directory */
        return -EISDIR;
    if (f->devnull)
        return io_devnull(write, buf, len);
    if (f->sock.kind == SK_UNBOUND) /* not connected: as Linux answers for TCP */
        return write ? -EPIPE : -ENOTCONN;
    if (len > RW_MAX)
        len = RW_MAX;
    const struct ukmon_iovec one = {buf, len};
    int64_t rr = io_ring(vm, f, write, &one, 1);
    if (rr != -ENOTCONN)
        return rr;
    void *p = gmem_io_ptr(vm, buf, len, !write); /* read() writes guest memory */
    if (!p)
        return -EFAULT;
    if (len == 0)
        return 0;
    /* Straight between guest memory and the host fd: no bounce buffer. */
    if (io_use_syscalls(f)) {
        ssize_t n = write ? (ssize_t)syscall(SYS_write, f->host_fd, p, len)
                          : (ssize_t)syscall(SYS_read, f->host_fd, p, len);
        return n < 0 ? -errno : n;
    }
    if (!write)
        return uring_rw(vm, false, f->host_fd, p, len);
    /*
     * A blocking write(2) to a pipe moves everything before it returns; io_uring hands
     * back what fit (64 KiB). Finish here: no exit per piece, POSIX semantics kept.
     */
    uint64_t done = 0;
    while (done < len) {
        int64_t n = uring_rw(vm, true, f->host_fd, (uint8_t *)p + done, len - done);
        if (n <= 0)
            return done ? (int64_t)done : n;
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

/* pread/pwrite: at an offset, not moving the file position; ESPIPE on pipes. */
int64_t io_prw(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf, uint64_t len,
               int64_t offset)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, fd);
    if (!f)
        return -EBADF;
    if (f->path)
        return -EISDIR;
    if (offset < 0)
        return -EINVAL;
    if (f->devnull)
        return io_devnull(write, buf, len);
    if (len > RW_MAX)
        len = RW_MAX;
    void *p = gmem_io_ptr(vm, buf, len, !write);
    if (!p)
        return -EFAULT;
    ssize_t n = write ? pwrite(f->host_fd, p, len, offset) : pread(f->host_fd, p, len, offset);
    return n < 0 ? -errno : n;
}

/* readv/writev over an iovec array already copied out of guest memory. */
int64_t io_rwv(struct ukmon_vm *vm, bool write, int64_t fd, const struct ukmon_iovec *gv,
               uint64_t iovcnt)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, fd);
    if (!f)
        return -EBADF;
    if (f->path)
        return -EISDIR;
    if (iovcnt > UKMON_IOV_MAX)
        return -EINVAL;
    if (f->sock.kind == SK_UNBOUND)
        return io_result(write, write ? -EPIPE : -ENOTCONN);
    if (iovcnt == 0)
        return 0;
    uint64_t sum = 0;
    for (uint64_t i = 0; i < iovcnt; i++) {
        if (gv[i].len > SSIZE_MAX - sum)
            return -EINVAL;
        sum += gv[i].len;
    }
    int64_t rr = io_ring(vm, f, write, gv, (unsigned)iovcnt);
    if (rr != -ENOTCONN)
        return io_result(write, rr);
    struct iovec hv[UKMON_IOV_MAX];
    uint64_t total = 0;
    for (uint64_t i = 0; i < iovcnt; i++) {
        if (gv[i].len > SSIZE_MAX - total)
            return -EINVAL;
        total += gv[i].len;
        hv[i].iov_base = gmem_io_ptr(vm, gv[i].base, gv[i].len, !write);
        hv[i].iov_len = gv[i].len;
        if (!hv[i].iov_base)
            return -EFAULT;
    }
    if (io_use_syscalls(f)) {
        ssize_t n = write ? writev(f->host_fd, hv, (int)iovcnt)
                          : readv(f->host_fd, hv, (int)iovcnt);
        return io_result(write, n < 0 ? -errno : n);
    }
    return io_result(write, uring_rwv(vm, write, f->host_fd, hv, (unsigned)iovcnt));
}

#define PIPE_DEF_PAGES 16          /* a new pipe: 64 KiB, as Linux's */
#define PIPE_MAX_SIZE (1U << 20)    /* Linux's pipe-max-size for an unprivileged user */

/*
 * A pipe; O_CLOEXEC marks the guest fds, O_NONBLOCK goes to the host pipe. Its buffer
 * counts against the tree's pipe pages (proc_acct.c): past the soft limit it gets 2
 * pages, past the hard one the call is ENFILE, as Linux does for a user.
 */
int64_t io_pipe(struct ukmon_vm *vm, int flags, int fds[2])
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL;
    int rd = fdt_lowest_free(&vm->fdt, 0);
    int wr = rd < 0 ? -1 : fdt_lowest_free(&vm->fdt, rd + 1);
    if (wr < 0)
        return -EMFILE;
    uint32_t pages = PIPE_DEF_PAGES;
    int64_t obj = proc_acct_new(vm, ACCT_PIPE, &pages);
    if (obj < 0)
        return obj;
    int hfd[2];
    /* CLOEXEC on the host fds always: the monitor never lets anything inherit them. */
    if (pipe2(hfd, O_CLOEXEC | (flags & O_NONBLOCK)) < 0) {
        int e = errno;
        proc_acct_drop(vm->fdt.tree, vm->fdt.slot, (uint32_t)obj);
        return -e;
    }
    /* We are root: the kernel's own soft limit spares us, ours does not. */
    if (pages < PIPE_DEF_PAGES && fcntl(hfd[1], F_SETPIPE_SZ, (int)(pages * PAGE_SIZE_4K)) < 0) {
        int e = errno;
        close(hfd[0]);
        close(hfd[1]);
        proc_acct_drop(vm->fdt.tree, vm->fdt.slot, (uint32_t)obj);
        return -e;
    }
    fdt_install(&vm->fdt, rd, hfd[0], false);
    fdt_install(&vm->fdt, wr, hfd[1], false);
    vm->fdt.fd[rd].cloexec = vm->fdt.fd[wr].cloexec = (flags & O_CLOEXEC) != 0;
    vm->fdt.fd[rd].obj = vm->fdt.fd[wr].obj = (uint32_t)obj;
    /*
     * Between VMs, where the guest can move the data itself: a ring (else a plain
     * pipe). Not for a pipe cut down to the soft limit's 2 pages: a ring holds 64 KiB.
     * A ring's 68 KiB are outside the count, bounded by RINGS_MAX per VM instead.
     */
    if (vm->pipe_rings && pages == PIPE_DEF_PAGES)
        ring_create(vm, rd, wr);
    fds[0] = rd;
    fds[1] = wr;
    return 0;
}

/*
 * F_SETPIPE_SZ as Linux answers an unprivileged user (the host would not: we are
 * root): the size rounded up to a power-of-two number of pages; growing past 1 MiB
 * (pipe-max-size) is EPERM, and so is growing a pipe the tree counts past the tree's
 * soft limit. A pipe the tree did not make (ukmon's own stdin, say) is held to 1 MiB
 * only. EBUSY (more data than the new size) and EBADF (not a pipe) come from the host.
 */
int64_t io_pipe_size(struct ukmon_vm *vm, int64_t fd, uint64_t arg)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, fd);
    if (!f)
        return -EBADF;
    uint32_t want = (uint32_t)arg; /* the kernel takes an unsigned int */
    if (want > (1U << 31))
        return -EINVAL;
    uint32_t size = (uint32_t)PAGE_SIZE_4K;
    while (size < want)
        size <<= 1;
    int cur = fcntl(f->host_fd, F_GETPIPE_SZ);
    if (cur < 0)
        return -errno;
    if (size > (uint32_t)cur && size > PIPE_MAX_SIZE)
        return -EPERM;
    int old = proc_acct_pipe_resize(vm, f->obj, (uint32_t)(size / PAGE_SIZE_4K), false);
    if (old < 0)
        return old;
    int r = fcntl(f->host_fd, F_SETPIPE_SZ, (int)size);
    if (r < 0) {
        int e = errno;
        proc_acct_pipe_resize(vm, f->obj, (uint32_t)old, true);
        return -e;
    }
    return r;
}

int64_t io_close(struct ukmon_vm *vm, int64_t fd)
{
    int host = fdt_host(&vm->fdt, fd);
    if (host < 0)
        return -EBADF;
    ring_unref(vm, &vm->fdt.fd[fd]);
    fdt_install(&vm->fdt, (int)fd, -1, false);
    /* POSIX: the descriptor is gone even if close reports an error. */
    return close(host) < 0 && errno != EINTR ? -errno : 0;
}

/*
 * dup family: oldfd onto newfd (closing what was there), or with newfd < 0 onto the
 * lowest free number at or above `from`. The new fd is close-on-exec as asked.
 */
int64_t io_dup(struct ukmon_vm *vm, int64_t oldfd, int64_t newfd, int from, bool cloexec)
{
    const struct fd_entry *old = fdt_entry(&vm->fdt, oldfd);
    if (!old || newfd >= FDT_MAX)
        return -EBADF;
    if (newfd == oldfd)
        return newfd;
    int nfd = newfd >= 0 ? (int)newfd : fdt_lowest_free(&vm->fdt, from);
    if (nfd < 0)
        return newfd >= 0 ? -EBADF : -EMFILE;
    int h = fcntl(old->host_fd, F_DUPFD_CLOEXEC, 3);
    if (h < 0)
        return -errno;
    struct fd_entry copy = *old;
    if (vm->fdt.fd[nfd].host_fd >= 0) {
        ring_unref(vm, &vm->fdt.fd[nfd]);
        close(vm->fdt.fd[nfd].host_fd);
    }
    fdt_install(&vm->fdt, nfd, h, copy.syscalls);
    struct fd_entry *e = &vm->fdt.fd[nfd];
    e->cloexec = cloexec;
    e->vdir = copy.vdir;
    e->vdir_pos = copy.vdir_pos;
    e->may_change = copy.may_change;
    e->read_only = copy.read_only;
    e->devnull = copy.devnull;
    e->ring = copy.ring;
    e->ring_w = copy.ring_w;
    ring_ref(vm, e);
    e->sock = copy.sock;
    e->obj = copy.obj; /* the same object: this VM held it already */
    e->path = copy.path ? strdup(copy.path) : NULL;
    return nfd;
}

/* At execve: every close-on-exec fd goes. */
void io_close_on_exec(struct ukmon_vm *vm)
{
    for (int i = 0; i < FDT_MAX; i++)
        if (vm->fdt.fd[i].host_fd >= 0 && vm->fdt.fd[i].cloexec)
            io_close(vm, i);
}
