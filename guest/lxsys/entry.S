/*
 * entry.S: where a Linux program's rewritten system calls arrive. The monitor turns
 * each `syscall` (0f 05) it has seen trap into `call *%rax` (ff d0): with the call's
 * number in %rax, that lands in the nop sled of page 0, whose end jumps here. The
 * call pushed its return address, 8 bytes of the red zone; nothing else of the
 * program's stack above that is touched.
 *
 * Calls the layer answers itself go to C (lxsys.c) and back with `ret`, every
 * register kept as a system call keeps it (all but %rax, %rcx and %r11). The others
 * go to the monitor by the same port as the SYSCALL stub, in the state SYSCALL would
 * have left: %rcx the return address, %r11 the flags, %rsp the program's own. The
 * monitor then resumes at %rcx, as it does for a SYSCALL that stayed in ring 3.
 *
 * While C runs, every register the program had is in the frame (offsets LXSYS_F_*
 * from the base the page's `frame` holds): should C fault on a buffer the program
 * passed, the monitor rebuilds the program's state from there and makes the call
 * itself, which then fails as Linux's would (EFAULT).
 */
#include "lxsys.h"

#define LX_SYSCALL_PORT 0xdf
#define FRAME (LXSYS_PAGE_ADDR + LXSYS_FRAME_OFF)

    .section .text.entry, "ax"
    .globl lxsys_out
lxsys_out:                      /* LXSYS_OUT_OFF */
    out %al, $LX_SYSCALL_PORT
    ud2                         /* the monitor resumes at %rcx, never here */

    .balign 16
    .globl lxsys_entry
    .type lxsys_entry, @function
lxsys_entry:                    /* LXSYS_ENTRY_OFF */
    lea -128(%rsp), %rsp        /* below the red zone; lea leaves the flags alone */
    pushfq
    cmp $LXSYS_NR, %rax
    jae to_monitor
    cmpb $0, LXSYS_PAGE_ADDR + LXSYS_ANSWER_OFF(%rax)
    je to_monitor
    cld
    push %rbp
    mov %rsp, %rbp
    push %rdi
    push %rsi
    push %rdx
    push %r8
    push %r9
    push %r10
    push %rax
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    pushq FRAME                 /* an outer call's frame (a handler's call inside one) */
    mov %rbp, FRAME
    push %r9                    /* struct lxsys_call: nr, a[0..5] */
    push %r8
    push %r10
    push %rdx
    push %rsi
    push %rdi
    push %rax
    mov %rsp, %rdi
    and $-16, %rsp
    call lxsys_fast             /* %rax: the result; %rdx: nonzero for the monitor */
    lea -104(%rbp), %rsp
    popq FRAME
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    test %rdx, %rdx
    jnz 1f
    pop %rcx                    /* the number: %rax holds the result */
    pop %r10
    pop %r9
    pop %r8
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rbp
    popfq
    lea 128(%rsp), %rsp
    ret
1:  cmp $2, %rdx                /* the result stands; pending signals need the monitor */
    jne 5f
    mov $LXSYS_NR_DELIVER, %rax
    jmp 3f
5:  cmp $3, %rdx                /* begun here, the rest (in the frame's registers) there */
    jne 2f
    mov $LXSYS_NR_CONTINUE, %rax
    jmp 3f
2:  pop %rax
    jmp 4f
3:  pop %rcx
4:  pop %r10
    pop %r9
    pop %r8
    pop %rdx
    pop %rsi
    pop %rdi
    pop %rbp
to_monitor:
    popfq
    lea 128(%rsp), %rsp
    pop %rcx                    /* SYSCALL's %rcx: where to go on */
    pushfq                      /* into the slot the call already took */
    pop %r11                    /* SYSCALL's %r11: the flags */
    jmp lxsys_out
    .size lxsys_entry, . - lxsys_entry
    .section .note.GNU-stack, "", @progbits
