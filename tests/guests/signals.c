/* signals: the guest library's signal calls, frames and faults, one line each. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ukmon_abi.h"

static volatile sig_atomic_t got, code, from;
static char order[32];
static volatile int norder;

static void say(const char *s)
{
    fputs(s, stdout);
    fflush(stdout);
}

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    code = si->si_code;
    from = si->si_pid;
}

static void take(int sig, void (*fn)(int, siginfo_t *, void *), int flags, sigset_t mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sa.sa_mask = mask;
    if (sigaction(sig, &sa, NULL) < 0)
        printf("sigaction %d failed: %d\n", sig, errno);
}

static const char *how(int st)
{
    static char b[32];
    if (WIFEXITED(st))
        snprintf(b, sizeof(b), "exit %d", WEXITSTATUS(st));
    else
        snprintf(b, sizeof(b), "signal %d", WTERMSIG(st));
    return b;
}

static const char *in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        fn();
        _exit(0);
    }
    int st = 0;
    waitpid(p, &st, 0);
    return how(st);
}

static void on_two(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    order[norder++] = '2';
}

static void on_one(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    order[norder++] = '(';
    raise(SIGUSR2);
    order[norder++] = ')';
}

static void basics(void)
{
    take(SIGUSR1, on_info, 0, 0);
    kill(getpid(), SIGUSR1);
    printf("kill: handler got %d, si_code %d, from itself %s\n", (int)got, (int)code,
           from == getpid() ? "yes" : "no");
    take(SIGUSR2, on_two, 0, 0);
    take(SIGUSR1, on_one, 0, 0);
    norder = 0;
    raise(SIGUSR1);
    order[norder] = 0;
    printf("nested: %s\n", order);
    sigset_t m = 0;
    sigaddset(&m, SIGUSR2);
    take(SIGUSR1, on_one, 0, m);
    norder = 0;
    raise(SIGUSR1);
    order[norder] = 0;
    printf("sa_mask: %s\n", order);
    sigset_t set = 0, pend = 0;
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    norder = 0;
    raise(SIGUSR2);
    sigpending(&pend);
    printf("blocked: ran %d, pending %d\n", norder, sigismember(&pend, SIGUSR2));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("unblocked: ran %d\n", norder);
    int r = kill(getpid(), 99);
    printf("kill(sig 99): %d errno %d; ", r, errno);
    r = kill(99999, 0);
    printf("kill(a pid outside the tree): %d errno %d (ESRCH %d)\n", r, errno, ESRCH);
    fflush(stdout);
}

static void on_scribble(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    volatile char junk[512];
    memset((void *)junk, 0x55, sizeof(junk));
    double d = 1.0;
    for (int i = 0; i < 10; i++)
        d = d * 3.7 + 0.1;
    unsigned csr = 0x7f80;
    __asm__ volatile("ldmxcsr %0\n\tpxor %%xmm0, %%xmm0\n\tpxor %%xmm15, %%xmm15"
                     :: "m"(csr) : "xmm0", "xmm15");
    got = (int)d;
}

/* The hypercall straight from asm: nothing between the locals and the signal. */
static struct ukmon_hc_kill killme;

static void red_zone_and_fp(void)
{
    take(SIGUSR1, on_scribble, 0, 0);
    killme.pid = getpid();
    killme.sig = SIGUSR1;
    uint64_t sum = 0;
    double in[2] = {1.5, -2.25}, out[2];
    unsigned csr_in = 0x3f80, csr_out = 0, def = 0x1f80;
    __asm__ volatile(
        "ldmxcsr %[ci]\n\t"
        "movsd 0(%[in]), %%xmm0\n\t"
        "movsd 8(%[in]), %%xmm15\n\t"
        "movq $0x1111, -8(%%rsp)\n\t"
        "movq $0x2222, -64(%%rsp)\n\t"
        "movq $0x3333, -128(%%rsp)\n\t"
        "mov %[arg], %%eax\n\t"
        "mov %[port], %%edx\n\t"
        "out %%eax, (%%dx)\n\t"
        "mov -8(%%rsp), %[sum]\n\t"
        "add -64(%%rsp), %[sum]\n\t"
        "add -128(%%rsp), %[sum]\n\t"
        "movsd %%xmm0, 0(%[out])\n\t"
        "movsd %%xmm15, 8(%[out])\n\t"
        "stmxcsr %[co]\n\t"
        "ldmxcsr %[def]\n\t"
        : [sum] "+r"(sum), [co] "=m"(csr_out)
        : [arg] "r"((uint32_t)(uintptr_t)&killme), [port] "i"(UKMON_HC_PORT_BASE + UKMON_HC_KILL),
          [in] "r"(in), [out] "r"(out), [ci] "m"(csr_in), [def] "m"(def)
        : "rax", "rdx", "xmm0", "xmm15", "memory");
    printf("red zone: %s; FP state: %s\n", sum == 0x6666 ? "intact" : "overwritten",
           memcmp(in, out, sizeof(in)) == 0 && csr_in == csr_out ? "intact" : "changed");
}

static void pipe_child(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    write(p[1], "x", 1);
    say("not reached\n");
}


static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    printf("SIGSEGV handler: address %p, SEGV_MAPERR %s\n", si->si_addr,
           si->si_code == SEGV_MAPERR ? "yes" : "no");
    fflush(stdout);
    _exit(3);
}

static void segv_child(void)
{
    take(SIGSEGV, on_segv, 0, 0);
    volatile uintptr_t bad = 8;
    *(volatile int *)bad = 1;
}

/* ucontext offsets (Linux's): mcontext at 40, then gregs; cs in gregs[18], rax gregs[13]. */
static void on_forge(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si;
    *(uint16_t *)((char *)uc + 40 + 18 * 8) = 0x08;
}

static void forge_child(void)
{
    take(SIGUSR1, on_forge, 0, 0);
    raise(SIGUSR1);
    say("not reached\n");
}

static void on_alarm(int sig)
{
    got = sig;
}

static void waits(void)
{
    signal(SIGALRM, on_alarm);
    got = 0;
    printf("alarm(1): %u\n", alarm(1));
    fflush(stdout);
    int r = pause();
    printf("pause: %d errno EINTR %s, SIGALRM came %s\n", r, errno == EINTR ? "yes" : "no",
           got == SIGALRM ? "yes" : "no");
    take(SIGUSR1, on_info, 0, 0);
    sigset_t block = 0, old = 0;
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    got = 0;
    r = sigsuspend(&old);
    sigset_t now = 0;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("sigsuspend: %d, handler got %d from the child %s, mask back %s\n", r, (int)got,
           from == c ? "yes" : "no", sigismember(&now, SIGUSR1) ? "yes" : "no");
    sigprocmask(SIG_SETMASK, &old, NULL);
    waitpid(c, NULL, 0);
}

static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
    (void)sig;
    chld++;
}

static void children(void)
{
    signal(SIGCHLD, on_chld);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        _exit(4);
    while (!chld)
        pause();
    int st;
    waitpid(c, &st, 0);
    printf("SIGCHLD came, the child: %s\n", how(st));
    c = fork();
    if (c == 0)
        for (;;)
            pause();
    kill(c, SIGTERM);
    waitpid(c, &st, 0);
    printf("kill(child, SIGTERM): %s\n", how(st));
    signal(SIGCHLD, SIG_IGN);
    for (int i = 0; i < 3; i++)
        if (fork() == 0)
            _exit(0);
    int r = wait(&st);
    printf("SIGCHLD ignored: wait %d errno ECHILD %s\n", r, errno == ECHILD ? "yes" : "no");
    signal(SIGCHLD, SIG_DFL);
}

int main(void)
{
    basics();
    red_zone_and_fp();
    printf("write to a pipe with no reader: %s\n", in_child(pipe_child));
    printf("NULL write: %s\n", in_child(segv_child));
    printf("a frame asking for ring 0's code segment: %s\n", in_child(forge_child));
    waits();
    children();
    printf("done\n");
    return 0;
}
