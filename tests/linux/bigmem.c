/*
 * bigmem.c: memory as ordinary programs expect it by default (no --mem): large
 * allocations, and a touch far from every mapping faults at its own address.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

#include "lxtest.h"

static sigjmp_buf back;
static volatile uintptr_t fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    siglongjmp(back, 1);
}

/* What touching `at` does: "ok", or the fault's code and whether si_addr is `at`. */
static const char *touch(uintptr_t at, int exec)
{
    static char b[64];
    fault_addr = 0;
    if (sigsetjmp(back, 1) == 0) {
        if (exec)
            ((void (*)(void))at)();
        else
            (void)*(volatile char *)at;
        return "ok";
    }
    snprintf(b, sizeof(b), "SIGSEGV %s, at that address: %s",
             fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other",
             fault_addr == at ? "yes" : "no");
    return b;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);
    /* Far from the program, its heap, its mappings and its stack, on any system. */
    uintptr_t far = 0x20000000;
    say("reading 512 MiB up, where nothing is mapped: %s\n", touch(far + 0x1234, 0));
    say("jumping there: %s\n", touch(far + 0x3000, 1));
    size_t sizes[] = {64u << 20, 256u << 20, 512u << 20};
    for (int i = 0; i < 3; i++) {
        char *p = malloc(sizes[i]);
        int ok = p != NULL;
        if (p) {
            memset(p, 0x5a, 1 << 20);
            p[sizes[i] - 1] = 7;
            p[sizes[i] / 2] = 9;
            ok = p[0] == 0x5a && p[sizes[i] - 1] == 7 && p[sizes[i] / 2] == 9;
            free(p);
        }
        say("malloc(%zu MiB), touched at both ends and the middle: %s\n", sizes[i] >> 20,
            ok ? "ok" : "failed");
    }
    char *m = mmap(NULL, 96u << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("mmap of 96 MiB: %s\n", m == MAP_FAILED ? ename(errno) : "ok");
    if (m != MAP_FAILED) {
        for (size_t o = 0; o < (96u << 20); o += 4u << 20)
            m[o] = (char)o;
        say("a byte every 4 MiB of it: %s\n", m[92u << 20] == (char)(92u << 20) ? "ok" : "wrong");
    }
    return 0;
}
