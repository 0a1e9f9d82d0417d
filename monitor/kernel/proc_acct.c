/*
 * proc_acct.c: what the VMs of one tree hold together, and its limits. ukmon runs
 * as root, so the kernel's per-user limits (pipe-user-pages-soft, for one) spare it:
 * the tree counts for itself, as Linux counts for an unprivileged user. Each kernel
 * object a VM made (an open file, a pipe, a socket) is one entry of the tree table,
 * counted once however many VMs hold an fd for it, and freed when the last of them
 * lets go: each entry has a bit per tree slot for the VMs holding it. A VM that dies
 * without letting go (SIGKILL) has its bits cleared by whoever reaps it, before its
 * slot is free again, so nothing leaks into the count.
 *
 * Every field is shared by the monitors of the tree (MAP_SHARED) and changed with
 * atomics only. An entry is claimed by moving its state from even to odd, and freed by
 * moving it on to even again by the one who saw it with no holder; the state was read
 * while that one still held it, so a second, late freer fails its compare-and-swap.
 */
#include <errno.h>
#include <string.h>

#include "kernel/proc.h"

#define ACCT_OBJS_MIN 16384        /* open files, pipes, sockets: 16 x RLIMIT_NOFILE */
#define ACCT_SOCKETS_MIN 1024
#define ACCT_PIPE_PAGES_SOFT 16384 /* Linux's pipe-user-pages-soft: 64 MiB */
#define ACCT_PIPE_PAGES_HARD 32768 /* Linux has none by default; 128 MiB */
#define ACCT_PIPE_MIN_PAGES 2      /* a new pipe past the soft limit, as Linux's */

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#define SUB(p, v) __atomic_sub_fetch((p), (v), __ATOMIC_ACQ_REL)
#define CAS(p, e, v) __atomic_compare_exchange_n((p), (e), (v), false, __ATOMIC_ACQ_REL, \
                                                 __ATOMIC_ACQUIRE)

static uint32_t objs_max(unsigned max_procs)
{
    return max_procs * 8 > ACCT_OBJS_MIN ? max_procs * 8 : ACCT_OBJS_MIN;
}

static size_t obj_size(unsigned max_procs)
{
    return sizeof(struct acct_obj) + (max_procs + 63) / 64 * sizeof(uint64_t);
}

/* Bytes the object table needs after the slots (MAP_NORESERVE: paid for as used). */
size_t proc_acct_size(unsigned max_procs)
{
    return (size_t)objs_max(max_procs) * obj_size(max_procs);
}

void proc_acct_init(struct proc_tree *t, size_t obj_off)
{
    t->objs_max = objs_max(t->max_procs);
    t->sockets_max = t->max_procs * 4 > ACCT_SOCKETS_MIN ? t->max_procs * 4 : ACCT_SOCKETS_MIN;
    t->pipe_pages_soft = ACCT_PIPE_PAGES_SOFT;
    t->pipe_pages_hard = ACCT_PIPE_PAGES_HARD;
    t->holder_words = (t->max_procs + 63) / 64;
    t->obj_size = obj_size(t->max_procs);
    t->obj_off = obj_off;
}

static struct acct_obj *obj_at(struct proc_tree *t, uint32_t id)
{
    return (struct acct_obj *)((uint8_t *)t + t->obj_off + (size_t)(id - 1) * t->obj_size);
}

static void slot_bit(struct acct_obj *o, unsigned slot, bool set)
{
    uint64_t bit = 1ULL << (slot % 64);
    if (set)
        __atomic_fetch_or(&o->holders[slot / 64], bit, __ATOMIC_ACQ_REL);
    else
        __atomic_fetch_and(&o->holders[slot / 64], ~bit, __ATOMIC_ACQ_REL);
}

static bool slot_holds(struct acct_obj *o, unsigned slot)
{
    return LOAD(&o->holders[slot / 64]) & (1ULL << (slot % 64));
}

static bool no_holders(const struct proc_tree *t, struct acct_obj *o)
{
    for (unsigned w = 0; w < t->holder_words; w++)
        if (LOAD(&o->holders[w]))
            return false;
    return true;
}

/* Takes one from a counter if it stays within max; false if it would not. */
static bool take(uint32_t *counter, uint32_t n, uint32_t max)
{
    uint32_t cur = LOAD(counter);
    do {
        if (cur + n > max || cur + n < cur)
            return false;
    } while (!CAS(counter, &cur, cur + n));
    return true;
}

/* The entry is gone: what it counted goes back. */
static void give_back(struct proc_tree *t, uint16_t kind, uint32_t pages)
{
    SUB(&t->objs, 1);
    if (kind == ACCT_SOCKET)
        SUB(&t->sockets, 1);
    if (pages)
        SUB(&t->pipe_pages, pages);
}

/*
 * Slot `slot` lets go of entry `id`; the last holder frees it. `state` was read while
 * the slot still held it.
 */
static void let_go(struct proc_tree *t, struct acct_obj *o, unsigned slot)
{
    uint32_t state = LOAD(&o->state);
    if (!(state & 1) || !slot_holds(o, slot))
        return;
    slot_bit(o, slot, false);
    if (!no_holders(t, o))
        return;
    uint16_t kind = o->kind;
    uint32_t pages = LOAD(&o->pages);
    if (CAS(&o->state, &state, state + 1))
        give_back(t, kind, pages);
}

/*
 * A new object of `kind` for the calling VM, counted against the tree's limits: its
 * id for fd_entry.obj (> 0), or -ENFILE when the tree holds all it may (the tree's
 * "file-max"). A pipe asks for *pages and gets them, or ACCT_PIPE_MIN_PAGES once the
 * tree is past the soft limit, or -ENFILE past the hard one: Linux's rules for a
 * user's pipe-user-pages-soft and -hard. Returns 0 (not counted) where no tree is.
 */
int64_t proc_acct_new(struct ukmon_vm *vm, int kind, uint32_t *pages)
{
    struct proc_tree *t = vm->fdt.tree;
    if (!t)
        return 0;
    uint32_t np = kind == ACCT_PIPE ? *pages : 0;
    if (!take(&t->objs, 1, t->objs_max))
        return -ENFILE;
    if (kind == ACCT_SOCKET && !take(&t->sockets, 1, t->sockets_max)) {
        SUB(&t->objs, 1);
        return -ENFILE;
    }
    if (np) {
        uint32_t total = ADD(&t->pipe_pages, np);
        if (total > t->pipe_pages_soft && np > ACCT_PIPE_MIN_PAGES) {
            total = SUB(&t->pipe_pages, np - ACCT_PIPE_MIN_PAGES);
            np = ACCT_PIPE_MIN_PAGES;
        }
        if (total > t->pipe_pages_hard) {
            give_back(t, (uint16_t)kind, np);
            return -ENFILE;
        }
        *pages = np;
    }
    for (uint32_t n = 0; n < t->objs_max; n++) {
        /* Lowest free first: the table is touched no further than it is used. */
        struct acct_obj *o = obj_at(t, n + 1);
        uint32_t state = LOAD(&o->state);
        if ((state & 1) || !CAS(&o->state, &state, state + 1))
            continue;
        o->kind = (uint16_t)kind;
        __atomic_store_n(&o->pages, np, __ATOMIC_RELEASE);
        slot_bit(o, vm->fdt.slot, true);
        uint32_t top = LOAD(&t->obj_top);
        while (top < n + 1 && !CAS(&t->obj_top, &top, n + 1))
            ;
        return (int64_t)n + 1;
    }
    give_back(t, (uint16_t)kind, np); /* cannot be: objs counts the entries in use */
    return -ENFILE;
}

/* This VM holds no fd for object `id` any more (its last one closed, or never made). */
void proc_acct_drop(struct proc_tree *t, unsigned slot, uint32_t id)
{
    if (t && id && id <= t->objs_max)
        let_go(t, obj_at(t, id), slot);
}

/*
 * A pipe's new size, in pages, before the host's F_SETPIPE_SZ: as Linux for an
 * unprivileged user, growing is EPERM when the tree would be past its soft (or hard)
 * limit; shrinking always passes. undo: put back what a failed resize changed.
 */
int proc_acct_pipe_resize(struct ukmon_vm *vm, uint32_t id, uint32_t pages, bool undo)
{
    struct proc_tree *t = vm->fdt.tree;
    if (!t || !id || id > t->objs_max)
        return 0;
    struct acct_obj *o = obj_at(t, id);
    uint32_t old = LOAD(&o->pages);
    if (undo) {
        __atomic_store_n(&o->pages, pages, __ATOMIC_RELEASE);
        SUB(&t->pipe_pages, old);
        ADD(&t->pipe_pages, pages);
        return 0;
    }
    if (pages > old && !take(&t->pipe_pages, pages - old, t->pipe_pages_soft))
        return -EPERM;
    if (pages < old)
        SUB(&t->pipe_pages, old - pages);
    __atomic_store_n(&o->pages, pages, __ATOMIC_RELEASE);
    return (int)old;
}

/* Before fork: the child in `child_slot` holds what the parent's fds stand for. */
void proc_acct_fork(struct proc_tree *t, const struct fd_table *fdt, unsigned child_slot)
{
    for (int i = 0; t && i < FDT_MAX; i++)
        if (fdt->fd[i].host_fd >= 0 && fdt->fd[i].obj && fdt->fd[i].obj <= t->objs_max)
            slot_bit(obj_at(t, fdt->fd[i].obj), child_slot, true);
}

/* The VM of `slot` is gone (or never started): it holds nothing any more. */
void proc_acct_slot_clear(struct proc_tree *t, unsigned slot)
{
    uint32_t top = t ? LOAD(&t->obj_top) : 0;
    for (uint32_t n = 0; n < top; n++)
        let_go(t, obj_at(t, n + 1), slot);
}
