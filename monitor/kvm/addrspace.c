/* addrspace.c: a guest's mappings after boot: one place changes both views of them. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm/vmm.h"

/*
 * Two views must agree: page_perm, against which the monitor checks every guest
 * buffer, and the protection of the host memory behind the page, which is what KVM
 * enforces. The guest's own page tables are never edited once its VM runs: under a
 * shadow-paging backend (PVM) KVM does not see such edits, even after a CR3 reload
 * (measured), while host mprotect/mmap reach every backend through KVM's MMU
 * notifiers. So the page tables map the whole dynamic area user-accessible, and a
 * page the guest has not mapped is PROT_NONE on the host: touching it makes KVM_RUN
 * fail with EFAULT, which the run loop turns into SIGSEGV.
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

static void perm_set(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm)
{
    memset(vm->page_perm + lo / PAGE_SIZE_4K, perm, (hi - lo) / PAGE_SIZE_4K);
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
 * Fresh zero pages for [lo, hi) with `perm`, or (perm 0) none at all: whatever was
 * there, a file mapping included, is dropped and its host memory freed.
 */
int as_replace(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm)
{
    if (!as_range_ok(vm, lo, hi))
        return -EINVAL;
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
    if (hi > lo && mmap(vm->mem + lo, hi - lo, host_prot(perm),
                        (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, (off_t)offset) ==
                   MAP_FAILED)
        return -errno;
    perm_set(vm, lo, hi, perm);
    return 0;
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
