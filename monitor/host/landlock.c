/* landlock.c: the monitor process confined by the kernel to the folders it grants. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/fs.h"

/*
 * Our own copies of the ABI: Debian 12's <linux/landlock.h> stops at ABI 2 (REFER),
 * and the kernels this runs on go from ABI 2 (6.1) to 7 and beyond. Every right a
 * kernel knows is "handled" (denied unless a rule allows it); rights of ABIs newer
 * than the kernel's are left out, as the kernel would refuse them.
 */
struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;  /* ABI 4 */
    uint64_t scoped;              /* ABI 6 */
};

struct ll_net_port {
    uint64_t allowed_access;
    uint64_t port;
};

struct ll_path_beneath {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

/* The file-system rights ABI `abi` knows. */
static uint64_t ll_fs_rights(int abi)
{
    uint64_t r = (LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */
    if (abi >= 2)
        r |= LL_FS_REFER;
    if (abi >= 3)
        r |= LL_FS_TRUNCATE;
    if (abi >= 5)
        r |= LL_FS_IOCTL_DEV;
    return r;
}

int landlock_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    return v < 0 ? -errno : (int)v;
}

/* Whether a --connect rule allows every port: Landlock then has nothing to add. */
static bool ll_connect_any(const struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < vm->net.nallow; i++)
        if (vm->net.allow[i].port_lo == 1 && vm->net.allow[i].port_hi == 65535)
            return true;
    return false;
}

/*
 * Before the guest's first instruction: from now on this process (and every monitor
 * it forks) may open nothing but what lies in the granted folders, read-only unless
 * granted :rw; and, where the kernel can, it may neither bind nor connect TCP
 * sockets on its own nor signal processes outside its tree. A monitor the guest had
 * taken over would be held to this too. The fds it holds (/dev/kvm, the program,
 * pipes, the devices behind /dev) stay usable: Landlock looks at opens.
 */
int landlock_confine(struct ukmon_vm *vm)
{
    int abi = landlock_abi();
    if (abi < 1)
        return vm_fail(vm, -ENOSYS, "this kernel has no Landlock (%s): granted folders "
                       "would be guarded by ukmon's own checks only; run with --no-landlock "
                       "to accept that", abi == -EOPNOTSUPP ? "disabled at boot" :
                       strerror(-abi));
    struct ll_ruleset_attr attr = {.handled_access_fs = ll_fs_rights(abi)};
    size_t size = sizeof(uint64_t);
    if (abi >= 4) {
        /*
         * bind_any: binds are the guest's, in the tree's own network namespace; a
         * --connect rule for every port leaves connect to the monitor's own check.
         */
        attr.handled_access_net = (vm->cfg.bind_any ? 0 : LL_NET_BIND_TCP) |
                                  (ll_connect_any(vm) ? 0 : LL_NET_CONNECT_TCP);
        size = 2 * sizeof(uint64_t);
    }
    if (abi >= 6) {
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
        size = sizeof(attr);
    }
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (rs < 0)
        return vm_fail(vm, -errno, "landlock_create_ruleset: %s", strerror(errno));
    const uint64_t read = LL_FS_READ_FILE | LL_FS_READ_DIR;
    const uint64_t write = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE |
                           LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SYM | LL_FS_MAKE_FIFO |
                           LL_FS_REFER |
                           LL_FS_TRUNCATE;
    int r = 0;
    for (unsigned i = 0; i < vm->fs.nmounts && r == 0; i++) {
        const struct fs_mount *m = &vm->fs.mounts[i];
        struct ll_path_beneath pb = {
            .allowed_access = (read | (m->rw ? write : 0)) & attr.handled_access_fs,
            .parent_fd = m->dirfd,
        };
        if (syscall(SYS_landlock_add_rule, rs, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
            r = vm_fail(vm, -errno, "landlock rule for %s: %s", m->host, strerror(errno));
    }
    /*
     * TCP: no bind at all (published sockets are bound already), connect only to the
     * ports --connect names (the monitor checks the addresses; Landlock knows ports).
     */
    for (unsigned i = 0; i < vm->net.nallow && r == 0 &&
                        (attr.handled_access_net & LL_NET_CONNECT_TCP); i++) {
        for (uint32_t port = vm->net.allow[i].port_lo; port <= vm->net.allow[i].port_hi && r == 0;
             port++) {
            struct ll_net_port np = {.allowed_access = LL_NET_CONNECT_TCP, .port = port};
            if (syscall(SYS_landlock_add_rule, rs, LL_RULE_NET_PORT, &np, 0) < 0)
                r = vm_fail(vm, -errno, "landlock rule for port %u: %s", port, strerror(errno));
        }
    }
    if (r == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        r = vm_fail(vm, -errno, "no_new_privs: %s", strerror(errno));
    if (r == 0 && syscall(SYS_landlock_restrict_self, rs, 0) < 0)
        r = vm_fail(vm, -errno, "landlock_restrict_self: %s", strerror(errno));
    close(rs);
    return r;
}
