/* fault: misbehaves in the way argv[1] names; the monitor must end it cleanly. */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
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

/*
 * String output of a valid argument address to the getpid hypercall port: the data
 * would make a good hypercall, but the instruction is OUTS, which must be refused.
 */
static void string_out(bool rep)
{
    static struct ukmon_hc_getpid a;
    static uint32_t words[2];
    words[0] = words[1] = (uint32_t)(uintptr_t)&a;
    uint16_t port = UKMON_HC_PORT_BASE + UKMON_HC_GETPID;
    const void *src = words;
    unsigned long count = 2;
    if (rep)
        __asm__ volatile("rep outsl" : "+S"(src), "+c"(count) : "d"(port) : "memory");
    else
        __asm__ volatile("outsl" : "+S"(src) : "d"(port) : "memory");
}

/*
 * A valid hypercall whose OUT follows a byte that ends OUTS (0x6f): where KVM reports
 * RIP at the OUT, the monitor cannot tell it from OUTS by the bytes alone and must
 * look harder. It must work.
 */
static int getpid_after_6f(void)
{
    struct ukmon_hc_getpid a = {0};
    __asm__ volatile("jmp 1f\n\t.byte 0x6f\n1:\toutl %0, %w1"
                     : : "a"((uint32_t)(uintptr_t)&a),
                       "d"((uint16_t)(UKMON_HC_PORT_BASE + UKMON_HC_GETPID)) : "memory");
    return a.ret == 0 && a.pid == getpid() ? 0 : 1;
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
    if (!strcmp(c, "outs"))
        string_out(false);
    if (!strcmp(c, "rep-outs"))
        string_out(true);
    if (!strcmp(c, "hc-after-6f")) {
        int r = getpid_after_6f();
        printf("hypercall after a 0x6f byte: %s\n", r ? "failed" : "ok");
        return r;
    }
    if (!strcmp(c, "loop"))
        for (;;)
            __asm__ volatile("" ::: "memory");
    printf("no such case '%s'\n", c);
    return 99;
}
