/* addrspace.c: a guest's mappings after boot: one place changes both views of them. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm/vmm.h"

/*
 * Two views must agree: page_perm, against which the monitor checks every guest
 * buffer, and the protection of the host memory behind the page, which is what KVM
 * enforces. The guest's own page tables are never changed once its VM runs: under a
 * shadow-paging backend (PVM) KVM does not see such edits, even after a CR3 reload
 * (measured), while host mprotect/mmap reach every backend through KVM's MMU
 * notifiers. So the page tables map the whole dynamic area user-accessible, and a
 * page the guest has not mapped is PROT_NONE on the host: touching it makes KVM_RUN
 * fail with EFAULT, which the run loop turns into SIGSEGV. (The one edit is a 2 MiB
 * region going from not present to present when KVM learns of its chunk: nothing can
 * have cached a translation that did not exist. A mapping makes KVM learn of the
 * chunks it covers: kvm_cover().)
 */

static int host_prot(uint8_t perm)
{
    if (!(perm & PG_P))
        return PROT_NONE;
    return (perm & PG_W) ? PROT_READ | PROT_WRITE : PROT_READ;
}

static bool as_range_ok(const struct ukmon_vm *vm, uint64_t lo, uint64_t hi)
{
    return lo <= hi && hi <= vm->mem_size && lo >= GL_LOAD_MIN && lo % PAGE_SIZE_4K == 0 &&
           hi % PAGE_SIZE_4K == 0;
}

/* New permissions for [lo, hi), and the count of mapped pages kept (VmSize). */
static void perm_set(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm)
{
    uint8_t *p = vm->page_perm + lo / PAGE_SIZE_4K;
    size_t n = (hi - lo) / PAGE_SIZE_4K;
    int64_t now = (perm & (PG_M | PG_P)) ? (int64_t)n : 0, before = 0;
    for (size_t i = 0; i < n; i++)
        before += (p[i] & (PG_M | PG_P)) != 0;
    vm->as.mapped_pages += (uint64_t)(now - before);
    memset(p, perm, n);
}

/* New protection for [lo, hi), keeping the contents (mprotect). */
int as_protect(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm)
{
    if (!as_range_ok(vm, lo, hi))
        return -EINVAL;
    if (hi > lo && mprotect(vm->mem + lo, hi - lo, host_prot(perm)) < 0)
        return -errno;
    perm_set(vm, lo, hi, perm);
    return 0;
}

/*
 * PROT_NONE on the host for [lo, hi), whose page_perm bytes are 0 already: a fresh
 * page map at boot, whose untouched pages are not written (that would cost host
 * memory for every page of a large guest).
 */
int as_close_fresh(struct ukmon_vm *vm, uint64_t lo, uint64_t hi)
{
    if (!as_range_ok(vm, lo, hi))
        return -EINVAL;
    if (hi > lo && mprotect(vm->mem + lo, hi - lo, PROT_NONE) < 0)
        return -errno;
    return 0;
}

/*
 * Fresh zero pages for [lo, hi) with `perm`, or (perm 0) none at all: whatever was
 * there, a file mapping included, is dropped and its host memory freed.
 */
int as_replace(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm)
{
    if (!as_range_ok(vm, lo, hi))
        return -EINVAL;
    int r = perm ? kvm_cover(vm, lo, hi) : 0;
    if (r < 0)
        return r;
    if (hi > lo && mmap(vm->mem + lo, hi - lo, host_prot(perm),
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) ==
                   MAP_FAILED)
        return -errno;
    perm_set(vm, lo, hi, perm);
    return 0;
}

/*
 * Pages of a host file: MAP_PRIVATE (the guest's writes stay its own), or MAP_SHARED
 * (writes reach the file, if its fd was opened for writing; forked VMs share them).
 */
int as_map_file(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm, int fd,
                uint64_t offset, bool shared)
{
    if (!as_range_ok(vm, lo, hi) || offset % PAGE_SIZE_4K)
        return -EINVAL;
    int r = kvm_cover(vm, lo, hi);
    if (r < 0)
        return r;
    if (hi > lo && mmap(vm->mem + lo, hi - lo, host_prot(perm),
                        (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, (off_t)offset) ==
                   MAP_FAILED)
        return -errno;
    perm_set(vm, lo, hi, (uint8_t)(perm | (shared ? PG_S : 0)));
    return 0;
}

/*
 * Fresh zero pages for [lo, hi) that stay shared with the VMs this one forks
 * (MAP_SHARED|MAP_ANONYMOUS): a memory file of their own mapped MAP_SHARED, which
 * fork(2) of the monitor keeps shared; execve and munmap drop it like any mapping.
 */
int as_share(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm)
{
    if (!as_range_ok(vm, lo, hi) || hi == lo)
        return -EINVAL;
    int fd = (int)syscall(SYS_memfd_create, "ukmon-shared", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = ftruncate(fd, (off_t)(hi - lo)) < 0 ? -errno : as_map_file(vm, lo, hi, perm, fd, 0, true);
    close(fd); /* the mapping keeps the file */
    return r;
}

/* Moves the host pages of [from, from + len) to `to`, grown by `grow` bytes. */
static int move_pages(struct ukmon_vm *vm, uint64_t from, uint64_t len, uint64_t to,
                      uint64_t grow)
{
    if (mremap(vm->mem + from, len, len + grow, MREMAP_MAYMOVE | MREMAP_FIXED,
               vm->mem + to) != MAP_FAILED)
        return 0;
    if (errno != EFAULT || len == PAGE_SIZE_4K)
        return -errno;
    /* More than one host mapping in the run (a file's pages beside anonymous ones). */
    for (uint64_t off = 0; off < len; off += PAGE_SIZE_4K) {
        uint64_t g = off + PAGE_SIZE_4K == len ? grow : 0;
        if (mremap(vm->mem + from + off, PAGE_SIZE_4K, PAGE_SIZE_4K + g,
                   MREMAP_MAYMOVE | MREMAP_FIXED, vm->mem + to + off) == MAP_FAILED)
            return -errno;
    }
    return 0;
}

/*
 * mremap's move: the host mappings of [old, old + old_len) themselves move to `to`,
 * as the host's own mremap moves them: contents, file backing and each page's
 * protection go along, nothing is copied; a grown end is more of the last mapping
 * (zero pages, or more of the file), a shrunk one stays behind and is dropped. The
 * old range becomes a hole again. The ranges must not overlap.
 */
int as_move(struct ukmon_vm *vm, uint64_t old, uint64_t old_len, uint64_t to, uint64_t new_len)
{
    if (!as_range_ok(vm, old, old + old_len) || !as_range_ok(vm, to, to + new_len) ||
        old_len == 0 || new_len == 0 || (to < old + old_len && old < to + new_len))
        return -EINVAL;
    uint64_t keep = old_len < new_len ? old_len : new_len;
    int rc = kvm_cover(vm, to, to + new_len);
    if (rc < 0)
        return rc;
    /* One run of pages with the same protection at a time: each is one host mapping. */
    for (uint64_t s = 0; s < keep;) {
        uint8_t perm = vm->page_perm[(old + s) / PAGE_SIZE_4K];
        uint64_t e = s + PAGE_SIZE_4K;
        while (e < keep && vm->page_perm[(old + e) / PAGE_SIZE_4K] == perm)
            e += PAGE_SIZE_4K;
        int r = move_pages(vm, old + s, e - s, to + s, e == keep ? new_len - keep : 0);
        if (r < 0) /* the guest's memory stays one piece: holes where pages left */
            return as_replace(vm, old, old + old_len, 0) < 0 ? -EIO : r;
        perm_set(vm, to + s, to + e, perm);
        s = e;
    }
    if (new_len > keep)
        perm_set(vm, to + keep, to + new_len, vm->page_perm[(to + keep) / PAGE_SIZE_4K - 1]);
    /* What is left at the old place is no mapping at all: a hole, PROT_NONE. */
    return as_replace(vm, old, old + old_len, 0);
}

/*
 * mremap growing in place, over free pages after the mapping: the host mapping grows
 * as the host's mremap grows it (more zero pages, or more of the file), once the
 * PROT_NONE hole it grows over is let go of.
 */
int as_grow(struct ukmon_vm *vm, uint64_t lo, uint64_t old_len, uint64_t new_len)
{
    if (!as_range_ok(vm, lo, lo + new_len) || old_len == 0 || new_len <= old_len)
        return -EINVAL;
    uint64_t end = lo + old_len;
    int r = kvm_cover(vm, end, lo + new_len);
    if (r < 0)
        return r;
    if (munmap(vm->mem + end, new_len - old_len) < 0)
        return -errno;
    if (mremap(vm->mem + lo, old_len, new_len, 0) == MAP_FAILED) {
        int e = errno;
        /* Guest memory stays one piece: the hole is a hole again. */
        if (mmap(vm->mem + end, new_len - old_len, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
            return -EIO;
        return -e;
    }
    perm_set(vm, end, lo + new_len, vm->page_perm[end / PAGE_SIZE_4K - 1]);
    return 0;
}

/*
 * Code the monitor rewrites (a program's `syscall` sites): the host pages are opened
 * for writing just for the copy, which takes a private copy of a file's page, and
 * closed again. The pages keep their permissions for the guest.
 */
int as_patch(struct ukmon_vm *vm, uint64_t addr, const void *bytes, uint64_t len)
{
    return as_patch_many(vm, &addr, 1, bytes, len);
}

/*
 * The same bytes at several addresses, all within one span of pages: the pages are
 * opened once for all of them. Stops at the first that fails.
 */
int as_patch_many(struct ukmon_vm *vm, const uint64_t *addr, unsigned n, const void *bytes,
                  uint64_t len)
{
    if (n == 0 || len == 0)
        return 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!gmem_range_ok(vm->mem_size, addr[i], len))
            return -EFAULT;
        lo = addr[i] < lo ? addr[i] : lo;
        hi = addr[i] + len > hi ? addr[i] + len : hi;
    }
    lo &= ~(PAGE_SIZE_4K - 1);
    hi = (hi + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    bool low = hi <= GL_LOAD_MIN; /* the low area is always writable */
    if (!low && (lo < GL_LOAD_MIN || mprotect(vm->mem + lo, hi - lo, PROT_READ | PROT_WRITE) < 0))
        return lo < GL_LOAD_MIN ? -EINVAL : -errno;
    int r = 0;
    for (unsigned i = 0; i < n && r == 0; i++)
        r = gmem_poke(vm, addr[i], bytes, len);
    for (uint64_t pg = lo; !low && pg < hi; pg += PAGE_SIZE_4K)
        if (mprotect(vm->mem + pg, PAGE_SIZE_4K, host_prot(vm->page_perm[pg / PAGE_SIZE_4K])) < 0)
            return -errno;
    return r;
}

/* Whether no page of [lo, hi) is mapped. */
bool as_is_free(const struct ukmon_vm *vm, uint64_t lo, uint64_t hi)
{
    for (uint64_t pg = lo / PAGE_SIZE_4K; pg < hi / PAGE_SIZE_4K; pg++)
        if (vm->page_perm[pg] & (PG_P | PG_M))
            return false;
    return true;
}

/*
 * The highest free range of `len` bytes that ends at or below `top` and starts at or
 * above `bottom`, as Linux's top-down mmap allocator picks; 0 if there is none.
 */
uint64_t as_find_free(const struct ukmon_vm *vm, uint64_t len, uint64_t bottom, uint64_t top)
{
    if (len == 0 || top < bottom || len > top - bottom)
        return 0;
    uint64_t need = len / PAGE_SIZE_4K, run = 0;
    for (uint64_t pg = top / PAGE_SIZE_4K; pg > bottom / PAGE_SIZE_4K; pg--) {
        run = (vm->page_perm[pg - 1] & (PG_P | PG_M)) ? 0 : run + 1;
        if (run == need)
            return (pg - 1) * PAGE_SIZE_4K;
    }
    return 0;
}
