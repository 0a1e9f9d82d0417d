/* fdtable.c: the guest's file descriptors, each standing for a host fd it owns. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/proc.h"

/*
 * Guest fds 0-2 get their own duplicates of the configured host fds: a guest closing
 * its fd 1 must not close the monitor's stdout, where our diagnostics go.
 */
/* Returns 0, or -errno if a configured fd exists but cannot be duplicated. */
int fdt_init(struct fd_table *t, const struct ukmon_config *cfg)
{
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < FDT_MAX; i++)
        fdt_install(t, i, -1, false);
    int std[3] = {cfg->stdin_fd, cfg->stdout_fd, cfg->stderr_fd};
    for (int i = 0; i < 3; i++) {
        int h = std[i] >= 0 ? fcntl(std[i], F_DUPFD_CLOEXEC, 3) : -1;
        /* A closed fd (`ukmon app.elf <&-`) is a closed guest fd, as for a process. */
        if (h < 0 && std[i] >= 0 && errno != EBADF)
            return -errno;
        fdt_install(t, i, h, h >= 0 && fdt_wants_syscalls(h));
    }
    return 0;
}

/*
 * See struct fd_entry: files with a position, and character devices other than
 * terminals (/dev/zero, /dev/urandom), whose reads are whole in read(2) while
 * io_uring hands back what it could copy before a page of guest memory had to be
 * faulted in. Terminals, pipes and sockets stay on io_uring, where a read can wait
 * for as long as it must and a signal still cuts it short.
 */
bool fdt_wants_syscalls(int host_fd)
{
    struct stat st;
    if (fstat(host_fd, &st) < 0)
        return false;
    return S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) || (S_ISCHR(st.st_mode) && !isatty(host_fd));
}

/* The entry is going: if no other fd of this VM stands for its object, the VM lets go. */
static void fdt_forget(struct fd_table *t, int fd)
{
    uint32_t obj = t->fd[fd].obj;
    if (!obj || !t->tree)
        return;
    for (int i = 0; i < FDT_MAX; i++)
        if (i != fd && t->fd[i].host_fd >= 0 && t->fd[i].obj == obj)
            return;
    proc_acct_drop(t->tree, t->slot, obj);
}

/*
 * Guest fd `fd` now stands for host_fd (-1: closed); what the old entry held is gone.
 * The new entry counts for no object: a caller that made one sets .obj.
 */
void fdt_install(struct fd_table *t, int fd, int host_fd, bool syscalls)
{
    struct fd_entry *e = &t->fd[fd];
    if (e->host_fd >= 0)
        fdt_forget(t, fd);
    free(e->path);
    *e = (struct fd_entry){.host_fd = host_fd, .serial = ++t->serials, .syscalls = syscalls};
    t->gen++;
}

/* The entry for guest fd `fd` if it is open, else NULL. */
const struct fd_entry *fdt_entry(const struct fd_table *t, int64_t fd)
{
    if (fd < 0 || fd >= FDT_MAX || t->fd[fd].host_fd < 0)
        return NULL;
    return &t->fd[fd];
}

/* The host fd behind guest fd `fd`, or -1 for a closed or impossible number. */
int fdt_host(const struct fd_table *t, int64_t fd)
{
    if (fd < 0 || fd >= FDT_MAX)
        return -1;
    return t->fd[fd].host_fd;
}

/* Lowest free guest fd at or above `from`, or -1 if the table is full. */
int fdt_lowest_free(const struct fd_table *t, int from)
{
    for (int i = from < 0 ? 0 : from; i < FDT_MAX; i++)
        if (t->fd[i].host_fd < 0)
            return i;
    return -1;
}

void fdt_close_all(struct ukmon_vm *vm)
{
    struct fd_table *t = &vm->fdt;
    /*
     * Closed entries are left as they are: writing all 1024 would copy the table's
     * pages in a forked monitor (~0.1 ms here) just before it exits.
     */
    for (int i = 0; i < FDT_MAX; i++) {
        if (t->fd[i].host_fd >= 0) {
            ring_unref(vm, &t->fd[i]);
            close(t->fd[i].host_fd);
        }
        if (t->fd[i].host_fd >= 0 || t->fd[i].path)
            fdt_install(t, i, -1, false);
    }
}
