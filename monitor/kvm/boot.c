/* boot.c: what every VM starts from: page tables, GDT, IDT, TSS, and the vCPU at entry. */
#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <x86intrin.h>

#include "kvm/vmm.h"
#include "kernel/stats.h"
#include "personality.h"

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_A 0x20ULL   /* preset accessed/dirty: the CPU then never writes the tables, */
#define PTE_D 0x40ULL   /* which stay shared, not copied, across fork */
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_TSS 0x28

#define CR0_PE 0x1ULL
#define CR0_MP 0x2ULL
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR0_WP 0x10000ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define CR4_OSFXSR 0x200ULL
#define CR4_OSXMMEXCPT 0x400ULL
#define CR4_OSXSAVE 0x40000ULL
#define EFER_SCE 0x1ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL
/* Bitmap bytes for ports 0 .. GL_PORTS_MAX - 1. */
#define TSS_IOMAP 104
#define TSS_IOMAP_BYTES ((GL_PORTS_MAX + 7) / 8)
#define TSS_SIZE (TSS_IOMAP + TSS_IOMAP_BYTES + 1)

uint64_t boot_stack_size(uint64_t mem_size)
{
    uint64_t s = mem_size / 8;
    return s > GL_STACK_MAX ? GL_STACK_MAX : s;
}

void boot_perm_range(uint8_t *perm, uint64_t start, uint64_t end, uint8_t p, bool or)
{
    for (uint64_t pg = start / PAGE_SIZE_4K; pg < (end + PAGE_SIZE_4K - 1) / PAGE_SIZE_4K; pg++)
        perm[pg] = or ? (uint8_t)(perm[pg] | p) : p;
}

static uint64_t pte_bits(uint8_t p)
{
    if (!(p & PG_P))
        return 0;
    uint64_t e = PTE_P | PTE_A | PTE_D;
    if (p & PG_W)
        e |= PTE_W;
    if (p & PG_U)
        e |= PTE_U;
    if (!(p & PG_X))
        e |= PTE_NX;
    return e;
}

/* The monitor's own pages, the same for every guest, and the image's segments. */
void boot_perm_fixed(uint8_t *perm, const struct elf_image *img)
{
    boot_perm_range(perm, 0, GL_LOAD_MIN, 0, false);
    boot_perm_range(perm, GL_GDT, GL_TSS + PAGE_SIZE_4K, PG_P | PG_W, false);
    boot_perm_range(perm, GL_EXC_STUBS, GL_EXC_STUBS + PAGE_SIZE_4K, PG_P | PG_X, false);
    boot_perm_range(perm, GL_KSTACK_BOTTOM, GL_KSTACK_TOP, PG_P | PG_W, false);
    for (unsigned i = 0; i < img->nseg; i++)
        boot_perm_range(perm, img->seg[i].vaddr, img->seg[i].vaddr + img->seg[i].memsz, 0,
                        false);
    for (unsigned i = 0; i < img->nseg; i++) {
        uint32_t f = img->seg[i].flags;
        uint8_t p = PG_P | PG_U | ((f & 2) ? PG_W : 0) | ((f & 1) ? PG_X : 0);
        boot_perm_range(perm, img->seg[i].vaddr, img->seg[i].vaddr + img->seg[i].memsz, p,
                        true);
    }
}

/*
 * Identity map of all guest memory: page pg as perm[pg] says (one byte per 4 KiB
 * page), but the pages of [uni_lo, uni_hi), which are all `uni` (perm is not read
 * there, and may be shorter). 2 MiB pages, 4 KiB pages where permissions vary.
 * Written once, before the VM runs; its cost grows with the pages perm describes,
 * not with the memory size.
 */
int boot_page_tables(struct ukmon_vm *vm, const uint8_t *perm, uint64_t uni_lo, uint64_t uni_hi,
                     uint8_t uni)
{
    uint64_t *pml4 = gmem_low(vm, GL_PML4, PAGE_SIZE_4K);
    uint64_t *pdpt = gmem_low(vm, GL_PDPT, PAGE_SIZE_4K);
    uint64_t table_bits = PTE_P | PTE_W | PTE_U | PTE_A;
    pml4[0] = GL_PDPT | table_bits;
    unsigned pts_used = 0;
    uint64_t nregions = vm->mem_size / PAGE_SIZE_2M;
    uint8_t rp[512];
    vm->pt_uni_lo = uni_lo;
    vm->pt_uni_hi = uni_hi;
    vm->pt_uni = uni;
    for (uint64_t r = 0; r < nregions; r++) {
        uint64_t *pd = (uint64_t *)gmem_low(vm, GL_PD, 4 * PAGE_SIZE_4K) + r; /* PDs are contiguous */
        if (r % 512 == 0)
            pdpt[r / 512] = (GL_PD + (r / 512) * PAGE_SIZE_4K) | table_bits;
        uint64_t base = r * PAGE_SIZE_2M;
        bool uniform = true;
        if (base >= uni_lo && base + PAGE_SIZE_2M <= uni_hi) {
            rp[0] = uni;
        } else {
            /* Outside the uniform range: KVM knows it from the start. */
            if (kvm_cover(vm, base, base + PAGE_SIZE_2M) < 0)
                return vm_fail(vm, -ENOMEM, "%s: registering guest memory with KVM",
                               vm->name);
            for (int i = 0; i < 512; i++) {
                uint64_t a = base + (uint64_t)i * PAGE_SIZE_4K;
                rp[i] = a >= uni_lo && a < uni_hi ? uni : perm[r * 512 + i];
                uniform = uniform && rp[i] == rp[0];
            }
        }
        if (uniform) {
            uint64_t e = pte_bits(rp[0]);
            *pd = e ? base | e | PTE_PS : 0;
            continue;
        }
        if (pts_used == GL_PT_PAGES)
            return vm_fail(vm, UKMON_EBADELF, "%s: segment layout needs too many page "
                           "tables", vm->name);
        uint64_t pt_gpa = GL_PT + pts_used++ * PAGE_SIZE_4K;
        uint64_t *pt = gmem_low(vm, pt_gpa, PAGE_SIZE_4K);
        for (int i = 0; i < 512; i++) {
            uint64_t e = pte_bits(rp[i]);
            pt[i] = e ? (base + i * PAGE_SIZE_4K) | e : 0;
        }
        *pd = pt_gpa | table_bits;
    }
    /*
     * Chunks of the uniform range KVM does not know yet are not present in the tables
     * either: the guest's first touch there is a page fault, and the monitor registers
     * the chunk then (kvm_cover() makes them present, vcpu_loop.c). A page directory
     * entry going from not present to present needs no TLB flush, on any backend.
     */
    uint64_t *pd = gmem_low(vm, GL_PD, 4 * PAGE_SIZE_4K);
    for (uint64_t r = 0; r < nregions; r++) {
        uint64_t base = r * PAGE_SIZE_2M;
        if (base >= uni_lo && base + PAGE_SIZE_2M <= uni_hi && !kvm_covered(vm, base))
            pd[r] = 0;
    }
    return 0;
}

/*
 * KVM knows chunk c now: its regions of the uniform range become present in the
 * page tables (the others were written at boot, their chunks registered then).
 */
void boot_map_chunk(struct ukmon_vm *vm, uint64_t c)
{
    uint64_t *pd = gmem_low(vm, GL_PD, 4 * PAGE_SIZE_4K);
    uint64_t e = pte_bits(vm->pt_uni);
    for (uint64_t base = c * GL_SLOT_CHUNK; base < (c + 1) * GL_SLOT_CHUNK &&
         base < vm->mem_size; base += PAGE_SIZE_2M)
        if (pd && e && base >= vm->pt_uni_lo && base + PAGE_SIZE_2M <= vm->pt_uni_hi)
            pd[base / PAGE_SIZE_2M] = base | e | PTE_PS;
}

void boot_gdt_idt(struct ukmon_vm *vm)
{
    uint64_t *gdt = gmem_low(vm, GL_GDT, PAGE_SIZE_4K);
    gdt[0] = 0;
    gdt[1] = 0x00209b0000000000ULL; /* kernel code: 64-bit, DPL 0, accessed */
    gdt[2] = 0x0000930000000000ULL; /* kernel data, DPL 0 */
    gdt[3] = 0x0000f30000000000ULL; /* user data, DPL 3 */
    gdt[4] = 0x0020fb0000000000ULL; /* user code: 64-bit, DPL 3 */
    uint64_t tss = GL_TSS, limit = TSS_SIZE - 1;
    gdt[5] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x8bULL << 40) |
             (((tss >> 24) & 0xff) << 56);
    gdt[6] = tss >> 32;

    /*
     * TSS: rsp0, the stack exceptions from ring 3 switch to, and the I/O permission
     * bitmap that lets ring 3 use the hypercall ports, and no other port. (IOPL 3 in
     * RFLAGS would open every port, and this machine's KVM backend does not keep
     * RFLAGS.IOPL across exits: we saw it reset to 0 mid-run.)
     */
    uint8_t *t = gmem_low(vm, GL_TSS, PAGE_SIZE_4K);
    memset(t, 0, TSS_SIZE);
    uint64_t rsp0 = GL_KSTACK_TOP;
    memcpy(t + 4, &rsp0, 8);
    uint16_t iomap = TSS_IOMAP;
    memcpy(t + 102, &iomap, 2);
    memset(t + TSS_IOMAP, 0xff, TSS_IOMAP_BYTES + 1); /* +1: the required 0xff end byte */
    for (unsigned p = vm->pers->port_lo; p < vm->pers->port_lo + vm->pers->nports; p++)
        t[TSS_IOMAP + p / 8] &= (uint8_t)~(1u << (p % 8));

    /*
     * One ring-0 stub per vector: report it on port EXC_PORT_BASE + vector and stop.
     * The monitor reads the exception frame at %rsp and CR2 from the vCPU. The stub
     * changes no register, so the monitor sees the guest's own (the hypercall port in
     * %dx among them, for the TSS fallback in vcpu_loop.c).
     *   e6 nn         out %al, $port
     *   f4 eb fd      hlt; jmp .-1
     */
    uint8_t *stubs = gmem_low(vm, GL_EXC_STUBS, PAGE_SIZE_4K);
    uint64_t *idt = gmem_low(vm, GL_IDT, PAGE_SIZE_4K);
    for (unsigned v = 0; v < 32; v++) {
        uint8_t code[8] = {0xe6, (uint8_t)(UKMON_EXC_PORT_BASE + v), 0xf4, 0xeb, 0xfd};
        memcpy(stubs + v * 8, code, 8);
        uint64_t off = GL_EXC_STUBS + v * 8;
        idt[v * 2] = (off & 0xffff) | ((uint64_t)SEL_KCODE << 16) | (0x8eULL << 40) |
                     (((off >> 16) & 0xffff) << 48);
        idt[v * 2 + 1] = off >> 32;
    }
}

_Static_assert(GL_KSTACK_BOTTOM + (VCPUS_MAX - 1) * GL_VCPU_SLOT <= GL_VCPU_IOMAP &&
               GL_VCPU_IOMAP + TSS_IOMAP_BYTES + 1 <= GL_VCPU_IOMAP_END &&
               GL_VCPU_SLOT >= TSS_IOMAP + 64,
               "every vCPU's TSS and ring-0 stack fit the ring-0 stack area");

/*
 * The TSS of vCPU `index` (TR of its sregs): vCPU 0's is GL_TSS; another's is its
 * slot's, written here (the area is the monitor's: ring 3 cannot touch it), with its
 * own ring-0 stack and the ports vCPU 0's bitmap opens.
 */
void boot_vcpu_tss(struct ukmon_vm *vm, unsigned index, struct kvm_segment *tr)
{
    uint64_t base = GL_TSS, limit = TSS_SIZE - 1;
    if (index > 0 && index < VCPUS_MAX) {
        base = GL_KSTACK_BOTTOM + (index - 1) * GL_VCPU_SLOT;
        uint8_t *t = gmem_low(vm, GL_KSTACK_BOTTOM + (index - 1) * GL_VCPU_SLOT, TSS_IOMAP);
        memset(t, 0, TSS_IOMAP);
        uint64_t rsp0 = base + GL_VCPU_SLOT;
        memcpy(t + 4, &rsp0, 8);
        uint16_t iomap = (uint16_t)(GL_VCPU_IOMAP - base);
        memcpy(t + 102, &iomap, 2);
        memcpy(gmem_low(vm, GL_VCPU_IOMAP, TSS_IOMAP_BYTES + 1),
               gmem_low(vm, GL_TSS + TSS_IOMAP, TSS_IOMAP_BYTES + 1), TSS_IOMAP_BYTES + 1);
        limit = iomap + TSS_IOMAP_BYTES;
    }
    *tr = (struct kvm_segment){
        .base = base, .limit = (uint32_t)limit, .selector = SEL_TSS, .type = vm->tss_type,
        .present = 1,
    };
}

static bool host_tsc_invariant(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000007, &a, &b, &c, &d))
        return false;
    return d & (1u << 8);
}

/*
 * The guest reads clocks with rdtsc, without a VM exit, when the TSC is invariant and
 * every VM of the tree sees the host's TSC (offset 0, set in kvm.c). Else by hypercall
 * (ukmon unikernels) or system call (Linux programs, whose vDSO then says so).
 */
bool boot_tsc_clock(struct ukmon_vm *vm, struct boot_clock *c)
{
    if (!vm->has_tsc_offset_attr || vm->tsc_khz <= 0 || !host_tsc_invariant())
        return false;
    c->tsc_mult = (1000000ULL << 32) / (uint64_t)vm->tsc_khz;
    c->tsc_base = __rdtsc();
    c->mono_base_ns = clock_ns(CLOCK_MONOTONIC);
    c->wall_base_ns = clock_ns(CLOCK_REALTIME);
    return true;
}

static void seg_user(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
    *s = (struct kvm_segment){
        .base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
        .dpl = 3, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
    };
}

/* The flat 64-bit ring-3 code and data segments the guest runs in. */
void boot_user_segments(struct kvm_sregs *sr)
{
    seg_user(&sr->cs, SEL_UCODE, 11, true);
    seg_user(&sr->ss, SEL_UDATA, 3, false);
    sr->ds = sr->es = sr->fs = sr->gs = sr->ss;
}

/* Long mode straight from reset: no real mode, no bootloader; the guest starts at CPL3. */
int boot_set_initial_vcpu(struct ukmon_vm *vm)
{
    struct kvm_sregs sr;
    if (ioctl(vcpu_cur(vm)->fd, KVM_GET_SREGS, &sr) < 0)
        return vm_fail(vm, -errno, "KVM_GET_SREGS: %s", strerror(errno));
    sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    sr.cr3 = GL_PML4;
    sr.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | (vm->xcr0 ? CR4_OSXSAVE : 0);
    /* SYSCALL enters the personality's stub (LSTAR, set in kvm.c), if it has one. */
    sr.efer = EFER_LME | EFER_LMA | EFER_NXE | (vm->pers->syscall_entry ? EFER_SCE : 0);
    boot_user_segments(&sr);
    boot_vcpu_tss(vm, vcpu_cur(vm)->index, &sr.tr);
    sr.ldt = (struct kvm_segment){ .selector = 0, .type = 2, .present = 1, .limit = 0xffff };
    sr.gdt.base = GL_GDT;
    sr.gdt.limit = 7 * 8 - 1;
    sr.idt.base = GL_IDT;
    sr.idt.limit = 32 * 16 - 1;
    if (ioctl(vcpu_cur(vm)->fd, KVM_SET_SREGS, &sr) < 0)
        return vm_fail(vm, -errno, "KVM_SET_SREGS: %s", strerror(errno));
    if (ioctl(vcpu_cur(vm)->fd, KVM_SET_REGS, &vm->entry_regs) < 0)
        return vm_fail(vm, -errno, "KVM_SET_REGS: %s", strerror(errno));

    struct kvm_fpu fpu;
    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = 0x37f;
    fpu.mxcsr = 0x1f80;
    if (ioctl(vcpu_cur(vm)->fd, KVM_SET_FPU, &fpu) < 0)
        return vm_fail(vm, -errno, "KVM_SET_FPU: %s", strerror(errno));
    return 0;
}
