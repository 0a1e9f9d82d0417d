/* kvm.c: /dev/kvm, the VM, its memory slot and its vCPUs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm/vmm.h"
#include "personality.h"
#include "profile.h"

_Thread_local struct vcpu *vcpu_tls;

/*
 * For signal handlers, which run on whichever thread the host picked: kvm_kick()
 * makes a KVM_RUN of that thread's vCPU, in progress or about to start, return at
 * once (another thread's vCPU is kicked with a signal of its own: kernel/thread.c).
 */
void kvm_kick(void)
{
    struct vcpu *c = vcpu_tls;
    if (!c)
        return;
    struct kvm_run *run = c->run;
    if (run)
        run->immediate_exit = 1;
    __atomic_fetch_add(&c->kick_count, 1, __ATOMIC_SEQ_CST); /* one locked add: signal-safe */
}

/* The calling thread's kick counter: its address, for the host's futex (futex.c). */
uint32_t *kvm_kick_word(void)
{
    static uint32_t none;
    struct vcpu *c = vcpu_tls;
    return c ? &c->kick_count : &none;
}

/* Per process: fetched once, inherited by forked monitors with the rest of memory. */
static struct kvm_cpuid2 *supported_cpuid;
static int vcpu_mmap_size;

static int kvm_ioctl_retry(int fd, unsigned long req, unsigned long arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

static int kvm_need_cap(struct ukmon_vm *vm, int cap, const char *what)
{
    if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0)
        return vm_fail(vm, UKMON_ENOKVM, "/dev/kvm: this host's KVM lacks %s", what);
    return 0;
}

/* From the host's cache (cpuid_cache.c) when it holds this KVM's answer. */
static int kvm_fetch_cpuid(struct ukmon_vm *vm)
{
    if (supported_cpuid)
        return 0;
    if ((supported_cpuid = cpuid_cache_load(vm->kvm_fd))) {
        cpuid_leaf2_from_leaf4(supported_cpuid);
        return 0;
    }
    for (int n = 64; n <= 4096; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
        if (!c)
            return vm_fail(vm, -ENOMEM, "out of memory");
        c->nent = n;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            supported_cpuid = c;
            cpuid_cache_store(vm->kvm_fd, c); /* KVM's answer as it is */
            cpuid_leaf2_from_leaf4(c);
            return 0;
        }
        int e = errno;
        free(c);
        if (e != E2BIG)
            return vm_fail(vm, UKMON_ENOKVM, "KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
    }
    return vm_fail(vm, UKMON_ENOKVM, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

int kvm_open_dev(struct ukmon_vm *vm)
{
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            return vm_fail(vm, UKMON_ENOKVM,
                           "/dev/kvm: %s (KVM is not available: load kvm_intel or "
                           "kvm_amd, or enable nested virtualization)", strerror(e));
        if (e == EACCES || e == EPERM)
            return vm_fail(vm, -e, "/dev/kvm: permission denied (run as root or join "
                           "the group that owns /dev/kvm, usually 'kvm')");
        return vm_fail(vm, -e, "/dev/kvm: %s", strerror(e));
    }
    int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (api < 0)
        return vm_fail(vm, UKMON_ENOKVM, "/dev/kvm: not a KVM device (%s)", strerror(errno));
    if (api != KVM_API_VERSION)
        return vm_fail(vm, UKMON_ENOKVM, "/dev/kvm: API version %d, ukmon needs %d", api,
                       KVM_API_VERSION);
    int r;
    if ((r = kvm_need_cap(vm, KVM_CAP_USER_MEMORY, "user memory slots")) ||
        (r = kvm_need_cap(vm, KVM_CAP_EXT_CPUID, "KVM_SET_CPUID2")) ||
        (r = kvm_need_cap(vm, KVM_CAP_IMMEDIATE_EXIT, "immediate exit")) ||
        (r = kvm_need_cap(vm, KVM_CAP_SYNC_REGS, "registers synced in kvm_run")))
        return r;
    vm->has_xsave = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
    vm->vcpus_max = kvm_max_vcpus(vm); /* asked now: the sandbox forbids it later */
    if (!vcpu_mmap_size) {
        vcpu_mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
        if (vcpu_mmap_size < (int)sizeof(struct kvm_run))
            return vm_fail(vm, UKMON_ENOKVM, "KVM_GET_VCPU_MMAP_SIZE: %s",
                           vcpu_mmap_size < 0 ? strerror(errno) : "too small");
    }
    return kvm_fetch_cpuid(vm);
}

/*
 * Guest memory reaches KVM in chunks of GL_SLOT_CHUNK, one memory slot each, and only
 * the chunks the guest uses: under a shadow-paging backend KVM allocates and zeroes
 * its reverse map for every page of a slot (measured here: 0.15 ms per GiB at birth,
 * 0.06 ms at the end), and every VM is born again at each fork. A chunk is registered
 * when a mapping reaches it (addrspace.c), or when the guest first touches a page of
 * it that it may use without asking (a unikernel's heap): until then the chunk is
 * not present in the guest's page tables either, the touch is a page fault, and the
 * run loop registers the chunk and runs the instruction again (vcpu_loop.c). Slot
 * number = chunk number.
 */
_Static_assert(UKMON_MEM_MAX / GL_SLOT_CHUNK <= 128, "kvm_chunks holds 128 bits");

static int kvm_set_chunk(struct ukmon_vm *vm, unsigned c)
{
    uint64_t lo = (uint64_t)c * GL_SLOT_CHUNK;
    uint64_t size = vm->mem_size - lo < GL_SLOT_CHUNK ? vm->mem_size - lo : GL_SLOT_CHUNK;
    struct kvm_userspace_memory_region region = {
        .slot = c,
        .guest_phys_addr = lo,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)(vm->mem + lo),
    };
    return kvm_ioctl_retry(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, (unsigned long)&region) < 0
               ? -errno : 0;
}

bool kvm_covered(const struct ukmon_vm *vm, uint64_t gpa)
{
    uint64_t c = gpa / GL_SLOT_CHUNK;
    return gpa < vm->mem_size && (vm->kvm_chunks[c / 64] >> (c % 64) & 1);
}

/*
 * Makes [lo, hi) guest memory KVM knows: the chunks it touches are registered (or,
 * before the VM exists, noted for kvm_create_machine()). 0 or -errno.
 */
int kvm_cover(struct ukmon_vm *vm, uint64_t lo, uint64_t hi)
{
    if (hi > vm->mem_size)
        hi = vm->mem_size;
    for (uint64_t c = lo / GL_SLOT_CHUNK; lo < hi && c <= (hi - 1) / GL_SLOT_CHUNK; c++) {
        if (vm->kvm_chunks[c / 64] >> (c % 64) & 1)
            continue;
        if (vm->vm_fd >= 0) {
            int r = kvm_set_chunk(vm, (unsigned)c);
            if (r < 0)
                return r;
        }
        vm->kvm_chunks[c / 64] |= 1ULL << (c % 64);
        boot_map_chunk(vm, c);
    }
    return 0;
}

/* Creates the VM and registers the chunks of guest memory in use (a forked child: its parent's). */
int kvm_create_machine(struct ukmon_vm *vm)
{
    vm->vm_fd = kvm_ioctl_retry(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return vm_fail(vm, -errno, "KVM_CREATE_VM: %s", strerror(errno));
    PROF_MARK("kvm: KVM_CREATE_VM");
    /* CLOEXEC: nothing we start may inherit KVM objects. */
    fcntl(vm->vm_fd, F_SETFD, FD_CLOEXEC);
    for (unsigned c = 0; c * GL_SLOT_CHUNK < vm->mem_size; c++) {
        if (!(vm->kvm_chunks[c / 64] >> (c % 64) & 1))
            continue;
        int r = kvm_set_chunk(vm, c);
        if (r < 0)
            return vm_fail(vm, r, "KVM_SET_USER_MEMORY_REGION (%llu MiB at %llu MiB): %s",
                           (unsigned long long)(GL_SLOT_CHUNK >> 20),
                           (unsigned long long)((uint64_t)c * GL_SLOT_CHUNK >> 20),
                           strerror(-r));
    }
    PROF_MARK("kvm: KVM_SET_USER_MEMORY_REGION");
    return 0;
}

/*
 * XSAVE features the guest may enable: what KVM supports (CPUID 0xD.0) among x87, SSE,
 * AVX and AVX-512; not MPX, PKRU or AMX, which need more than a register to work.
 * 0 when the CPU has no XSAVE.
 */
static uint64_t kvm_guest_xcr0(void)
{
    bool xsave = false;
    uint64_t supported = 0;
    for (uint32_t i = 0; i < supported_cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &supported_cpuid->entries[i];
        if (e->function == 1)
            xsave = (e->ecx >> 26) & 1;
        if (e->function == 0xd && e->index == 0)
            supported = e->eax | ((uint64_t)e->edx << 32);
    }
    return xsave ? supported & 0xe7 : 0;
}

static int kvm_set_xcr0(struct ukmon_vm *vm, struct vcpu *c)
{
    if (!vm->xcr0)
        return 0;
    struct kvm_xcrs xcrs;
    memset(&xcrs, 0, sizeof(xcrs));
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = vm->xcr0;
    if (ioctl(c->fd, KVM_SET_XCRS, &xcrs) < 0)
        return vm_fail(vm, -errno, "KVM_SET_XCRS: %s", strerror(errno));
    return 0;
}

/*
 * SYSCALL lands on the personality's stub (LSTAR), in ring 0 (STAR: kernel CS 0x08;
 * SYSRET back to user SS 0x1b, CS 0x23), with interrupts, traps, direction and
 * alignment checks masked as Linux masks them.
 */
static int kvm_set_syscall_msrs(struct ukmon_vm *vm, struct vcpu *c)
{
    union {
        struct kvm_msrs hdr;
        uint8_t bytes[sizeof(struct kvm_msrs) + 3 * sizeof(struct kvm_msr_entry)];
    } m;
    memset(&m, 0, sizeof(m));
    m.hdr.nmsrs = 3;
    m.hdr.entries[0] = (struct kvm_msr_entry){.index = 0xc0000081,
                                              .data = (0x10ULL << 48) | (0x08ULL << 32)};
    m.hdr.entries[1] = (struct kvm_msr_entry){.index = 0xc0000082,
                                              .data = vm->pers->syscall_entry};
    m.hdr.entries[2] = (struct kvm_msr_entry){.index = 0xc0000084, .data = 0x47700};
    if (ioctl(c->fd, KVM_SET_MSRS, &m) != 3)
        return vm_fail(vm, -EIO, "KVM_SET_MSRS (SYSCALL entry): refused");
    return 0;
}

int kvm_cpuid_leaf(uint32_t fn, uint32_t index, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
                   uint32_t *edx)
{
    *eax = *ebx = *ecx = *edx = 0;
    for (uint32_t i = 0; supported_cpuid && i < supported_cpuid->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &supported_cpuid->entries[i];
        if (e->function == fn && e->index == index) {
            *eax = e->eax, *ebx = e->ebx, *ecx = e->ecx, *edx = e->edx;
            return 0;
        }
    }
    return -1;
}

/*
 * execve into the same vCPU: what boot_set_initial_vcpu() does not set goes back to
 * how a new vCPU has it (the XSAVE area: AVX and above; x87/SSE are set there), and
 * the SYSCALL MSRs follow the new program's personality.
 */
int kvm_reset_vcpu(struct ukmon_vm *vm)
{
    static struct kvm_xsave clean; /* a zero XSAVE header: every component in its init state */
    struct vcpu *c = vcpu_cur(vm);
    if (vm->has_xsave && ioctl(c->fd, KVM_SET_XSAVE, &clean) < 0)
        return vm_fail(vm, -errno, "KVM_SET_XSAVE: %s", strerror(errno));
    c->run->kvm_dirty_regs = 0;
    return vm->pers->syscall_entry ? kvm_set_syscall_msrs(vm, c) : 0;
}

/*
 * Makes vCPU c->index of the VM (KVM_CREATE_VCPU) with what every vCPU of ours has:
 * its kvm_run, the CPUID, XCR0, the SYSCALL MSRs of the personality, the TSC offset.
 */
int kvm_create_vcpu(struct ukmon_vm *vm, struct vcpu *c)
{
    c->fd = kvm_ioctl_retry(vm->vm_fd, KVM_CREATE_VCPU, c->index);
    if (c->fd < 0)
        return vm_fail(vm, -errno, "KVM_CREATE_VCPU: %s", strerror(errno));
    PROF_MARK("kvm: KVM_CREATE_VCPU");
    fcntl(c->fd, F_SETFD, FD_CLOEXEC);
    void *run = mmap(NULL, vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
    if (run == MAP_FAILED)
        return vm_fail(vm, -errno, "mmap of kvm_run: %s", strerror(errno));
    c->run = run;
    c->run_size = vcpu_mmap_size;
    /*
     * Registers come with every exit in kvm_run, and changes go back the same way: no
     * KVM_GET_REGS/KVM_SET_REGS ioctl on the hypercall and system-call paths.
     */
    c->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
    /* A forked monitor builds its own vCPU; the parent's kvm_run is useless to it. */
    madvise(run, vcpu_mmap_size, MADV_DONTFORK);
    PROF_MARK("kvm: mmap of kvm_run, MADV_DONTFORK");
    if (ioctl(c->fd, KVM_SET_CPUID2, supported_cpuid) < 0)
        return vm_fail(vm, -errno, "KVM_SET_CPUID2: %s", strerror(errno));
    PROF_MARK("kvm: KVM_SET_CPUID2");
    /* A forked child or an exec'd program gets the same as the first VM of the tree. */
    vm->xcr0 = kvm_guest_xcr0();
    int r;
    if ((r = kvm_set_xcr0(vm, c)) ||
        (vm->pers->syscall_entry && (r = kvm_set_syscall_msrs(vm, c))))
        return r;
    PROF_MARK("kvm: KVM_SET_XCRS, KVM_SET_MSRS");
    r = kvm_set_tsc_offset_zero(vm, c);
    PROF_MARK("kvm: TSC offset (+probe, TSC kHz)");
    return r;
}

/* The most vCPUs KVM gives one VM (KVM_CAP_MAX_VCPUS), at most VCPUS_MAX. */
unsigned kvm_max_vcpus(struct ukmon_vm *vm)
{
    int n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (n <= 0)
        n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    if (n <= 0)
        n = 4; /* the API's promise when neither is there */
    return n < VCPUS_MAX ? (unsigned)n : VCPUS_MAX;
}

/*
 * Guest TSC = host TSC in every VM of a tree, so that the guest can read the clock
 * with rdtsc (no exit) and a forked child's clock continues its parent's exactly.
 * Older kernels lack the attribute: the guest then reads clocks by hypercall.
 */
int kvm_set_tsc_offset_zero(struct ukmon_vm *vm, struct vcpu *c)
{
    uint64_t offset = 0;
    struct kvm_device_attr attr = {
        .group = KVM_VCPU_TSC_CTRL,
        .attr = KVM_VCPU_TSC_OFFSET,
        .addr = (uint64_t)(uintptr_t)&offset,
    };
    /* A forked child knows the answer from its parent: one ioctl less before it runs. */
    if (!vm->tsc_probed) {
        vm->has_tsc_offset_attr = ioctl(c->fd, KVM_HAS_DEVICE_ATTR, &attr) == 0;
        vm->tsc_probed = true;
    }
    if (vm->has_tsc_offset_attr && ioctl(c->fd, KVM_SET_DEVICE_ATTR, &attr) < 0)
        return vm_fail(vm, -errno, "setting the TSC offset: %s", strerror(errno));
    if (!vm->tsc_khz) {
        int khz = ioctl(c->fd, KVM_GET_TSC_KHZ, 0);
        vm->tsc_khz = khz > 0 ? khz : 0;
    }
    return 0;
}

/* A forked monitor: its parent's kvm_runs are not mapped in this process. */
void kvm_forget_parent(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < VCPUS_MAX; i++)
        if (vm->vcpus[i])
            vm->vcpus[i]->run = NULL;
}

/* A vCPU's KVM objects go (the VM keeps the vCPU itself until it goes too). */
void kvm_close_vcpu(struct vcpu *c)
{
    struct kvm_run *run = c->run;
    c->run = NULL; /* before the mapping goes: a kick reads it */
    if (run)
        munmap(run, c->run_size);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

void kvm_close_machine(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < VCPUS_MAX; i++)
        if (vm->vcpus[i])
            kvm_close_vcpu(vm->vcpus[i]);
    if (vm->vm_fd >= 0)
        close(vm->vm_fd);
    vm->vm_fd = -1;
}

const char *kvm_exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_UNKNOWN: return "unknown";
    case KVM_EXIT_EXCEPTION: return "exception";
    case KVM_EXIT_IO: return "port I/O";
    case KVM_EXIT_HYPERCALL: return "hypercall instruction";
    case KVM_EXIT_DEBUG: return "debug";
    case KVM_EXIT_HLT: return "hlt";
    case KVM_EXIT_MMIO: return "MMIO";
    case KVM_EXIT_SHUTDOWN: return "shutdown (triple fault)";
    case KVM_EXIT_FAIL_ENTRY: return "failed VM entry";
    case KVM_EXIT_INTR: return "interrupted";
    case KVM_EXIT_INTERNAL_ERROR: return "KVM internal error";
    case KVM_EXIT_SYSTEM_EVENT: return "system event";
    default: return "unexpected";
    }
}
