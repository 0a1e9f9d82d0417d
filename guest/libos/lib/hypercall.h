/* hypercall.h: the one instruction by which a guest calls its monitor. */
#ifndef GUEST_HYPERCALL_H
#define GUEST_HYPERCALL_H
#include <stdint.h>
#include "ukmon_abi.h"

/*
 * OUT of the argument struct's address. The struct lives on our stack or in our data,
 * both below 4 GiB (guest memory never exceeds it), so 32 bits carry the address.
 * "memory": the monitor reads and writes the struct behind the compiler's back.
 */
static inline void hypercall(unsigned nr, volatile void *arg)
{
    __asm__ volatile("outl %0, %w1"
                     :
                     : "a"((uint32_t)(uintptr_t)arg), "d"((uint16_t)(UKMON_HC_PORT_BASE + nr))
                     : "memory");
}

/* A Linux-style result (-errno on error) as a POSIX return value. */
long __syscall_ret(int64_t r);

#endif
