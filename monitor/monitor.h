/* monitor.h: internal declarations shared by the files of libukmon. */
#ifndef UKMON_MONITOR_H
#define UKMON_MONITOR_H

#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <liburing.h>

#include "ukmon.h"

/*
 * Guest-physical layout. Low 2 MiB: monitor-owned structures, mapped supervisor-only
 * except boot info and argv; page 0 is never mapped so NULL dereferences fault.
 */
#define GL_GDT 0x1000ULL
#define GL_IDT 0x2000ULL
#define GL_TSS 0x3000ULL
#define GL_EXC_STUBS 0x4000ULL
#define GL_PML4 0x5000ULL
#define GL_PDPT 0x6000ULL
#define GL_PD 0x7000ULL           /* 4 pages: one page directory per GiB */
#define GL_PT 0x10000ULL          /* page tables for 2 MiB regions mapped in 4 KiB pages */
#define GL_PT_PAGES 48
#define GL_KSTACK_BOTTOM 0x40000ULL
#define GL_KSTACK_TOP 0x48000ULL  /* ring-0 stack for exception delivery */
#define GL_BOOT_INFO 0x50000ULL
#define GL_ARGS 0x51000ULL        /* argv/envp pointers and strings */
#define GL_ARGS_END 0x200000ULL
#define GL_LOAD_MIN 0x200000ULL   /* lowest address an ELF segment may use */
#define GL_STACK_MAX (8ULL << 20)

/* Page permissions of the guest's identity map, one byte per 4 KiB page. */
enum { PG_P = 1, PG_W = 2, PG_U = 4, PG_X = 8 };

#define PAGE_SIZE_4K 4096ULL
#define PAGE_SIZE_2M (2ULL << 20)

/* vCPU state carried across fork. */
struct vcpu_state {
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;
    struct kvm_xsave xsave; /* last: newer headers end it with a flexible array */
};

/* One guest fd: which host fd it stands for. -1 = closed. */
struct fd_entry {
    int host_fd;
    /*
     * I/O through read(2)/write(2), not io_uring, for two kinds of host fd:
     * - regular files and block devices: io_uring's "current position" (offset -1) is
     *   read and advanced without the file-position lock, so VMs sharing one open file
     *   (a forked tree printing to a redirected stdout) overwrote each other's lines;
     * - O_NONBLOCK fds (an embedder's): io_uring waits where read(2) says EAGAIN.
     */
    bool syscalls;
};
#define FDT_MAX 256

struct fd_table {
    struct fd_entry fd[FDT_MAX];
};

/* Shared by every monitor of one tree (MAP_SHARED): pids alive, for limits and kill. */
struct proc_tree {
    pid_t root_pid;
    unsigned max_procs;
    volatile int terminating;
    pid_t slots[];           /* 0 free, -1 reserved, else a live or zombie pid */
};

struct hc_stats {
    uint64_t exits_io, exits_other, exits_intr;
    uint64_t hc_count[UKMON_HC_MAX];
    uint64_t ns_in_run, ns_total;
};

struct user_hc {
    ukmon_hc_fn fn;
    void *opaque;
};

struct ukmon_vm {
    struct ukmon_config cfg;
    char errmsg[512];
    int init_err;                  /* from ukmon_vm_new(), reported by the load */
    uint8_t *pre_image;            /* ukmon_vm_prepare(): the ELF file, read early */
    size_t pre_size;
    char pre_path[4096];
    char name[128];              /* the program's name for messages */

    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem;
    uint64_t mem_size;
    uint8_t *page_perm;           /* what ring 3 may do with each page (boot.c) */
    bool has_tsc_offset_attr, tsc_probed;
    bool has_xsave;
    int tsc_khz;
    /*
     * Type of the TSS descriptor in TR: 11 (busy), as VMX requires, until a CPL3
     * hypercall OUT takes a #GP; then 9 (available), which QEMU's TCG needs before it
     * will consult the I/O bitmap (vcpu_loop.c). Inherited by every forked monitor.
     */
    uint8_t tss_type;

    uint64_t entry, heap_start, stack_top;
    bool loaded, ran;

    struct io_uring ring;
    bool ring_ok;
    struct fd_table fdt;

    /* process tree */
    struct proc_tree *tree;
    size_t tree_size;
    bool is_root;                 /* this process runs the tree's first VM */
    pid_t *children;              /* pids this monitor forked and has not reaped */
    unsigned nchildren, children_cap;

    volatile sig_atomic_t stop_signal;

    struct user_hc user_hc[UKMON_HC_MAX - UKMON_HC_USER_FIRST];
    struct hc_stats stats;
    struct ukmon_exit exit;
};

/* error.c */
int vm_fail(struct ukmon_vm *vm, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* guest_mem.c */
int gmem_alloc(struct ukmon_vm *vm, uint64_t size);
void gmem_free(struct ukmon_vm *vm);
int gmem_advise_heap(struct ukmon_vm *vm, uint64_t heap_start, uint64_t heap_end);
void *gmem_ptr(const struct ukmon_vm *vm, ukmon_gpa_t gpa, uint64_t len);
void *gmem_user_ptr(const struct ukmon_vm *vm, ukmon_gpa_t gpa, uint64_t len, bool write);
bool gmem_range_ok(uint64_t mem_size, uint64_t gpa, uint64_t len);

/* kvm.c */
int kvm_open_dev(struct ukmon_vm *vm);
int kvm_create_machine(struct ukmon_vm *vm);
int kvm_create_vcpu(struct ukmon_vm *vm);
void kvm_close_machine(struct ukmon_vm *vm);
int kvm_set_tsc_offset_zero(struct ukmon_vm *vm);
const char *kvm_exit_name(uint32_t reason);

/* elf_load.c */
struct elf_image {
    uint64_t entry;
    uint64_t lo, hi;             /* lowest and highest byte (exclusive) loaded */
    unsigned nseg;
    struct elf_seg {
        uint64_t vaddr, memsz, filesz, offset;
        uint32_t flags;          /* PF_R | PF_W | PF_X */
    } seg[16];
};
int elf_check_image(const void *image, size_t size, uint64_t mem_size,
                    struct elf_image *out, char *err, size_t errlen);
void elf_copy_segments(const struct elf_image *img, const void *image, uint8_t *mem);

/* boot.c */
int boot_setup(struct ukmon_vm *vm, const struct elf_image *img, int argc,
               char *const argv[]);
int boot_set_initial_vcpu(struct ukmon_vm *vm);
void boot_user_segments(struct kvm_sregs *sr);
int boot_setup_clock(struct ukmon_vm *vm);
uint64_t boot_stack_size(uint64_t mem_size);

/* vcpu_loop.c */
int vcpu_run_loop(struct ukmon_vm *vm);
int vcpu_complete_exit(struct ukmon_vm *vm);
/* The vCPU's registers as of the last exit (KVM_SYNC_X86_REGS/SREGS in kvm_run). */
static inline struct kvm_regs *vcpu_regs(struct ukmon_vm *vm)
{
    return &vm->run->s.regs.regs;
}
static inline const struct kvm_sregs *vcpu_sregs(struct ukmon_vm *vm)
{
    return &vm->run->s.regs.sregs;
}
/* vcpu_regs() was changed: KVM loads it before the next entry. */
static inline void vcpu_regs_changed(struct ukmon_vm *vm)
{
    vm->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}
void vm_set_fault(struct ukmon_vm *vm, int sig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* hypercalls.c */
enum hc_result { HC_CONTINUE = 0, HC_STOP = 1 };
enum hc_result hc_dispatch(struct ukmon_vm *vm, unsigned nr, uint32_t arg_gpa);
const char *hc_name(unsigned nr);
void hc_trace(struct ukmon_vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* uring.c */
int uring_setup(struct ukmon_vm *vm);
int uring_ensure(struct ukmon_vm *vm);
void uring_teardown(struct ukmon_vm *vm);
int64_t uring_rw(struct ukmon_vm *vm, bool write, int host_fd, void *buf, uint64_t len);
int64_t uring_rwv(struct ukmon_vm *vm, bool write, int host_fd, const struct iovec *iov,
                  unsigned iovcnt);
int64_t uring_poll_many(struct ukmon_vm *vm, struct ukmon_hc_poll *a);
void uring_forget_parent(struct ukmon_vm *vm);

/* fdtable.c */
int fdt_init(struct fd_table *t, const struct ukmon_config *cfg);
int fdt_host(const struct fd_table *t, int64_t fd);
const struct fd_entry *fdt_entry(const struct fd_table *t, int64_t fd);
void fdt_install(struct fd_table *t, int fd, int host_fd, bool syscalls);
bool fdt_wants_syscalls(int host_fd);
int fdt_lowest_free(const struct fd_table *t, int from);
void fdt_close_all(struct fd_table *t);

/* sandbox.c */
int sandbox_install(struct ukmon_vm *vm);

/* stats.c */
void stats_print(struct ukmon_vm *vm);

/* clock.c */
int64_t clock_ns(clockid_t id);

#endif
