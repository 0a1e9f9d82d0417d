/* io.h: the guest's fd table and all I/O through the monitor's io_uring. */
#ifndef UKMON_KERNEL_IO_H
#define UKMON_KERNEL_IO_H

#include "monitor.h"

/* fdtable.c */
int fdt_init(struct fd_table *t, const struct ukmon_config *cfg);
int fdt_host(const struct fd_table *t, int64_t fd);
const struct fd_entry *fdt_entry(const struct fd_table *t, int64_t fd);
void fdt_install(struct fd_table *t, int fd, int host_fd, bool syscalls);
bool fdt_wants_syscalls(int host_fd);
int fdt_lowest_free(const struct fd_table *t, int from);
void fdt_close_all(struct ukmon_vm *vm);

/* pipe_ring.c: pipes between VMs as rings in shared memory */
void ring_init_all(struct ukmon_vm *vm);
int ring_create(struct ukmon_vm *vm, int rd, int wr);
struct pipe_ring *ring_of(struct ukmon_vm *vm, const struct fd_entry *e);
void ring_ref(struct ukmon_vm *vm, const struct fd_entry *e);
void ring_unref(struct ukmon_vm *vm, const struct fd_entry *e);
void ring_fork_child(struct ukmon_vm *vm);
void ring_wake_peer(struct ukmon_vm *vm, int slot_plus_one, bool space);
int64_t ring_rw(struct ukmon_vm *vm, const struct fd_entry *e, bool write,
                const struct ukmon_iovec *iov, unsigned cnt, bool nonblock);
short ring_poll_now(struct ukmon_vm *vm, const struct fd_entry *e, short events);
int ring_poll_arm(struct ukmon_vm *vm, const struct fd_entry *e);
void ring_poll_disarm(struct ukmon_vm *vm, const struct fd_entry *e);
void ring_demote(struct ukmon_vm *vm, const struct fd_entry *e);
int64_t ring_pending(struct ukmon_vm *vm, const struct fd_entry *e);

/* io.c */
bool io_nonblock(const struct fd_entry *f);
int64_t io_getfl(struct ukmon_vm *vm, int64_t fd);
int64_t io_setfl(struct ukmon_vm *vm, int64_t fd, int flags, int mask);
int64_t io_rw(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf, uint64_t len);
int64_t io_prw(struct ukmon_vm *vm, bool write, int64_t fd, ukmon_gpa_t buf, uint64_t len,
               int64_t offset);
int64_t io_rwv(struct ukmon_vm *vm, bool write, int64_t fd, const struct ukmon_iovec *gv,
               uint64_t iovcnt);
int64_t io_pipe(struct ukmon_vm *vm, int flags, int fds[2]);
int64_t io_pipe_size(struct ukmon_vm *vm, int64_t fd, uint64_t arg);
int64_t io_close(struct ukmon_vm *vm, int64_t fd);
int64_t io_dup(struct ukmon_vm *vm, int64_t oldfd, int64_t newfd, int from, bool cloexec);
void io_close_on_exec(struct ukmon_vm *vm);

/* io_events.c */
struct itimerspec;
int64_t io_eventfd(struct ukmon_vm *vm, unsigned initval, int flags);
int64_t io_timerfd_create(struct ukmon_vm *vm, int clock, int flags);
int64_t io_timerfd_settime(struct ukmon_vm *vm, int64_t fd, int flags,
                           const struct itimerspec *nw, struct itimerspec *old);
int64_t io_timerfd_gettime(struct ukmon_vm *vm, int64_t fd, struct itimerspec *cur);

/* uring.c */
int uring_setup(struct ukmon_vm *vm);
int uring_ensure(struct ukmon_vm *vm);
int uring_wait(struct ukmon_vm *vm, struct io_uring_cqe **cqe, bool check);
void uring_teardown(struct ukmon_vm *vm);
int64_t uring_rw(struct ukmon_vm *vm, bool write, int host_fd, void *buf, uint64_t len);
int64_t uring_rwv(struct ukmon_vm *vm, bool write, int host_fd, const struct iovec *iov,
                  unsigned iovcnt);
int64_t uring_poll_many(struct ukmon_vm *vm, struct ukmon_hc_poll *a);
#define POLL_FDS_MAX FDT_MAX
int64_t uring_poll_fds(struct ukmon_vm *vm, struct ukmon_pollfd *pf, uint64_t nfds,
                       int64_t timeout_ms);
void uring_forget_parent(struct ukmon_vm *vm);
int64_t uring_accept(struct ukmon_vm *vm, int fd, struct sockaddr *addr, socklen_t *len,
                     int flags);
int64_t uring_connect(struct ukmon_vm *vm, int fd, const struct sockaddr *addr, socklen_t len);
int64_t uring_sendrecv(struct ukmon_vm *vm, bool send, int fd, void *buf, size_t len, int flags);
int64_t uring_msg(struct ukmon_vm *vm, bool send, int fd, struct msghdr *msg, int flags);

#endif
