/* fault: misbehaves in the way argv[1] names; the monitor must end it cleanly. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ukmon_guest.h"

static volatile int never;

static int depth(int n)
{
    volatile char pad[256];
    pad[0] = (char)n;
    if (never)
        return 0;
    return depth(n + 1) + pad[0];
}

/* Hides the address from the optimizer, so it neither warns nor folds the access. */
static volatile int *at(uintptr_t addr)
{
    __asm__("" : "+r"(addr));
    return (volatile int *)addr;
}

static void port_out(uint16_t port, uint32_t val)
{
    __asm__ volatile("outl %0, %w1" : : "a"(val), "d"(port) : "memory");
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    volatile int zero = 0;
    if (!strcmp(c, "null-read"))
        return *at(0);
    if (!strcmp(c, "null-write"))
        *at(8) = 1;
    if (!strcmp(c, "write-text"))
        *(volatile char *)(uintptr_t)main = 0;
    if (!strcmp(c, "exec-data")) {
        static unsigned char ret = 0xc3;
        ((void (*)(void))(uintptr_t)&ret)();
    }
    if (!strcmp(c, "past-memory"))
        return *at(0xc0000000);
    if (!strcmp(c, "low-area"))
        return *at(0x1000); /* the GDT: supervisor-only */
    if (!strcmp(c, "ud2"))
        __asm__ volatile("ud2");
    if (!strcmp(c, "div0"))
        return 10 / zero;
    if (!strcmp(c, "stack-overflow"))
        return depth(0);
    if (!strcmp(c, "abort"))
        abort();
    if (!strcmp(c, "assert"))
        assert(zero == 1);
    if (!strcmp(c, "hlt"))
        __asm__ volatile("hlt");
    if (!strcmp(c, "cli"))
        __asm__ volatile("cli");
    if (!strcmp(c, "int3"))
        __asm__ volatile("int3");
    if (!strcmp(c, "port-80"))
        port_out(0x80, 0);
    if (!strcmp(c, "hc-unknown"))
        port_out(UKMON_HC_PORT_BASE + 100, 0x300000);
    if (!strcmp(c, "hc-unknown-low"))
        port_out(UKMON_HC_PORT_BASE + 60, 0x300000);
    if (!strcmp(c, "hc-in")) {
        uint32_t v;
        __asm__ volatile("inl %w1, %0" : "=a"(v) : "d"((uint16_t)(UKMON_HC_PORT_BASE + 1)));
        return (int)v;
    }
    if (!strcmp(c, "hc-byte"))
        __asm__ volatile("outb %%al, %%dx" : : "a"(0), "d"((uint16_t)(UKMON_HC_PORT_BASE + 1)));
    if (!strcmp(c, "hc-arg-outside"))
        port_out(UKMON_HC_PORT_BASE + UKMON_HC_WRITE, 0xfffffff0u);
    if (!strcmp(c, "hc-arg-last-byte")) /* struct starts at the last byte: runs past */
        port_out(UKMON_HC_PORT_BASE + UKMON_HC_WRITE,
                 (uint32_t)(ukmon_boot_info()->mem_size - 1));
    if (!strcmp(c, "loop"))
        for (;;)
            __asm__ volatile("" ::: "memory");
    printf("no such case '%s'\n", c);
    return 99;
}
