/*
 * native.c: the personality of ukmon unikernels: their boot (boot info, argv in the
 * low area, one heap, the stack on top) and their hypercall exits.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "kernel/sig.h"
#include "kvm/vmm.h"
#include "native/hypercalls.h"
#include "personality.h"

_Static_assert(UKMON_HC_PORT_BASE + UKMON_HC_MAX <= GL_PORTS_MAX,
               "the hypercall ports fit the TSS I/O bitmap");

/* argv and envp pointer arrays, then their strings, in the user-visible args area. */
static int boot_args(struct ukmon_vm *vm, struct ukmon_boot_info *bi, int argc,
                     char *const argv[], char *const envp[])
{
    int envc = 0;
    if (envp)
        while (envp[envc])
            envc++;
    uint64_t ptrs = ((uint64_t)argc + 1 + (uint64_t)envc + 1) * 8;
    uint64_t bytes = ptrs;
    for (int i = 0; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    for (int i = 0; i < envc; i++)
        bytes += strlen(envp[i]) + 1;
    if (bytes > GL_ARGS_END - GL_ARGS)
        return vm_fail(vm, -E2BIG, "%s: argument list too long (%llu bytes, at most %llu)",
                       vm->name, (unsigned long long)bytes,
                       (unsigned long long)(GL_ARGS_END - GL_ARGS));
    /* The low area is the monitor's: argv lives there, not in the program's memory. */
    uint8_t *args = gmem_low(vm, GL_ARGS, GL_ARGS_END - GL_ARGS);
    uint64_t *vec = (uint64_t *)args;
    uint64_t str = GL_ARGS + ptrs;
    for (int i = 0; i < argc + 1 + envc + 1; i++) {
        const char *s = i < argc ? argv[i] : i > argc && i <= argc + envc ?
                        envp[i - argc - 1] : NULL;
        if (!s) {
            vec[i] = 0;
            continue;
        }
        size_t n = strlen(s) + 1;
        memcpy(args + (str - GL_ARGS), s, n);
        vec[i] = str;
        str += n;
    }
    bi->argc = (uint64_t)argc;
    bi->argv = GL_ARGS;
    bi->envp = GL_ARGS + ((uint64_t)argc + 1) * 8;
    return 0;
}

/* A ukmon unikernel: boot info and argv in the low area, one heap, the stack on top. */
static int native_boot_setup(struct ukmon_vm *vm, const struct elf_image *img,
                             struct program_interp *interp, int argc, char *const argv[],
                             char *const envp[])
{
    (void)interp; /* the loader refuses a unikernel that names one */
    /* An ABI-1 unikernel cannot see signals: a write to a closed pipe is EPIPE only. */
    if (img->abi < 2)
        sig_reset_for_abi1(vm);
    vm->pipe_rings = false; /* no guest code of its own reads them: plain pipes serve */
    uint64_t stack_top = vm->mem_size;
    uint64_t guard = stack_top - boot_stack_size(vm->mem_size) - PAGE_SIZE_4K;
    uint64_t heap_start = (img->hi + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
    if (heap_start > guard)
        return vm_fail(vm, UKMON_EBADELF, "%s: image ends at 0x%llx, over the stack at "
                       "0x%llx; give the guest more memory with --mem", vm->name,
                       (unsigned long long)img->hi, (unsigned long long)guard);
    /*
     * Kept: hypercall buffers are checked against it. The heap is one uniform range
     * (it never changes), so only the bytes of the pages around it are written: the
     * map costs the same for any memory size.
     */
    uint8_t *perm = vm->page_perm;
    const uint8_t rw = PG_P | PG_W | PG_U;
    boot_perm_range(perm, GL_LOAD_MIN, heap_start, rw, false);
    boot_perm_range(perm, guard, stack_top, rw, false);
    boot_perm_fixed(perm, img);
    boot_perm_range(perm, GL_BOOT_INFO, GL_BOOT_INFO + PAGE_SIZE_4K, PG_P | PG_U, false);
    boot_perm_range(perm, GL_ARGS, GL_ARGS_END, rw, false);
    boot_perm_range(perm, guard, guard + PAGE_SIZE_4K, 0, false);
    vm->as.mapped_pages = vm->mem_size / PAGE_SIZE_4K; /* all of it is the program's */
    vm->perm_uni_lo = heap_start;
    vm->perm_uni_hi = guard;
    vm->perm_uni = rw;
    int r = boot_page_tables(vm, perm, heap_start, guard, rw);
    if (r || (r = gmem_advise_heap(vm, heap_start, guard)))
        return r;
    boot_gdt_idt(vm);

    struct ukmon_boot_info *bi = gmem_low(vm, GL_BOOT_INFO, sizeof(struct ukmon_boot_info));
    memset(bi, 0, sizeof(*bi));
    bi->magic = UKMON_BOOT_MAGIC;
    bi->abi_version = UKMON_ABI_VERSION;
    bi->mem_size = vm->mem_size;
    bi->heap_start = heap_start;
    bi->heap_end = guard;
    bi->stack_top = stack_top;
    if ((r = boot_args(vm, bi, argc, argv, envp)))
        return r;
    vm->entry = img->entry;
    vm->heap_start = heap_start;
    vm->stack_top = stack_top;
    vm->entry_regs = (struct kvm_regs){
        .rip = img->entry,
        .rsp = stack_top,
        .rdi = GL_BOOT_INFO,
        .rflags = 0x2, /* IOPL 0: the TSS bitmap, not IOPL, opens the hypercall ports */
    };
    return 0;
}

static int native_clock_setup(struct ukmon_vm *vm)
{
    struct ukmon_boot_info *bi = gmem_low(vm, GL_BOOT_INFO, sizeof(struct ukmon_boot_info));
    struct boot_clock c;
    if (boot_tsc_clock(vm, &c)) {
        bi->flags |= UKMON_BOOT_TSC_CLOCK;
        bi->tsc_mult = c.tsc_mult;
        bi->tsc_base = c.tsc_base;
        bi->mono_base_ns = c.mono_base_ns;
        bi->wall_base_ns = c.wall_base_ns;
    }
    return 0;
}

/* An OUT to UKMON_HC_PORT_BASE + nr: exactly `out %eax, (%dx)`, %eax the argument's address. */
static enum run_next native_port_exit(struct ukmon_vm *vm, unsigned port)
{
    struct kvm_run *run = vcpu_cur(vm)->run;
    unsigned nr = port - UKMON_HC_PORT_BASE;
    uint64_t rip = vcpu_regs(vm)->rip;
    if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 || run->io.count != 1) {
        vm_set_fault(vm, SIGSYS, "malformed hypercall %u at rip 0x%llx (%s of %u bytes, "
                     "count %u; expected a 4-byte OUT)", nr, (unsigned long long)rip,
                     run->io.direction == KVM_EXIT_IO_OUT ? "OUT" : "IN", run->io.size,
                     run->io.count);
        return RUN_STOP;
    }
    const char *bad = vcpu_port_insn_error(vm, 0xef);
    if (bad) {
        vm_set_fault(vm, SIGSYS, "malformed hypercall %u at rip 0x%llx: %s (a hypercall "
                     "is `out %%eax, (%%dx)`)", nr, (unsigned long long)rip, bad);
        return RUN_STOP;
    }
    uint32_t gpa;
    memcpy(&gpa, (uint8_t *)run + run->io.data_offset, sizeof(gpa));
    return hc_dispatch(vm, nr, gpa);
}

static const char *native_call_name(uint64_t nr)
{
    return nr < UKMON_HC_MAX ? hc_name((unsigned)nr) : NULL;
}

const struct personality native_personality = {
    .name = "ukmon unikernel",
    .calls_name = "hypercalls",
    .call_prefix = "hc",
    .boot_setup = native_boot_setup,
    .clock_setup = native_clock_setup,
    .port_lo = UKMON_HC_PORT_BASE,
    .nports = UKMON_HC_MAX,
    .port_exit = native_port_exit,
    .call_name = native_call_name,
};
