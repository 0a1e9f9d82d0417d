/*
 * null_call: the cost of one round trip to the layer below: a null hypercall in a VM
 * (a VM exit to the monitor and back), getppid() on the host (a system call).
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#ifdef __ukmon__
#include "ukmon_guest.h"
#endif

/* Usage: null_call [N [NAME [write]]]: NAME names the result (the same host binary, run
 * as a Linux program under ukmon, measures a Linux system call); "write": the call is a
 * 1-byte write(2) to /dev/null instead of getppid(). */
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 20000;
    const char *name = argc > 2 ? argv[2] : "null_call";
    int null = argc > 3 && !strcmp(argv[3], "write") ? open("/dev/null", O_WRONLY) : -1;
    int64_t *t = calloc((size_t)n, 8);
    for (int i = 0; i < n; i++) {
        int64_t t0 = now_ns();
#ifdef __ukmon__
        (void)null; /* the unikernel's is a hypercall, whatever NAME says */
        ukmon_null_hypercall();
#else
        if (null >= 0)
            (void)!write(null, "x", 1);
        else
            (void)getppid();
#endif
        t[i] = now_ns() - t0;
    }
    report_us(name, t, n);
    return 0;
}
