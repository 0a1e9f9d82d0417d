/* fork_state: registers, SSE, stack frames and TLS arrive intact in the child. */
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ukmon_abi.h"

static __thread int tls_counter = 42;
static __thread char tls_name[16] = "parent";

/*
 * The fork hypercall with known values in every callee-saved register and in
 * xmm0-xmm15; afterwards, in both VMs, each must still hold its value.
 */
static int raw_fork_check(int64_t *ret)
{
    struct ukmon_hc_fork a = {.ret = -1};
    uint64_t bad = 0;
    __asm__ volatile(
        "push %%rbx\n\t"
        "push %%rbp\n\t"
        "push %%r12\n\t"
        "push %%r13\n\t"
        "push %%r14\n\t"
        "push %%r15\n\t"
        "movabs $0x1111111111111111, %%rbx\n\t"
        "movabs $0x2222222222222222, %%rbp\n\t"
        "movabs $0x3333333333333333, %%r12\n\t"
        "movabs $0x4444444444444444, %%r13\n\t"
        "movabs $0x5555555555555555, %%r14\n\t"
        "movabs $0x6666666666666666, %%r15\n\t"
        "movq %%rbx, %%xmm0\n\t movq %%rbp, %%xmm1\n\t movq %%r12, %%xmm2\n\t"
        "movq %%r13, %%xmm3\n\t movq %%r14, %%xmm4\n\t movq %%r15, %%xmm5\n\t"
        "movq %%rbx, %%xmm6\n\t movq %%rbp, %%xmm7\n\t movq %%r12, %%xmm8\n\t"
        "movq %%r13, %%xmm9\n\t movq %%r14, %%xmm10\n\t movq %%r15, %%xmm11\n\t"
        "movq %%rbx, %%xmm12\n\t movq %%rbp, %%xmm13\n\t movq %%r12, %%xmm14\n\t"
        "movq %%r13, %%xmm15\n\t"
        "outl %%eax, %%dx\n\t"
        "xor %%rcx, %%rcx\n\t"
        "movabs $0x1111111111111111, %%rsi\n\t cmp %%rsi, %%rbx\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movabs $0x2222222222222222, %%rsi\n\t cmp %%rsi, %%rbp\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movabs $0x3333333333333333, %%rsi\n\t cmp %%rsi, %%r12\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movabs $0x4444444444444444, %%rsi\n\t cmp %%rsi, %%r13\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movabs $0x5555555555555555, %%rsi\n\t cmp %%rsi, %%r14\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movabs $0x6666666666666666, %%rsi\n\t cmp %%rsi, %%r15\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movq %%xmm0, %%rsi\n\t cmp %%rsi, %%rbx\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movq %%xmm5, %%rsi\n\t cmp %%rsi, %%r15\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movq %%xmm7, %%rsi\n\t cmp %%rsi, %%rbp\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movq %%xmm11, %%rsi\n\t cmp %%rsi, %%r15\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movq %%xmm14, %%rsi\n\t cmp %%rsi, %%r12\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "movq %%xmm15, %%rsi\n\t cmp %%rsi, %%r13\n\t setne %%cl\n\t add %%rcx, %%rdi\n\t"
        "pop %%r15\n\t"
        "pop %%r14\n\t"
        "pop %%r13\n\t"
        "pop %%r12\n\t"
        "pop %%rbp\n\t"
        "pop %%rbx\n\t"
        : "+D"(bad)
        : "a"((uint32_t)(uintptr_t)&a), "d"((uint16_t)(UKMON_HC_PORT_BASE + UKMON_HC_FORK))
        : "rcx", "rsi", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
          "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    *ret = a.ret;
    return (int)bad;
}

/* Forks at the bottom of deep recursion; both VMs unwind every frame and check it. */
static int deep(int n, int64_t *pid)
{
    volatile uint64_t mark = 0x9e3779b97f4a7c15ULL * (uint64_t)(n + 1);
    volatile double fmark = n * 1.5;
    int bad = 0;
    if (n == 0) {
        bad = raw_fork_check(pid);
    } else {
        bad = deep(n - 1, pid);
    }
    if (mark != 0x9e3779b97f4a7c15ULL * (uint64_t)(n + 1) || fmark != n * 1.5)
        bad++;
    return bad;
}

static void *thread_pointer(void)
{
    void *tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}

int main(void)
{
    tls_counter = 43;
    void *tp = thread_pointer();
    int64_t pid = -1;
    int bad = deep(2000, &pid);
    if (pid == 0) {
        int tls_ok = tls_counter == 43 && thread_pointer() == tp && tls_name[0] == 'p';
        tls_counter = 44;
        return (bad ? 1 : 0) | (tls_ok ? 0 : 2);
    }
    if (pid < 0) {
        printf("fork failed: %lld\n", (long long)pid);
        return 1;
    }
    int st;
    waitpid((pid_t)pid, &st, 0);
    printf("parent: registers, SSE and 2000 frames intact: %s\n", bad ? "no" : "yes");
    printf("child: registers, SSE and 2000 frames intact: %s\n",
           WIFEXITED(st) && !(WEXITSTATUS(st) & 1) ? "yes" : "no");
    printf("child: TLS variable and thread pointer intact: %s\n",
           WIFEXITED(st) && !(WEXITSTATUS(st) & 2) ? "yes" : "no");
    printf("parent: TLS unchanged by the child: %s\n", tls_counter == 43 ? "yes" : "no");
    return 0;
}
