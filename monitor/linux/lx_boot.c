/* lx_boot.c: a Linux program's start: memory layout, the SYSCALL stub, argv/envp/auxv. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "linux/lx.h"


/*
 * The SYSCALL entry, at LSTAR:
 *   e6 df         out %al, $LX_SYSCALL_PORT   the monitor runs the call, sets %rax
 *   48 0f 07      sysretq                     back to %rcx with %r11's flags
 * On VMX/SVM it runs in ring 0. On PVM, SYSCALL lands here still in ring 3: the OUT
 * then goes through the TSS bitmap, which opens this one port, and the monitor resumes
 * the program at %rcx itself (linux/lx_syscall.c). The page is user read+execute, so
 * that ring 3 can fetch it there; it holds nothing that ring 3 could not do anyway.
 */
static const uint8_t lx_entry_stub[] = {0xe6, LX_SYSCALL_PORT, 0x48, 0x0f, 0x07, 0xf4};

/*
 * ARG_MAX: the room on the stack for the arguments, the environment and their
 * pointers. Linux allows a quarter of the stack limit (2 MiB of the usual 8 MiB),
 * which here is the stack itself (RLIMIT_STACK reports its size); never less than
 * 32 pages, as Linux.
 */
uint64_t lx_args_max(const struct ukmon_vm *vm)
{
    uint64_t m = boot_stack_size(vm->mem_size) / 4;
    if (m > (2ULL << 20))
        m = 2ULL << 20;
    return m < LX_ARG_STRLEN_MAX ? LX_ARG_STRLEN_MAX : m;
}

static size_t vec_len(char *const v[])
{
    size_t n = 0;
    while (v && v[n])
        n++;
    return n;
}

/*
 * Linux's test (fs/exec.c): every string with its NUL at most MAX_ARG_STRLEN (128
 * KiB), and the file name, the argument and environment strings and their pointers
 * together at most ARG_MAX. Else E2BIG. What Linux adds beyond it (auxv, AT_RANDOM's
 * bytes, the platform string) is not counted, and fits: the stack is 4 x ARG_MAX.
 */
int lx_args_check(const struct ukmon_vm *vm, const char *execfn, size_t argc,
                  char *const argv[], char *const envp[])
{
    size_t envc = vec_len(envp);
    uint64_t limit = lx_args_max(vm);
    uint64_t ptrs = ((argc ? argc : 1) + (uint64_t)envc) * sizeof(uint64_t);
    if (ptrs >= limit)
        return -E2BIG;
    uint64_t room = limit - ptrs, used = 0;
    for (size_t i = 0; i < argc + envc + 1; i++) {
        const char *s = i < argc ? argv[i] : i < argc + envc ? envp[i - argc] : execfn;
        size_t len = strnlen(s, LX_ARG_STRLEN_MAX) + 1;
        if (len > LX_ARG_STRLEN_MAX || len > room - used)
            return -E2BIG;
        used += len;
    }
    return 0;
}

/*
 * Copies a string to just below *top (moving it down) and returns its guest address.
 * The stack is fresh memory of the monitor's own making: the copy cannot fail.
 */
static uint64_t push_string(struct ukmon_vm *vm, uint64_t *top, const char *s)
{
    size_t n = strlen(s) + 1;
    *top -= n;
    gmem_write(vm, *top, s, n);
    return *top;
}

/*
 * The initial stack as the Linux kernel lays it out, from rsp up: argc, argv[], NULL,
 * envp[], NULL, auxv pairs ending with AT_NULL; strings and AT_RANDOM's bytes above.
 */
static int lx_build_stack(struct ukmon_vm *vm, const struct elf_image *img,
                          uint64_t interp_base, int argc, char *const argv[],
                          char *const envp[], uint64_t *rsp_out)
{
    size_t envc = vec_len(envp);
    const char *execfn = vm->lx->execfn ? vm->lx->execfn :
                         vm->exe_named[0] ? vm->exe_named :
                         vm->exe_path[0] ? vm->exe_path : (argc > 0 ? argv[0] : "");
    /* execve checked this before the old program was dropped: at load it is new. */
    if (lx_args_check(vm, execfn, (size_t)argc, argv, envp) < 0)
        return vm_fail(vm, -E2BIG, "%s: argument list and environment too long (at most "
                       "%llu bytes with their pointers, %u per string)", vm->name,
                       (unsigned long long)lx_args_max(vm), LX_ARG_STRLEN_MAX);
    enum { NAUX = 22 };
    uint64_t vectors = (1 + (uint64_t)argc + 1 + envc + 1 + 2 * NAUX) * 8;

    uint64_t top = vm->as.stack_top - 16; /* a zero word at the very top, as Linux has */
    uint64_t execfn_at = push_string(vm, &top, execfn);
    uint64_t *str_at = malloc(((size_t)argc + envc + 1) * sizeof(uint64_t));
    if (!str_at)
        return vm_fail(vm, -ENOMEM, "out of memory");
    for (size_t i = envc; i-- > 0;)
        str_at[argc + i] = push_string(vm, &top, envp[i]);
    for (int i = argc; i-- > 0;)
        str_at[i] = push_string(vm, &top, argv[i]);
    /* Where /proc/PID/cmdline reads them: argv's strings, then envp's, contiguous. */
    vm->as.env_end = execfn_at;
    vm->as.env_start = envc > 0 ? str_at[argc] : execfn_at;
    vm->as.arg_end = vm->as.env_start;
    vm->as.arg_start = argc > 0 ? str_at[0] : vm->as.arg_end;
    uint64_t platform_at = push_string(vm, &top, "x86_64");
    top -= 16;
    uint64_t random_at = top;
    uint8_t rnd[16];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        free(str_at);
        return vm_fail(vm, -EIO, "getrandom: %s", strerror(errno));
    }
    gmem_write(vm, random_at, rnd, sizeof(rnd));

    uint32_t eax, ebx, ecx, edx;
    kvm_cpuid_leaf(1, 0, &eax, &ebx, &ecx, &edx);
    const uint64_t aux[NAUX][2] = {
        {AT_SYSINFO_EHDR, vm->as.vdso}, {AT_MINSIGSTKSZ, 2048},
        {AT_HWCAP, edx}, {AT_PAGESZ, PAGE_SIZE_4K}, {AT_CLKTCK, 100},
        {AT_PHDR, img->phdr}, {AT_PHENT, sizeof(Elf64_Phdr)}, {AT_PHNUM, img->phnum},
        {AT_BASE, interp_base}, {AT_FLAGS, 0}, {AT_ENTRY, img->entry},
        {AT_UID, getuid()}, {AT_EUID, geteuid()}, {AT_GID, getgid()}, {AT_EGID, getegid()},
        {AT_SECURE, 0}, {AT_RANDOM, random_at}, {AT_HWCAP2, 0},
        {AT_EXECFN, execfn_at}, {AT_PLATFORM, platform_at}, {AT_IGNORE, 0}, {AT_NULL, 0},
    };
    uint64_t sp = (top - vectors) & ~15ULL;
    uint64_t *v = malloc(vectors);
    if (!v) {
        free(str_at);
        return vm_fail(vm, -ENOMEM, "out of memory");
    }
    size_t k = 0;
    v[k++] = (uint64_t)argc;
    for (int i = 0; i < argc; i++)
        v[k++] = str_at[i];
    v[k++] = 0;
    for (size_t i = 0; i < envc; i++)
        v[k++] = str_at[argc + i];
    v[k++] = 0;
    for (int i = 0; i < NAUX; i++) {
        if (aux[i][0] == AT_SYSINFO_EHDR && !aux[i][1])
            continue; /* no vDSO */
        v[k++] = aux[i][0];
        v[k++] = aux[i][1];
    }
    gmem_write(vm, sp, v, k * sizeof(v[0]));
    free(v);
    free(str_at);
    *rsp_out = sp;
    return 0;
}

/*
 * Guest page tables for a Linux program: the monitor's pages and the image as they
 * are, every other page user read/write/execute. Whether such a page is really
 * mapped is then up to the host memory behind it (see addrspace.c). Past the image's
 * last 2 MiB region every page is the same: the tables are written without reading
 * the page map there.
 */
static int lx_page_tables(struct ukmon_vm *vm)
{
    uint64_t end = (PAGE_UP(vm->as.image_hi) + PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1);
    if (end > vm->mem_size)
        end = vm->mem_size;
    size_t npages = end / PAGE_SIZE_4K;
    uint8_t *pt = malloc(npages);
    if (!pt)
        return vm_fail(vm, -ENOMEM, "out of memory for the page tables");
    memcpy(pt, vm->page_perm, npages);
    for (uint64_t pg = GL_LOAD_MIN / PAGE_SIZE_4K; pg < npages; pg++) {
        uint64_t a = pg * PAGE_SIZE_4K;
        if (a < vm->as.image_lo || a >= PAGE_UP(vm->as.image_hi) || !(pt[pg] & PG_P))
            pt[pg] = PG_P | PG_U | PG_W | PG_X;
    }
    /* Page 0: the sled of rewritten system calls, run by ring 3 (lx_inguest.c). */
    if (lx_inguest_on(vm))
        pt[0] = PG_P | PG_U | PG_X;
    int r = boot_page_tables(vm, pt, end, vm->mem_size, PG_P | PG_U | PG_W | PG_X);
    free(pt);
    return r;
}

/*
 * Every page nobody mapped becomes PROT_NONE on the host, in as few calls as runs:
 * holes between the image's segments, then all from its end to the stack, which
 * nothing has mapped yet.
 */
static int lx_close_free_pages(struct ukmon_vm *vm)
{
    uint64_t image_end = PAGE_UP(vm->as.image_hi) / PAGE_SIZE_4K;
    uint64_t pg = GL_LOAD_MIN / PAGE_SIZE_4K;
    int r = 0;
    while (pg < image_end && r == 0) {
        if (vm->page_perm[pg] & PG_P) {
            pg++;
            continue;
        }
        uint64_t end = pg;
        while (end < image_end && !(vm->page_perm[end] & PG_P))
            end++;
        r = as_protect(vm, pg * PAGE_SIZE_4K, end * PAGE_SIZE_4K, 0);
        pg = end;
    }
    if (r == 0)
        r = as_close_fresh(vm, image_end * PAGE_SIZE_4K, vm->as.stack_lo);
    if (r < 0)
        return vm_fail(vm, r, "mprotect of guest memory: %s", strerror(-r));
    return 0;
}

/*
 * A dynamically linked program's interpreter goes where Linux puts it: at the top of
 * the mmap area, as the first mapping, so that the libraries it maps come below it.
 * Its base is AT_BASE; the program starts at its entry.
 */
static int lx_place_interp(struct ukmon_vm *vm, struct program_interp *in, uint64_t *base)
{
    uint64_t span = PAGE_UP(in->img.hi) - (in->img.lo & ~(PAGE_SIZE_4K - 1));
    uint64_t lo = as_find_free(vm, span, vm->as.brk_start, vm->as.mmap_top);
    if (!lo)
        return vm_fail(vm, -ENOMEM, "%s: no room for its interpreter %s (%llu KiB) in "
                       "guest memory; give it more with --mem", vm->name, in->path,
                       (unsigned long long)(span >> 10));
    int r = program_map_interp(vm, in, lo);
    if (r < 0)
        return r;
    *base = lo;
    return 0;
}

int lx_boot_setup(struct ukmon_vm *vm, const struct elf_image *img,
                  struct program_interp *interp, int argc, char *const argv[],
                  char *const envp[])
{
    uint64_t stack_top = vm->mem_size;
    uint64_t stack_lo = stack_top - boot_stack_size(vm->mem_size);
    uint64_t image_end = PAGE_UP(img->hi);
    /* At least a guard page and a page of heap between the program and its stack. */
    if (image_end + 2 * PAGE_SIZE_4K > stack_lo)
        return vm_fail(vm, UKMON_EBADELF, "%s: program ends at 0x%llx, over the stack at "
                       "0x%llx; give the guest more memory with --mem", vm->name,
                       (unsigned long long)img->hi, (unsigned long long)stack_lo);
    vm->as = (struct addrspace){
        .image_lo = img->lo, .image_hi = img->hi,
        .brk_start = image_end, .brk = image_end,
        .mmap_top = stack_lo - PAGE_SIZE_4K, /* a guard page under the stack */
        .stack_lo = stack_lo, .stack_top = stack_top,
    };
    /* A fresh page map (gmem_alloc, gmem_reset): every byte 0, none written here. */
    uint8_t *perm = vm->page_perm;
    boot_perm_fixed(perm, img);
    boot_perm_range(perm, GL_LX_ENTRY, GL_LX_ENTRY + PAGE_SIZE_4K, PG_P | PG_U | PG_X, false);
    boot_perm_range(perm, stack_lo, stack_top,
                    PG_P | PG_U | PG_W | (img->exec_stack ? PG_X : 0), false);
    if (!vm->lx && !(vm->lx = lx_state_new()))
        return vm_fail(vm, -ENOMEM, "out of memory");
    int r;
    /* The vDSO's and the layer's pages first: the page tables are written from page_perm. */
    if ((r = lx_vdso_setup(vm)) || (r = lx_inguest_setup(vm)) || (r = lx_page_tables(vm)) ||
        (r = lx_close_free_pages(vm)))
        return r;
    boot_gdt_idt(vm);
    memcpy(gmem_low(vm, GL_LX_ENTRY, sizeof(lx_entry_stub)), lx_entry_stub,
           sizeof(lx_entry_stub));
    uint64_t rsp, interp_base = 0;
    if (interp && (r = lx_place_interp(vm, interp, &interp_base)))
        return r;
    if ((r = lx_build_stack(vm, img, interp_base, argc, argv, envp, &rsp)))
        return r;
    vm->entry = interp ? interp->img.entry : img->entry;
    vm->stack_top = stack_top;
    vm->as.mapped_pages = (image_end - (img->lo & ~(PAGE_SIZE_4K - 1)) + stack_top - stack_lo) /
                          PAGE_SIZE_4K;
    /* Linux starts a program with every register 0 but rsp (and IF set). */
    vm->entry_regs = (struct kvm_regs){.rip = vm->entry, .rsp = rsp, .rflags = 0x202};
    return 0;
}
