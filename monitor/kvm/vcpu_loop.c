/* vcpu_loop.c: the KVM_RUN loop and the handling of every VM exit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"
#include "personality.h"
#include "profile.h"

void vm_set_fault(struct ukmon_vm *vm, int sig, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(vm->exit.reason, sizeof(vm->exit.reason), "%s: ", vm->name);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof(vm->exit.reason))
        vsnprintf(vm->exit.reason + n, sizeof(vm->exit.reason) - n, fmt, ap);
    va_end(ap);
    vm->exit.kind = UKMON_EXIT_FAULT;
    vm->exit.signal = sig;
}

static const struct {
    const char *name;
    int sig;
    bool has_error_code;
} exc_info[32] = {
    [0] = {"divide error", SIGFPE, false},
    [1] = {"debug exception", SIGTRAP, false},
    [2] = {"NMI", SIGSEGV, false},
    [3] = {"breakpoint", SIGTRAP, false},
    [4] = {"overflow", SIGSEGV, false},
    [5] = {"bound range exceeded", SIGSEGV, false},
    [6] = {"invalid opcode", SIGILL, false},
    [7] = {"device not available", SIGFPE, false},
    [8] = {"double fault", SIGSEGV, true},
    [10] = {"invalid TSS", SIGSEGV, true},
    [11] = {"segment not present", SIGBUS, true},
    [12] = {"stack-segment fault", SIGBUS, true},
    [13] = {"general protection fault", SIGSEGV, true},
    [14] = {"page fault", SIGSEGV, true},
    [16] = {"x87 floating-point exception", SIGFPE, false},
    [17] = {"alignment check", SIGBUS, true},
    [18] = {"machine check", SIGBUS, false},
    [19] = {"SIMD floating-point exception", SIGFPE, false},
    [21] = {"control protection exception", SIGSEGV, true},
};

/* Whether the instruction at `addr` is a port I/O one: IN, OUT, INS or OUTS, any form. */
static bool insn_is_port_io(struct ukmon_vm *vm, uint64_t addr);

/*
 * QEMU's TCG consults the TSS I/O bitmap only when TR holds an available TSS (type 9);
 * VMX wants a busy one (type 11), which is what KVM is given first. So when a port
 * I/O instruction takes a #GP at CPL3 while TR says busy, the bitmap was not looked
 * at: switch TR to type 9 and run the instruction again. Ports the bitmap closes
 * still fault, and on a machine where type 11 works this never happens (the bitmap
 * opens the ports the guest may use). Returns true when the guest was set up to retry.
 * Once per vCPU: a thread's vCPU made before the first such #GP still has type 11
 * after another vCPU switched (vm->tss_type is what vCPUs made later start with), and
 * a port the bitmap closes must fault the second time, not be retried for ever.
 */
static bool vcpu_tss_fallback(struct ukmon_vm *vm, const uint64_t frame[6])
{
    uint64_t err = frame[0], rip = frame[1], cs = frame[2];
    struct vcpu *c = vcpu_cur(vm);
    if (c->tss_retried || err != 0 || (cs & 3) != 3 || !insn_is_port_io(vm, rip))
        return false;
    c->tss_retried = true;
    struct kvm_sregs sr = *vcpu_sregs(vm);
    vm->tss_type = 9;
    sr.tr.type = 9;
    struct kvm_segment fs = sr.fs, gs = sr.gs; /* the program's thread pointers */
    boot_user_segments(&sr);
    sr.fs = fs;
    sr.gs = gs;
    if (ioctl(vcpu_cur(vm)->fd, KVM_SET_SREGS, &sr) < 0)
        return false;
    struct kvm_regs *regs = vcpu_regs(vm);
    regs->rip = rip;
    regs->rflags = frame[3];
    regs->rsp = frame[4];
    vcpu_regs_changed(vm);
    return true;
}

/* si_code of a fault, as Linux gives it for that vector. */
static int fault_code(unsigned vector, uint64_t err)
{
    switch (vector) {
    case 0: return 1;                   /* FPE_INTDIV */
    case 1: case 3: return 1;           /* TRAP_BRKPT */
    case 6: return 2;                   /* ILL_ILLOPN */
    case 14: return (err & 1) ? 2 : 1;  /* SEGV_ACCERR, SEGV_MAPERR */
    case 16: case 19: return 7;         /* FPE_FLTINV */
    case 17: return 1;                  /* BUS_ADRALN */
    default: return SI_KERNEL;          /* #GP and the rest */
    }
}

/*
 * The ring-0 stub for `vector` reported an exception: name it, with RIP and address.
 * A ring-3 fault the program handles (a SIGSEGV handler) goes to that handler.
 * Returns RUN_CONTINUE only when the guest goes on.
 */
static enum run_next vcpu_guest_exception(struct ukmon_vm *vm, unsigned vector)
{
    const struct kvm_regs *regs = vcpu_regs(vm);
    const struct kvm_sregs *sregs = vcpu_sregs(vm);
    const char *name = exc_info[vector].name ? exc_info[vector].name : "exception";
    int sig = exc_info[vector].sig ? exc_info[vector].sig : SIGSEGV;
    /* The CPU pushed [error code,] rip, cs, rflags, rsp, ss on our ring-0 stack. */
    uint64_t frame[6] = {0};
    bool f = gmem_peek(vm, frame, regs->rsp, sizeof(frame)) == 0;
    /*
     * Whatever comes next replaces the registers (a retry, a handler, the state after
     * a call): the stub's OUT is finished first, or finishing it in the next KVM_RUN
     * would move the new %rip instead.
     */
    if (vcpu_cur(vm)->exit_in_flight && vcpu_complete_exit(vm) < 0) {
        vm_set_fault(vm, SIGSEGV, "guest exception %u: cannot complete its exit", vector);
        return RUN_STOP;
    }
    regs = vcpu_regs(vm);
    sregs = vcpu_sregs(vm);
    if (vector == 13 && vcpu_tss_fallback(vm, frame))
        return RUN_CONTINUE;
    unsigned i = exc_info[vector].has_error_code ? 1 : 0;
    uint64_t err = frame[0], rip = frame[i];
    /* Page 0 is never the program's: a fault there is "not mapped", whatever runs there. */
    if (vector == 14 && sregs->cr2 < PAGE_SIZE_4K)
        err &= ~1ULL;
    if (f && (frame[i + 1] & 3) == 3 && vm->pers->fault_is_call) {
        struct kvm_regs ctx = *regs;
        ctx.rip = rip;
        ctx.rflags = frame[i + 2];
        ctx.rsp = frame[i + 3];
        if (vm->pers->fault_is_call(vm, vector, err, sregs->cr2, &ctx)) {
            sig_resume_user(vm, &ctx);
            return RUN_CONTINUE;
        }
    }
    /*
     * A page the guest may use, in a chunk of memory KVM does not know yet (kvm.c):
     * the chunk is registered and the instruction runs again, on memory now.
     */
    if (vector == 14 && f && (frame[i + 1] & 3) == 3 && !(err & 1) &&
        sregs->cr2 < vm->mem_size && !kvm_covered(vm, sregs->cr2) &&
        (gmem_perm(vm, sregs->cr2 / PAGE_SIZE_4K) & PG_P)) {
        struct kvm_regs ctx = *regs;
        ctx.rip = rip;
        ctx.rflags = frame[i + 2];
        ctx.rsp = frame[i + 3];
        int r = kvm_cover(vm, sregs->cr2, sregs->cr2 + 1);
        if (r == 0) {
            sig_resume_user(vm, &ctx);
            return RUN_CONTINUE;
        }
    }
    uint64_t guard = vm->stack_top - boot_stack_size(vm->mem_size) - PAGE_SIZE_4K;
    if (vector == 14) {
        bool overflow = sregs->cr2 >= guard && sregs->cr2 < guard + PAGE_SIZE_4K;
        vm_set_fault(vm, sig, "guest page fault at rip 0x%llx: %s of address 0x%llx (%s)",
                     (unsigned long long)rip, (err & 16) ? "instruction fetch" :
                     (err & 2) ? "write" : "read", (unsigned long long)sregs->cr2,
                     overflow ? "stack overflow: the stack's guard page" :
                     (err & 1) ? "protection violation" : "not mapped");
    } else if (exc_info[vector].has_error_code) {
        vm_set_fault(vm, sig, "guest %s (vector %u, error code 0x%llx) at rip 0x%llx",
                     name, vector, (unsigned long long)err, (unsigned long long)rip);
    } else {
        vm_set_fault(vm, sig, "guest %s (vector %u) at rip 0x%llx", name, vector,
                     (unsigned long long)rip);
    }
    if ((frame[i + 1] & 3) != 3 || !f)
        return RUN_STOP; /* not the program's own fault: the monitor's stubs are not it */
    struct sig_info si = {.signo = sig, .code = fault_code(vector, err), .trapno = (int)vector,
                          .err = i ? err : 0, .addr = vector == 14 ? sregs->cr2 : rip};
    struct kvm_regs ctx = *regs;
    ctx.rip = rip;
    ctx.rflags = frame[i + 2];
    ctx.rsp = frame[i + 3];
    return sig_fault(vm, &si, &ctx);
}

static uint64_t vcpu_rip(struct ukmon_vm *vm)
{
    return vcpu_regs(vm)->rip;
}

/*
 * Completes the exit in progress without running guest code: KVM finishes the
 * instruction (an OUT's RIP moves past it) in the next KVM_RUN, here one that returns
 * at once. Returns 0, 1 when finishing it caused another exit (a REP string
 * instruction going on), or -errno.
 */
int vcpu_complete_exit(struct ukmon_vm *vm)
{
    vcpu_cur(vm)->run->immediate_exit = 1;
    int r = ioctl(vcpu_cur(vm)->fd, KVM_RUN, 0);
    int e = errno;
    vcpu_cur(vm)->run->immediate_exit = 0;
    vcpu_cur(vm)->exit_in_flight = false;
    if (r == 0)
        return 1;
    return e == EINTR ? 0 : -e;
}

/* The guest's byte at `addr`, or -1 if ring 3 could not read it. */
static int guest_byte(struct ukmon_vm *vm, uint64_t addr)
{
    uint8_t b;
    return gmem_read(vm, &b, addr, 1) == 0 ? b : -1;
}

static bool insn_prefix(int b)
{
    return b == 0xf2 || b == 0xf3 || b == 0x66 || b == 0x2e || b == 0x3e || b == 0x26 ||
           b == 0x36 || b == 0x64 || b == 0x65 || (b >= 0x40 && b <= 0x4f); /* ... REX */
}

static bool insn_is_port_io(struct ukmon_vm *vm, uint64_t addr)
{
    for (unsigned i = 0; i < 15; i++) { /* 15: the longest x86 instruction */
        int b = guest_byte(vm, addr + i);
        if ((b >= 0x6c && b <= 0x6f) || (b >= 0xe4 && b <= 0xe7) || (b >= 0xec && b <= 0xef))
            return true;
        if (!insn_prefix(b))
            return false;
    }
    return false;
}

/* Whether the instruction at `addr` is INS or OUTS, with or without prefixes. */
static bool insn_is_string_io(struct ukmon_vm *vm, uint64_t addr)
{
    for (unsigned i = 0; i < 15; i++) { /* 15: the longest x86 instruction */
        int b = guest_byte(vm, addr + i);
        if (b == 0x6c || b == 0x6d || b == 0x6e || b == 0x6f)
            return true;
        if (!insn_prefix(b))
            return false;
    }
    return false;
}

static bool byte_ends_string_io(int b)
{
    return b == 0x6c || b == 0x6d || b == 0x6e || b == 0x6f;
}

/*
 * Whether the exit in progress came from exactly the one-byte port instruction
 * `opcode` (ef: `out %eax, (%dx)`), not from string I/O, which KVM reports, with or
 * without REP, one element per exit with the same kvm_run fields. RIP is at the
 * instruction when KVM took its fast path (VMX, SVM) and past it when its emulator ran
 * it (PVM for every OUT; string I/O everywhere), so both places are looked at; only
 * when both readings are possible does the exit get completed first (a vCPU ioctl:
 * ~9 us on PVM). Returns NULL for the right instruction, else why not.
 */
const char *vcpu_port_insn_error(struct ukmon_vm *vm, uint8_t opcode)
{
    uint64_t rip = vcpu_rip(vm);
    int at = guest_byte(vm, rip), before = guest_byte(vm, rip - 1);
    if (at == opcode && !byte_ends_string_io(before))
        return NULL; /* at the instruction; no string instruction can have ended here */
    if (before == opcode && !insn_is_string_io(vm, rip))
        return NULL; /* past it; no string instruction starts here */
    if (at != opcode && before != opcode)
        return insn_is_string_io(vm, rip) || byte_ends_string_io(before) ?
               "string I/O (ins/outs), which is refused" : "not the expected instruction";
    int r = vcpu_complete_exit(vm);
    if (r == 0 && guest_byte(vm, vcpu_rip(vm) - 1) == opcode)
        return NULL;
    return r < 0 ? "an exit KVM could not complete" : "string I/O (ins/outs), which is refused";
}

/*
 * Port I/O: the exception ports every VM's ring-0 stubs use, then the personality's
 * own ports; any other port is a fault.
 */
static enum run_next vcpu_exit_io(struct ukmon_vm *vm)
{
    struct kvm_run *run = vcpu_cur(vm)->run;
    unsigned port = run->io.port;
    vm->stats.exits_io++;
    vcpu_cur(vm)->exit_in_flight = true;
    if (port >= UKMON_EXC_PORT_BASE && port < UKMON_EXC_PORT_BASE + 32)
        return vcpu_guest_exception(vm, port - UKMON_EXC_PORT_BASE);
    if (port >= vm->pers->port_lo && port < vm->pers->port_lo + vm->pers->nports)
        return vm->pers->port_exit(vm, port);
    vm_set_fault(vm, SIGSYS, "guest %s unknown I/O port 0x%x at rip 0x%llx",
                 run->io.direction == KVM_EXIT_IO_OUT ? "wrote to" : "read from",
                 port, (unsigned long long)vcpu_rip(vm));
    return RUN_STOP;
}

static enum run_next vcpu_handle_exit(struct ukmon_vm *vm)
{
    struct kvm_run *run = vcpu_cur(vm)->run;
    if (run->exit_reason == KVM_EXIT_IO)
        return vcpu_exit_io(vm);
    vm->stats.exits_other++;
    switch (run->exit_reason) {
    case KVM_EXIT_MMIO:
        vm_set_fault(vm, SIGSEGV, "guest %s unmapped guest-physical address 0x%llx "
                     "(outside its %llu MiB) at rip 0x%llx",
                     run->mmio.is_write ? "wrote to" : "read from",
                     (unsigned long long)run->mmio.phys_addr,
                     (unsigned long long)(vm->mem_size >> 20),
                     (unsigned long long)vcpu_rip(vm));
        break;
    case KVM_EXIT_SHUTDOWN:
        vm_set_fault(vm, SIGSEGV, "guest triple fault (VM shut down) near rip 0x%llx",
                     (unsigned long long)vcpu_rip(vm));
        break;
    case KVM_EXIT_HLT:
        vm_set_fault(vm, SIGILL, "guest halted at rip 0x%llx",
                     (unsigned long long)vcpu_rip(vm));
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        vm_set_fault(vm, SIGILL, "KVM internal error %u%s at rip 0x%llx",
                     run->internal.suberror,
                     run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
                     " (instruction emulation failed)" : "",
                     (unsigned long long)vcpu_rip(vm));
        break;
    case KVM_EXIT_FAIL_ENTRY:
        vm_set_fault(vm, SIGSEGV, "VM entry failed (hardware reason 0x%llx)",
                     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        break;
    default:
        vm_set_fault(vm, SIGSEGV, "unexpected VM exit %u (%s)", run->exit_reason,
                     kvm_exit_name(run->exit_reason));
        break;
    }
    return RUN_STOP;
}

/*
 * KVM_RUN failed with EFAULT: the guest touched memory whose host page it may not
 * (a Linux program's unmapped or read-only page: see addrspace.c). Kernels with
 * KVM_CAP_MEMORY_FAULT_INFO say which address; others do not.
 */
#define LX_KVM_EXIT_MEMORY_FAULT 39
static enum run_next vcpu_memory_fault(struct ukmon_vm *vm)
{
    struct kvm_run *run = vcpu_cur(vm)->run;
    uint64_t rip = vcpu_rip(vm);
    struct sig_info si = {.signo = SIGSEGV, .code = 1 /* SEGV_MAPERR */, .trapno = 14};
    if (run->exit_reason == LX_KVM_EXIT_MEMORY_FAULT) {
        uint64_t f[3];
        memcpy(f, &run->hw, sizeof(f)); /* flags, gpa, size: newer headers name them */
        si.addr = f[1];
        if (f[1] < vm->mem_size && (vm->page_perm[f[1] / PAGE_SIZE_4K] & PG_M))
            si.code = 2; /* SEGV_ACCERR: mapped, not for this access */
        vm_set_fault(vm, SIGSEGV, "guest page fault at rip 0x%llx: access to address "
                     "0x%llx (not mapped, or not for this access)", (unsigned long long)rip,
                     (unsigned long long)f[1]);
    } else {
        vm_set_fault(vm, SIGSEGV, "guest page fault at rip 0x%llx: memory that is not "
                     "mapped, or not for this access", (unsigned long long)rip);
    }
    if ((vcpu_sregs(vm)->cs.selector & 3) != 3)
        return RUN_STOP;
    struct kvm_regs ctx = *vcpu_regs(vm);
    if (vm->pers->fault_is_call && vm->pers->fault_is_call(vm, 14, 0, si.addr, &ctx)) {
        memset(&vm->exit, 0, sizeof(vm->exit));
        sig_resume_user(vm, &ctx);
        return RUN_CONTINUE;
    }
    return sig_fault(vm, &si, &ctx);
}

/*
 * The loop of the calling thread's vCPU, entered and left with the VM's lock held,
 * which it lets go only inside KVM_RUN (kernel/thread.c). Returns 0 once vm->exit
 * says how the guest ended, or this thread's part in it did (exit(2), another
 * thread's exit_group or execve); a negative code on monitor failure.
 */
int vcpu_run_loop(struct ukmon_vm *vm)
{
    struct vcpu *c = vcpu_cur(vm);
    for (;;) {
        if (vm->stop_signal) {
            vm->exit.kind = UKMON_EXIT_STOPPED;
            vm->exit.signal = vm->stop_signal;
            return 0;
        }
        if (thread_loop_check(vm))
            return 0;
        if (gsig_pending() && sig_async(vm) == RUN_STOP)
            return 0;
        if (vm->pers->before_run)
            vm->pers->before_run(vm);
        int64_t t0 = vm->cfg.stats_fd >= 0 ? clock_ns(CLOCK_MONOTONIC) : 0;
        vm_unlock(vm);
        PROF_RUN_ENTER();
        if (vm->pinfo_state) /* what /proc/PID/stat says of it to the tree */
            *vm->pinfo_state = 'R';
        int r = ioctl(c->fd, KVM_RUN, 0);
        int e = errno;
        if (vm->pinfo_state)
            *vm->pinfo_state = 'S';
        PROF_RUN_RETURN(vm);
        vm_lock(vm);
        if (vm->pers->after_run)
            vm->pers->after_run(vm);
        if (vm->cfg.stats_fd >= 0)
            vm->stats.ns_in_run += clock_ns(CLOCK_MONOTONIC) - t0;
        c->exit_in_flight = false;
        if (r < 0) {
            if (e == EINTR || e == EAGAIN) {
                vm->stats.exits_intr++;
                c->run->immediate_exit = 0;
                proc_on_interrupt(vm);
                continue;
            }
            if (e == EFAULT) {
                if (vcpu_memory_fault(vm) == RUN_STOP)
                    return 0;
                continue;
            }
            return vm_fail(vm, -e, "KVM_RUN: %s", strerror(e));
        }
        if (vcpu_handle_exit(vm) == RUN_STOP)
            return 0;
    }
}

/* Changed special registers go back to KVM before the next entry, TR as we chose it. */
void vcpu_sregs_changed(struct ukmon_vm *vm)
{
    vcpu_cur(vm)->run->s.regs.sregs.tr.type = vm->tss_type;
    vcpu_cur(vm)->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
}
