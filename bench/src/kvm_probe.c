/*
 * kvm_probe: the floor under ukmon on this machine, measured on /dev/kvm directly with
 * a VM of its own (no libukmon): what one exit, one SYSCALL, one VM and one first
 * touch cost before the monitor does anything. Host only (not built as a unikernel).
 *
 *   kvm_probe [-n N] [TEST...]     tests: caps exit syscall cpl0 ioeventfd birth touch
 *                                  (default: all); one "PROBE name min median p90 unit"
 *                                  line per figure, notes on lines starting with '#'
 *
 * The guest's TSC is the host's (offset 0; checked below), so guest and monitor
 * timestamps are on one time base: an exit is split into its legs, guest instruction
 * to KVM_RUN's return and KVM_RUN's call to the guest's next instruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#ifndef KVM_CAP_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY 236
struct kvm_pre_fault_memory {
    uint64_t gpa, size, flags, padding[5];
};
#define KVM_PRE_FAULT_MEMORY _IOWR(KVMIO, 0xd5, struct kvm_pre_fault_memory)
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif

/* Guest-physical layout (identity mapped, 2 MiB pages, user bit everywhere). */
#define G_GDT 0x1000
#define G_IDT 0x2000
#define G_TSS 0x3000
#define G_EXC 0x4000
#define G_PML4 0x5000
#define G_PDPT 0x6000
#define G_PD 0x7000
#define G_LSTAR 0x9000
#define G_KSTACK 0x48000
#define G_CODE 0x100000
#define G_USTACK 0x800000
#define G_TOUCH (16ULL << 20)  /* the touch test's pages start here */
#define G_MMIO 0x3fe00000ULL   /* no memory here: a write is an MMIO exit */

#define P_EXIT 0x10     /* one timed exit */
#define P_DONE 0x11     /* the guest's loop ended */
#define P_EVENT 0x20    /* the ioeventfd's port */
#define P_EXC 0xe0      /* + vector: an exception */

#define TSS_IOMAP 104
#define TSS_SIZE (TSS_IOMAP + 0x100 / 8 + 1)

static int kvm_fd, nrep = 2000;
static int run_size;
static struct kvm_cpuid2 *cpuid;
static double tsc_per_us;

/* ---- the guest's code: position independent, copied to G_CODE or G_LSTAR ---- */
#define BLOB(name, body)                                                                  \
    extern const uint8_t name[], name##_end[];                                            \
    __asm__(".pushsection .rodata\n.globl " #name "\n" #name ":\n" body "\n.globl " #name \
            "_end\n" #name "_end:\n.popsection\n")
#define TSC_TO(reg) "rdtsc\n shl $32,%rdx\n or %rax,%rdx\n mov %rdx," reg "\n"

/* r12 = TSC before the OUT, r13 = TSC after the previous one. */
BLOB(g_out_legs, "1:\n" TSC_TO("%r12") "out %al,$0x10\n" TSC_TO("%r13")
                 "dec %rdi\n jnz 1b\n out %al,$0x11\n hlt");
/* The same with a write to no memory (MMIO exit) at %rsi. */
BLOB(g_mmio_legs, "1:\n" TSC_TO("%r12") "movb $0,(%rsi)\n" TSC_TO("%r13")
                  "dec %rdi\n jnz 1b\n out %al,$0x11\n hlt");
/* The same with SYSCALL: LSTAR decides what happens. */
BLOB(g_syscall_legs, "1:\n" TSC_TO("%r12") "syscall\n" TSC_TO("%r13")
                     "dec %rdi\n jnz 1b\n out %al,$0x11\n hlt");
/* N back-to-back SYSCALLs, timed inside the guest: r12 start, r13 end. */
BLOB(g_syscall_loop, TSC_TO("%r12") "1: syscall\n dec %rdi\n jnz 1b\n" TSC_TO("%r13")
                     "out %al,$0x11\n hlt");
/* A bare OUT loop, timed by the monitor (runs at CPL3 or CPL0). */
BLOB(g_out_bare, "1: out %al,$0x10\n dec %rdi\n jnz 1b\n out %al,$0x11\n hlt");
/* dec/jnz, timed inside the guest. */
BLOB(g_loop, TSC_TO("%r12") "1: dec %rdi\n jnz 1b\n" TSC_TO("%r13") "out %al,$0x11\n hlt");
/* N OUTs to the ioeventfd's port, timed inside the guest. */
BLOB(g_event, TSC_TO("%r12") "1: out %al,$0x20\n dec %rdi\n jnz 1b\n" TSC_TO("%r13")
              "out %al,$0x11\n hlt");
/* One byte written per page: rdi pages from rsi, r8 apart; timed inside the guest. */
BLOB(g_touch, TSC_TO("%r12") "1: movb $1,(%rsi)\n add %r8,%rsi\n dec %rdi\n jnz 1b\n"
              TSC_TO("%r13") "out %al,$0x11\n hlt");
/* An OUT at once (VM birth: the first exit). */
BLOB(g_first, "out %al,$0x10\n out %al,$0x10\n out %al,$0x11\n hlt");

/* SYSCALL entry stubs (LSTAR). */
BLOB(s_sysret, "sysretq");
BLOB(s_jmp_rcx, "jmp *%rcx");
BLOB(s_out_sysret, "out %al,$0x10\n sysretq");
/* r14 = TSC at the stub, r15 = TSC after its OUT. */
BLOB(s_tsc_out_sysret, TSC_TO("%r14") "out %al,$0x10\n" TSC_TO("%r15") "sysretq");
/* Two TSC reads in a row: what one costs where the stub runs. */
BLOB(s_tsc_tsc_sysret, TSC_TO("%r14") TSC_TO("%r15") "sysretq");

/* ---- helpers ---- */
static void die(const char *what)
{
    fprintf(stderr, "kvm_probe: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One result line from n samples in microseconds. */
static void report(const char *name, double *us, int n)
{
    if (n <= 0) {
        printf("# %s: no samples\n", name);
        return;
    }
    qsort(us, (size_t)n, sizeof(us[0]), cmp_d);
    printf("PROBE %-34s %9.2f %9.2f %9.2f us\n", name, us[0], us[n / 2],
           us[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1]);
    fflush(stdout);
}

static double tsc_us(uint64_t d)
{
    return (double)(int64_t)d / tsc_per_us;
}

struct vm {
    int fd, vcpu;
    uint8_t *mem;
    uint64_t mem_size;
    struct kvm_run *run;
};

static void vm_set_msrs(struct vm *v, uint64_t lstar)
{
    union {
        struct kvm_msrs h;
        uint8_t b[sizeof(struct kvm_msrs) + 3 * sizeof(struct kvm_msr_entry)];
    } m;
    memset(&m, 0, sizeof(m));
    m.h.nmsrs = 3;
    m.h.entries[0] = (struct kvm_msr_entry){.index = 0xc0000081,
                                            .data = (0x10ULL << 48) | (0x08ULL << 32)};
    m.h.entries[1] = (struct kvm_msr_entry){.index = 0xc0000082, .data = lstar};
    m.h.entries[2] = (struct kvm_msr_entry){.index = 0xc0000084, .data = 0x47700};
    if (ioctl(v->vcpu, KVM_SET_MSRS, &m) != 3)
        die("KVM_SET_MSRS");
}

/* Page tables, GDT, IDT, TSS (its I/O bitmap opens ports 0x10-0x2f to ring 3). */
static void vm_write_tables(struct vm *v)
{
    uint8_t *m = v->mem;
    uint64_t *pml4 = (uint64_t *)(m + G_PML4), *pdpt = (uint64_t *)(m + G_PDPT);
    pml4[0] = G_PDPT | 0x27;
    for (uint64_t g = 0; g < (v->mem_size + (1ULL << 30) - 1) >> 30; g++) {
        pdpt[g] = (G_PD + g * 0x1000) | 0x27;
        uint64_t *pd = (uint64_t *)(m + G_PD + g * 0x1000);
        for (uint64_t i = 0; i < 512 && ((g << 30) + (i << 21)) < v->mem_size; i++)
            pd[i] = ((g << 30) + (i << 21)) | 0xe7; /* P W U A D PS */
    }
    if (v->mem_size <= G_MMIO) /* a mapped page with no memory behind it: MMIO exits */
        ((uint64_t *)(m + G_PD))[G_MMIO >> 21] = G_MMIO | 0xe7;
    uint64_t *gdt = (uint64_t *)(m + G_GDT);
    gdt[1] = 0x00209b0000000000ULL;
    gdt[2] = 0x0000930000000000ULL;
    gdt[3] = 0x0000f30000000000ULL;
    gdt[4] = 0x0020fb0000000000ULL;
    uint64_t limit = TSS_SIZE - 1;
    gdt[5] = (limit & 0xffff) | ((uint64_t)(G_TSS & 0xffffff) << 16) | (0x8bULL << 40);
    gdt[6] = 0;
    uint8_t *t = m + G_TSS;
    uint64_t rsp0 = G_KSTACK;
    memcpy(t + 4, &rsp0, 8);
    uint16_t iomap = TSS_IOMAP;
    memcpy(t + 102, &iomap, 2);
    memset(t + TSS_IOMAP, 0xff, TSS_SIZE - TSS_IOMAP);
    for (unsigned p = 0x10; p < 0x30; p++)
        t[TSS_IOMAP + p / 8] &= (uint8_t)~(1u << (p % 8));
    uint64_t *idt = (uint64_t *)(m + G_IDT);
    for (unsigned vec = 0; vec < 32; vec++) {
        uint8_t code[8] = {0xe6, (uint8_t)(P_EXC + vec), 0xf4, 0xeb, 0xfd};
        memcpy(m + G_EXC + vec * 8, code, 8);
        uint64_t off = G_EXC + vec * 8;
        idt[vec * 2] = (off & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) |
                       (((off >> 16) & 0xffff) << 48);
        idt[vec * 2 + 1] = 0;
    }
}

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code, int dpl)
{
    *s = (struct kvm_segment){.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
                              .present = 1, .dpl = (uint8_t)dpl, .db = code ? 0 : 1, .s = 1,
                              .l = code ? 1 : 0, .g = 1};
}

static void vm_set_sregs(struct vm *v, int cpl)
{
    struct kvm_sregs sr;
    if (ioctl(v->vcpu, KVM_GET_SREGS, &sr) < 0)
        die("KVM_GET_SREGS");
    sr.cr0 = 0x80010033; /* PG WP NE ET MP PE */
    sr.cr3 = G_PML4;
    sr.cr4 = 0x620;      /* OSXMMEXCPT OSFXSR PAE */
    sr.efer = 0xd01;     /* NXE LMA LME SCE */
    if (cpl == 3) {
        seg(&sr.cs, 0x23, 11, true, 3);
        seg(&sr.ss, 0x1b, 3, false, 3);
    } else {
        seg(&sr.cs, 0x08, 11, true, 0);
        seg(&sr.ss, 0x10, 3, false, 0);
    }
    sr.ds = sr.es = sr.fs = sr.gs = sr.ss;
    sr.tr = (struct kvm_segment){.base = G_TSS, .limit = TSS_SIZE - 1, .selector = 0x28,
                                 .type = 11, .present = 1};
    sr.ldt = (struct kvm_segment){.type = 2, .present = 1, .limit = 0xffff};
    sr.gdt.base = G_GDT;
    sr.gdt.limit = 7 * 8 - 1;
    sr.idt.base = G_IDT;
    sr.idt.limit = 32 * 16 - 1;
    if (ioctl(v->vcpu, KVM_SET_SREGS, &sr) < 0)
        die("KVM_SET_SREGS");
}

static void vm_set_regs_rsi(struct vm *v, uint64_t rip, uint64_t rdi, uint64_t rsi)
{
    struct kvm_regs r;
    memset(&r, 0, sizeof(r));
    r.rsi = rsi;
    r.rip = rip;
    r.rsp = G_USTACK;
    r.rflags = 0x2;
    r.rdi = rdi;
    if (ioctl(v->vcpu, KVM_SET_REGS, &r) < 0)
        die("KVM_SET_REGS");
}

static void vm_set_regs(struct vm *v, uint64_t rip, uint64_t rdi)
{
    vm_set_regs_rsi(v, rip, rdi, 0);
}

/* Guest TSC = host TSC: the ukmon setting that lets both sides time one event. */
static void vm_tsc_offset_zero(struct vm *v)
{
    uint64_t off = 0;
    struct kvm_device_attr a = {.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
                                .addr = (uint64_t)(uintptr_t)&off};
    if (ioctl(v->vcpu, KVM_SET_DEVICE_ATTR, &a) < 0)
        printf("# KVM_VCPU_TSC_OFFSET: %s (guest/host TSC legs are then meaningless)\n",
               strerror(errno));
}

static void vm_new(struct vm *v, uint64_t mem_size, int cpl)
{
    memset(v, 0, sizeof(*v));
    v->mem_size = mem_size;
    v->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (v->mem == MAP_FAILED)
        die("mmap guest memory");
    if ((v->fd = ioctl(kvm_fd, KVM_CREATE_VM, 0)) < 0)
        die("KVM_CREATE_VM");
    struct kvm_userspace_memory_region r = {.slot = 0, .memory_size = mem_size,
                                            .userspace_addr = (uint64_t)(uintptr_t)v->mem};
    if (ioctl(v->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        die("KVM_SET_USER_MEMORY_REGION");
    if ((v->vcpu = ioctl(v->fd, KVM_CREATE_VCPU, 0)) < 0)
        die("KVM_CREATE_VCPU");
    v->run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
    if (v->run == MAP_FAILED)
        die("mmap kvm_run");
    if (ioctl(v->vcpu, KVM_SET_CPUID2, cpuid) < 0)
        die("KVM_SET_CPUID2");
    vm_set_msrs(v, G_LSTAR);
    vm_tsc_offset_zero(v);
    vm_write_tables(v);
    vm_set_sregs(v, cpl);
    v->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
}

static void vm_free(struct vm *v)
{
    munmap(v->run, run_size);
    close(v->vcpu);
    close(v->fd);
    munmap(v->mem, v->mem_size);
}

static void vm_load(struct vm *v, const uint8_t *b, const uint8_t *e, uint64_t gpa)
{
    memcpy(v->mem + gpa, b, (size_t)(e - b));
}

/* One KVM_RUN; returns the port of an I/O exit, -1 for any other exit, -2 for EINTR. */
static int vm_run(struct vm *v)
{
    int r = ioctl(v->vcpu, KVM_RUN, 0);
    if (r < 0) {
        if (errno == EINTR)
            return -2;
        die("KVM_RUN");
    }
    if (v->run->exit_reason != KVM_EXIT_IO) {
        printf("# unexpected exit %u at rip 0x%llx\n", v->run->exit_reason,
               (unsigned long long)v->run->s.regs.regs.rip);
        return -1;
    }
    return v->run->io.port;
}

static const char *exc_note(int port)
{
    static char b[80];
    if (port >= P_EXC && port < P_EXC + 32) {
        snprintf(b, sizeof(b), "exception vector %d", port - P_EXC);
        return b;
    }
    snprintf(b, sizeof(b), "port 0x%x", port);
    return b;
}

/* ---- tests ---- */

static void test_caps(void)
{
    static const struct {
        int cap;
        const char *name;
    } caps[] = {
        {KVM_CAP_PRE_FAULT_MEMORY, "KVM_CAP_PRE_FAULT_MEMORY"},
        {KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
        {KVM_CAP_IOEVENTFD_ANY_LENGTH, "KVM_CAP_IOEVENTFD_ANY_LENGTH"},
        {KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
        {KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
        {KVM_CAP_SPLIT_IRQCHIP, "KVM_CAP_SPLIT_IRQCHIP"},
        {KVM_CAP_COALESCED_PIO, "KVM_CAP_COALESCED_PIO"},
        {KVM_CAP_COALESCED_MMIO, "KVM_CAP_COALESCED_MMIO"},
        {KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
        {KVM_CAP_SYNC_REGS, "KVM_CAP_SYNC_REGS"},
        {KVM_CAP_MEMORY_FAULT_INFO, "KVM_CAP_MEMORY_FAULT_INFO"},
        {KVM_CAP_USER_MEMORY2, "KVM_CAP_USER_MEMORY2"},
        {KVM_CAP_GUEST_MEMFD, "KVM_CAP_GUEST_MEMFD"},
        {KVM_CAP_VM_TYPES, "KVM_CAP_VM_TYPES"},
        {KVM_CAP_X86_DISABLE_EXITS, "KVM_CAP_X86_DISABLE_EXITS"},
        {KVM_CAP_DIRTY_LOG_RING, "KVM_CAP_DIRTY_LOG_RING"},
        {KVM_CAP_HALT_POLL, "KVM_CAP_HALT_POLL"},
        {KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM"},
        {KVM_CAP_NR_MEMSLOTS, "KVM_CAP_NR_MEMSLOTS"},
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        printf("# cap %-30s %d\n", caps[i].name, ioctl(kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap));
    /* Whatever the capability says, try the calls. */
    struct vm v;
    vm_new(&v, 64ULL << 20, 3);
    struct kvm_pre_fault_memory pf = {.gpa = G_TOUCH, .size = 1 << 20};
    int r = ioctl(v.vcpu, KVM_PRE_FAULT_MEMORY, &pf);
    printf("# KVM_PRE_FAULT_MEMORY (1 MiB): %s\n", r < 0 ? strerror(errno) : "ok");
    r = ioctl(v.fd, KVM_CREATE_IRQCHIP, 0);
    printf("# KVM_CREATE_IRQCHIP: %s\n", r < 0 ? strerror(errno) : "ok");
    int efd = eventfd(0, EFD_CLOEXEC);
    struct kvm_irqfd irqfd = {.fd = (uint32_t)efd, .gsi = 5};
    r = ioctl(v.fd, KVM_IRQFD, &irqfd);
    printf("# KVM_IRQFD (gsi 5): %s\n", r < 0 ? strerror(errno) : "ok");
    close(efd);
    vm_free(&v);
}

/*
 * The exit floor. immediate_exit: KVM_RUN that returns at once, no guest entry.
 * complete: KVM_RUN with immediate_exit right after an OUT exit (what ukmon does to
 * finish an OUT before fork). out3: a ring-3 OUT's exit and re-entry, split in legs.
 */
static void test_exit(void)
{
    struct vm v;
    vm_new(&v, 64ULL << 20, 3);
    double *us = calloc((size_t)nrep * 4, sizeof(double));
    double *a = us, *b = us + nrep, *c = us + 2 * nrep, *d = us + 3 * nrep;

    /* KVM_RUN with immediate_exit set before the vCPU ever ran. */
    v.run->immediate_exit = 1;
    for (int i = 0; i < nrep; i++) {
        int64_t t0 = now_ns();
        if (ioctl(v.vcpu, KVM_RUN, 0) == 0 || errno != EINTR)
            die("immediate_exit KVM_RUN did not return EINTR");
        a[i] = (now_ns() - t0) / 1e3;
    }
    v.run->immediate_exit = 0;
    report("kvm_run_immediate_exit", a, nrep);

    /* Register ioctls, as fork's state capture uses them. */
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    static struct kvm_xsave xs;
    for (int i = 0; i < nrep; i++) {
        int64_t t0 = now_ns();
        ioctl(v.vcpu, KVM_GET_REGS, &regs);
        int64_t t1 = now_ns();
        ioctl(v.vcpu, KVM_GET_SREGS, &sregs);
        int64_t t2 = now_ns();
        ioctl(v.vcpu, KVM_GET_XSAVE, &xs);
        int64_t t3 = now_ns();
        a[i] = (t1 - t0) / 1e3, b[i] = (t2 - t1) / 1e3, c[i] = (t3 - t2) / 1e3;
    }
    report("ioctl_get_regs", a, nrep);
    report("ioctl_get_sregs", b, nrep);
    report("ioctl_get_xsave", c, nrep);

    /* Ring-3 OUT with legs. */
    vm_load(&v, g_out_legs, g_out_legs_end, G_CODE);
    vm_set_regs(&v, G_CODE, (uint64_t)nrep + 1);
    int n = 0, port;
    int64_t tot0 = now_ns();
    for (int i = 0; i < nrep + 2; i++) {
        uint64_t t_enter = __rdtsc();
        port = vm_run(&v);
        uint64_t t_ret = __rdtsc();
        if (port != P_EXIT)
            break;
        const struct kvm_regs *r = &v.run->s.regs.regs;
        if (i > 0 && n < nrep) {
            a[n] = tsc_us(t_ret - r->r12);          /* OUT to KVM_RUN's return */
            b[n] = tsc_us(r->r13 - t_enter);        /* KVM_RUN's call to after the OUT */
            c[n] = tsc_us(t_ret - t_enter);         /* the whole KVM_RUN */
            n++;
        }
    }
    int64_t tot = now_ns() - tot0;
    report("out3_exit_leg(out->ioctl_return)", a, n);
    report("out3_entry_leg(ioctl_call->guest)", b, n);
    report("out3_kvm_run_round_trip", c, n);
    printf("# out3: %d exits in %.1f ms, %.2f us each, last exit %s\n", n, tot / 1e6,
           tot / 1e3 / (n + 2), exc_note(port));

    /* The same with an MMIO write instead of the OUT. */
    vm_load(&v, g_mmio_legs, g_mmio_legs_end, G_CODE);
    vm_set_regs_rsi(&v, G_CODE, (uint64_t)nrep + 1, G_MMIO);
    n = 0;
    for (int i = 0; i < nrep + 2; i++) {
        uint64_t t_enter = __rdtsc();
        int r = ioctl(v.vcpu, KVM_RUN, 0);
        uint64_t t_ret = __rdtsc();
        if (r < 0 || v.run->exit_reason != KVM_EXIT_MMIO) {
            printf("# mmio loop ended: %s, exit %u\n", r < 0 ? strerror(errno) : "ok",
                   v.run->exit_reason);
            break;
        }
        const struct kvm_regs *rg = &v.run->s.regs.regs;
        if (i > 0 && n < nrep) {
            a[n] = tsc_us(t_ret - rg->r12);
            b[n] = tsc_us(rg->r13 - t_enter);
            c[n] = tsc_us(t_ret - t_enter);
            n++;
        }
    }
    report("mmio3_exit_leg(write->ioctl_return)", a, n);
    report("mmio3_entry_leg(ioctl_call->guest)", b, n);
    report("mmio3_kvm_run_round_trip", c, n);

    /* Finishing an OUT exit without running the guest: ukmon's vcpu_complete_exit. */
    vm_load(&v, g_out_bare, g_out_bare_end, G_CODE);
    vm_set_regs(&v, G_CODE, (uint64_t)nrep + 10);
    n = 0;
    for (int i = 0; i < nrep && vm_run(&v) == P_EXIT; i++) {
        v.run->immediate_exit = 1;
        int64_t t0 = now_ns();
        int r = ioctl(v.vcpu, KVM_RUN, 0);
        int64_t t1 = now_ns();
        v.run->immediate_exit = 0;
        if (r == 0 || errno != EINTR)
            break;
        a[n++] = (t1 - t0) / 1e3;
    }
    report("kvm_run_complete_out(immediate_exit)", a, n);

    /* Bare OUT loop at CPL3 and CPL0, timed per KVM_RUN. */
    for (int cpl = 3; cpl >= 0; cpl -= 3) {
        vm_set_sregs(&v, cpl);
        vm_load(&v, g_out_bare, g_out_bare_end, G_CODE);
        vm_set_regs(&v, G_CODE, (uint64_t)nrep + 1);
        n = 0;
        for (int i = 0; i < nrep + 2; i++) {
            int64_t t0 = now_ns();
            port = vm_run(&v);
            int64_t t1 = now_ns();
            if (port != P_EXIT)
                break;
            if (i > 0 && n < nrep)
                d[n++] = (t1 - t0) / 1e3;
        }
        report(cpl ? "out_bare_cpl3_kvm_run" : "out_bare_cpl0_kvm_run", d, n);
        if (port != P_EXIT && port != P_DONE)
            printf("# out_bare cpl%d ended on %s\n", cpl, exc_note(port));
    }

    /* dec/jnz at CPL3 and CPL0: how guest ring-0 code runs here. */
    for (int cpl = 3; cpl >= 0; cpl -= 3) {
        uint64_t iters = cpl ? 10000000 : 2000;
        vm_set_sregs(&v, cpl);
        vm_load(&v, g_loop, g_loop_end, G_CODE);
        vm_set_regs(&v, G_CODE, iters);
        port = vm_run(&v);
        if (port != P_DONE) {
            printf("# loop cpl%d ended on %s\n", cpl, exc_note(port));
            continue;
        }
        const struct kvm_regs *r = &v.run->s.regs.regs;
        double per = tsc_us(r->r13 - r->r12) * 1e3 / (double)iters;
        printf("PROBE %-34s %9.3f %9.3f %9.3f ns\n",
               cpl ? "dec_jnz_iteration_cpl3" : "dec_jnz_iteration_cpl0", per, per, per);
    }
    free(us);
    vm_free(&v);
}

/*
 * SYSCALL: where it lands here (ring 0 or 3), what it costs with no exit, and the
 * ukmon Linux path (SYSCALL, the stub's OUT, SYSRET) split in legs.
 */
static void test_syscall(void)
{
    struct vm v;
    vm_new(&v, 64ULL << 20, 3);
    double *us = calloc((size_t)nrep * 5, sizeof(double));
    double *a = us, *b = us + nrep, *c = us + 2 * nrep, *d = us + 3 * nrep, *e = us + 4 * nrep;

    /* Where does it land? The stub's OUT tells, with CS as KVM reports it. */
    vm_load(&v, s_out_sysret, s_out_sysret_end, G_LSTAR);
    vm_load(&v, g_syscall_legs, g_syscall_legs_end, G_CODE);
    vm_set_regs(&v, G_CODE, 3);
    int port = vm_run(&v);
    const struct kvm_sregs *sr = &v.run->s.regs.sregs;
    int landing_cpl = sr->cs.selector & 3;
    printf("# SYSCALL landed at rip 0x%llx, CS 0x%x (CPL%d), exit on %s\n",
           (unsigned long long)v.run->s.regs.regs.rip, sr->cs.selector, landing_cpl,
           exc_note(port));
    port = vm_run(&v); /* the stub's SYSRET, then the next SYSCALL's OUT */
    printf("# after the stub's SYSRET: %s, CS 0x%x\n", exc_note(port),
           v.run->s.regs.sregs.cs.selector);
    bool sysret_works = port == P_EXIT;

    /* N SYSCALLs with no exit: stub = sysretq (or jmp *%rcx where SYSRET cannot run). */
    for (int variant = 0; variant < 2; variant++) {
        if (variant == 0 && !sysret_works)
            continue;
        vm_set_sregs(&v, 3);
        if (variant == 0)
            vm_load(&v, s_sysret, s_sysret_end, G_LSTAR);
        else
            vm_load(&v, s_jmp_rcx, s_jmp_rcx_end, G_LSTAR);
        vm_load(&v, g_syscall_loop, g_syscall_loop_end, G_CODE);
        int k = 0;
        for (int rep = 0; rep < 20; rep++) {
            uint64_t iters = 200;
            vm_set_regs(&v, G_CODE, iters);
            port = vm_run(&v);
            if (port != P_DONE) {
                printf("# syscall loop (%s) ended on %s\n", variant ? "jmp" : "sysret",
                       exc_note(port));
                break;
            }
            const struct kvm_regs *r = &v.run->s.regs.regs;
            a[k++] = tsc_us(r->r13 - r->r12) / (double)iters;
        }
        report(variant ? "syscall_roundtrip_noexit(jmp_rcx)" : "syscall_roundtrip_noexit(sysret)",
               a, k);
    }

    /* Cost of a TSC read in the stub (to subtract from the legs below). */
    if (sysret_works) {
        vm_set_sregs(&v, 3);
        vm_load(&v, s_tsc_tsc_sysret, s_tsc_tsc_sysret_end, G_LSTAR);
        vm_load(&v, g_syscall_loop, g_syscall_loop_end, G_CODE);
        int k = 0;
        vm_set_regs(&v, G_CODE, 1);
        for (int rep = 0; rep < 50; rep++) {
            vm_set_regs(&v, G_CODE, 1);
            if (vm_run(&v) != P_DONE)
                break;
            const struct kvm_regs *r = &v.run->s.regs.regs;
            a[k++] = tsc_us(r->r15 - r->r14);
        }
        report("stub_tsc_read_cost", a, k);
    }

    /* The ukmon Linux path with a bare stub, and with TSC reads in the stub. */
    for (int variant = 0; variant < 2; variant++) {
        vm_set_sregs(&v, 3);
        if (variant == 0)
            vm_load(&v, s_out_sysret, s_out_sysret_end, G_LSTAR);
        else
            vm_load(&v, s_tsc_out_sysret, s_tsc_out_sysret_end, G_LSTAR);
        vm_load(&v, g_syscall_legs, g_syscall_legs_end, G_CODE);
        vm_set_regs(&v, G_CODE, (uint64_t)nrep + 1);
        int n = 0;
        for (int i = 0; i < nrep + 2; i++) {
            uint64_t t_enter = __rdtsc();
            port = vm_run(&v);
            uint64_t t_ret = __rdtsc();
            if (port != P_EXIT)
                break;
            struct kvm_regs *r = &v.run->s.regs.regs;
            bool cpl3 = (v.run->s.regs.sregs.cs.selector & 3) == 3;
            if (i > 0 && n < nrep) {
                /* r13: after the previous call came back; r12: before this one. */
                if (variant == 0) {
                    a[n] = tsc_us(t_ret - r->r12);      /* SYSCALL .. ioctl returns */
                    b[n] = tsc_us(r->r13 - t_enter);    /* ioctl .. after SYSCALL */
                } else {
                    a[n] = tsc_us(r->r14 - r->r12);     /* SYSCALL .. stub's first insn */
                    b[n] = tsc_us(t_ret - r->r14);      /* stub .. ioctl returns */
                    if (cpl3) {  /* the monitor did SYSRET's work: straight back */
                        c[n] = tsc_us(r->r13 - t_enter);
                        d[n] = 0;
                    } else {
                        c[n] = tsc_us(r->r15 - t_enter); /* ioctl .. after the OUT */
                        d[n] = tsc_us(r->r13 - r->r15);  /* SYSRET .. back in ring 3 */
                    }
                }
                e[n] = tsc_us(t_ret - t_enter);
                n++;
            }
            if (cpl3) { /* SYSCALL stayed in ring 3: do what SYSRET would, as ukmon does */
                r->rip = r->rcx;
                r->rflags = r->r11 & 0x3c7fd7;
                r->rflags |= 2;
                v.run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
            }
        }
        if (variant == 0) {
            report("syscall_exit_leg(syscall->ioctl_return)", a, n);
            report("syscall_entry_leg(ioctl_call->after)", b, n);
            report("syscall_kvm_run_round_trip", e, n);
        } else {
            report("split:syscall->stub", a, n);
            report("split:stub_out->ioctl_return", b, n);
            report("split:ioctl_call->back_in_guest", c, n);
            report("split:sysret->ring3(0:done_by_monitor)", d, n);
            report("split:kvm_run_round_trip", e, n);
        }
        if (port != P_EXIT && port != P_DONE)
            printf("# syscall path ended on %s\n", exc_note(port));
    }
    free(us);
    vm_free(&v);
}

/* ioeventfd: an OUT the kernel answers by signalling an eventfd, no exit to us. */
static void test_ioeventfd(void)
{
    struct vm v;
    vm_new(&v, 64ULL << 20, 3);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct kvm_ioeventfd io = {.addr = P_EVENT, .len = 1, .fd = efd,
                               .flags = KVM_IOEVENTFD_FLAG_PIO};
    if (ioctl(v.fd, KVM_IOEVENTFD, &io) < 0) {
        printf("# KVM_IOEVENTFD (pio port 0x%x): %s\n", P_EVENT, strerror(errno));
        vm_free(&v);
        return;
    }
    vm_load(&v, g_event, g_event_end, G_CODE);
    double *us = calloc(20, sizeof(double));
    int k = 0, exits = 0;
    uint64_t iters = 500;
    for (int rep = 0; rep < 20; rep++) {
        vm_set_regs(&v, G_CODE, iters);
        int port;
        while ((port = vm_run(&v)) == P_EVENT)
            exits++;
        if (port != P_DONE) {
            printf("# ioeventfd loop ended on %s\n", exc_note(port));
            break;
        }
        const struct kvm_regs *r = &v.run->s.regs.regs;
        us[k++] = tsc_us(r->r13 - r->r12) / (double)iters;
    }
    uint64_t count = 0;
    if (read(efd, &count, 8) != 8)
        count = 0;
    printf("# ioeventfd: %d OUTs reached user space, eventfd counted %llu of %llu\n", exits,
           (unsigned long long)count, (unsigned long long)(iters * (uint64_t)k));
    report("ioeventfd_out(no_user_exit)", us, k);
    free(us);
    close(efd);
    vm_free(&v);
}

/*
 * VM birth, step by step, as ukmon does it for a new VM (not the fork(2) of the
 * monitor, and not the ELF: measured in ukmon itself).
 */
static void test_birth(uint64_t mem_size, const char *tag)
{
    enum { S_MMAP, S_CREATE_VM, S_SLOT, S_VCPU, S_RUN_MMAP, S_CPUID, S_MSRS, S_TSC, S_TABLES,
           S_SREGS, S_REGS, S_FPU, S_FIRST_RUN, S_SECOND_RUN, S_MUNMAP_RUN, S_CLOSE_VCPU,
           S_CLOSE_VM, S_MUNMAP_MEM, S_TOTAL, S_N };
    static const char *names[S_N] = {
        "mmap_guest_mem", "KVM_CREATE_VM", "KVM_SET_USER_MEMORY_REGION", "KVM_CREATE_VCPU",
        "mmap_kvm_run", "KVM_SET_CPUID2", "KVM_SET_MSRS", "TSC_offset_attr",
        "write_tables(host_memcpy)", "KVM_SET_SREGS(+GET)", "KVM_SET_REGS", "KVM_SET_FPU",
        "first_KVM_RUN_to_OUT", "second_KVM_RUN_to_OUT", "munmap_kvm_run", "close_vcpu",
        "close_vm", "munmap_guest_mem", "total"};
    int reps = nrep > 50 ? 50 : nrep;
    double *us = calloc((size_t)S_N * reps, sizeof(double));
    for (int i = 0; i < reps; i++) {
        int64_t t[S_N + 1];
        struct vm v;
        memset(&v, 0, sizeof(v));
        v.mem_size = mem_size;
        t[0] = now_ns();
        v.mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        t[1] = now_ns();
        v.fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
        t[2] = now_ns();
        struct kvm_userspace_memory_region r = {.slot = 0, .memory_size = mem_size,
                                                .userspace_addr = (uint64_t)(uintptr_t)v.mem};
        if (v.fd < 0 || ioctl(v.fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
            die("birth: VM");
        t[3] = now_ns();
        v.vcpu = ioctl(v.fd, KVM_CREATE_VCPU, 0);
        t[4] = now_ns();
        v.run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu, 0);
        t[5] = now_ns();
        if (ioctl(v.vcpu, KVM_SET_CPUID2, cpuid) < 0)
            die("birth: cpuid");
        t[6] = now_ns();
        vm_set_msrs(&v, G_LSTAR);
        t[7] = now_ns();
        vm_tsc_offset_zero(&v);
        t[8] = now_ns();
        vm_write_tables(&v);
        vm_load(&v, g_first, g_first_end, G_CODE);
        t[9] = now_ns();
        vm_set_sregs(&v, 3);
        t[10] = now_ns();
        vm_set_regs(&v, G_CODE, 0);
        t[11] = now_ns();
        struct kvm_fpu fpu;
        memset(&fpu, 0, sizeof(fpu));
        fpu.fcw = 0x37f;
        fpu.mxcsr = 0x1f80;
        ioctl(v.vcpu, KVM_SET_FPU, &fpu);
        t[12] = now_ns();
        int p1 = vm_run(&v);
        t[13] = now_ns();
        int p2 = vm_run(&v);
        t[14] = now_ns();
        if (p1 != P_EXIT || p2 != P_EXIT)
            printf("# birth: first exits on 0x%x, 0x%x\n", p1, p2);
        munmap(v.run, run_size);
        t[15] = now_ns();
        close(v.vcpu);
        t[16] = now_ns();
        close(v.fd);
        t[17] = now_ns();
        munmap(v.mem, mem_size);
        t[18] = now_ns();
        for (int s = 0; s < S_TOTAL; s++)
            us[s * reps + i] = (t[s + 1] - t[s]) / 1e3;
        us[S_TOTAL * reps + i] = (t[18] - t[0]) / 1e3;
    }
    for (int s = 0; s < S_N; s++) {
        char name[80];
        snprintf(name, sizeof(name), "birth%s:%s", tag, names[s]);
        report(name, us + s * reps, reps);
    }
    free(us);
}

/*
 * First touches: the guest writes one byte per 4 KiB page of a 16 MiB range, in a
 * VM whose memory is fresh, pre-touched by the monitor (memset), pre-faulted by
 * KVM_PRE_FAULT_MEMORY, or already touched by the guest once. Per page.
 */
static void test_touch(void)
{
    const uint64_t range = 16ULL << 20;
    static const char *names[] = {"fresh_4k", "fresh_thp", "monitor_memset_4k",
                                  "monitor_memset_thp", "pre_fault_memory_4k",
                                  "second_pass_4k", "fresh_4k_every_8th",
                                  "monitor_memset_4k_every_8th"};
    for (int mode = 0; mode < 8; mode++) {
        double ms[5];
        /* Every 8th page: no neighbour KVM could map along with the one touched. */
        uint64_t stride = mode >= 6 ? 8 * 4096 : 4096, n = range / stride;
        double us[5];
        int k = 0;
        for (int rep = 0; rep < 5; rep++) {
            struct vm v;
            vm_new(&v, 64ULL << 20, 3);
            bool thp = mode == 1 || mode == 3;
            madvise(v.mem + G_TOUCH, range, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
            vm_load(&v, g_touch, g_touch_end, G_CODE);
            /* The first entry itself faults in code, stack, tables: pay it first. */
            vm_load(&v, g_first, g_first_end, G_CODE + 0x1000);
            vm_set_regs(&v, G_CODE + 0x1000, 0);
            vm_run(&v);
            int64_t m0 = now_ns();
            if (mode == 2 || mode == 3 || mode == 7)
                memset(v.mem + G_TOUCH, 0, range);
            double memset_us = (now_ns() - m0) / 1e3;
            if (mode == 4) {
                struct kvm_pre_fault_memory pf = {.gpa = G_TOUCH, .size = range};
                if (ioctl(v.vcpu, KVM_PRE_FAULT_MEMORY, &pf) < 0) {
                    printf("# touch pre_fault_memory: %s\n", strerror(errno));
                    vm_free(&v);
                    break;
                }
            }
            struct kvm_regs r;
            memset(&r, 0, sizeof(r));
            r.rip = G_CODE, r.rsp = G_USTACK, r.rflags = 2, r.rdi = n, r.rsi = G_TOUCH;
            r.r8 = stride;
            if (mode == 5) {
                ioctl(v.vcpu, KVM_SET_REGS, &r);
                if (vm_run(&v) != P_DONE)
                    printf("# touch: first pass did not end\n");
            }
            ioctl(v.vcpu, KVM_SET_REGS, &r);
            int64_t t0 = now_ns();
            int port = vm_run(&v);
            int64_t t1 = now_ns();
            if (port != P_DONE) {
                printf("# touch %s ended on %s\n", names[mode], exc_note(port));
                vm_free(&v);
                break;
            }
            us[k] = (t1 - t0) / 1e3 / (double)n;
            ms[k++] = memset_us / (double)n;
            vm_free(&v);
        }
        char name[80];
        snprintf(name, sizeof(name), "touch_per_page:%s", names[mode]);
        report(name, us, k);
        if (mode == 2 || mode == 3 || mode == 7) {
            snprintf(name, sizeof(name), "touch_per_page:%s(the_memset)", names[mode]);
            report(name, ms, k);
        }
    }
}

static bool want(int argc, char **argv, int first, const char *name)
{
    if (first >= argc)
        return true;
    for (int i = first; i < argc; i++)
        if (!strcmp(argv[i], name))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "-n")) {
        nrep = atoi(argv[2]);
        first = 3;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if ((kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0)
        die("/dev/kvm");
    run_size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    for (int n = 64;; n *= 2) {
        cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(cpuid->entries[0]));
        cpuid->nent = (uint32_t)n;
        if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
            break;
        if (errno != E2BIG || n > 4096)
            die("KVM_GET_SUPPORTED_CPUID");
        free(cpuid);
    }
    int64_t n0 = now_ns();
    uint64_t c0 = __rdtsc();
    usleep(50000);
    tsc_per_us = (double)(__rdtsc() - c0) / ((now_ns() - n0) / 1e3);
    printf("# TSC %.1f MHz; %d repetitions\n", tsc_per_us, nrep);
    if (want(argc, argv, first, "caps"))
        test_caps();
    if (want(argc, argv, first, "exit"))
        test_exit();
    if (want(argc, argv, first, "syscall"))
        test_syscall();
    if (want(argc, argv, first, "ioeventfd"))
        test_ioeventfd();
    if (want(argc, argv, first, "birth")) {
        test_birth(64ULL << 20, "64M");
        test_birth(1ULL << 30, "1G");
    }
    if (want(argc, argv, first, "touch"))
        test_touch();
    return 0;
}
