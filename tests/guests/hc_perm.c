/*
 * hc_perm: hypercall buffers must be memory ring 3 may use that way: no read() into
 * the monitor's ring-0 stubs or the guest's own text, no write() from the GDT.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ukmon_guest.h"

static const char *e(long r)
{
    return r >= 0 ? "ok" : errno == EFAULT ? "EFAULT" : "other error";
}

static const struct pollfd ro_fds[1] = {{0, POLLIN, 0}};

int main(void)
{
    int p[2];
    if (pipe(p) < 0)
        return 1;
    write(p[1], "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 64);
    printf("read into the ring-0 exception stubs: %s\n", e(read(p[0], (void *)(uintptr_t)0x4030, 8)));
    printf("read into the page tables: %s\n", e(read(p[0], (void *)(uintptr_t)0x5000, 8)));
    printf("read into its own text: %s\n", e(read(p[0], (void *)(uintptr_t)main, 8)));
    printf("read into read-only data: %s\n", e(read(p[0], (void *)(uintptr_t)ro_fds, 8)));
    printf("read into the boot info: %s\n", e(read(p[0], (void *)(uintptr_t)ukmon_boot_info(), 8)));
    printf("write from the GDT: %s\n", e(write(p[1], (void *)(uintptr_t)0x1000, 8)));
    printf("write from the boot info: %s\n", e(write(p[1], ukmon_boot_info(), 8)));
    printf("write from its own text: %s\n", e(write(p[1], (void *)(uintptr_t)main, 8)));
    struct iovec iov = {(void *)(uintptr_t)0x2000, 16};
    printf("readv into the IDT: %s\n", e(readv(p[0], &iov, 1)));
    printf("poll with its array in read-only data: %s\n", e(poll((struct pollfd *)(uintptr_t)ro_fds, 1, 0)));
    char buf[8];
    printf("and ordinary buffers still work: %s\n", e(read(p[0], buf, 8)));
    return 0;
}
