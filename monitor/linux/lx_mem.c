/* lx_mem.c: Linux memory calls: brk, mmap, munmap, mprotect, mremap, madvise. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kernel/io.h"
#include "kernel/proc.h"
#include "linux/lx.h"


/* Page permissions for a PROT_* value: mapped (PG_M) always, accessible unless NONE. */
static uint8_t lx_prot_perm(uint64_t prot)
{
    if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
        return PG_M;
    return PG_M | PG_P | PG_U | ((prot & PROT_WRITE) ? PG_W : 0) |
           ((prot & PROT_EXEC) ? PG_X : 0);
}

/* Whether [lo, hi) touches the program image, whose page tables are fixed. */
static bool lx_touches_image(const struct ukmon_vm *vm, uint64_t lo, uint64_t hi)
{
    return lo < PAGE_UP(vm->as.image_hi) && vm->as.image_lo < hi;
}

/* What the page tables let ring 3 do with a page of the image: its segments' rights. */
static uint8_t lx_image_page_perm(const struct ukmon_vm *vm, uint64_t addr)
{
    uint8_t p = 0;
    for (unsigned i = 0; i < vm->img.nseg; i++) {
        const struct elf_seg *s = &vm->img.seg[i];
        if (addr + PAGE_SIZE_4K > s->vaddr && addr < s->vaddr + s->memsz)
            p |= ((s->flags & 2) ? PG_W : 0) | ((s->flags & 1) ? PG_X : 0);
    }
    return p;
}

/* [addr, addr + len) as page bounds inside the guest's mappable space, or false. */
static bool lx_range(const struct ukmon_vm *vm, uint64_t addr, uint64_t len, uint64_t *lo,
                     uint64_t *hi)
{
    uint64_t end;
    if (addr % PAGE_SIZE_4K || len == 0 || __builtin_add_overflow(addr, len, &end) ||
        end > UINT64_MAX - PAGE_SIZE_4K)
        return false;
    *lo = addr;
    *hi = PAGE_UP(end);
    return *lo >= GL_LOAD_MIN && *hi <= vm->mem_size;
}

/*
 * The program break: grows into free pages above it (never into a mapping), shrinks
 * giving pages back. Linux answers every call with the break as it now is.
 */
LX_HANDLER(lx_brk)
{
    struct addrspace *as = &vm->as;
    uint64_t want = a[0];
    if (want < as->brk_start || want > vm->mem_size)
        return (int64_t)as->brk;
    uint64_t old_top = PAGE_UP(as->brk), new_top = PAGE_UP(want);
    if (new_top > old_top) {
        if (new_top > as->mmap_top || !as_is_free(vm, old_top, new_top) ||
            as_replace(vm, old_top, new_top, PG_M | PG_P | PG_U | PG_W) < 0)
            return (int64_t)as->brk;
    } else if (new_top < old_top) {
        if (as_replace(vm, new_top, old_top, 0) < 0)
            return (int64_t)as->brk;
    }
    as->brk = want;
    return (int64_t)want;
}

#define LX_MAP_FIXED_NOREPLACE 0x100000
#define LX_MAP_TYPE 0xf

/* Whether guest fd `fd` is /dev/zero, whose mappings are anonymous memory, as on Linux. */
static bool lx_is_dev_zero(struct ukmon_vm *vm, int fd)
{
    struct stat st;
    int h = fdt_host(&vm->fdt, fd);
    return h >= 0 && fstat(h, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 5);
}

/*
 * Where a new mapping of `size` bytes goes, as Linux decides: at `addr` itself with
 * MAP_FIXED (replacing what is there) or MAP_FIXED_NOREPLACE (EEXIST if anything
 * is), at a free hint as is, else the highest free range under the stack. Never over
 * the program image, whose page tables are fixed. Returns 0 with *lo, or -errno.
 */
int64_t lx_map_where(struct ukmon_vm *vm, uint64_t addr, uint64_t size, uint64_t flags,
                     uint64_t *lo)
{
    uint64_t hi;
    if (size == 0 || size > vm->mem_size)
        return -ENOMEM;
    if (flags & (MAP_FIXED | LX_MAP_FIXED_NOREPLACE)) {
        if (!lx_range(vm, addr, size, lo, &hi))
            return addr % PAGE_SIZE_4K ? -EINVAL : -ENOMEM;
        if (lx_touches_image(vm, *lo, hi))
            return -EPERM; /* the program's own pages are not replaced */
        if ((flags & LX_MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) && !as_is_free(vm, *lo, hi))
            return -EEXIST;
        return 0;
    }
    if (lx_range(vm, addr, size, lo, &hi) && hi <= vm->as.mmap_top &&
        !lx_touches_image(vm, *lo, hi) && as_is_free(vm, *lo, hi))
        return 0;
    *lo = as_find_free(vm, size, PAGE_UP(vm->as.brk), vm->as.mmap_top);
    return *lo ? 0 : -ENOMEM;
}

LX_HANDLER(lx_mmap)
{
    uint64_t addr = a[0], len = a[1], prot = a[2], flags = a[3];
    if (len == 0 || (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC)))
        return -EINVAL;
    uint64_t type = flags & LX_MAP_TYPE;
    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (!(flags & MAP_ANONYMOUS) && !lx_is_dev_zero(vm, (int32_t)a[4]))
        return lx_mmap_file(vm, a);
    if (len > vm->mem_size)
        return -ENOMEM;
    uint64_t size = PAGE_UP(len), lo;
    int64_t w = lx_map_where(vm, addr, size, flags, &lo);
    if (w < 0)
        return w;
    uint64_t hi = lo + size;
    /* MAP_SHARED: the VMs it forks share the pages (as_share); execve drops them. */
    lx_windows_clear_range(vm, lo, hi);
    shm_unmapped(vm, lo, hi);
    int r = type == MAP_PRIVATE ? as_replace(vm, lo, hi, lx_prot_perm(prot))
                                : as_share(vm, lo, hi, lx_prot_perm(prot));
    return r < 0 ? r : (int64_t)lo;
}

LX_HANDLER(lx_munmap)
{
    uint64_t lo, hi;
    if (!lx_range(vm, a[0], a[1], &lo, &hi))
        return a[0] % PAGE_SIZE_4K || a[1] == 0 ? -EINVAL : 0;
    if (lx_touches_image(vm, lo, hi))
        return -EINVAL;
    lx_windows_clear_range(vm, lo, hi);
    shm_unmapped(vm, lo, hi);
    return as_replace(vm, lo, hi, 0);
}

LX_HANDLER(lx_mprotect)
{
    uint64_t lo, hi, prot = a[2];
    if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN))
        return -EINVAL;
    if (a[1] == 0)
        return a[0] % PAGE_SIZE_4K ? -EINVAL : 0;
    if (!lx_range(vm, a[0], a[1], &lo, &hi))
        return a[0] % PAGE_SIZE_4K ? -EINVAL : -ENOMEM;
    for (uint64_t pg = lo / PAGE_SIZE_4K; pg < hi / PAGE_SIZE_4K; pg++)
        if (!(vm->page_perm[pg] & (PG_M | PG_P)))
            return -ENOMEM;
    uint8_t perm = lx_prot_perm(prot);
    /*
     * The image's page tables are fixed: there a page can lose permissions (RELRO
     * going read-only) but not gain any its segment lacks.
     */
    for (uint64_t pg = lo / PAGE_SIZE_4K; pg < hi / PAGE_SIZE_4K; pg++) {
        uint64_t addr = pg * PAGE_SIZE_4K;
        if (!lx_touches_image(vm, addr, addr + PAGE_SIZE_4K))
            continue;
        uint8_t seg = lx_image_page_perm(vm, addr);
        if ((perm & PG_W) && !(seg & PG_W))
            return -EACCES;
        if ((perm & PG_X) && !(seg & PG_X))
            return -EACCES;
    }
    lx_windows_clear_range(vm, lo, hi); /* a range the program never mapped itself */
    return as_protect(vm, lo, hi, perm);
}

#define LX_MREMAP_MAYMOVE 1
#define LX_MREMAP_FIXED 2
#define LX_MREMAP_DONTUNMAP 4

/*
 * Grows in place when the pages after the mapping are free, else (MREMAP_MAYMOVE)
 * moves the mapping itself (addrspace.c: the host's mremap, nothing copied).
 */
LX_HANDLER(lx_mremap)
{
    uint64_t old = a[0], old_len = PAGE_UP(a[1]), new_len = PAGE_UP(a[2]), flags = a[3];
    uint64_t lo, hi, end;
    if (flags & ~(uint64_t)(LX_MREMAP_MAYMOVE | LX_MREMAP_FIXED) || old % PAGE_SIZE_4K ||
        new_len == 0 || ((flags & LX_MREMAP_FIXED) && !(flags & LX_MREMAP_MAYMOVE)))
        return -EINVAL;
    if (!lx_range(vm, old, old_len ? old_len : PAGE_SIZE_4K, &lo, &hi) ||
        lx_touches_image(vm, lo, hi))
        return -EFAULT;
    for (uint64_t pg = lo / PAGE_SIZE_4K; pg < hi / PAGE_SIZE_4K; pg++)
        if (!(vm->page_perm[pg] & (PG_M | PG_P)))
            return -EFAULT;
    if (old_len == 0)
        return -EINVAL; /* duplicating a shared mapping: none exist here */
    lx_windows_clear_range(vm, lo, hi);
    if (new_len <= old_len && !(flags & LX_MREMAP_FIXED)) {
        int r = new_len < old_len ? as_replace(vm, old + new_len, old + old_len, 0) : 0;
        return r < 0 ? r : (int64_t)old;
    }
    if (!(flags & LX_MREMAP_FIXED) && !__builtin_add_overflow(old, new_len, &end) &&
        end <= vm->as.mmap_top && !lx_touches_image(vm, old + old_len, end) &&
        as_is_free(vm, old + old_len, end)) {
        int r = as_grow(vm, old, old_len, new_len);
        return r < 0 ? r : (int64_t)old;
    }
    if (!(flags & LX_MREMAP_MAYMOVE))
        return -ENOMEM;
    uint64_t to;
    if (flags & LX_MREMAP_FIXED) {
        uint64_t tlo, thi;
        to = a[4];
        if (!lx_range(vm, to, new_len, &tlo, &thi) || lx_touches_image(vm, tlo, thi) ||
            (tlo < hi && lo < thi))
            return -EINVAL;
    } else {
        to = as_find_free(vm, new_len, PAGE_UP(vm->as.brk), vm->as.mmap_top);
        if (!to)
            return -ENOMEM;
    }
    if (flags & LX_MREMAP_FIXED) {
        lx_windows_clear_range(vm, to, to + new_len);
        shm_unmapped(vm, to, to + new_len);
    }
    int r = as_move(vm, old, old_len, to, new_len);
    if (r == 0)
        shm_moved(vm, old, old_len, to);
    return r < 0 ? r : (int64_t)to;
}

LX_HANDLER(lx_madvise)
{
    uint64_t lo, hi;
    if (a[1] == 0)
        return a[0] % PAGE_SIZE_4K ? -EINVAL : 0;
    if (!lx_range(vm, a[0], a[1], &lo, &hi))
        return a[0] % PAGE_SIZE_4K ? -EINVAL : -ENOMEM;
    switch (a[2]) {
    case MADV_DONTNEED:
    case MADV_FREE:
        /* Anonymous private pages read back as zero afterwards. */
        if (lx_touches_image(vm, lo, hi))
            return -EINVAL;
        for (uint64_t pg = lo / PAGE_SIZE_4K; pg < hi / PAGE_SIZE_4K; pg++)
            if (!(vm->page_perm[pg] & (PG_M | PG_P)))
                return -ENOMEM;
        for (uint64_t s = lo; s < hi;) {
            uint8_t p = vm->page_perm[s / PAGE_SIZE_4K];
            uint64_t e = s + PAGE_SIZE_4K;
            while (e < hi && vm->page_perm[e / PAGE_SIZE_4K] == p)
                e += PAGE_SIZE_4K;
            /* A shared mapping's pages are its file's: they stay what they are. */
            int r = (p & PG_S) ? 0 : as_replace(vm, s, e, p);
            if (r < 0)
                return r;
            s = e;
        }
        return 0;
    default:
        return 0; /* advice: taken, not acted on */
    }
}

/*
 * System V shared memory (kernel/shm.c): segments of the tree, which is its IPC
 * namespace, attached where the guest asks or where mmap would have put them.
 */
#define LX_SHM_RDONLY 010000
#define LX_SHM_RND 020000
#define LX_SHM_REMAP 040000
#define LX_SHM_EXEC 0100000

LX_HANDLER(lx_shmget)
{
    return shm_get(vm, (int32_t)a[0], a[1], (int)a[2]);
}

LX_HANDLER(lx_shmat)
{
    int64_t id = (int32_t)a[0];
    uint64_t addr = a[1], flags = a[2], size, lo, hi;
    bool rdonly = flags & LX_SHM_RDONLY;
    int r = shm_size(vm, id, rdonly, &size);
    if (r < 0)
        return r;
    uint64_t span = PAGE_UP(size);
    if (addr) {
        if (flags & LX_SHM_RND)
            addr &= ~(PAGE_SIZE_4K - 1);
        if (!lx_range(vm, addr, span, &lo, &hi) || lx_touches_image(vm, lo, hi))
            return -EINVAL;
        if (!(flags & LX_SHM_REMAP) && !as_is_free(vm, lo, hi))
            return -EINVAL;
        lx_windows_clear_range(vm, lo, hi);
        shm_unmapped(vm, lo, hi);
    } else {
        if (flags & LX_SHM_REMAP)
            return -EINVAL;
        lo = as_find_free(vm, span, PAGE_UP(vm->as.brk), vm->as.mmap_top);
        if (!lo)
            return -ENOMEM;
    }
    uint8_t perm = PG_M | PG_P | PG_U | (rdonly ? 0 : PG_W) | ((flags & LX_SHM_EXEC) ? PG_X : 0);
    r = shm_attach(vm, id, lo, perm);
    return r < 0 ? r : (int64_t)lo;
}

LX_HANDLER(lx_shmdt)
{
    uint64_t lo, hi;
    if (a[0] % PAGE_SIZE_4K || shm_detach(vm, a[0], &lo, &hi) < 0)
        return -EINVAL;
    return as_replace(vm, lo, hi, 0);
}

#define LX_IPC_64 0x100
#define LX_IPC_SET 1

LX_HANDLER(lx_shmctl)
{
    uint8_t buf[112]; /* struct shmid64_ds, the largest of what shmctl takes */
    memset(buf, 0, sizeof(buf));
    int cmd = (int)(a[1] & ~(uint64_t)LX_IPC_64);
    if (cmd == LX_IPC_SET && lx_copy_in(vm, buf, a[2], sizeof(buf)) < 0)
        return -EFAULT;
    size_t out = 0;
    int64_t r = shm_ctl(vm, (int32_t)a[0], cmd, buf, &out);
    if (r >= 0 && out && lx_copy_out(vm, a[2], buf, out) < 0)
        return -EFAULT;
    return r;
}
