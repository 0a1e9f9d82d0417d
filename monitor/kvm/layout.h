/* layout.h: where things are in every guest's memory, and how its pages are described. */
#ifndef UKMON_KVM_LAYOUT_H
#define UKMON_KVM_LAYOUT_H

/*
 * Guest-physical layout. Low 2 MiB: monitor-owned structures, mapped supervisor-only
 * except boot info and argv; page 0 is never mapped so NULL dereferences fault.
 */
#define GL_PAGE0 0x0ULL           /* never the program's data: unmapped, or Linux's sled */
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
#define GL_KSTACK_TOP 0x48000ULL  /* vCPU 0's ring-0 stack for exception delivery */
/*
 * The other vCPUs of a VM (threads, kernel/thread.c): slot i-1 of GL_VCPU_SLOT bytes
 * from GL_KSTACK_BOTTOM holds vCPU i's TSS (its first 104 bytes) and, above it, its
 * ring-0 stack (an exception frame is 48 bytes). Their TSSes share one I/O bitmap at
 * GL_VCPU_IOMAP; vCPU 0's stack keeps the top of the area (GL_VCPU_IOMAP_END up).
 */
#define GL_VCPU_SLOT 0x100ULL
#define GL_VCPU_IOMAP 0x47d00ULL
#define GL_VCPU_IOMAP_END 0x47e00ULL
#define GL_BOOT_INFO 0x50000ULL
#define GL_ARGS 0x51000ULL        /* argv/envp pointers and strings */
#define GL_ARGS_END 0x200000ULL
#define GL_LOAD_MIN 0x200000ULL   /* lowest address an ELF segment may use */
/* Pages the personality lays out for itself (linux/lx.h: the SYSCALL stub, the vDSO). */
#define GL_PERS_LO 0xb000ULL
#define GL_PERS_HI 0x10000ULL
/*
 * And a second part, up to the programs' own memory. ukmon unikernels: their boot
 * info and argv (GL_BOOT_INFO, GL_ARGS). Linux programs: the guest-side system-call
 * layer and the pipes mapped as rings (guest/lxsys/lxsys.h).
 */
#define GL_PERS2_LO 0x48000ULL
#define GL_PERS2_HI 0x200000ULL
#define ELF_PIE_BASE 0x400000ULL  /* where the loader puts a static-pie program's first page */
#define GL_STACK_MAX (8ULL << 20)
/* Guest memory reaches KVM in memory slots of this size, as it is used (kvm.c). */
#define GL_SLOT_CHUNK (32ULL << 20)

/* Ports a personality may open to ring 3 lie below this (the TSS I/O bitmap's end). */
#define GL_PORTS_MAX 0x580

/* GDT selectors of ring 3 (boot.c builds the GDT). */
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)

/* RFLAGS bits a program may set for itself (SYSRET, sigreturn): arithmetic, TF, DF, AC, ID. */
#define USER_RFLAGS 0x240dd5ULL
#define RFLAGS_FIXED 0x202ULL     /* IF, and bit 1 which is always set */

/* Page permissions of the guest's identity map, one byte per 4 KiB page. */
enum {
    PG_P = 1,  /* present: ring 3 may read it */
    PG_W = 2,
    PG_U = 4,
    PG_X = 8,
    PG_M = 16, /* Linux programs: mapped (PROT_NONE pages are mapped, not present) */
    PG_S = 32, /* MAP_SHARED from a file: a write by the monitor would reach the file */
};

#define PAGE_SIZE_4K 4096ULL
#define PAGE_SIZE_2M (2ULL << 20)

#endif
