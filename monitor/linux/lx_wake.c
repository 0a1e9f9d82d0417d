/*
 * lx_wake.c: a pipe ring's peer woken by the guest-side layer without a trip to the
 * monitor. The layer writes one byte to LXSYS_WAKE_PORT: the value the page gives the
 * ring's slot (ring_wake[]), | LXSYS_WAKE_SPACE for the writer's side. For a value
 * above LXSYS_RINGS_MAPPED, KVM has an ioeventfd on that port and byte, so the host
 * kernel signals the peer's eventfd itself and the guest goes on: ~21 us on this
 * backend, against ~80 for an exit to the monitor (bench/README.md, the profile).
 * Values 1..LXSYS_RINGS_MAPPED are slot + 1 and always exit; so does any byte KVM does
 * not know, and lx_wake_exit does the wake of the slot that value stands for, if any.
 *
 * Why values and not slots: adding an ioeventfd costs ~2 us here, removing one 1-8 ms
 * (KVM waits for an SRCU grace period; measured with a bare VM, no vCPU running). So
 * none is ever removed: a ring unmapped from its slot leaves its value with KVM
 * ("stale": it still signals that ring's eventfds, and a wake nobody waits for is
 * harmless, see tests/linux/wakehostile.c); a ring that comes back to its slot takes
 * its value again, a new ring takes an unused one, and once a VM has used them all
 * its new rings wake by exits (slot + 1), ~60 us more a wake. An execve keeps the VM
 * and every value: the rings the new program still holds keep theirs. A forked
 * child has a new VM: its current values are given to KVM again, its stale ones
 * are free there.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "kernel/io.h"
#include "linux/lx.h"
#include "lxsys/lxsys.h"

_Static_assert(LX_WAKE_VALUES < LXSYS_WAKE_SPACE, "a value fits below the side's bit");
_Static_assert(RINGS_MAX >= LXSYS_RINGS_MAPPED, "slot + 1 is an exit-only value");
#define WV_FIRST (LXSYS_RINGS_MAPPED + 1) /* the first value KVM may have */

static int ioev(struct ukmon_vm *vm, int efd, uint32_t value)
{
    struct kvm_ioeventfd e = {
        .datamatch = value, .addr = LXSYS_WAKE_PORT, .len = 1, .fd = efd,
        .flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH};
    return ioctl(vm->vm_fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}

void lx_wake_init(struct lx_state *lx)
{
    for (int v = 0; v <= LX_WAKE_VALUES; v++)
        lx->wv[v] = (struct lx_wake_value){.slot = -1, .was = -1};
}

/*
 * Value v's two ioeventfds, for slot s's ring. If the second cannot be made, the first
 * stays (it cannot be taken back cheaply) and v is used up: a wake of the writer's side
 * would exit to us, but with a value no longer in use, which does nothing.
 */
static bool wv_register(struct ukmon_vm *vm, int v, int s)
{
    const struct pipe_ring *r = &vm->rings[s];
    if (ioev(vm, r->data_efd, (uint32_t)v) < 0)
        return false;
    vm->lx->wv[v].on = true;
    return ioev(vm, r->space_efd, (uint32_t)v | LXSYS_WAKE_SPACE) == 0;
}

/* An ioeventfd value for slot s's ring: the one it had, else one KVM never had; or 0. */
static int wv_pick(const struct lx_state *lx, int s, uint64_t gen)
{
    int unused = 0;
    for (int v = WV_FIRST; v <= LX_WAKE_VALUES; v++) {
        const struct lx_wake_value *w = &lx->wv[v];
        if (w->slot < 0 && w->on && w->was == s && w->gen == gen)
            return v;
        if (!w->on && w->slot < 0 && !unused)
            unused = v;
    }
    return unused;
}

/*
 * Slot s's ring is mapped in this VM: a wake value for it, an ioeventfd if there is
 * one left and KVM will. Returns the value, for the page's ring_wake[s].
 */
uint8_t lx_wake_attach(struct ukmon_vm *vm, int s)
{
    struct lx_state *lx = vm->lx;
    const struct pipe_ring *r = &vm->rings[s];
    if (r->memfd < 0 || s >= LXSYS_RINGS_MAPPED)
        return 0;
    int v = lx->wake_val[s];
    if (v >= WV_FIRST && lx->wv[v].gen != r->gen)
        lx_wake_detach(vm, s); /* the slot's old ring, gone at an execve */
    if ((v = lx->wake_val[s]))
        return (uint8_t)v;
    v = wv_pick(lx, s, r->gen);
    if (v && !lx->wv[v].on && !wv_register(vm, v, s))
        v = 0;
    if (!v) {
        lx->wake_val[s] = (uint8_t)(s + 1); /* by exits */
        return lx->wake_val[s];
    }
    lx->wv[v].slot = lx->wv[v].was = (int8_t)s;
    lx->wv[v].gen = r->gen;
    lx->wake_val[s] = (uint8_t)v;
    return (uint8_t)v;
}

/* Slot s's ring is unmapped: its value stays with KVM, stale, for the ring's return. */
void lx_wake_detach(struct ukmon_vm *vm, int s)
{
    struct lx_state *lx = vm->lx;
    int v = lx->wake_val[s];
    lx->wake_val[s] = 0;
    if (v >= WV_FIRST)
        lx->wv[v].slot = -1;
}

/* A forked child's new VM: its current values given to KVM again, the stale ones free. */
void lx_wake_forked(struct ukmon_vm *vm)
{
    struct lx_state *lx = vm->lx;
    for (int v = WV_FIRST; v <= LX_WAKE_VALUES; v++) {
        struct lx_wake_value *w = &lx->wv[v];
        bool had = w->on;
        w->on = false;
        if (w->slot < 0) {
            *w = (struct lx_wake_value){.slot = -1, .was = -1};
            continue;
        }
        /* Not given: it stays the slot's value, and its wakes exit to lx_wake_exit. */
        if (had && vm->rings[w->slot].memfd >= 0)
            wv_register(vm, v, w->slot);
    }
}

/* The layer's OUT that no ioeventfd took: the wake it asks for, if the value stands for a slot. */
enum run_next lx_wake_exit(struct ukmon_vm *vm)
{
    struct kvm_run *run = vcpu_cur(vm)->run; /* the vCPU whose OUT this is */
    uint8_t b = 0;
    if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 1 && run->io.count == 1)
        b = *((const uint8_t *)run + run->io.data_offset);
    int v = b & (LXSYS_WAKE_SPACE - 1), slot = -1;
    if (v >= 1 && v < WV_FIRST)
        slot = v - 1;
    else if (v >= WV_FIRST && v <= LX_WAKE_VALUES)
        slot = vm->lx->wv[v].slot;
    if (slot >= 0)
        ring_wake_peer(vm, slot + 1, (b & LXSYS_WAKE_SPACE) != 0);
    return RUN_CONTINUE;
}
