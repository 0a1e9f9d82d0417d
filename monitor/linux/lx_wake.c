/*
 * lx_wake.c: a pipe ring's peer woken by the guest-side layer without a trip to the
 * monitor. The layer writes the ring's slot + 1 (| LXSYS_WAKE_SPACE for the writer's
 * side) to LXSYS_WAKE_PORT, one byte; for each ring this VM maps, KVM has an ioeventfd on that port and
 * value, so the host kernel signals the peer's eventfd itself and the guest goes on:
 * ~21 us on this backend, against ~80 for an exit to the monitor (bench/README.md,
 * the profile). A value with no ioeventfd (none could be made, a slot not ours, a
 * guest that makes values up) exits to us, and lx_wake_exit does the same wake.
 *
 * KVM finds an ioeventfd to remove by its eventfd, so we keep our own duplicate of
 * each ring's two eventfds as long as the ioeventfd lives: the ring's own may be
 * closed first. A forked child has a new VM: the same rings, new ioeventfds.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kernel/io.h"
#include "linux/lx.h"
#include "lxsys/lxsys.h"

_Static_assert(RINGS_MAX < LXSYS_WAKE_SPACE, "a slot + 1 fits below the side's bit");

static int ioev(struct ukmon_vm *vm, int efd, uint32_t value, bool remove)
{
    struct kvm_ioeventfd e = {
        .datamatch = value, .addr = LXSYS_WAKE_PORT, .len = 1, .fd = efd,
        .flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
                 (remove ? KVM_IOEVENTFD_FLAG_DEASSIGN : 0)};
    return ioctl(vm->vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}

/* Slot s's ioeventfds go from this VM (if it has them), and our duplicates. */
void lx_wake_forget(struct ukmon_vm *vm, int s)
{
    struct lx_state *lx = vm->lx;
    for (int side = 0; side < 2; side++) {
        if (lx->wake_fd[s][side] < 0)
            continue;
        if (lx->wake_on[s])
            ioev(vm, lx->wake_fd[s][side], (uint32_t)(s + 1) | (side ? LXSYS_WAKE_SPACE : 0u), true);
        close(lx->wake_fd[s][side]);
        lx->wake_fd[s][side] = -1;
    }
    lx->wake_on[s] = false;
}

/* Slot s's ring is mapped in this VM: its two wakes become ioeventfds, if KVM will. */
void lx_wake_attach(struct ukmon_vm *vm, int s)
{
    struct lx_state *lx = vm->lx;
    const struct pipe_ring *r = &vm->rings[s];
    if (lx->wake_on[s] || r->memfd < 0)
        return;
    if (lx->wake_fd[s][0] < 0) {
        lx->wake_fd[s][0] = fcntl(r->data_efd, F_DUPFD_CLOEXEC, 3);
        lx->wake_fd[s][1] = fcntl(r->space_efd, F_DUPFD_CLOEXEC, 3);
    }
    if (lx->wake_fd[s][0] < 0 || lx->wake_fd[s][1] < 0) {
        lx_wake_forget(vm, s);
        return; /* the wakes exit to us instead */
    }
    if (ioev(vm, lx->wake_fd[s][0], (uint32_t)(s + 1), false) < 0)
        return;
    if (ioev(vm, lx->wake_fd[s][1], (uint32_t)(s + 1) | LXSYS_WAKE_SPACE, false) < 0) {
        ioev(vm, lx->wake_fd[s][0], (uint32_t)(s + 1), true);
        return;
    }
    lx->wake_on[s] = true;
}

/* A forked child's new VM has none of its parent's ioeventfds: the same rings get new ones. */
void lx_wake_forked(struct ukmon_vm *vm)
{
    for (int s = 0; s < RINGS_MAX; s++) {
        vm->lx->wake_on[s] = false;
        if (vm->lx->wake_fd[s][0] >= 0)
            lx_wake_attach(vm, s);
    }
}

/* The layer's OUT that no ioeventfd took: the wake it asks for, if the slot is ours. */
enum run_next lx_wake_exit(struct ukmon_vm *vm)
{
    struct kvm_run *run = vcpu_cur(vm)->run; /* the vCPU whose OUT this is */
    uint8_t v = 0;
    if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1 && run->io.count == 1)
        v = *((const uint8_t *)run + run->io.data_offset);
    ring_wake_peer(vm, v & (LXSYS_WAKE_SPACE - 1), (v & LXSYS_WAKE_SPACE) != 0);
    return RUN_CONTINUE;
}
