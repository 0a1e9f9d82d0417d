/* jail.c: namespaces, an empty root and no capabilities around a whole VM tree. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor.h"

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? e : EIO);
}

/* Unprivileged: a user namespace where we are root, mapped to our own ids. */
static int jail_map_user(uid_t uid, gid_t gid)
{
    char map[64];
    int r;
    if ((r = write_file("/proc/self/setgroups", "deny")) < 0 && r != -ENOENT)
        return r;
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
    if ((r = write_file("/proc/self/uid_map", map)) < 0)
        return r;
    snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
    return write_file("/proc/self/gid_map", map);
}

/* An empty tmpfs becomes "/"; nothing of the host's file system stays reachable. */
static int jail_empty_root(struct ukmon_vm *vm)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return vm_fail(vm, -errno, "jail: making mounts private: %s", strerror(errno));
    const char *top = "/tmp";
    if (mount("ukmon-jail", top, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0555") < 0)
        return vm_fail(vm, -errno, "jail: mounting an empty root: %s", strerror(errno));
    if (mkdir("/tmp/old", 0700) < 0 && errno != EEXIST)
        return vm_fail(vm, -errno, "jail: %s", strerror(errno));
    if (syscall(SYS_pivot_root, top, "/tmp/old") < 0)
        return vm_fail(vm, -errno, "jail: pivot_root: %s", strerror(errno));
    if (chdir("/") < 0 || umount2("/old", MNT_DETACH) < 0 || rmdir("/old") < 0)
        return vm_fail(vm, -errno, "jail: leaving the old root: %s", strerror(errno));
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_BIND | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return vm_fail(vm, -errno, "jail: making the root read-only: %s", strerror(errno));
    return 0;
}

static int jail_drop_caps(struct ukmon_vm *vm, int last_cap)
{
    for (int cap = 0; cap <= last_cap; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return vm_fail(vm, -errno, "jail: dropping capability %d: %s", cap, strerror(errno));
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) < 0)
        return vm_fail(vm, -errno, "jail: capset: %s", strerror(errno));
    return 0;
}

static int jail_limits(struct ukmon_vm *vm)
{
    struct { int res; rlim_t max; } lim[] = {
        /* Counts threads: each VM's monitor also has KVM's and io_uring's workers. */
        {RLIMIT_NPROC, 4 * (rlim_t)vm->cfg.max_procs + 64},
        {RLIMIT_NOFILE, 512},
        {RLIMIT_CORE, 0},
    };
    for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
        struct rlimit rl = {lim[i].max, lim[i].max};
        if (setrlimit(lim[i].res, &rl) < 0)
            return vm_fail(vm, -errno, "jail: setrlimit: %s", strerror(errno));
    }
    return 0;
}

static int read_last_cap(void)
{
    int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
    char buf[16] = "";
    if (fd >= 0) {
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n > 0)
            return atoi(buf);
    }
    return 63;
}

int ukmon_jail_enter(struct ukmon_vm *vm, pid_t *child)
{
    if ((!vm->pre.data && !vm->prepared_root) || vm->kvm_fd < 0)
        return vm_fail(vm, UKMON_ESTATE, "jail: call ukmon_vm_prepare() first");
    if (vm->cfg.nconnect)
        return vm_fail(vm, -EINVAL, "--connect cannot be used with --jail: the jail's network "
                       "namespace is empty, so nothing could be reached (published ports work)");
    int last_cap = read_last_cap();
    uid_t uid = getuid();
    gid_t gid = getgid();
    int flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID;
    if (uid != 0)
        flags |= CLONE_NEWUSER;
    if (unshare(flags) < 0)
        return vm_fail(vm, -errno, "jail: creating namespaces: %s%s", strerror(errno),
                       errno == EPERM ? " (needs root or unprivileged user namespaces)" : "");
    if (uid != 0) {
        int r = jail_map_user(uid, gid);
        if (r < 0)
            return vm_fail(vm, r, "jail: mapping user ids: %s", strerror(-r));
    }
    pid_t pid = fork(); /* the child is pid 1 of the new pid namespace */
    if (pid < 0)
        return vm_fail(vm, -errno, "jail: fork: %s", strerror(errno));
    if (pid > 0) {
        *child = pid;
        return 1;
    }
    /*
     * Whatever kills the outer process kills the jail: pid 1 takes its namespace
     * along. (Our parent is outside the namespace, so getppid() is 0 here and cannot
     * tell whether it already died; the window is the few instructions since fork.)
     */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int r;
    if (sethostname("ukmon", 5) < 0)
        return vm_fail(vm, -errno, "jail: sethostname: %s", strerror(errno));
    if ((r = jail_empty_root(vm)) || (r = jail_limits(vm)) || (r = jail_drop_caps(vm, last_cap)))
        return r;
    *child = 0;
    return 0;
}
