/*
 * personality.h: how a kind of program talks to the monitor. A ukmon unikernel makes
 * hypercalls (native/), a static Linux executable makes system calls (linux/). The
 * loader's finding picks one per program, at load and at every execve; the KVM layer
 * and the kernel services call it only through this table, never by name.
 */
#ifndef UKMON_PERSONALITY_H
#define UKMON_PERSONALITY_H

#include "monitor.h"

struct personality {
    const char *name;            /* for messages: "ukmon unikernel", "Linux program" */
    const char *calls_name;      /* what --stats counts: "hypercalls", "syscalls" */
    const char *call_prefix;     /* --stats names a call without a name by it: "hc", "syscall_" */
    bool counts_enosys;          /* --stats says how many calls got ENOSYS */
    /*
     * Lays out guest memory for the program (page_perm, page tables, GDT/IDT/TSS),
     * writes what it starts with (argv, envp...) and sets vm->entry_regs. `interp`:
     * the checked interpreter of a dynamically linked program, to place and start
     * at, or NULL (the loader refuses one for a personality that has no use for it).
     */
    int (*boot_setup)(struct ukmon_vm *vm, const struct elf_image *img,
                      struct program_interp *interp, int argc, char *const argv[],
                      char *const envp[]);
    /* Clock constants in guest memory, once the vCPU's TSC facts are known. */
    int (*clock_setup)(struct ukmon_vm *vm);
    /* Ports ring 3 may use, opened in the TSS I/O bitmap: [port_lo, port_lo + nports). */
    unsigned port_lo, nports;
    /* Where SYSCALL enters (LSTAR, ring 0), or 0 for no SYSCALL at all (EFER.SCE off). */
    uint64_t syscall_entry;
    /*
     * Around every KVM_RUN: state the program keeps in its own memory (the Linux
     * layer's signal mask and actions) taken in after it, given back before it. NULL:
     * none.
     */
    void (*after_run)(struct ukmon_vm *vm);
    void (*before_run)(struct ukmon_vm *vm);
    /* An exit on one of its ports. */
    enum run_next (*port_exit)(struct ukmon_vm *vm, unsigned port);
    /*
     * A signal is due while the vCPU is in ring 0 at ctx: if the personality's entry
     * stub has nothing left to do but return to the program, turns ctx into the
     * program's state and returns true; else the signal waits for the call's return.
     * NULL: ring 0 is never left early.
     */
    bool (*leave_stub)(struct ukmon_vm *vm, struct kvm_regs *ctx);
    /*
     * A fault at ring 3 (ctx: the program's state there) that is really one of the
     * personality's calls gone astray, e.g. a rewritten system call whose number sent
     * it off the trampoline: makes ctx the state after that call and returns true.
     * NULL, or false: the fault is the program's.
     */
    bool (*fault_is_call)(struct ukmon_vm *vm, unsigned vector, uint64_t err, uint64_t cr2,
                          struct kvm_regs *ctx);
    /* How many calls of number nr were answered inside the guest (--stats). NULL: none. */
    uint64_t (*calls_in_guest)(struct ukmon_vm *vm, uint64_t nr);
    /* The name of call number nr, for --stats; NULL if it has none. */
    const char *(*call_name)(uint64_t nr);
    /* Frees its private state (vm->lx...) at the VM's end. NULL: it keeps none. */
    void (*release)(struct ukmon_vm *vm);
};

/* The personality of a checked image (at load, at execve). */
const struct personality *personality_of(const struct elf_image *img);
/* Every personality's release(), whichever ran last: an execve may have changed it. */
void personality_release_all(struct ukmon_vm *vm);

#endif
