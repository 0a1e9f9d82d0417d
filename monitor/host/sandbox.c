/* sandbox.c: the seccomp filter the monitor lives under once the guest runs. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/sig.h"
#include "sysnames.h"

/* The filters, built from host/filter/rules.c when libukmon was (gen.c). */
extern const struct sock_filter sandbox_bpf_monitor[], sandbox_bpf_connect[], sandbox_bpf_bind[],
    sandbox_bpf_connect_bind[], sandbox_bpf_remover[];
extern const unsigned short sandbox_bpf_monitor_len, sandbox_bpf_connect_len, sandbox_bpf_bind_len,
    sandbox_bpf_connect_bind_len, sandbox_bpf_remover_len;
extern const int sandbox_bpf_gsig;

/* no_new_privs, then the filter: what libseccomp's seccomp_load() did. */
static int filter_load(const struct sock_filter *f, unsigned short len)
{
    struct sock_fprog prog = {.len = len, .filter = (struct sock_filter *)(uintptr_t)f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -errno;
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
}

/*
 * A system call the filter refuses is a monitor bug (or a monitor taken over): the
 * process must die, but never silently. The filter traps (SIGSYS, the call not made)
 * instead of killing, so that this handler can name the call in one line on the
 * configured stderr before the process dies of SIGSYS (128 + 31 = 159, as a seccomp
 * kill would show). The only place libukmon writes on its own: the process is about
 * to die, and nobody else will be there to say why.
 *
 * Async-signal-safe: write(2), then the default action; no stdio, no malloc. The names
 * come from a plain table (sysnames.c): libseccomp's lookup allocates, and cost 0.3 ms
 * at every start.
 */
static const struct ukmon_vm *sigsys_vm;

static size_t put_str(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        buf[at++] = *s++;
    return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, unsigned long v)
{
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < (int)sizeof(digits));
    while (n > 0 && at < cap)
        buf[at++] = digits[--n];
    return at;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char line[512];
    size_t cap = sizeof(line) - 1, n = 0;
    int nr = si->si_syscall;
    n = put_str(line, n, cap, "ukmon: ");
    n = put_str(line, n, cap, sigsys_vm ? sigsys_vm->name : "guest");
    n = put_str(line, n, cap, ": the monitor's sandbox refused system call ");
    const char *name = si->si_arch == AUDIT_ARCH_X86_64 ? sysname_of((uint64_t)(unsigned)nr) : NULL;
    if (name) {
        n = put_str(line, n, cap, name);
        n = put_str(line, n, cap, " (");
        n = put_num(line, n, cap, (unsigned long)(unsigned)nr);
        n = put_str(line, n, cap, ")");
    } else {
        n = put_num(line, n, cap, (unsigned long)(unsigned)nr);
        n = put_str(line, n, cap, " (arch 0x");
        static const char hex[] = "0123456789abcdef";
        for (int shift = 28; shift >= 0; shift -= 4)
            if (n < cap)
                line[n++] = hex[(si->si_arch >> shift) & 0xf];
        n = put_str(line, n, cap, ")");
    }
    n = put_str(line, n, cap, "; this is a ukmon bug: please report it");
    line[n++] = '\n';
    int fd = sigsys_vm && sigsys_vm->cfg.stderr_fd >= 0 ? sigsys_vm->cfg.stderr_fd : 2;
    if (write(fd, line, n) < 0) {
        /* nowhere left to say it: the exit status still does */
    }
    /*
     * Die of the signal, as the seccomp kill would have; no core of the monitor. Should
     * any of these fail, _exit() below is the last word, with the same status.
     */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

static int sigsys_install(const struct ukmon_vm *vm)
{
    sigsys_vm = vm;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask); /* nothing else runs on the way out */
    if (sigaction(SIGSYS, &sa, NULL) < 0)
        return -errno;
    /* Blocked, a trap would kill without the handler: an embedder's mask must not. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGSYS);
    return sigprocmask(SIG_UNBLOCK, &set, NULL) < 0 ? -errno : 0;
}

/*
 * The private /tmp's remover (kernel/fs_tmp.c) waits on a pipe, then removes one
 * folder below a directory fd it holds: that and leaving is all it may do (rules.c).
 */
int sandbox_install_remover(void)
{
    return filter_load(sandbox_bpf_remover, sandbox_bpf_remover_len);
}

/*
 * no_new_privs first, then a filter that traps anything not listed: on_sigsys() names
 * it and the process dies of SIGSYS. Inherited, with the handler, by every forked
 * monitor. TCP sockets only for a VM that may connect somewhere (--connect) or bind
 * any port of a network namespace of its own (bind_any).
 */
int sandbox_install(struct ukmon_vm *vm)
{
    if (sandbox_bpf_gsig != gsig_host_signal())
        return vm_fail(vm, -EINVAL, "installing the seccomp sandbox: it was built for signal %d "
                       "between monitors, this libc's is %d", sandbox_bpf_gsig, gsig_host_signal());
    int r = sigsys_install(vm);
    if (r < 0)
        return vm_fail(vm, r, "installing the SIGSYS handler: %s", strerror(-r));
    bool connect = vm->net.nallow, bind = vm->cfg.bind_any;
    if (connect && bind)
        r = filter_load(sandbox_bpf_connect_bind, sandbox_bpf_connect_bind_len);
    else if (bind)
        r = filter_load(sandbox_bpf_bind, sandbox_bpf_bind_len);
    else if (connect)
        r = filter_load(sandbox_bpf_connect, sandbox_bpf_connect_len);
    else
        r = filter_load(sandbox_bpf_monitor, sandbox_bpf_monitor_len);
    if (r < 0)
        return vm_fail(vm, r, "installing the seccomp sandbox: %s", strerror(-r));
    return 0;
}
