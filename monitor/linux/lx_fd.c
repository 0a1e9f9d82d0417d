/* lx_fd.c: Linux fd calls: read/write, pipes, dup, fcntl, ioctl, poll/select, fstat. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kernel/io.h"
#include "kernel/sig.h"
#include "linux/lx.h"

LX_HANDLER(lx_read)
{
    return io_rw(vm, false, (int32_t)a[0], a[1], a[2]);
}

LX_HANDLER(lx_write)
{
    return io_rw(vm, true, (int32_t)a[0], a[1], a[2]);
}

/* A file read or written by offset, again and again, gets a window (lx_window.c). */
LX_HANDLER(lx_pread64)
{
    int64_t r = io_prw(vm, false, (int32_t)a[0], a[1], a[2], (int64_t)a[3]);
    if (r >= 0)
        lx_window_note(vm, (int32_t)a[0]);
    return r;
}

LX_HANDLER(lx_pwrite64)
{
    int64_t r = io_prw(vm, true, (int32_t)a[0], a[1], a[2], (int64_t)a[3]);
    if (r >= 0)
        lx_window_note(vm, (int32_t)a[0]);
    return r;
}

/* The guest's iovec array, copied once (struct iovec is struct ukmon_iovec's layout). */
static int64_t lx_rwv(struct ukmon_vm *vm, bool write, const uint64_t a[6])
{
    static _Thread_local struct ukmon_iovec gv[UKMON_IOV_MAX];
    if (!fdt_entry(&vm->fdt, (int32_t)a[0]))
        return -EBADF;
    if (a[2] > UKMON_IOV_MAX)
        return -EINVAL;
    if (a[2] && lx_copy_in(vm, gv, a[1], a[2] * sizeof(gv[0])) < 0)
        return -EFAULT;
    return io_rwv(vm, write, (int32_t)a[0], gv, a[2]);
}

LX_HANDLER(lx_readv)
{
    return lx_rwv(vm, false, a);
}

LX_HANDLER(lx_writev)
{
    return lx_rwv(vm, true, a);
}

LX_HANDLER(lx_close)
{
    return io_close(vm, (int32_t)a[0]);
}

#define LX_CLOSE_RANGE_UNSHARE 2
#define LX_CLOSE_RANGE_CLOEXEC 4

LX_HANDLER(lx_close_range)
{
    uint32_t first = (uint32_t)a[0], last = (uint32_t)a[1];
    if (first > last || (a[2] & ~(uint64_t)(LX_CLOSE_RANGE_UNSHARE | LX_CLOSE_RANGE_CLOEXEC)))
        return -EINVAL;
    for (uint64_t fd = first; fd <= last && fd < FDT_MAX; fd++) {
        if (!fdt_entry(&vm->fdt, (int64_t)fd))
            continue;
        if (a[2] & LX_CLOSE_RANGE_CLOEXEC)
            vm->fdt.fd[fd].cloexec = true, vm->fdt.gen++;
        else
            io_close(vm, (int64_t)fd);
    }
    return 0;
}

static int64_t lx_do_pipe(struct ukmon_vm *vm, uint64_t gva, uint64_t flags)
{
    if (!gmem_check(vm, gva, 2 * sizeof(int32_t), true))
        return -EFAULT;
    if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return -EINVAL;
    int fds[2];
    int64_t r = io_pipe(vm, (int)(flags & (O_CLOEXEC | O_NONBLOCK)), fds);
    if (r < 0)
        return r;
    int32_t out[2] = {fds[0], fds[1]};
    return lx_copy_out(vm, gva, out, sizeof(out));
}

LX_HANDLER(lx_pipe)
{
    return lx_do_pipe(vm, a[0], 0);
}

LX_HANDLER(lx_pipe2)
{
    return lx_do_pipe(vm, a[0], a[1]);
}

LX_HANDLER(lx_dup)
{
    return io_dup(vm, (int32_t)a[0], -1, 0, false);
}

LX_HANDLER(lx_dup2)
{
    int64_t newfd = (int32_t)a[1];
    if (newfd < 0)
        return -EBADF;
    if (newfd == (int32_t)a[0]) /* dup2 of an fd onto itself checks it, nothing more */
        return fdt_entry(&vm->fdt, newfd) ? newfd : -EBADF;
    return io_dup(vm, (int32_t)a[0], newfd, 0, false);
}

LX_HANDLER(lx_dup3)
{
    int64_t newfd = (int32_t)a[1];
    if ((a[2] & ~(uint64_t)O_CLOEXEC) || newfd == (int32_t)a[0])
        return -EINVAL;
    if (newfd < 0)
        return -EBADF;
    return io_dup(vm, (int32_t)a[0], newfd, 0, (a[2] & O_CLOEXEC) != 0);
}

/* File status flags the guest may change on its open file (as F_SETFL allows). */
#define LX_SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

LX_HANDLER(lx_fcntl)
{
    int64_t fd = (int32_t)a[0];
    const struct fd_entry *f = fdt_entry(&vm->fdt, fd);
    if (!f)
        return -EBADF;
    int r;
    switch (a[1]) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if ((int64_t)a[2] < 0 || a[2] >= FDT_MAX)
            return -EINVAL;
        return io_dup(vm, fd, -1, (int)a[2], a[1] == F_DUPFD_CLOEXEC);
    case F_GETFD:
        return f->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD:
        vm->fdt.fd[fd].cloexec = (a[2] & FD_CLOEXEC) != 0, vm->fdt.gen++;
        return 0;
    case F_GETFL:
        return io_getfl(vm, fd);
    case F_SETFL:
        return io_setfl(vm, fd, (int)a[2], LX_SETFL_MASK);
    /*
     * Who gets SIGIO: recorded and reported, never given to the host fd (a host pid
     * there would have the host send signals outside the tree), and no SIGIO is sent:
     * nginx sets it on its channels and lives on epoll. Only the tree's processes.
     */
    case F_SETOWN:
        if (!lx_in_tree(vm, (int32_t)a[2] < 0 ? -(int64_t)(int32_t)a[2] : (int32_t)a[2]))
            return -ESRCH;
        vm->fdt.fd[fd].owner = (int32_t)a[2];
        return 0;
    case F_GETOWN:
        return f->owner;
    case F_SETOWN_EX:
    case F_GETOWN_EX: { /* the C libraries' F_GETOWN: a process group is negative */
        struct f_owner_ex ox;
        if (a[1] == F_GETOWN_EX) {
            ox.type = f->owner < 0 ? F_OWNER_PGRP : F_OWNER_PID;
            ox.pid = f->owner < 0 ? -f->owner : f->owner;
            return lx_copy_out(vm, a[2], &ox, sizeof(ox));
        }
        if (lx_copy_in(vm, &ox, a[2], sizeof(ox)) < 0)
            return -EFAULT;
        if (ox.type != F_OWNER_TID && ox.type != F_OWNER_PID && ox.type != F_OWNER_PGRP)
            return -EINVAL;
        if (ox.pid < 0)
            return -EINVAL;
        if (!lx_in_tree(vm, ox.pid))
            return -ESRCH;
        vm->fdt.fd[fd].owner = ox.type == F_OWNER_PGRP ? -ox.pid : ox.pid;
        return 0;
    }
    case F_GETPIPE_SZ:
        if (f->ring && ring_of(vm, f))
            return UKMON_RING_DATA;
        r = fcntl(f->host_fd, F_GETPIPE_SZ);
        return r < 0 ? -errno : r;
    case F_SETPIPE_SZ:
        ring_demote(vm, f); /* a pipe of another size: the host pipe's */
        return io_pipe_size(vm, fd, a[2]);
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: {
        struct flock fl; /* the kernel's x86-64 layout, the guest's too */
        if (lx_copy_in(vm, &fl, a[2], sizeof(fl)) < 0)
            return -EFAULT;
        int64_t lr = fs_fcntl_lock(vm, fd, (int)a[1], &fl);
        if (lr == 0 && (a[1] == F_GETLK || a[1] == F_OFD_GETLK) &&
            lx_copy_out(vm, a[2], &fl, sizeof(fl)) < 0)
            return -EFAULT;
        return lr;
    }
    default:
        return -EINVAL;
    }
}

LX_HANDLER(lx_eventfd2)
{
    return io_eventfd(vm, (unsigned)a[0], (int)a[1]);
}

LX_HANDLER(lx_eventfd)
{
    return io_eventfd(vm, (unsigned)a[0], 0);
}

LX_HANDLER(lx_flock)
{
    return fs_flock(vm, (int32_t)a[0], (int)a[1]);
}

/* struct termios as the kernel's TCGETS/TCSETS take it (not glibc's larger one). */
#define LX_TERMIOS_SIZE 36

/*
 * Terminal requests go to the host fd: the guest's terminal is the host's. Each one's
 * argument has a known size, checked against guest memory before the host sees it.
 */
LX_HANDLER(lx_ioctl)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, (int32_t)a[0]);
    if (!f)
        return -EBADF;
    uint64_t req = a[1] & 0xffffffff;
    size_t in = 0, out = 0;
    switch (req) {
    case TCGETS: out = LX_TERMIOS_SIZE; break;
    case TCSETS: case TCSETSW: case TCSETSF: in = LX_TERMIOS_SIZE; break;
    case TIOCGWINSZ: out = sizeof(struct winsize); break;
    case TIOCSWINSZ: in = sizeof(struct winsize); break;
    case TIOCGPGRP: case TIOCGSID: out = sizeof(int32_t); break;
    case TIOCSPGRP: in = sizeof(int32_t); break;
    case FIONREAD: out = sizeof(int32_t); break;
    case FIONBIO: case FIOASYNC: in = sizeof(int32_t); break;
    case FIOCLEX: vm->fdt.fd[(int32_t)a[0]].cloexec = true, vm->fdt.gen++; return 0;
    case FIONCLEX: vm->fdt.fd[(int32_t)a[0]].cloexec = false, vm->fdt.gen++; return 0;
    default: return -ENOTTY;
    }
    uint8_t buf[64];
    memset(buf, 0, sizeof(buf));
    if (in && lx_copy_in(vm, buf, a[2], in) < 0)
        return -EFAULT;
    if (out && !gmem_check(vm, a[2], out, true))
        return -EFAULT;
    if (req == FIONBIO || req == FIOASYNC) { /* O_NONBLOCK, O_ASYNC by other names */
        int32_t on;
        memcpy(&on, buf, sizeof(on));
        int flag = req == FIONBIO ? O_NONBLOCK : O_ASYNC;
        return io_setfl(vm, (int32_t)a[0], on ? flag : 0, flag);
    }
    if (req == TIOCSPGRP) {
        int32_t pg;
        memcpy(&pg, buf, sizeof(pg));
        if (pg <= 0)
            return -EINVAL;
    }
    if (req == FIONREAD && f->ring && ring_of(vm, f)) {
        int32_t n = (int32_t)ring_pending(vm, f);
        return lx_copy_out(vm, a[2], &n, sizeof(n));
    }
    if (ioctl(f->host_fd, req, buf) < 0)
        return -errno;
    return out ? lx_copy_out(vm, a[2], buf, out) : 0;
}

LX_HANDLER(lx_lseek)
{
    const struct fd_entry *f = fdt_entry(&vm->fdt, (int32_t)a[0]);
    if (!f)
        return -EBADF;
    if (a[2] > SEEK_HOLE)
        return -EINVAL;
    off_t r = lseek(f->host_fd, (off_t)a[1], (int)a[2]);
    return r < 0 ? -errno : r;
}

LX_HANDLER(lx_fstat)
{
    if (!fdt_entry(&vm->fdt, (int32_t)a[0]))
        return -EBADF;
    if (!gmem_check(vm, a[1], sizeof(struct stat), true))
        return -EFAULT;
    struct stat st;
    int r = fs_fstat(vm, (int32_t)a[0], &st);
    return r < 0 ? r : lx_copy_out(vm, a[1], &st, sizeof(st));
}

/* *at() with an empty path and AT_EMPTY_PATH means the fd itself. */
static int lx_empty_path(struct ukmon_vm *vm, uint64_t path, uint64_t flags)
{
    char c;
    if (lx_copy_string(vm, path, &c, 1) == -EFAULT)
        return -EFAULT;
    return (flags & AT_EMPTY_PATH) && c == 0 ? 1 : 0;
}

LX_HANDLER(lx_newfstatat)
{
    int e = lx_empty_path(vm, a[1], a[3]);
    if (e < 0)
        return e;
    if (e) {
        const uint64_t b[6] = {a[0], a[2], 0, 0, 0, 0};
        return lx_fstat(vm, b);
    }
    return lx_path_stat(vm, (int32_t)a[0], a[1], a[2], a[3]);
}

LX_HANDLER(lx_statx)
{
    int e = lx_empty_path(vm, a[1], a[2]);
    if (e < 0)
        return e;
    if (!e)
        return lx_path_statx(vm, (int32_t)a[0], a[1], a[2], (unsigned)a[3], a[4]);
    return lx_fd_statx(vm, (int32_t)a[0], a[4]);
}

static struct ukmon_pollfd lx_pf[POLL_FDS_MAX];

static int64_t lx_do_poll(struct ukmon_vm *vm, uint64_t gva, uint64_t nfds, int64_t ms)
{
    if (nfds > POLL_FDS_MAX)
        return -EINVAL;
    if (nfds && lx_copy_in(vm, lx_pf, gva, nfds * sizeof(lx_pf[0])) < 0)
        return -EFAULT;
    if (nfds && !gmem_check(vm, gva, nfds * sizeof(lx_pf[0]), true))
        return -EFAULT;
    int64_t r = uring_poll_fds(vm, lx_pf, nfds, ms);
    if (r >= 0 && nfds)
        lx_copy_out(vm, gva, lx_pf, nfds * sizeof(lx_pf[0]));
    return r;
}

/* A timeout given as a timespec (NULL: for ever), in ms rounded up as Linux rounds. */
static int lx_timeout_ms(struct ukmon_vm *vm, uint64_t gva, int64_t *ms)
{
    if (!gva) {
        *ms = -1;
        return 0;
    }
    struct timespec ts;
    if (lx_copy_in(vm, &ts, gva, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return -EINVAL;
    *ms = ts.tv_sec > INT32_MAX / 1000 ? INT32_MAX
                                       : ts.tv_sec * 1000 + (ts.tv_nsec + 999999) / 1000000;
    return 0;
}

LX_HANDLER(lx_poll)
{
    return lx_do_poll(vm, a[0], a[1], (int32_t)a[2] < 0 ? -1 : (int32_t)a[2]);
}

/*
 * ppoll's and pselect6's signal mask, in force while they wait and only then, as
 * sigsuspend's is: a signal it lets in cuts the wait short (EINTR) and its handler's
 * frame holds the mask from before, which sigreturn brings back; without one, the
 * call's return does (lx_syscall.c). `size` must be the kernel's sigset size.
 */
static int lx_wait_mask(struct ukmon_vm *vm, uint64_t gva, uint64_t size)
{
    if (!gva)
        return 0;
    uint64_t mask;
    if (size != sizeof(mask))
        return -EINVAL;
    if (lx_copy_in(vm, &mask, gva, sizeof(mask)) < 0)
        return -EFAULT;
    vcpu_cur(vm)->sig.saved_mask = vcpu_cur(vm)->sig.mask;
    vcpu_cur(vm)->sig.restore_mask = true;
    sig_set_mask(vm, mask);
    return 0;
}

LX_HANDLER(lx_ppoll)
{
    int64_t ms;
    int r = lx_timeout_ms(vm, a[2], &ms);
    if (r == 0)
        r = lx_wait_mask(vm, a[3], a[4]);
    return r < 0 ? r : lx_do_poll(vm, a[0], a[1], ms);
}

/* select over poll: each fd in any set becomes one pollfd, and back. */
static int64_t lx_do_select(struct ukmon_vm *vm, const uint64_t a[6], int64_t ms)
{
    int nfds = (int32_t)a[0];
    if (nfds < 0 || nfds > FD_SETSIZE)
        return -EINVAL;
    fd_set sets[3];
    size_t bytes = ((size_t)nfds + 63) / 64 * 8;
    for (int k = 0; k < 3; k++) {
        FD_ZERO(&sets[k]);
        if (a[1 + k] && bytes && lx_copy_in(vm, &sets[k], a[1 + k], bytes) < 0)
            return -EFAULT;
        if (a[1 + k] && bytes && !gmem_check(vm, a[1 + k], bytes, true))
            return -EFAULT;
    }
    static const short ev[3] = {POLLIN, POLLOUT, POLLPRI};
    uint64_t n = 0;
    int map[FD_SETSIZE];
    for (int fd = 0; fd < nfds; fd++) {
        short e = 0;
        for (int k = 0; k < 3; k++)
            if (FD_ISSET(fd, &sets[k]))
                e |= ev[k];
        if (!e)
            continue;
        if (!fdt_entry(&vm->fdt, fd))
            return -EBADF;
        lx_pf[n] = (struct ukmon_pollfd){.fd = fd, .events = e};
        map[n++] = fd;
    }
    int64_t r = uring_poll_fds(vm, lx_pf, n, ms);
    if (r < 0)
        return r;
    fd_set out[3];
    for (int k = 0; k < 3; k++)
        FD_ZERO(&out[k]);
    int64_t count = 0;
    for (uint64_t i = 0; i < n; i++) {
        short re = lx_pf[i].revents;
        short want[3] = {POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI};
        for (int k = 0; k < 3; k++) {
            if (FD_ISSET(map[i], &sets[k]) && (re & want[k])) {
                FD_SET(map[i], &out[k]);
                count++;
            }
        }
    }
    for (int k = 0; k < 3; k++)
        if (a[1 + k] && bytes)
            lx_copy_out(vm, a[1 + k], &out[k], bytes);
    return count;
}

LX_HANDLER(lx_select)
{
    int64_t ms = -1;
    if (a[4]) {
        struct timeval tv;
        if (lx_copy_in(vm, &tv, a[4], sizeof(tv)) < 0)
            return -EFAULT;
        if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
            return -EINVAL;
        ms = tv.tv_sec > INT32_MAX / 1000 ? INT32_MAX
                                          : tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
    }
    return lx_do_select(vm, a, ms);
}

LX_HANDLER(lx_pselect6)
{
    int64_t ms;
    int r = lx_timeout_ms(vm, a[4], &ms);
    struct { uint64_t set, size; } sm = {0, 0}; /* pselect6's sixth argument */
    if (r == 0 && a[5] && lx_copy_in(vm, &sm, a[5], sizeof(sm)) < 0)
        r = -EFAULT;
    if (r == 0)
        r = lx_wait_mask(vm, sm.set, sm.size);
    return r < 0 ? r : lx_do_select(vm, a, ms);
}
