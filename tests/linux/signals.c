/*
 * signals: handlers, masks, frames, restarts, stops, timers and faults of a Linux
 * program, each printed as one line. Its output on the host is its expected output
 * under ukmon.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>

#include "lxtest.h"

static volatile sig_atomic_t got, depth, maxdepth, calls;
static char order[64];
static volatile int norder;
static siginfo_t last;

static void note(char c)
{
    if (norder < (int)sizeof(order) - 1)
        order[norder++] = c;
}

static void take(int sig, void (*fn)(int, siginfo_t *, void *), int flags, sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) < 0)
        say("sigaction %d: %s\n", sig, ename(errno));
}

static void on_record(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    last = *si;
}

static const char *code_name(int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_TIMER: return "SI_TIMER";
    case SI_KERNEL: return "SI_KERNEL";
    default: return "other";
    }
}

static void basics(void)
{
    take(SIGUSR1, on_record, 0, NULL);
    got = 0;
    kill(getpid(), SIGUSR1);
    say("kill: handler got %d, %s, from itself %s\n", got, code_name(last.si_code),
        last.si_pid == getpid() ? "yes" : "no");
    got = 0;
    raise(SIGUSR1);
    say("raise: handler got %d, %s\n", got, code_name(last.si_code));
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    got = 0;
    kill(getpid(), SIGUSR1);
    sigpending(&pend);
    say("blocked: handler ran %s, pending %s\n", got ? "yes" : "no",
        sigismember(&pend, SIGUSR1) ? "yes" : "no");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    say("unblocked: handler ran %s\n", got ? "yes" : "no");
    struct sigaction sa = {.sa_handler = SIG_IGN};
    say("sigaction(SIGKILL): %s, ", RES(sigaction(SIGKILL, &sa, NULL)));
    say("kill(sig 99): %s, ", RES(kill(getpid(), 99)));
    say("kill(no such pid): %s\n", RES(kill(999999, 0)));
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    note('2');
}

static void on_usr1_nested(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    note('(');
    kill(getpid(), SIGUSR2);
    note(')');
}

static void on_recurse(int sig, siginfo_t *si, void *uc)
{
    (void)si, (void)uc;
    depth++;
    if (depth > maxdepth)
        maxdepth = depth;
    if (++calls < 3)
        kill(getpid(), sig);
    depth--;
}

static void nesting(void)
{
    take(SIGUSR2, on_usr2, 0, NULL);
    take(SIGUSR1, on_usr1_nested, 0, NULL);
    norder = 0;
    kill(getpid(), SIGUSR1);
    order[norder] = 0;
    say("nested: %s (a handler interrupted by another)\n", order);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    take(SIGUSR1, on_usr1_nested, 0, &m);
    norder = 0;
    kill(getpid(), SIGUSR1);
    order[norder] = 0;
    say("sa_mask: %s (held until the handler returned)\n", order);
    take(SIGUSR1, on_recurse, SA_NODEFER, NULL);
    maxdepth = calls = 0;
    kill(getpid(), SIGUSR1);
    take(SIGUSR1, on_recurse, 0, NULL);
    int nodefer = maxdepth;
    maxdepth = calls = 0;
    kill(getpid(), SIGUSR1);
    say("SA_NODEFER: depth %d; without it: depth %d\n", nodefer, maxdepth);
}

static void resethand_child(void)
{
    take(SIGUSR1, on_record, SA_RESETHAND, NULL);
    kill(getpid(), SIGUSR1);
    say("SA_RESETHAND: first one handled\n");
    kill(getpid(), SIGUSR1);
    say("not reached\n");
}

/* A leaf function's locals below %rsp, then a signal: the frame goes below them. */
static void on_scribble(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    volatile char junk[512];
    memset((void *)junk, 0x55, sizeof(junk));
}

static void red_zone(void)
{
    take(SIGUSR1, on_scribble, 0, NULL);
    uint64_t sum = 0, pid = (uint64_t)getpid();
    __asm__ volatile(
        "movq $0x1111, -8(%%rsp)\n\t"
        "movq $0x2222, -64(%%rsp)\n\t"
        "movq $0x3333, -128(%%rsp)\n\t"
        "mov %[pid], %%rdi\n\t"
        "mov $10, %%esi\n\t"  /* SIGUSR1 */
        "mov $62, %%eax\n\t"  /* kill */
        "syscall\n\t"
        "mov -8(%%rsp), %[sum]\n\t"
        "add -64(%%rsp), %[sum]\n\t"
        "add -128(%%rsp), %[sum]\n\t"
        : [sum] "+r"(sum)
        : [pid] "r"(pid)
        : "rax", "rdi", "rsi", "rcx", "r11", "memory");
    say("red zone: %s\n", sum == 0x6666 ? "intact" : "overwritten");
}

/* The FP and SSE registers and MXCSR of the interrupted code survive a handler that uses them. */
static void on_fp(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    volatile double d = 1.0;
    for (int i = 0; i < 10; i++)
        d = d * 3.7 + 0.1;
    unsigned csr = 0x7f80; /* round toward zero, all masked */
    __asm__ volatile("ldmxcsr %0\n\t"
                     "pxor %%xmm0, %%xmm0\n\tpxor %%xmm7, %%xmm7\n\tpxor %%xmm15, %%xmm15\n\t"
                     "fldpi\n\tfldpi\n\tfstp %%st(0)\n\tfstp %%st(0)"
                     :: "m"(csr) : "xmm0", "xmm7", "xmm15");
    got = (int)d;
}

static void fp_state(void)
{
    take(SIGUSR1, on_fp, 0, NULL);
    double in[3] = {1.5, -2.25, 1e300}, out[3];
    unsigned csr_in = 0x3f80, csr_out = 0; /* round down */
    uint64_t pid = (uint64_t)getpid();
    __asm__ volatile(
        "ldmxcsr %[ci]\n\t"
        "movsd 0(%[in]), %%xmm0\n\t"
        "movsd 8(%[in]), %%xmm7\n\t"
        "movsd 16(%[in]), %%xmm15\n\t"
        "mov %[pid], %%rdi\n\t"
        "mov $10, %%esi\n\t"
        "mov $62, %%eax\n\t"
        "syscall\n\t"
        "movsd %%xmm0, 0(%[out])\n\t"
        "movsd %%xmm7, 8(%[out])\n\t"
        "movsd %%xmm15, 16(%[out])\n\t"
        "stmxcsr %[co]\n\t"
        "ldmxcsr %[def]\n\t"
        : [co] "=m"(csr_out)
        : [in] "r"(in), [out] "r"(out), [pid] "r"(pid), [ci] "m"(csr_in), [def] "m"((unsigned){0x1f80})
        : "rax", "rdi", "rsi", "rcx", "r11", "xmm0", "xmm7", "xmm15", "memory");
    int same = memcmp(in, out, sizeof(in)) == 0 && csr_out == csr_in;
    say("FP state across a handler that used FP: %s\n", same ? "intact" : "changed");
}

static char altstack[65536];
static volatile int on_alt, flags_inside;

static void on_alt_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    char local;
    on_alt = &local > altstack && &local < altstack + sizeof(altstack);
    stack_t cur;
    sigaltstack(NULL, &cur);
    flags_inside = cur.ss_flags;
}

static void alt_stack(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0}, old;
    say("sigaltstack: %s\n", RES(sigaltstack(&ss, &old)));
    take(SIGUSR2, on_alt_handler, SA_ONSTACK, NULL);
    kill(getpid(), SIGUSR2);
    say("SA_ONSTACK: handler on the alternate stack %s, SS_ONSTACK there %s\n",
        on_alt ? "yes" : "no", (flags_inside & SS_ONSTACK) ? "yes" : "no");
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

static int tick_pipe[2];
static volatile int ticks;

static void on_tick(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    if (++ticks == 3)
        write(tick_pipe[1], "x", 1);
}

static void itimer(long usec)
{
    struct itimerval it = {.it_interval = {0, usec}, .it_value = {0, usec}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void restarts(void)
{
    char c;
    pipe(tick_pipe);
    take(SIGALRM, on_tick, 0, NULL);
    ticks = 0;
    itimer(20000);
    ssize_t r = read(tick_pipe[0], &c, 1);
    int e = errno;
    itimer(0);
    say("read interrupted, no SA_RESTART: %zd %s after %d tick\n", r, ename(e), ticks);
    take(SIGALRM, on_tick, SA_RESTART, NULL);
    ticks = 0;
    itimer(20000);
    r = read(tick_pipe[0], &c, 1);
    itimer(0);
    say("read with SA_RESTART: %zd byte, after %d ticks\n", r, ticks);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    say("getitimer after disarming: %ld.%06ld\n", (long)cur.it_value.tv_sec,
        (long)cur.it_value.tv_usec);
    alarm(5);
    unsigned left = alarm(0);
    say("alarm(5) then alarm(0): %u left\n", left);
    close(tick_pipe[0]);
    close(tick_pipe[1]);
}

static void waits(void)
{
    sigset_t set, old, none;
    sigemptyset(&set);
    sigemptyset(&none);
    sigaddset(&set, SIGUSR1);
    take(SIGUSR1, on_record, 0, NULL);
    sigprocmask(SIG_BLOCK, &set, &old);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    got = 0;
    int r = sigsuspend(&none);
    int e = errno;
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    say("sigsuspend: %d %s, handler got %d from the child %s, mask back %s\n", r, ename(e),
        got, last.si_pid == p ? "yes" : "no", sigismember(&now, SIGUSR1) ? "yes" : "no");
    waitpid(p, NULL, 0);
    sigset_t w;
    sigemptyset(&w);
    sigaddset(&w, SIGUSR2);
    sigprocmask(SIG_BLOCK, &w, NULL);
    kill(getpid(), SIGUSR2);
    siginfo_t si;
    struct timespec ts = {0, 10000000};
    int s = sigtimedwait(&w, &si, &ts);
    say("sigtimedwait: %d, %s\n", s, code_name(si.si_code));
    s = sigtimedwait(&w, &si, &ts);
    say("sigtimedwait with nothing pending: %d %s\n", s, ename(errno));
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static volatile pid_t chld_pid;
static volatile int chld_code, chld_status;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    chld_pid = si->si_pid;
    chld_code = si->si_code;
    chld_status = si->si_status;
}

static void children(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    take(SIGCHLD, on_chld, SA_NOCLDSTOP, NULL);
    sigprocmask(SIG_BLOCK, &set, &old);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        _exit(3);
    chld_pid = 0;
    while (!chld_pid)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    say("SIGCHLD: from the child %s, CLD_EXITED %s, status %d\n", chld_pid == p ? "yes" : "no",
        chld_code == CLD_EXITED ? "yes" : "no", chld_status);
    waitpid(p, NULL, 0);

    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGCHLD, &ign, NULL);
    for (int i = 0; i < 5; i++)
        if (fork() == 0)
            _exit(0);
    int st;
    say("SIGCHLD ignored: wait gives %s\n", RES(wait(&st)));
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGCHLD, &dfl, NULL);

    p = fork();
    if (p == 0) {
        for (;;)
            pause();
    }
    kill(p, SIGSTOP);
    waitpid(p, &st, WUNTRACED);
    say("stopped: WIFSTOPPED %d, signal %d\n", WIFSTOPPED(st), WSTOPSIG(st));
    kill(p, SIGCONT);
    waitpid(p, &st, WCONTINUED);
    say("continued: WIFCONTINUED %d\n", WIFCONTINUED(st));
    kill(p, SIGTERM);
    waitpid(p, &st, 0);
    say("then SIGTERM: %s\n", how(st));
}

static void sigpipe_child(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    write(p[1], "x", 1);
    say("not reached\n");
}

static void abort_child(void)
{
    abort();
}

static volatile int spin_done;

static void on_spin(int sig)
{
    (void)sig;
    spin_done = 1;
}

static void async_delivery(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        signal(SIGUSR1, on_spin);
        write(p[1], "r", 1);
        while (!spin_done)
            ;
        _exit(7);
    }
    char b;
    read(p[0], &b, 1);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    kill(c, SIGUSR1);
    int st;
    waitpid(c, &st, 0);
    say("a child spinning without system calls took the signal: %s\n", how(st));
    close(p[0]);
    close(p[1]);
}

static sigjmp_buf jb;
static volatile uintptr_t fault_addr;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    fault_code = si->si_code;
    siglongjmp(jb, 1);
}

static void faults(void)
{
    take(SIGSEGV, on_segv, 0, NULL);
    if (sigsetjmp(jb, 1) == 0)
        *(volatile int *)0 = 1;
    say("SIGSEGV handler: address %#lx, SEGV_MAPERR %s\n", (unsigned long)fault_addr,
        fault_code == SEGV_MAPERR ? "yes" : "no");
    char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int reached = 0;
    if (sigsetjmp(jb, 1) == 0)
        page[10] = 1;
    else
        reached = 1;
    say("write to a read-only page: handler ran %s\n", reached ? "yes" : "no");
    munmap(page, 4096);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGSEGV, &dfl, NULL);
}

static void on_rax(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_RAX] = 42;
}

static void on_forge_cs(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_CSGSFS] = (uc->uc_mcontext.gregs[REG_CSGSFS] & ~0xffffLL) | 0x08;
}

static void on_forge_rip(int sig, siginfo_t *si, void *ucv)
{
    (void)sig, (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_RIP] = 0x1000;
}

static void forge_cs_child(void)
{
    take(SIGUSR1, on_forge_cs, 0, NULL);
    kill(getpid(), SIGUSR1);
    say("not reached\n");
}

static void forge_rip_child(void)
{
    take(SIGUSR1, on_forge_rip, 0, NULL);
    kill(getpid(), SIGUSR1);
    say("not reached\n");
}

static void frames(void)
{
    take(SIGUSR1, on_rax, 0, NULL);
    long r = syscall(SYS_kill, getpid(), SIGUSR1);
    say("a handler may change the registers it returns to: kill returned %ld\n", r);
    say("a frame asking for ring 0's code segment: %s\n", in_child(forge_cs_child));
    say("a frame returning to a kernel address: %s\n", in_child(forge_rip_child));
}

static volatile int timer_value;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    timer_value = si->si_value.sival_int;
    chld_code = si->si_code;
}

static void timers(void)
{
    take(SIGUSR2, on_timer, 0, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    ev.sigev_value.sival_int = 77;
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0) {
        say("timer_create: %s\n", ename(errno));
        return;
    }
    struct itimerspec its = {.it_value = {0, 20000000}};
    timer_value = 0;
    timer_settime(t, 0, &its, NULL);
    while (!timer_value)
        pause();
    say("timer_create: signal with value %d, SI_TIMER %s\n", timer_value,
        chld_code == SI_TIMER ? "yes" : "no");
    say("timer_delete: %s\n", RES(timer_delete(t)));
}

int main(void)
{
    basics();
    nesting();
    say("SA_RESETHAND, second one: %s\n", in_child(resethand_child));
    red_zone();
    fp_state();
    alt_stack();
    restarts();
    waits();
    children();
    say("write to a pipe with no reader: %s\n", in_child(sigpipe_child));
    say("abort(): %s\n", in_child(abort_child));
    async_delivery();
    faults();
    frames();
    timers();
    say("done\n");
    return 0;
}
