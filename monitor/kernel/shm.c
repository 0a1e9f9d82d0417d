/* shm.c: System V shared memory between the VMs of a tree, which is its IPC namespace. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kvm/vmm.h"

/*
 * Every segment of a tree lives in one memory file, the arena, created before the
 * tree's first fork (or at the first shmget) and inherited by every monitor: a segment
 * is a range of it, and shmat maps that range MAP_SHARED into the guest. So any VM of
 * the tree reaches any segment, whoever created it and whether its creator still
 * lives, with no fd to pass and nothing to open once the sandbox is in force. The
 * arena is sparse: it costs the pages segments touch, and a removed segment's pages
 * are given back (MADV_REMOVE). Its registry, the table of segments, is the arena's
 * first pages, under a lock word holding its holder's pid (taken over if that process
 * died). Keys and ids mean something within the tree only, as in an IPC namespace;
 * the tree's end is the namespace's, and every segment goes with it.
 *
 * nattch counts attachments as Linux does: shmat, fork (the child inherits its
 * parent's), shmdt, munmap of a whole attachment, execve and exit. A VM killed by
 * SIGKILL cannot count its own down: its segments, if removed, are freed at the
 * tree's end instead.
 */

#define SHM_SEGS 256                    /* SHMMNI of the tree */
#define SHM_REG_SIZE (64ULL << 10)      /* the registry, at the arena's start */
#define SHM_ARENA_SIZE (64ULL << 30)    /* all segments together (sparse) */
#define SHM_ID_SHIFT 15                 /* id = seq << 15 | index, as Linux makes them */
#define SHM_DEST 01000                  /* removed, freed at the last detach */

#define LX_IPC_CREAT 01000
#define LX_IPC_EXCL 02000
#define LX_IPC_RMID 0
#define LX_IPC_SET 1
#define LX_IPC_STAT 2
#define LX_IPC_INFO 3
#define LX_SHM_LOCK 11
#define LX_SHM_UNLOCK 12
#define LX_SHM_STAT 13
#define LX_SHM_INFO 14
#define LX_SHM_STAT_ANY 15

struct shm_seg {
    uint32_t used;
    int32_t key;
    uint32_t seq;
    uint32_t mode;
    uint64_t size, off;                 /* bytes asked for; where in the arena */
    uint32_t uid, gid, cuid, cgid;
    int32_t cpid, lpid;
    uint32_t nattch;
    int64_t atime, dtime, ctime;
};

struct shm_reg {
    int32_t lock;
    uint32_t next_seq;
    struct shm_seg seg[SHM_SEGS];
};
_Static_assert(sizeof(struct shm_reg) <= SHM_REG_SIZE, "the registry fits its pages");

/* The arena, before the tree's first fork (proc.c) or at the first shmget. */
int shm_setup(struct ukmon_vm *vm)
{
    if (vm->shm_reg)
        return 0;
    int fd = (int)syscall(SYS_memfd_create, "ukmon-sysv-shm", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    void *reg = MAP_FAILED;
    if (ftruncate(fd, (off_t)SHM_ARENA_SIZE) == 0)
        reg = mmap(NULL, SHM_REG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (reg == MAP_FAILED) {
        int e = errno;
        close(fd);
        return -e;
    }
    vm->shm_fd = fd;
    vm->shm_reg = reg;
    return 0;
}

void shm_free(struct ukmon_vm *vm)
{
    if (vm->shm_reg) {
        munmap(vm->shm_reg, SHM_REG_SIZE);
        close(vm->shm_fd);
    }
    vm->shm_reg = NULL;
    vm->shm_fd = -1;
    free(vm->shm_att);
    vm->shm_att = NULL;
    vm->shm_natt = vm->shm_att_cap = 0;
}

static void shm_lock(struct shm_reg *r)
{
    pid_t me = getpid();
    for (;;) {
        int32_t cur = 0;
        if (__atomic_compare_exchange_n(&r->lock, &cur, me, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
        if (cur != me && kill(cur, 0) < 0 && errno == ESRCH) /* its holder died */
            __atomic_compare_exchange_n(&r->lock, &cur, 0, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
        sched_yield();
    }
}

static void shm_unlock(struct shm_reg *r)
{
    __atomic_store_n(&r->lock, 0, __ATOMIC_RELEASE);
}

static int64_t shm_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return t.tv_sec;
}

static uint64_t shm_span(const struct shm_seg *s)
{
    return (s->size + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
}

/* The segment of `id`, or NULL (no such segment: EINVAL). Locked. */
static struct shm_seg *shm_of(struct shm_reg *r, int64_t id)
{
    if (id < 0)
        return NULL;
    unsigned idx = (unsigned)(id & ((1 << SHM_ID_SHIFT) - 1));
    if (idx >= SHM_SEGS || !r->seg[idx].used || r->seg[idx].seq != ((uint64_t)id >> SHM_ID_SHIFT))
        return NULL;
    return &r->seg[idx];
}

static int64_t shm_id(const struct shm_reg *r, const struct shm_seg *s)
{
    return (int64_t)((uint64_t)s->seq << SHM_ID_SHIFT | (uint64_t)(s - r->seg));
}

/*
 * Whether the caller may do `want` (4 read, 2 write) with s: its owner's bits, as
 * every VM of the tree is its owner's user; no capability overrides them (a
 * container's unprivileged process).
 */
static bool shm_may(const struct shm_seg *s, unsigned want)
{
    unsigned uid = getuid();
    unsigned granted = uid == s->uid || uid == s->cuid ? (s->mode >> 6) & 7 : s->mode & 7;
    return (want & ~granted) == 0;
}

/* Gives a removed segment's pages back and its slot up. Locked. */
static void shm_destroy(struct ukmon_vm *vm, struct shm_seg *s)
{
    uint64_t span = shm_span(s);
    void *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_SHARED, vm->shm_fd, (off_t)s->off);
    if (p != MAP_FAILED) {
        madvise(p, span, MADV_REMOVE); /* a hole again: zeros for the next one there */
        munmap(p, span);
    }
    memset(s, 0, sizeof(*s));
}

/* The lowest free range of the arena that holds `span` bytes, or 0. Locked. */
static uint64_t shm_place(const struct shm_reg *r, uint64_t span)
{
    uint64_t best = 0;
    for (int i = -1; i < SHM_SEGS; i++) {
        if (i >= 0 && !r->seg[i].used)
            continue;
        uint64_t at = i < 0 ? SHM_REG_SIZE : r->seg[i].off + shm_span(&r->seg[i]);
        if (at + span > SHM_ARENA_SIZE || (best && at >= best))
            continue;
        bool clash = false;
        for (int j = 0; j < SHM_SEGS && !clash; j++)
            clash = r->seg[j].used && at < r->seg[j].off + shm_span(&r->seg[j]) &&
                    r->seg[j].off < at + span;
        if (!clash)
            best = at;
    }
    return best;
}

/* shmget: the id of key's segment, made if asked; -errno as Linux's. */
int64_t shm_get(struct ukmon_vm *vm, int32_t key, uint64_t size, int flags)
{
    int r = shm_setup(vm);
    if (r < 0)
        return -ENOMEM;
    struct shm_reg *reg = vm->shm_reg;
    shm_lock(reg);
    int64_t ret;
    struct shm_seg *s = NULL;
    for (int i = 0; key != 0 && i < SHM_SEGS && !s; i++)
        if (reg->seg[i].used && reg->seg[i].key == key && !(reg->seg[i].mode & SHM_DEST))
            s = &reg->seg[i];
    if (s) {
        unsigned want = ((unsigned)flags >> 6 | (unsigned)flags >> 3 | (unsigned)flags) & 7;
        if ((flags & LX_IPC_CREAT) && (flags & LX_IPC_EXCL))
            ret = -EEXIST;
        else if (size > s->size)
            ret = -EINVAL;
        else if (!shm_may(s, want))
            ret = -EACCES;
        else
            ret = shm_id(reg, s);
        goto out;
    }
    if (key != 0 && !(flags & LX_IPC_CREAT)) {
        ret = -ENOENT;
        goto out;
    }
    if (size < 1 || size > SHM_ARENA_SIZE - SHM_REG_SIZE) {
        ret = -EINVAL;
        goto out;
    }
    for (int i = 0; i < SHM_SEGS && !s; i++)
        if (!reg->seg[i].used)
            s = &reg->seg[i];
    uint64_t span = (size + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    uint64_t off = s ? shm_place(reg, span) : 0;
    if (!s || !off) {
        ret = -ENOSPC;
        goto out;
    }
    *s = (struct shm_seg){
        .used = 1, .key = key, .seq = ++reg->next_seq & 0xffff, .mode = (uint32_t)flags & 0777,
        .size = size, .off = off, .uid = getuid(), .gid = getgid(), .cuid = getuid(),
        .cgid = getgid(), .cpid = getpid(), .ctime = shm_now(),
    };
    ret = shm_id(reg, s);
out:
    shm_unlock(reg);
    return ret;
}

/*
 * shmat's checks: segment `id`'s size (for the caller to place it), if this VM may
 * attach it so (write unless read-only). 0 or -errno.
 */
int shm_size(struct ukmon_vm *vm, int64_t id, bool rdonly, uint64_t *size)
{
    if (!vm->shm_reg)
        return -EINVAL;
    shm_lock(vm->shm_reg);
    struct shm_seg *s = shm_of(vm->shm_reg, id);
    int r = !s ? -EINVAL : !shm_may(s, rdonly ? 4 : 6) ? -EACCES : 0;
    if (r == 0)
        *size = s->size;
    shm_unlock(vm->shm_reg);
    return r;
}

static int shm_note(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, int idx, uint32_t seq)
{
    if (vm->shm_natt == vm->shm_att_cap) {
        unsigned cap = vm->shm_att_cap ? vm->shm_att_cap * 2 : 8;
        struct shm_att *a = realloc(vm->shm_att, cap * sizeof(*a));
        if (!a)
            return -ENOMEM;
        vm->shm_att = a;
        vm->shm_att_cap = cap;
    }
    vm->shm_att[vm->shm_natt++] = (struct shm_att){.lo = lo, .hi = hi, .idx = idx, .seq = seq};
    return 0;
}

/* shmat at [lo, lo + its size rounded up), which the caller chose free: 0 or -errno. */
int shm_attach(struct ukmon_vm *vm, int64_t id, uint64_t lo, uint8_t perm)
{
    struct shm_reg *reg = vm->shm_reg;
    shm_lock(reg);
    struct shm_seg *s = shm_of(reg, id);
    int r = s ? 0 : -EINVAL;
    if (r == 0 && (r = shm_note(vm, lo, lo + shm_span(s), (int)(s - reg->seg), s->seq)) == 0) {
        r = as_map_file(vm, lo, lo + shm_span(s), perm, vm->shm_fd, s->off, true);
        if (r < 0) {
            vm->shm_natt--;
        } else {
            s->nattch++;
            s->atime = shm_now();
            s->lpid = getpid();
        }
    }
    shm_unlock(reg);
    return r;
}

/* Attachment k is gone (shmdt, munmap, execve, exit): the segment's counts. Locked. */
static void shm_gone(struct ukmon_vm *vm, unsigned k)
{
    struct shm_seg *s = &vm->shm_reg->seg[vm->shm_att[k].idx];
    if (s->used && s->seq == vm->shm_att[k].seq) {
        if (s->nattch)
            s->nattch--;
        s->dtime = shm_now();
        s->lpid = getpid();
        if ((s->mode & SHM_DEST) && s->nattch == 0)
            shm_destroy(vm, s);
    }
    vm->shm_att[k] = vm->shm_att[--vm->shm_natt];
}

/* shmdt: the attachment that starts at addr; its range in *lo, *hi for the caller to unmap. */
int shm_detach(struct ukmon_vm *vm, uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    for (unsigned k = 0; k < vm->shm_natt; k++) {
        if (vm->shm_att[k].lo != addr)
            continue;
        *lo = vm->shm_att[k].lo;
        *hi = vm->shm_att[k].hi;
        shm_lock(vm->shm_reg);
        shm_gone(vm, k);
        shm_unlock(vm->shm_reg);
        return 0;
    }
    return -EINVAL;
}

/* [lo, hi) is being unmapped or mapped over: attachments wholly inside it are gone. */
void shm_unmapped(struct ukmon_vm *vm, uint64_t lo, uint64_t hi)
{
    if (!vm->shm_natt)
        return;
    shm_lock(vm->shm_reg);
    for (unsigned k = 0; k < vm->shm_natt;) {
        if (vm->shm_att[k].lo >= lo && vm->shm_att[k].hi <= hi)
            shm_gone(vm, k);
        else
            k++;
    }
    shm_unlock(vm->shm_reg);
}

/* mremap moved [old, old + old_len) to `to`: an attachment wholly inside moves along. */
void shm_moved(struct ukmon_vm *vm, uint64_t old, uint64_t old_len, uint64_t to)
{
    for (unsigned k = 0; k < vm->shm_natt; k++)
        if (vm->shm_att[k].lo >= old && vm->shm_att[k].hi <= old + old_len) {
            vm->shm_att[k].lo = vm->shm_att[k].lo - old + to;
            vm->shm_att[k].hi = vm->shm_att[k].hi - old + to;
        }
}

/* execve and exit: every attachment is gone. */
void shm_detach_all(struct ukmon_vm *vm)
{
    if (vm->shm_natt)
        shm_unmapped(vm, 0, UINT64_MAX);
}

/* A forked child holds its parent's attachments too. */
void shm_fork_child(struct ukmon_vm *vm)
{
    if (!vm->shm_natt)
        return;
    shm_lock(vm->shm_reg);
    for (unsigned k = 0; k < vm->shm_natt; k++) {
        struct shm_seg *s = &vm->shm_reg->seg[vm->shm_att[k].idx];
        if (s->used && s->seq == vm->shm_att[k].seq)
            s->nattch++;
    }
    shm_unlock(vm->shm_reg);
}

/* struct shmid64_ds, struct shminfo64 and struct shm_info of x86-64 Linux. */
struct lx_shmid_ds {
    int32_t key;
    uint32_t uid, gid, cuid, cgid, mode;
    uint16_t seq, pad2;
    uint64_t unused1, unused2;
    uint64_t segsz;
    int64_t atime, dtime, ctime;
    int32_t cpid, lpid;
    uint64_t nattch, unused4, unused5;
};
_Static_assert(sizeof(struct lx_shmid_ds) == 112, "x86-64's struct shmid64_ds");

static void shm_stat(const struct shm_seg *s, struct lx_shmid_ds *d)
{
    memset(d, 0, sizeof(*d));
    d->key = s->key;
    d->uid = s->uid;
    d->gid = s->gid;
    d->cuid = s->cuid;
    d->cgid = s->cgid;
    d->mode = s->mode;
    d->seq = (uint16_t)s->seq;
    d->segsz = s->size;
    d->atime = s->atime;
    d->dtime = s->dtime;
    d->ctime = s->ctime;
    d->cpid = s->cpid;
    d->lpid = s->lpid;
    d->nattch = s->nattch;
}

/*
 * shmctl: IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, SHM_INFO, SHM_STAT, SHM_STAT_ANY,
 * SHM_LOCK and SHM_UNLOCK (accepted: nothing is swapped). buf: the caller's copy of
 * the guest's struct, in (IPC_SET) and out; *out_len: how many bytes to copy out.
 */
int64_t shm_ctl(struct ukmon_vm *vm, int64_t id, int cmd, void *buf, size_t *out_len)
{
    *out_len = 0;
    if (shm_setup(vm) < 0)
        return -ENOMEM;
    struct shm_reg *reg = vm->shm_reg;
    shm_lock(reg);
    int64_t ret = 0;
    int last = -1;
    for (int i = 0; i < SHM_SEGS; i++)
        if (reg->seg[i].used)
            last = i;
    struct shm_seg *s = NULL;
    switch (cmd) {
    case LX_IPC_INFO: {
        uint64_t *info = buf; /* shmmax, shmmin, shmmni, shmseg, shmall, 4 unused */
        memset(info, 0, 9 * 8);
        info[0] = SHM_ARENA_SIZE - SHM_REG_SIZE;
        info[1] = 1;
        info[2] = SHM_SEGS;
        info[3] = SHM_SEGS;
        info[4] = (SHM_ARENA_SIZE - SHM_REG_SIZE) / PAGE_SIZE_4K;
        *out_len = 9 * 8;
        ret = last < 0 ? 0 : last;
        break;
    }
    case LX_SHM_INFO: {
        uint64_t *info = buf; /* used_ids (int, padded), shm_tot, rss, swp, 2 swap counts */
        memset(info, 0, 6 * 8);
        int used = 0;
        for (int i = 0; i < SHM_SEGS; i++)
            if (reg->seg[i].used) {
                used++;
                info[1] += shm_span(&reg->seg[i]) / PAGE_SIZE_4K;
            }
        memcpy(info, &used, sizeof(used));
        *out_len = 6 * 8;
        ret = last < 0 ? 0 : last;
        break;
    }
    case LX_SHM_STAT:
    case LX_SHM_STAT_ANY:
        if (id < 0 || id >= SHM_SEGS || !reg->seg[id].used) {
            ret = -EINVAL;
            break;
        }
        s = &reg->seg[id];
        if (cmd == LX_SHM_STAT && !shm_may(s, 4)) {
            ret = -EACCES;
            break;
        }
        shm_stat(s, buf);
        *out_len = sizeof(struct lx_shmid_ds);
        ret = shm_id(reg, s);
        break;
    case LX_IPC_STAT:
    case LX_IPC_SET:
    case LX_IPC_RMID:
    case LX_SHM_LOCK:
    case LX_SHM_UNLOCK:
        if (!(s = shm_of(reg, id))) {
            ret = -EINVAL;
            break;
        }
        if ((cmd == LX_IPC_SET || cmd == LX_IPC_RMID) && getuid() != s->uid &&
            getuid() != s->cuid) {
            ret = -EPERM; /* only its owner or creator, and no capability beats that */
            break;
        }
        if (cmd == LX_IPC_STAT) {
            if (!shm_may(s, 4)) {
                ret = -EACCES;
                break;
            }
            shm_stat(s, buf);
            *out_len = sizeof(struct lx_shmid_ds);
        } else if (cmd == LX_IPC_SET) {
            const struct lx_shmid_ds *d = buf;
            s->uid = d->uid;
            s->gid = d->gid;
            s->mode = (s->mode & ~0777u) | (d->mode & 0777);
            s->ctime = shm_now();
        } else if (cmd == LX_IPC_RMID) {
            s->mode |= SHM_DEST;
            s->key = 0; /* IPC_PRIVATE: shmget of its key makes a new one now */
            s->ctime = shm_now();
            if (s->nattch == 0)
                shm_destroy(vm, s);
        }
        break;
    default:
        ret = -EINVAL;
    }
    shm_unlock(reg);
    return ret;
}
