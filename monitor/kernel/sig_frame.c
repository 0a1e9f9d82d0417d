/* sig_frame.c: the frame a signal handler runs on (Linux's x86-64 rt_sigframe), and its return. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kernel/sig.h"
#include "kvm/vmm.h"

/*
 * The layout is the kernel's (arch/x86/include/uapi/asm/sigcontext.h, ucontext.h and
 * signal.c's rt_sigframe), so that C libraries and debuggers reading a ucontext find
 * what they expect. The handler's %rsp points at pretcode.
 */
struct fr_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;             /* guest address of the FP state, or 0 */
    uint64_t reserved[8];
};

struct fr_stack {
    uint64_t sp;
    int32_t flags;
    int32_t pad;
    uint64_t size;
};

struct fr_ucontext {
    uint64_t flags;
    uint64_t link;
    struct fr_stack stack;
    struct fr_sigcontext mc;
    uint64_t sigmask;
};

struct fr_siginfo {
    int32_t signo, errnum, code, pad;
    union {
        struct { int32_t pid; uint32_t uid; uint64_t value; } kill;      /* and rt */
        struct { int32_t tid, overrun; uint64_t value; } timer;
        struct { int32_t pid; uint32_t uid; int32_t status, pad; int64_t utime, stime; } chld;
        struct { uint64_t addr; } fault;
        uint8_t raw[112];
    } u;
};

struct fr_frame {
    uint64_t pretcode;
    struct fr_ucontext uc;
    struct fr_siginfo info;
};

_Static_assert(sizeof(struct fr_sigcontext) == 256, "sigcontext is 256 bytes");
_Static_assert(sizeof(struct fr_ucontext) == 304, "ucontext is 304 bytes");
_Static_assert(sizeof(struct fr_siginfo) == 128, "siginfo is 128 bytes");
_Static_assert(sizeof(struct fr_frame) == 440, "rt_sigframe is 440 bytes");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define RED_ZONE 128
#define FXSAVE_SIZE 512
#define XSAVE_HDR_END 576
#define FP_MAGIC1 0x46505853U     /* "FPXS", in the FXSAVE area's software bytes */
#define FP_MAGIC2 0x46505845U     /* "FPXE", just after the XSAVE area */
#define FP_SW_BYTES 464           /* where the software bytes are in the FXSAVE area */
#define RFLAGS_TF 0x100ULL
#define RFLAGS_DF 0x400ULL
#define RFLAGS_RF 0x10000ULL
#define MXCSR_OFFSET 24

struct fr_sw_bytes {
    uint32_t magic1, extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size, pad[7];
};

/* Bytes of XSAVE state for the guest's XCR0 (512 when it has FXSAVE only). */
static uint32_t xstate_size(const struct ukmon_vm *vm)
{
    if (!vm->has_xsave || !vm->xcr0)
        return FXSAVE_SIZE;
    uint32_t size = XSAVE_HDR_END;
    for (unsigned i = 2; i < 64; i++) {
        uint32_t eax, ebx, ecx, edx;
        if (!(vm->xcr0 & (1ULL << i)) || kvm_cpuid_leaf(0xd, i, &eax, &ebx, &ecx, &edx) < 0)
            continue;
        if (ebx + eax > size)
            size = ebx + eax;
    }
    return size <= sizeof(((struct kvm_xsave *)0)->region) ? size : FXSAVE_SIZE;
}

/* The x87/SSE state as FXSAVE lays it out, from KVM_GET_FPU (a CPU without XSAVE). */
static void fpu_to_fxsave(const struct kvm_fpu *f, uint8_t *fx)
{
    memset(fx, 0, FXSAVE_SIZE);
    memcpy(fx + 0, &f->fcw, 2);
    memcpy(fx + 2, &f->fsw, 2);
    fx[4] = f->ftwx;
    memcpy(fx + 6, &f->last_opcode, 2);
    memcpy(fx + 8, &f->last_ip, 8);
    memcpy(fx + 16, &f->last_dp, 8);
    memcpy(fx + MXCSR_OFFSET, &f->mxcsr, 4);
    uint32_t mask = 0xffff;
    memcpy(fx + 28, &mask, 4);
    for (int i = 0; i < 8; i++)
        memcpy(fx + 32 + 16 * i, f->fpr[i], 16);
    memcpy(fx + 160, f->xmm, sizeof(f->xmm));
}

static void fxsave_to_fpu(const uint8_t *fx, struct kvm_fpu *f)
{
    memset(f, 0, sizeof(*f));
    memcpy(&f->fcw, fx + 0, 2);
    memcpy(&f->fsw, fx + 2, 2);
    f->ftwx = fx[4];
    memcpy(&f->last_opcode, fx + 6, 2);
    memcpy(&f->last_ip, fx + 8, 8);
    memcpy(&f->last_dp, fx + 16, 8);
    memcpy(&f->mxcsr, fx + MXCSR_OFFSET, 4);
    for (int i = 0; i < 8; i++)
        memcpy(f->fpr[i], fx + 32 + 16 * i, 16);
    memcpy(f->xmm, fx + 160, sizeof(f->xmm));
}

static struct kvm_xsave xs; /* 4 KiB: not on the stack; one vCPU per process */

/* Writes the vCPU's FP state to `out` (xstate_size bytes + the trailing magic). */
static int fp_save(struct ukmon_vm *vm, uint8_t *out, uint32_t size)
{
    if (vm->has_xsave) {
        if (ioctl(vcpu_cur(vm)->fd, KVM_GET_XSAVE, &xs) < 0)
            return -errno;
        memcpy(out, xs.region, size);
    } else {
        struct kvm_fpu f;
        if (ioctl(vcpu_cur(vm)->fd, KVM_GET_FPU, &f) < 0)
            return -errno;
        fpu_to_fxsave(&f, out);
    }
    if (size > FXSAVE_SIZE) {
        struct fr_sw_bytes sw = {FP_MAGIC1, size + 4, vm->xcr0, size, {0}};
        memcpy(out + FP_SW_BYTES, &sw, sizeof(sw));
        uint32_t m2 = FP_MAGIC2;
        memcpy(out + size, &m2, 4);
    } else {
        memset(out + FP_SW_BYTES, 0, FXSAVE_SIZE - FP_SW_BYTES);
    }
    return 0;
}

/*
 * Loads FP state: `fx` (size bytes: 512 for FXSAVE only) or, with fx NULL, the
 * state a new process starts with. Returns -EINVAL for state the CPU would refuse.
 */
static int fp_load(struct ukmon_vm *vm, const uint8_t *fx, uint32_t size)
{
    static const uint8_t init_fx[32] = {0x7f, 0x03, [MXCSR_OFFSET] = 0x80, 0x1f};
    if (fx) {
        uint32_t mxcsr;
        memcpy(&mxcsr, fx + MXCSR_OFFSET, 4);
        if (mxcsr & 0xffff0000U)
            return -EINVAL;
    }
    if (!vm->has_xsave) {
        struct kvm_fpu f;
        uint8_t buf[FXSAVE_SIZE] = {0};
        memcpy(buf, fx ? fx : init_fx, fx ? FXSAVE_SIZE : sizeof(init_fx));
        fxsave_to_fpu(buf, &f);
        return ioctl(vcpu_cur(vm)->fd, KVM_SET_FPU, &f) < 0 ? -errno : 0;
    }
    memset(&xs, 0, sizeof(xs));
    if (fx) {
        memcpy(xs.region, fx, size);
        uint64_t bv = 3; /* FXSAVE only: x87 and SSE, the rest in its initial state */
        if (size > FXSAVE_SIZE)
            memcpy(&bv, (uint8_t *)xs.region + FXSAVE_SIZE, 8);
        bv &= vm->xcr0 ? vm->xcr0 : 3;
        memset((uint8_t *)xs.region + FXSAVE_SIZE, 0, 64); /* header: no compaction */
        memcpy((uint8_t *)xs.region + FXSAVE_SIZE, &bv, 8);
        memset((uint8_t *)xs.region + FP_SW_BYTES, 0, FXSAVE_SIZE - FP_SW_BYTES);
    } else {
        memcpy(xs.region, init_fx, sizeof(init_fx));
        uint64_t bv = 2; /* MXCSR is part of the SSE component */
        memcpy((uint8_t *)xs.region + FXSAVE_SIZE, &bv, 8);
    }
    return ioctl(vcpu_cur(vm)->fd, KVM_SET_XSAVE, &xs) < 0 ? -errno : 0;
}

/* A siginfo_t as Linux lays it out (128 bytes), for frames and sigtimedwait. */
void sig_siginfo_out(const struct sig_info *si, void *out)
{
    struct fr_siginfo *fi = out;
    memset(fi, 0, sizeof(*fi));
    fi->signo = si->signo;
    fi->code = si->code;
    if (si->trapno || (si->code > 0 && si->code != SI_KERNEL && si->signo != SIGCHLD)) {
        fi->u.fault.addr = si->addr;
    } else if (si->code == SI_TIMER) {
        fi->u.timer.tid = si->timer;
        fi->u.timer.overrun = si->overrun;
        fi->u.timer.value = si->value;
    } else if (si->signo == SIGCHLD && si->code > 0) {
        fi->u.chld.pid = si->pid;
        fi->u.chld.uid = si->uid;
        fi->u.chld.status = si->status;
    } else {
        fi->u.kill.pid = si->pid;
        fi->u.kill.uid = si->uid;
    }
}

static void regs_to_mc(const struct kvm_regs *r, struct fr_sigcontext *mc)
{
    mc->r8 = r->r8, mc->r9 = r->r9, mc->r10 = r->r10, mc->r11 = r->r11;
    mc->r12 = r->r12, mc->r13 = r->r13, mc->r14 = r->r14, mc->r15 = r->r15;
    mc->rdi = r->rdi, mc->rsi = r->rsi, mc->rbp = r->rbp, mc->rbx = r->rbx;
    mc->rdx = r->rdx, mc->rax = r->rax, mc->rcx = r->rcx, mc->rsp = r->rsp;
    mc->rip = r->rip, mc->eflags = r->rflags;
    mc->cs = SEL_UCODE;
    mc->ss = SEL_UDATA;
}

static void mc_to_regs(const struct fr_sigcontext *mc, struct kvm_regs *r)
{
    r->r8 = mc->r8, r->r9 = mc->r9, r->r10 = mc->r10, r->r11 = mc->r11;
    r->r12 = mc->r12, r->r13 = mc->r13, r->r14 = mc->r14, r->r15 = mc->r15;
    r->rdi = mc->rdi, r->rsi = mc->rsi, r->rbp = mc->rbp, r->rbx = mc->rbx;
    r->rdx = mc->rdx, r->rax = mc->rax, r->rcx = mc->rcx, r->rsp = mc->rsp;
    r->rip = mc->rip;
    r->rflags = (mc->eflags & USER_RFLAGS) | RFLAGS_FIXED;
}

/*
 * Pushes the frame for `si` below ctx's stack (or on the alternate stack) and turns
 * ctx into the handler's entry state. Returns 0, or -1 with the VM's end set (no room
 * for the frame, no restorer), as Linux then kills the process with SIGSEGV.
 */
int sig_push_frame(struct ukmon_vm *vm, const struct sig_info *si,
                   const struct ukmon_sigaction *act, uint64_t oldmask, struct kvm_regs *ctx)
{
    const char *why = NULL;
    uint32_t fpsize = xstate_size(vm);
    uint64_t sp = ctx->rsp - RED_ZONE;
    bool on_alt = sig_on_altstack(vm, ctx->rsp);
    if ((act->flags & UKMON_SA_ONSTACK) && vcpu_cur(vm)->sig.ss_size && !on_alt) {
        sp = vcpu_cur(vm)->sig.ss_sp + vcpu_cur(vm)->sig.ss_size;
        on_alt = true;
    }
    uint64_t fp = (sp - (fpsize + (fpsize > FXSAVE_SIZE ? 4 : 0))) & ~63ULL;
    uint64_t frame = ((fp - sizeof(struct fr_frame)) & ~15ULL) - 8;
    uint64_t total = sp - frame;
    /* Built here, then written to the guest's stack in one fault-safe copy. */
    static uint8_t mem[sizeof(struct fr_frame) + sizeof(((struct kvm_xsave *)0)->region) + 128];
    if (!(act->flags & UKMON_SA_RESTORER))
        why = "its action has no restorer (SA_RESTORER)";
    else if (frame > sp || total > sp || (on_alt && frame < vcpu_cur(vm)->sig.ss_sp))
        why = "no room for its frame on the stack";
    else if (total > sizeof(mem) || !gmem_check(vm, frame, total, true))
        why = "its frame's stack is not writable memory";
    if (why) {
        vm_set_fault(vm, SIGSEGV, "cannot deliver %s (%d) at rip 0x%llx: %s (stack 0x%llx)",
                     sig_name(si->signo), si->signo, (unsigned long long)ctx->rip, why,
                     (unsigned long long)(on_alt ? sp : ctx->rsp));
        return -1;
    }
    int r = fp_save(vm, mem + (fp - frame), fpsize);
    if (r == 0)
        r = fp_load(vm, NULL, 0); /* the handler starts with a clean FP state, as on Linux */
    if (r < 0) {
        vm_set_fault(vm, SIGSEGV, "cannot deliver %s: saving the FP state: %s",
                     sig_name(si->signo), strerror(-r));
        return -1;
    }
    struct fr_frame f;
    memset(&f, 0, sizeof(f));
    f.pretcode = act->restorer;
    f.uc.flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpsize > FXSAVE_SIZE ? UC_FP_XSTATE : 0);
    f.uc.stack.sp = vcpu_cur(vm)->sig.ss_sp;
    f.uc.stack.size = vcpu_cur(vm)->sig.ss_size;
    f.uc.stack.flags = sig_on_altstack(vm, ctx->rsp) ? SS_ONSTACK : vcpu_cur(vm)->sig.ss_size ? 0 : SS_DISABLE;
    regs_to_mc(ctx, &f.uc.mc);
    f.uc.mc.err = si->err;
    f.uc.mc.trapno = (uint64_t)si->trapno;
    f.uc.mc.oldmask = oldmask;
    f.uc.mc.cr2 = si->trapno == 14 ? si->addr : 0;
    f.uc.mc.fpstate = fp;
    f.uc.sigmask = oldmask;
    sig_siginfo_out(si, &f.info);
    memcpy(mem, &f, sizeof(f));
    if (gmem_write(vm, frame, mem, total) < 0) {
        vm_set_fault(vm, SIGSEGV, "cannot deliver %s (%d) at rip 0x%llx: its frame's stack "
                     "faulted (stack 0x%llx)", sig_name(si->signo), si->signo,
                     (unsigned long long)ctx->rip, (unsigned long long)frame);
        return -1;
    }

    ctx->rsp = frame;
    ctx->rip = act->handler;
    ctx->rdi = (uint64_t)si->signo;
    ctx->rsi = frame + offsetof(struct fr_frame, info);
    ctx->rdx = frame + offsetof(struct fr_frame, uc);
    ctx->rax = 0;
    ctx->rflags &= ~(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF);
    return 0;
}

static int forged(struct ukmon_vm *vm, uint64_t frame, const char *what, uint64_t v)
{
    vm_set_fault(vm, SIGSEGV, "rt_sigreturn: the frame at 0x%llx is not one the monitor "
                 "pushed: %s 0x%llx", (unsigned long long)frame, what, (unsigned long long)v);
    return -1;
}

/*
 * Whether ring 3 may be resumed at `rip`: any user address, as Linux's sigreturn
 * allows. Where ring 3 may not execute, it faults there, as on Linux (a signal may
 * even have come while the program was at such an address: a rewritten call with an
 * odd number, on its way to its fault). A non-canonical or kernel-half address, which
 * would fail the VM entry, is never resumed.
 */
static bool user_code(const struct ukmon_vm *vm, uint64_t rip)
{
    (void)vm;
    return rip < (1ULL << 47);
}

/*
 * rt_sigreturn: ctx's %rsp is just above the frame's return address. Restores the
 * registers, mask, alternate stack and FP state saved there. The program may have
 * changed the frame (that is allowed: it could set those registers itself), but
 * nothing in it may ask for more than ring 3 has: other segments (ring 0), a %rip
 * outside the program's code, IOPL or reserved MXCSR bits. Such a frame ends the VM
 * with SIGSEGV. Returns 0, or -1 with the VM's end set.
 */
int sig_pop_frame(struct ukmon_vm *vm, struct kvm_regs *ctx)
{
    uint64_t frame = ctx->rsp - 8;
    struct fr_frame f; /* one fetch: the checks hold for what is used */
    if (gmem_read(vm, &f, frame, sizeof(f)) < 0)
        return forged(vm, frame, "unreadable memory at", frame);
    if (f.uc.mc.cs != SEL_UCODE)
        return forged(vm, frame, "code segment", f.uc.mc.cs);
    if ((f.uc.flags & UC_SIGCONTEXT_SS) && f.uc.mc.ss != SEL_UDATA)
        return forged(vm, frame, "stack segment", f.uc.mc.ss);
    if (!user_code(vm, f.uc.mc.rip))
        return forged(vm, frame, "rip", f.uc.mc.rip);
    uint32_t fpsize = xstate_size(vm);
    static uint8_t fpbuf[sizeof(((struct kvm_xsave *)0)->region)];
    const uint8_t *fx = NULL;
    uint32_t size = FXSAVE_SIZE;
    if (f.uc.mc.fpstate) {
        if (gmem_read(vm, fpbuf, f.uc.mc.fpstate, FXSAVE_SIZE) < 0)
            return forged(vm, frame, "FP state at", f.uc.mc.fpstate);
        fx = fpbuf;
        struct fr_sw_bytes sw;
        memcpy(&sw, fx + FP_SW_BYTES, sizeof(sw));
        uint32_t magic2 = 0;
        if ((f.uc.flags & UC_FP_XSTATE) && sw.magic1 == FP_MAGIC1 && sw.xstate_size == fpsize &&
            fpsize > FXSAVE_SIZE && fpsize <= sizeof(fpbuf) &&
            gmem_read(vm, &magic2, f.uc.mc.fpstate + fpsize, 4) < 0)
            magic2 = 0;
        /* the whole XSAVE area; else FXSAVE's part only (one fetch, checked as loaded) */
        if (magic2 == FP_MAGIC2 && gmem_read(vm, fpbuf, f.uc.mc.fpstate, fpsize) == 0)
            size = fpsize;
    }
    int r = fp_load(vm, fx, size);
    if (r == -EINVAL)
        return forged(vm, frame, "FP state (reserved MXCSR bits or XSAVE header) at",
                      f.uc.mc.fpstate);
    if (r < 0) {
        vm_set_fault(vm, SIGSEGV, "rt_sigreturn: loading the FP state: %s", strerror(-r));
        return -1;
    }
    mc_to_regs(&f.uc.mc, ctx);
    sig_set_mask(vm, f.uc.sigmask);
    uint64_t ssp = f.uc.stack.sp, ssize = f.uc.stack.size;
    /* As Linux: a stack that cannot be set now (in use) is left as it is. */
    sig_altstack(vm, ctx->rsp, &ssp, &ssize, (f.uc.stack.flags & SS_DISABLE) != 0,
                 NULL, NULL, NULL);
    return 0;
}
