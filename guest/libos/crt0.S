/* crt0.S: guest entry point: the ABI note, a 16-byte aligned stack, then C. */
#include "ukmon_abi.h"

    .section .note.ukmon, "a", @note
    .balign 4
    .long 6                 /* namesz: "ukmon\0" */
    .long 4                 /* descsz */
    .long UKMON_NOTE_TYPE_ABI
    .asciz "ukmon"
    .balign 4
    .long UKMON_ABI_VERSION
    .balign 4

    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    /* %rdi = boot info address; the monitor set %rsp to the top of memory. */
    xorl %ebp, %ebp
    andq $-16, %rsp
    call __ukmon_start
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
