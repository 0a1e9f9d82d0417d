/*
 * guest_mem.c: guest memory, and the one layer through which the monitor reads and
 * writes it. Every copy here can fail with EFAULT but never faults the monitor: a
 * page the guest made PROT_NONE, a hole, a file page past the end of a file that
 * shrank (SIGBUS), even one that a sibling VM truncates in the middle of the copy.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "kvm/vmm.h"
#include "profile.h"

/*
 * The copies themselves, in assembly so that the fault handler below knows every
 * instruction that may touch guest memory, and where to go on instead (like the
 * kernel's exception table for copy_from_user). Leaf functions that push nothing:
 * the fixup returns straight to the caller.
 *   size_t gm_copy(void *dst, const void *src, size_t n): bytes NOT copied (0: all)
 *   ssize_t gm_copy_str(char *dst, const char *src, size_t n): the string's length
 *       without its NUL, n if there is no NUL in the first n bytes, -1 on a fault
 *   int gm_cmpxchg32(uint32_t *p, uint32_t old, uint32_t new): 1 if *p was old and is
 *       new now, 0 if it held something else, -1 on a fault (lock cmpxchg)
 */
size_t gm_copy(void *dst, const void *src, size_t n);
ssize_t gm_copy_str(char *dst, const char *src, size_t n);
int gm_cmpxchg32(uint32_t *p, uint32_t old, uint32_t nw);
extern const char gm_copy_begin[], gm_copy_end[], gm_copy_fixup[];
extern const char gm_str_begin[], gm_str_end[], gm_str_fixup[];
extern const char gm_cx_begin[], gm_cx_end[], gm_cx_fixup[];
__asm__(
    ".text\n"
    ".globl gm_copy\n"
    ".type gm_copy, @function\n"
    "gm_copy:\n"
    "    mov %rdx, %rcx\n"
    "gm_copy_begin:\n"
    "    rep movsb\n"
    "gm_copy_end:\n"
    "    xor %eax, %eax\n"
    "    ret\n"
    "gm_copy_fixup:\n"
    "    mov %rcx, %rax\n"          /* what rep movsb had left to do */
    "    ret\n"
    ".size gm_copy, . - gm_copy\n"
    ".globl gm_copy_str\n"
    ".type gm_copy_str, @function\n"
    "gm_copy_str:\n"
    "    xor %eax, %eax\n"
    "gm_str_begin:\n"
    "1:  cmp %rdx, %rax\n"
    "    je 2f\n"
    "    movzbl (%rsi,%rax), %ecx\n"
    "    mov %cl, (%rdi,%rax)\n"
    "    test %cl, %cl\n"
    "    je 2f\n"
    "    inc %rax\n"
    "    jmp 1b\n"
    "gm_str_end:\n"
    "2:  ret\n"
    "gm_str_fixup:\n"
    "    mov $-1, %rax\n"
    "    ret\n"
    ".size gm_copy_str, . - gm_copy_str\n"
    ".globl gm_cmpxchg32\n"
    ".type gm_cmpxchg32, @function\n"
    "gm_cmpxchg32:\n"
    "    mov %esi, %eax\n"
    "gm_cx_begin:\n"
    "    lock cmpxchg %edx, (%rdi)\n"
    "gm_cx_end:\n"
    "    sete %al\n"
    "    movzbl %al, %eax\n"
    "    ret\n"
    "gm_cx_fixup:\n"
    "    mov $-1, %eax\n"
    "    ret\n"
    ".size gm_cmpxchg32, . - gm_cmpxchg32\n"
    ".globl gm_cx_begin, gm_cx_end, gm_cx_fixup\n"
    ".globl gm_copy_begin, gm_copy_end, gm_copy_fixup\n"
    ".globl gm_str_begin, gm_str_end, gm_str_fixup\n");

static struct sigaction gm_prev_segv, gm_prev_bus;

/*
 * SIGSEGV or SIGBUS: if it came from a copy above, that copy returns its failure;
 * anything else is not ours and goes where it would have gone (an embedder's or a
 * sanitizer's handler, or the default action: death, with a core, as before).
 */
static void gm_on_fault(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    greg_t *rip = &uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t at = (uintptr_t)*rip;
    if (si->si_code > 0) { /* raised by a fault, not sent by kill() */
        if (at >= (uintptr_t)gm_copy_begin && at < (uintptr_t)gm_copy_end) {
            *rip = (greg_t)(uintptr_t)gm_copy_fixup;
            return;
        }
        if (at >= (uintptr_t)gm_str_begin && at < (uintptr_t)gm_str_end) {
            *rip = (greg_t)(uintptr_t)gm_str_fixup;
            return;
        }
        if (at >= (uintptr_t)gm_cx_begin && at < (uintptr_t)gm_cx_end) {
            *rip = (greg_t)(uintptr_t)gm_cx_fixup;
            return;
        }
    }
    const struct sigaction *prev = sig == SIGBUS ? &gm_prev_bus : &gm_prev_segv;
    if ((prev->sa_flags & SA_SIGINFO) && prev->sa_sigaction) {
        prev->sa_sigaction(sig, si, ucv);
        return;
    }
    if (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN) {
        prev->sa_handler(sig);
        return;
    }
    /* The default action: the faulting instruction runs again and ends the process. */
    signal(sig, SIG_DFL);
    if (si->si_code <= 0)
        raise(sig);
}

/* Once per process; forked monitors inherit it. */
static int gm_install_fault_handler(void)
{
    static bool installed;
    if (installed)
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = gm_on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSEGV, &sa, &gm_prev_segv) < 0 || sigaction(SIGBUS, &sa, &gm_prev_bus) < 0)
        return -errno;
    installed = true;
    return 0;
}

/*
 * The page map, one byte per page, all zero (no page is the guest's) until the
 * personality lays the program out. Lazily backed like guest memory itself: a 4 GiB
 * guest's map is 1 MiB, of which a program touches the bytes of the pages it maps,
 * and a fork copies only those it changes. MAP_FIXED over the old one at execve.
 */
static int gm_perm_map(struct ukmon_vm *vm)
{
    size_t n = vm->mem_size / PAGE_SIZE_4K;
    void *p = mmap(vm->page_perm ? vm->page_perm : NULL, n, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                   (vm->page_perm ? MAP_FIXED : 0), -1, 0);
    if (p == MAP_FAILED)
        return vm_fail(vm, -errno, "cannot map the page map: %s", strerror(errno));
    vm->page_perm = p;
    vm->perm_uni_lo = vm->perm_uni_hi = 0;
    vm->perm_uni = 0;
    return 0;
}

int gmem_alloc(struct ukmon_vm *vm, uint64_t size)
{
    int r = gm_install_fault_handler();
    if (r < 0)
        return vm_fail(vm, r, "installing the guest-memory fault handler: %s", strerror(-r));
    /*
     * Private and anonymous: fork(2) then gives the child a copy-on-write snapshot.
     * MAP_SHARED would make a child's writes visible to its parent. NORESERVE because
     * a guest touches a fraction of its memory and we must not commit it all.
     */
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return vm_fail(vm, -errno, "cannot map %llu MiB of guest memory: %s",
                       (unsigned long long)(size >> 20), strerror(errno));
    vm->mem = p;
    vm->mem_size = size;
    return gm_perm_map(vm);
}

/*
 * Transparent huge pages for the heap, where big data lives. Measured here: fork of a
 * VM with 64 MiB touched 2.5x faster (a PMD, not 512 PTEs, to copy and fault back),
 * children's private memory unchanged (a child's writes still copy 4 KiB). Not for
 * the image, stack and monitor area: zeroing 2 MiB pages there cost 0.6 ms of boot.
 */
int gmem_advise_heap(struct ukmon_vm *vm, uint64_t heap_start, uint64_t heap_end)
{
    uint64_t lo = (heap_start + PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1);
    uint64_t hi = heap_end & ~(PAGE_SIZE_2M - 1);
    if (!vm->cfg.hugepages || hi <= lo)
        return 0;
    if (madvise(vm->mem + lo, hi - lo, MADV_HUGEPAGE) < 0 && errno != EINVAL)
        return vm_fail(vm, -errno, "madvise(MADV_HUGEPAGE): %s", strerror(errno));
    return 0;
}

/*
 * execve: all of guest memory fresh and zero again, whatever was mapped over it
 * (file segments, protections), in one call. No VM may be using it.
 */
int gmem_reset(struct ukmon_vm *vm)
{
    if (mmap(vm->mem, vm->mem_size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
        return vm_fail(vm, -errno, "resetting guest memory: %s", strerror(errno));
    int r = gm_perm_map(vm);
    if (r < 0)
        return r;
    PROF_MARK("execve: guest memory replaced (mmap MAP_FIXED)");
    return 0;
}

void gmem_free(struct ukmon_vm *vm)
{
    if (vm->page_perm)
        munmap(vm->page_perm, vm->mem_size / PAGE_SIZE_4K);
    vm->page_perm = NULL;
    if (vm->mem)
        munmap(vm->mem, vm->mem_size);
    vm->mem = NULL;
    vm->mem_size = 0;
}

/* True when [gpa, gpa + len) lies inside guest memory; written to never overflow. */
bool gmem_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len)
{
    return gpa <= mem_size && len <= mem_size - gpa;
}

/*
 * A file's pages (a pipe's ring) shared into the low area, and back to plain memory:
 * the monitor's own part of guest memory, which the program cannot map over.
 */
int gmem_low_map(struct ukmon_vm *vm, uint64_t gpa, uint64_t len, int fd)
{
    if (!gmem_low(vm, gpa, len) || gpa % PAGE_SIZE_4K || len % PAGE_SIZE_4K)
        return -EINVAL;
    if (mmap(vm->mem + gpa, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
        MAP_FAILED)
        return -errno;
    return 0;
}

int gmem_low_unmap(struct ukmon_vm *vm, uint64_t gpa, uint64_t len)
{
    if (!gmem_low(vm, gpa, len) || gpa % PAGE_SIZE_4K || len % PAGE_SIZE_4K)
        return -EINVAL;
    if (mmap(vm->mem + gpa, len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED)
        return -errno;
    return 0;
}

/* The monitor's own low area, below any program: page tables, GDT, IDT, boot info. */
void *gmem_low(const struct ukmon_vm *vm, uint64_t gpa, uint64_t len)
{
    if (!vm->mem || gpa > GL_LOAD_MIN || len > GL_LOAD_MIN - gpa || len > vm->mem_size)
        return NULL;
    return vm->mem + gpa;
}

/*
 * Whether every page of [gva, gva + len) is one ring 3 may read (and write, if
 * `write`). Inside guest memory is not enough: a read() into the IDT's stubs or the
 * guest's own text would hand the guest ring 0 or undo W^X. A zero-length range is
 * valid at any address up to the end, as for POSIX read/write of 0 bytes.
 */
bool gmem_check(const struct ukmon_vm *vm, uint64_t gva, uint64_t len, bool write)
{
    if (!vm->mem || !vm->page_perm || !gmem_range_ok(vm->mem_size, gva, len))
        return false;
    if (len == 0)
        return true;
    uint8_t need = PG_P | PG_U | (write ? PG_W : 0);
    for (uint64_t pg = gva / PAGE_SIZE_4K; pg <= (gva + len - 1) / PAGE_SIZE_4K; pg++)
        if ((gmem_perm(vm, pg) & need) != need)
            return false;
    return true;
}

/*
 * For a buffer handed to the host kernel (io_uring, read(2), sendmsg): its host
 * address, which the monitor never dereferences itself. The kernel answers EFAULT
 * where a page faults, so no check of the host mapping is needed here.
 */
void *gmem_io_ptr(const struct ukmon_vm *vm, uint64_t gva, uint64_t len, bool write)
{
    return gmem_check(vm, gva, len, write) ? vm->mem + gva : NULL;
}

int gmem_read(const struct ukmon_vm *vm, void *dst, uint64_t gva, uint64_t len)
{
    if (!gmem_check(vm, gva, len, false))
        return -EFAULT;
    return gm_copy(dst, vm->mem + gva, len) ? -EFAULT : 0;
}

int gmem_write(struct ukmon_vm *vm, uint64_t gva, const void *src, uint64_t len)
{
    if (!gmem_check(vm, gva, len, true))
        return -EFAULT;
    return gm_copy(vm->mem + gva, src, len) ? -EFAULT : 0;
}

/*
 * An atomic compare-and-exchange of an aligned 32-bit guest word ring 3 may write
 * (a futex word, between threads): 1 if it held `old` and now holds `nw`, 0 if it
 * held something else, -EFAULT.
 */
int gmem_cmpxchg32(struct ukmon_vm *vm, uint64_t gva, uint32_t old, uint32_t nw)
{
    if (gva % 4 || !gmem_check(vm, gva, 4, true))
        return -EFAULT;
    int r = gm_cmpxchg32((uint32_t *)(void *)(vm->mem + gva), old, nw);
    return r < 0 ? -EFAULT : r;
}

/* Writes guest-physical bytes whatever ring 3 may do with them (code it rewrites). */
int gmem_poke(struct ukmon_vm *vm, uint64_t gpa, const void *src, uint64_t len)
{
    if (!vm->mem || !gmem_range_ok(vm->mem_size, gpa, len))
        return -EFAULT;
    return gm_copy(vm->mem + gpa, src, len) ? -EFAULT : 0;
}

/* Any guest-physical bytes, whatever ring 3 may do with them (exception frames). */
int gmem_peek(const struct ukmon_vm *vm, void *dst, uint64_t gpa, uint64_t len)
{
    if (!vm->mem || !gmem_range_ok(vm->mem_size, gpa, len))
        return -EFAULT;
    return gm_copy(dst, vm->mem + gpa, len) ? -EFAULT : 0;
}

/*
 * A NUL-terminated string, page by page: it may end just before a page the guest
 * cannot read. Its length, -EFAULT for an unreadable byte, -ENAMETOOLONG with no NUL
 * within outlen bytes.
 */
int64_t gmem_read_str(const struct ukmon_vm *vm, uint64_t gva, char *out, size_t outlen)
{
    size_t n = 0;
    while (n < outlen) {
        uint64_t addr = gva + n;
        if (addr < gva)
            return -EFAULT;
        uint64_t chunk = PAGE_SIZE_4K - addr % PAGE_SIZE_4K;
        if (chunk > outlen - n)
            chunk = outlen - n;
        if (!gmem_check(vm, addr, chunk, false))
            return -EFAULT;
        ssize_t got = gm_copy_str(out + n, (const char *)vm->mem + addr, chunk);
        if (got < 0)
            return -EFAULT;
        if ((size_t)got < chunk)
            return (int64_t)(n + (size_t)got);
        n += chunk;
    }
    return -ENAMETOOLONG;
}

/*
 * Guest to guest (mremap): both ranges must be ring 3's to read and write, every
 * page of them. Overlapping ranges are fine when `to` is below `from`, the only
 * way mremap moves (a range moves to a free one, or keeps its start).
 */
int gmem_move(struct ukmon_vm *vm, uint64_t to, uint64_t from, uint64_t len)
{
    if (!gmem_check(vm, from, len, false) || !gmem_check(vm, to, len, true))
        return -EFAULT;
    if (to > from && to < from + len)
        return -EINVAL;
    return gm_copy(vm->mem + to, vm->mem + from, len) ? -EFAULT : 0;
}

void *ukmon_vm_guest_ptr(struct ukmon_vm *vm, ukmon_gpa_t gpa, uint64_t len)
{
    return gmem_io_ptr(vm, gpa, len, false);
}

int ukmon_vm_read(struct ukmon_vm *vm, void *dst, ukmon_gpa_t gpa, uint64_t len)
{
    return gmem_read(vm, dst, gpa, len);
}

int ukmon_vm_write(struct ukmon_vm *vm, ukmon_gpa_t gpa, const void *src, uint64_t len)
{
    return gmem_write(vm, gpa, src, len);
}
