/*
 * wakehostile.c (ukmon only: port I/O faults on the host): a program that writes
 * every byte to the port of the guest-side layer's ring wakes (0xde), with pipes open
 * and closed, and wider writes that the TSS bitmap refuses. Each byte is a wake of a
 * ring of its own at most (ioeventfd, or the monitor's check); nothing else happens,
 * and a wider OUT is the fault it is on Linux for a closed port.
 */
#include <signal.h>
#include <setjmp.h>

#include "lxtest.h"

static sigjmp_buf back;

static void on_segv(int s)
{
    (void)s;
    siglongjmp(back, 1);
}

int main(void)
{
    int p[2], q[2];
    if (pipe(p) < 0 || pipe(q) < 0)
        return 1;
    for (int round = 0; round < 2; round++) {
        for (unsigned v = 0; v < 256; v++)
            __asm__ volatile("outb %0, $0xde" : : "a"((unsigned char)v));
        close(q[0]);
        close(q[1]);
    }
    write(p[1], "ok", 2);
    char b[3] = {0};
    read(p[0], b, 2);
    say("every byte to the wake port: the pipe still says %s\n", b);
    signal(SIGSEGV, on_segv);
    int faulted = sigsetjmp(back, 1);
    if (!faulted)
        __asm__ volatile("outl %%eax, $0xde" : : "a"(1));
    say("a 4-byte OUT there: %s\n", faulted ? "SIGSEGV" : "no fault");
    return 0;
}
