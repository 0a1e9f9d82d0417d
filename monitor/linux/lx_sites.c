/*
 * lx_sites.c: the `syscall` sites a tree's VMs have rewritten, remembered per program
 * file, so that a VM that starts or execs the same program gets them rewritten before
 * its first instruction.
 *
 * Why: a site is rewritten only after it trapped once (lx_inguest.c), and a process a
 * shell starts is a new program run: every call it makes is at a site that has not
 * trapped yet in that VM, so each pays the SYSCALL hop, and the calls the layer could
 * answer (signal masks, ids) exit all the same. A busybox applet started by a script
 * runs the sites every earlier applet ran. Rewriting them at load costs a few
 * mprotect calls; each one saves an exit or the hop.
 *
 * Soundness: a site enters the cache only after a SYSCALL instruction really ran
 * there, in a VM running the same file (same device, inode, size and modification
 * time) loaded at the same place relative to its image; at load, the same bytes sit
 * at the same offset, and lx_inguest_rewrite() checks them (`0f 05`, in a page of the
 * program's that it cannot write) before it patches. The cache lives in memory the
 * tree's monitors share and no guest can reach; a guest can only add sites it really
 * ran, up to a bound.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "linux/lx.h"

#define SITE_PROGS 32        /* programs remembered per tree */
#define SITE_MAX 2048        /* sites per program */

struct site_prog {
    uint64_t dev, ino, size, mtime_ns;
    uint32_t used;           /* 0 free, 1 being claimed, 2 in use */
    uint32_t n;              /* sites appended (may pass SITE_MAX: those are dropped) */
    uint32_t off[SITE_MAX];  /* offset from the image's lowest address, + 1 (0: not yet written) */
};

struct site_cache {
    struct site_prog prog[SITE_PROGS];
};

/* One per tree: made by the first VM of the tree, before any fork, inherited by all. */
static struct site_cache *cache;

static int cache_open(void)
{
    if (cache)
        return 0;
    void *m = mmap(NULL, sizeof(*cache), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);
    if (m == MAP_FAILED)
        return -errno;
    cache = m;
    return 0;
}

/* The program's identity, or false when it has none to remember (an image from memory). */
static bool prog_key(const struct ukmon_vm *vm, uint64_t key[4])
{
    struct stat st;
    if (vm->exe_fd < 0 || fstat(vm->exe_fd, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    key[0] = st.st_dev;
    key[1] = st.st_ino;
    key[2] = (uint64_t)st.st_size;
    key[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000ULL + (uint64_t)st.st_mtim.tv_nsec;
    return true;
}

/* The program's entry: found, or claimed for it when there is room; -1 when neither. */
static int prog_find(const uint64_t key[4], bool claim)
{
    for (int i = 0; i < SITE_PROGS; i++) {
        struct site_prog *p = &cache->prog[i];
        uint32_t used = __atomic_load_n(&p->used, __ATOMIC_ACQUIRE);
        if (used == 2 && p->dev == key[0] && p->ino == key[1] && p->size == key[2] &&
            p->mtime_ns == key[3])
            return i;
        if (used == 0 && claim) {
            uint32_t free = 0;
            if (!__atomic_compare_exchange_n(&p->used, &free, 1, false, __ATOMIC_ACQ_REL,
                                             __ATOMIC_RELAXED))
                continue; /* another monitor took it: look at the next one */
            p->dev = key[0], p->ino = key[1], p->size = key[2], p->mtime_ns = key[3];
            p->n = 0;
            __atomic_store_n(&p->used, 2, __ATOMIC_RELEASE);
            return i;
        }
    }
    return -1;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * At the start of a program (boot, execve), before its first instruction: the sites
 * the tree knows for its file, rewritten now. Page by page, so that each page of code
 * is made writable and back only once.
 */
void lx_sites_apply(struct ukmon_vm *vm)
{
    vm->lx->site_prog = -1;
    vm->lx->sites_seen = 0;
    uint64_t key[4];
    if (!lx_inguest_on(vm) || cache_open() < 0 || !prog_key(vm, key))
        return;
    int i = prog_find(key, true);
    if (i < 0)
        return;
    vm->lx->site_prog = i;
    struct site_prog *p = &cache->prog[i];
    uint32_t n = __atomic_load_n(&p->n, __ATOMIC_ACQUIRE);
    if (n > SITE_MAX)
        n = SITE_MAX;
    static uint32_t offs[SITE_MAX];
    uint32_t k = 0;
    for (uint32_t j = 0; j < n; j++) {
        uint32_t o = __atomic_load_n(&p->off[j], __ATOMIC_ACQUIRE);
        if (o)
            offs[k++] = o - 1;
    }
    qsort(offs, k, sizeof(offs[0]), cmp_u32);
    lx_inguest_rewrite_many(vm, vm->as.image_lo, offs, k);
    vm->lx->sites_seen = n;
}

/*
 * Before an entry: sites the tree learnt since this VM last looked (a forked child's
 * trap at a site only children run, glibc's fork-child path, say), rewritten here too.
 * One load when there are none.
 */
void lx_sites_refresh(struct ukmon_vm *vm)
{
    int i = vm->lx->site_prog;
    if (i < 0 || !cache)
        return;
    struct site_prog *p = &cache->prog[i];
    uint32_t n = __atomic_load_n(&p->n, __ATOMIC_ACQUIRE);
    if (n > SITE_MAX)
        n = SITE_MAX;
    if (n <= vm->lx->sites_seen)
        return;
    uint32_t offs[64], k = 0, j = vm->lx->sites_seen;
    for (; j < n && k < 64; j++) {
        uint32_t o = __atomic_load_n(&p->off[j], __ATOMIC_ACQUIRE);
        if (!o)
            break; /* being written: next time */
        offs[k++] = o - 1;
    }
    vm->lx->sites_seen = j;
    qsort(offs, k, sizeof(offs[0]), cmp_u32);
    lx_inguest_rewrite_many(vm, vm->as.image_lo, offs, k);
}

/* A site this VM just rewrote, in its program's image: the tree remembers it. */
void lx_sites_note(struct ukmon_vm *vm, uint64_t site)
{
    int i = vm->lx->site_prog;
    if (i < 0 || !cache || site < vm->as.image_lo || site + 2 > vm->as.image_hi ||
        site - vm->as.image_lo >= UINT32_MAX)
        return;
    struct site_prog *p = &cache->prog[i];
    uint32_t slot = __atomic_fetch_add(&p->n, 1, __ATOMIC_ACQ_REL);
    if (slot < SITE_MAX)
        __atomic_store_n(&p->off[slot], (uint32_t)(site - vm->as.image_lo) + 1, __ATOMIC_RELEASE);
}
