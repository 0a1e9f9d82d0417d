/* hc_args: hostile addresses and lengths in write/read are errors, never crashes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ukmon_guest.h"

static int64_t raw_write(uint64_t fd, uint64_t buf, uint64_t len)
{
    struct ukmon_hc_rw a = {.fd = (int64_t)fd, .buf = buf, .len = len};
    __asm__ volatile("outl %0, %w1"
                     :
                     : "a"((uint32_t)(uintptr_t)&a), "d"((uint16_t)(UKMON_HC_PORT_BASE + UKMON_HC_WRITE))
                     : "memory");
    return a.ret;
}

static void show(const char *what, int64_t r)
{
    printf("%s: %s\n", what, r >= 0 ? "ok" : r == -EFAULT ? "EFAULT" : r == -EBADF ? "EBADF" : "other error");
}

int main(void)
{
    uint64_t mem = ukmon_boot_info()->mem_size;
    int fds[2];
    if (pipe(fds) < 0) /* a sink for the writes that are allowed */
        return 1;
    int w = fds[1];
    show("end of memory, length 0", raw_write(w, mem, 0));
    show("end of memory, length 1", raw_write(w, mem, 1));
    show("last byte, length 1", raw_write(w, mem - 1, 1));
    show("last byte, length 2", raw_write(w, mem - 1, 2));
    show("near 2^64", raw_write(w, UINT64_MAX - 15, 8));
    show("length wraps around", raw_write(w, 0x300000, UINT64_MAX - 0x2fffff));
    show("length 4 GiB", raw_write(w, 0x300000, 1ULL << 32));
    show("length 2^64-1", raw_write(w, 0, UINT64_MAX));
    show("fd 1000", raw_write(1000, 0x300000, 1));
    show("fd -1", raw_write((uint64_t)-1, 0x300000, 1));
    show("fd 2^40", raw_write(1ULL << 40, 0x300000, 1));
    char buf[8];
    errno = 0;
    ssize_t n = read(fds[0], (void *)(uintptr_t)(mem - 4), 16);
    printf("read past the end: %s\n", n < 0 && errno == EFAULT ? "EFAULT" : "wrong");
    return 0;
    (void)buf;
}
