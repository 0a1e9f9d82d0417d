/*
 * vmm.h: the KVM layer: /dev/kvm, the VM and its vCPU, guest memory and the address
 * space over it, the boot state every VM starts from, the ELF loader and the run loop.
 * It knows no system call and no hypercall: exits it does not handle itself go to the
 * program's personality (personality.h).
 */
#ifndef UKMON_KVM_VMM_H
#define UKMON_KVM_VMM_H

#include "monitor.h"
#include "kvm/layout.h"

/* kvm.c */
int kvm_open_dev(struct ukmon_vm *vm);
int kvm_create_machine(struct ukmon_vm *vm);
int kvm_cover(struct ukmon_vm *vm, uint64_t lo, uint64_t hi);
bool kvm_covered(const struct ukmon_vm *vm, uint64_t gpa);
int kvm_create_vcpu(struct ukmon_vm *vm, struct vcpu *c);
unsigned kvm_max_vcpus(struct ukmon_vm *vm);
void kvm_close_vcpu(struct vcpu *c);
void kvm_close_machine(struct ukmon_vm *vm);
void kvm_kick(void);
uint32_t *kvm_kick_word(void);
int kvm_reset_vcpu(struct ukmon_vm *vm);
void kvm_forget_parent(struct ukmon_vm *vm);
int kvm_cpuid_leaf(uint32_t fn, uint32_t index, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                   uint32_t *edx);
int kvm_set_tsc_offset_zero(struct ukmon_vm *vm, struct vcpu *c);
/* cpuid_cache.c: KVM_GET_SUPPORTED_CPUID's answer kept per host; NULL if none fits. */
struct kvm_cpuid2 *cpuid_cache_load(int kvm_fd);
void cpuid_cache_store(int kvm_fd, const struct kvm_cpuid2 *c);
/* cpuid_leaf2.c: leaf 2's cache descriptors from leaf 4 (fewer CPUID exits in glibc). */
void cpuid_leaf2_from_leaf4(struct kvm_cpuid2 *c);
const char *kvm_exit_name(uint32_t reason);

/* guest_mem.c */
int gmem_alloc(struct ukmon_vm *vm, uint64_t size);
void gmem_free(struct ukmon_vm *vm);
int gmem_reset(struct ukmon_vm *vm);
int gmem_advise_heap(struct ukmon_vm *vm, uint64_t heap_start, uint64_t heap_end);
bool gmem_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);
/* What ring 3 may do with page number pg (page_perm, or the uniform range's). */
static inline uint8_t gmem_perm(const struct ukmon_vm *vm, uint64_t pg)
{
    uint64_t a = pg * PAGE_SIZE_4K;
    return a >= vm->perm_uni_lo && a < vm->perm_uni_hi ? vm->perm_uni : vm->page_perm[pg];
}
/*
 * The only ways to guest memory (lint: scripts/check-guest-access.sh). Guest addresses
 * are integers. Copies return 0 or -EFAULT and never fault the monitor; the pointer
 * of gmem_io_ptr() is for the host kernel only (I/O), that of gmem_low() for the
 * monitor's own low area.
 */
bool gmem_check(const struct ukmon_vm *vm, uint64_t gva, uint64_t len, bool write);
int gmem_read(const struct ukmon_vm *vm, void *dst, uint64_t gva, uint64_t len);
int gmem_write(struct ukmon_vm *vm, uint64_t gva, const void *src, uint64_t len);
int gmem_cmpxchg32(struct ukmon_vm *vm, uint64_t gva, uint32_t old, uint32_t nw);
int64_t gmem_read_str(const struct ukmon_vm *vm, uint64_t gva, char *out, size_t outlen);
int gmem_move(struct ukmon_vm *vm, uint64_t to, uint64_t from, uint64_t len);
int gmem_peek(const struct ukmon_vm *vm, void *dst, uint64_t gpa, uint64_t len);
int gmem_poke(struct ukmon_vm *vm, uint64_t gpa, const void *src, uint64_t len);
void *gmem_io_ptr(const struct ukmon_vm *vm, uint64_t gva, uint64_t len, bool write);
void *gmem_low(const struct ukmon_vm *vm, uint64_t gpa, uint64_t len);
int gmem_low_map(struct ukmon_vm *vm, uint64_t gpa, uint64_t len, int fd);
int gmem_low_unmap(struct ukmon_vm *vm, uint64_t gpa, uint64_t len);

/* addrspace.c */
int as_protect(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm);
int as_replace(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm);
int as_close_fresh(struct ukmon_vm *vm, uint64_t lo, uint64_t hi);
int as_share(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm);
int as_map_file(struct ukmon_vm *vm, uint64_t lo, uint64_t hi, uint8_t perm, int fd,
                uint64_t offset, bool shared);
int as_patch(struct ukmon_vm *vm, uint64_t addr, const void *bytes, uint64_t len);
int as_patch_many(struct ukmon_vm *vm, const uint64_t *addr, unsigned n, const void *bytes,
                  uint64_t len);
int as_grow(struct ukmon_vm *vm, uint64_t lo, uint64_t old_len, uint64_t new_len);
int as_move(struct ukmon_vm *vm, uint64_t old, uint64_t old_len, uint64_t to, uint64_t new_len);
bool as_is_free(const struct ukmon_vm *vm, uint64_t lo, uint64_t hi);
uint64_t as_find_free(const struct ukmon_vm *vm, uint64_t len, uint64_t bottom,
                      uint64_t top);

/* elf_load.c */
int elf_check_image(const void *image, size_t size, uint64_t mem_size,
                    struct elf_image *out, char *err, size_t errlen);
int elf_load_segments(const struct elf_image *img, const void *image, int fd, uint8_t *mem);

/* program.c */
int program_from_fd(struct ukmon_vm *vm, int fd, const char *name, struct program_file *pf);
int program_open(struct ukmon_vm *vm, const char *path, struct program_file *pf);
void program_release(struct program_file *pf, bool keep_fd);
int program_build(struct ukmon_vm *vm, const struct elf_image *img,
                  const struct program_file *pf, struct program_interp *interp, int argc,
                  char *const argv[], char *const envp[]);
int program_interp_check(struct ukmon_vm *vm, int fd, const char *path,
                         struct program_interp *out);
int program_map_interp(struct ukmon_vm *vm, struct program_interp *in, uint64_t base);

/* boot.c */
void boot_perm_range(uint8_t *perm, uint64_t start, uint64_t end, uint8_t p, bool or);
void boot_perm_fixed(uint8_t *perm, const struct elf_image *img);
int boot_page_tables(struct ukmon_vm *vm, const uint8_t *perm, uint64_t uni_lo, uint64_t uni_hi,
                     uint8_t uni);
void boot_map_chunk(struct ukmon_vm *vm, uint64_t c);
void boot_gdt_idt(struct ukmon_vm *vm);
int boot_set_initial_vcpu(struct ukmon_vm *vm);
void boot_user_segments(struct kvm_sregs *sr);
void boot_vcpu_tss(struct ukmon_vm *vm, unsigned index, struct kvm_segment *tr);
int boot_setup_clock(struct ukmon_vm *vm);
/* ns = base_ns + ((rdtsc - tsc_base) * tsc_mult) >> 32, as in struct ukmon_boot_info. */
struct boot_clock {
    uint64_t tsc_base, tsc_mult;
    int64_t mono_base_ns, wall_base_ns;
};
bool boot_tsc_clock(struct ukmon_vm *vm, struct boot_clock *c);
uint64_t boot_stack_size(uint64_t mem_size);

/* vcpu_loop.c */
int vcpu_run_loop(struct ukmon_vm *vm);
int vcpu_complete_exit(struct ukmon_vm *vm);
const char *vcpu_port_insn_error(struct ukmon_vm *vm, uint8_t opcode);
/* The vCPU's registers as of the last exit (KVM_SYNC_X86_REGS/SREGS in kvm_run). */
static inline struct kvm_regs *vcpu_regs(struct ukmon_vm *vm)
{
    return &vcpu_cur(vm)->run->s.regs.regs;
}
static inline const struct kvm_sregs *vcpu_sregs(struct ukmon_vm *vm)
{
    return &vcpu_cur(vm)->run->s.regs.sregs;
}
static inline struct kvm_sregs *vcpu_sregs_mut(struct ukmon_vm *vm)
{
    return &vcpu_cur(vm)->run->s.regs.sregs;
}
void vcpu_sregs_changed(struct ukmon_vm *vm);
/* vcpu_regs() was changed: KVM loads it before the next entry. */
static inline void vcpu_regs_changed(struct ukmon_vm *vm)
{
    vcpu_cur(vm)->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}
void vm_set_fault(struct ukmon_vm *vm, int sig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
