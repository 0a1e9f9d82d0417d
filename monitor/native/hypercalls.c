/* hypercalls.c: the hypercall table, argument fetching and tracing. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kvm/vmm.h"
#include "native/hypercalls.h"
#include "profile.h"

struct hc_desc {
    const char *name;
    uint32_t size;          /* of the argument struct */
    uint32_t nfields;       /* fields printed by --trace, all 64-bit */
    enum run_next (*fn)(struct ukmon_vm *vm, void *arg);
};

#define HC(nr, nm, type, handler) \
    [nr] = {nm, sizeof(type), sizeof(type) / 8, handler}

static const struct hc_desc hc_table[UKMON_HC_COUNT] = {
    HC(UKMON_HC_WRITE, "write", struct ukmon_hc_rw, hc_write),
    HC(UKMON_HC_READ, "read", struct ukmon_hc_rw, hc_read),
    HC(UKMON_HC_EXIT, "exit", struct ukmon_hc_exit, hc_exit),
    HC(UKMON_HC_ABORT, "abort", struct ukmon_hc_abort, hc_abort),
    HC(UKMON_HC_CLOCK, "clock", struct ukmon_hc_clock, hc_clock),
    HC(UKMON_HC_SET_TLS, "set_tls", struct ukmon_hc_set_tls, hc_set_tls),
    HC(UKMON_HC_FORK, "fork", struct ukmon_hc_fork, hc_fork),
    HC(UKMON_HC_WAITPID, "waitpid", struct ukmon_hc_waitpid, hc_waitpid),
    HC(UKMON_HC_GETPID, "getpid", struct ukmon_hc_getpid, hc_getpid),
    HC(UKMON_HC_NANOSLEEP, "nanosleep", struct ukmon_hc_nanosleep, hc_nanosleep),
    HC(UKMON_HC_YIELD, "sched_yield", struct ukmon_hc_ret, hc_yield),
    HC(UKMON_HC_PIPE, "pipe", struct ukmon_hc_pipe, hc_pipe),
    HC(UKMON_HC_CLOSE, "close", struct ukmon_hc_fd, hc_close),
    HC(UKMON_HC_DUP, "dup", struct ukmon_hc_dup, hc_dup),
    HC(UKMON_HC_RWV, "rwv", struct ukmon_hc_rwv, hc_rwv),
    HC(UKMON_HC_POLL, "poll", struct ukmon_hc_poll, hc_poll),
    HC(UKMON_HC_NULL, "null", struct ukmon_hc_ret, hc_null),
    HC(UKMON_HC_OPEN, "open", struct ukmon_hc_open, hc_open),
    HC(UKMON_HC_STAT, "stat", struct ukmon_hc_stat, hc_stat),
    HC(UKMON_HC_GETDENTS, "getdents", struct ukmon_hc_rw, hc_getdents),
    HC(UKMON_HC_UNLINK, "unlink", struct ukmon_hc_path, hc_unlink),
    HC(UKMON_HC_MKDIR, "mkdir", struct ukmon_hc_path, hc_mkdir),
    HC(UKMON_HC_LSEEK, "lseek", struct ukmon_hc_lseek, hc_lseek),
    HC(UKMON_HC_CHDIR, "chdir", struct ukmon_hc_path, hc_chdir),
    HC(UKMON_HC_SIGACTION, "sigaction", struct ukmon_hc_sigaction, hc_sigaction),
    HC(UKMON_HC_SIGPROCMASK, "sigprocmask", struct ukmon_hc_sigprocmask, hc_sigprocmask),
    HC(UKMON_HC_KILL, "kill", struct ukmon_hc_kill, hc_kill),
    HC(UKMON_HC_SIGRETURN, "sigreturn", struct ukmon_hc_ret, hc_sigreturn),
    HC(UKMON_HC_SIGSUSPEND, "sigsuspend", struct ukmon_hc_sigsuspend, hc_sigsuspend),
    HC(UKMON_HC_ALARM, "alarm", struct ukmon_hc_alarm, hc_alarm),
    HC(UKMON_HC_SOCKET, "socket", struct ukmon_hc_socket, hc_socket),
    HC(UKMON_HC_BIND, "bind", struct ukmon_hc_sockaddr, hc_bind),
    HC(UKMON_HC_LISTEN, "listen", struct ukmon_hc_sockarg, hc_listen),
    HC(UKMON_HC_ACCEPT, "accept", struct ukmon_hc_accept, hc_accept),
    HC(UKMON_HC_CONNECT, "connect", struct ukmon_hc_sockaddr, hc_connect),
    HC(UKMON_HC_SHUTDOWN, "shutdown", struct ukmon_hc_sockarg, hc_shutdown),
    HC(UKMON_HC_SOCKOPT, "sockopt", struct ukmon_hc_sockopt, hc_sockopt),
    HC(UKMON_HC_SOCKNAME, "sockname", struct ukmon_hc_accept, hc_sockname),
    HC(UKMON_HC_SENDRECV, "sendrecv", struct ukmon_hc_sendrecv, hc_sendrecv),
};

/* Calls SA_RESTART brings back after a handler ran; the others return EINTR. */
static bool hc_restartable(unsigned nr)
{
    return nr == UKMON_HC_READ || nr == UKMON_HC_WRITE || nr == UKMON_HC_RWV ||
           nr == UKMON_HC_WAITPID || nr == UKMON_HC_OPEN || nr == UKMON_HC_ACCEPT ||
           nr == UKMON_HC_CONNECT || nr == UKMON_HC_SENDRECV;
}

/* Large enough for any argument struct above. */
union hc_args {
    struct ukmon_hc_rw rw;
    struct ukmon_hc_rwv rwv;
    struct ukmon_hc_waitpid waitpid;
    struct ukmon_hc_pipe pipe;
    struct ukmon_hc_poll poll;
    struct ukmon_hc_clock clock;
    struct ukmon_hc_getpid getpid;
    struct ukmon_hc_stat stat;
    struct ukmon_hc_open open;
    struct ukmon_hc_sigprocmask sigprocmask;
    struct ukmon_hc_socket socket;
    struct ukmon_hc_sockopt sockopt;
    uint64_t words[8];
};

static void hc_trace_call(struct ukmon_vm *vm, const struct hc_desc *d, uint32_t gpa,
                          const union hc_args *a)
{
    char buf[400] = "";
    size_t n = 0;
    /* The last field is the result for every call but exit/abort, which never return. */
    bool has_ret = d->fn != hc_exit && d->fn != hc_abort;
    uint32_t nargs = has_ret ? d->nfields - 1 : d->nfields;
    for (uint32_t i = 0; i < nargs && n < sizeof(buf); i++) {
        int64_t v = (int64_t)a->words[i];
        n += snprintf(buf + n, sizeof(buf) - n, v > -65536 && v < 65536 ? "%s%lld" : "%s0x%llx",
                      i ? ", " : "", (long long)v);
    }
    if (!has_ret) {
        trace_line(vm, "%s(%s) @0x%x", d->name, buf, gpa);
        return;
    }
    int64_t ret = (int64_t)a->words[d->nfields - 1];
    if (ret < 0 && ret > -4096)
        trace_line(vm, "%s(%s) = -1 %s", d->name, buf, strerror((int)-ret));
    else
        trace_line(vm, "%s(%s) = %lld", d->name, buf, (long long)ret);
}

static enum run_next hc_user(struct ukmon_vm *vm, unsigned nr, uint32_t gpa)
{
    struct user_hc *u = &vm->user_hc[nr - UKMON_HC_USER_FIRST];
    if (!u->fn) {
        vm_set_fault(vm, SIGSYS, "unknown hypercall %u", nr);
        return RUN_STOP;
    }
    int r = u->fn(vm, u->opaque, gpa);
    if (vm->cfg.trace_fd >= 0)
        trace_line(vm, "user_hypercall_%u(0x%x) = %d", nr, gpa, r);
    if (r < 0) {
        vm_set_fault(vm, SIGSYS, "hypercall %u failed in its handler (%d)", nr, r);
        return RUN_STOP;
    }
    return RUN_CONTINUE;
}

/*
 * A hypercall returned (its results are in guest memory) and signals are pending, or
 * cut it short: the handlers run now, with %rip past the OUT. Making the call again
 * is going back over the OUT (one byte) with the same %eax and %edx.
 */
static enum run_next hc_return_with_signals(struct ukmon_vm *vm, unsigned nr, bool interrupted)
{
    if (vcpu_cur(vm)->exit_in_flight) {
        vcpu_cur(vm)->exit_in_flight = false;
        if (vcpu_complete_exit(vm) != 0) {
            vm_set_fault(vm, SIGSEGV, "hypercall %s: cannot complete its exit for a signal",
                         hc_name(nr));
            return RUN_STOP;
        }
    }
    struct kvm_regs ctx = *vcpu_regs(vm);
    struct sig_call call = {.interrupted = interrupted, .restartable = hc_restartable(nr),
                            .restart_always = nr == UKMON_HC_FORK, .restart = ctx};
    call.restart.rip--;
    return sig_after_call(vm, &ctx, &call);
}

enum run_next hc_dispatch(struct ukmon_vm *vm, unsigned nr, uint32_t gpa)
{
    if (nr >= UKMON_HC_MAX) { /* the run loop never passes one; tables end here */
        vm_set_fault(vm, SIGSYS, "unknown hypercall %u", nr);
        return RUN_STOP;
    }
    vm->stats.calls[nr]++;
    if (nr >= UKMON_HC_USER_FIRST)
        return hc_user(vm, nr, gpa);
    const struct hc_desc *d = nr < UKMON_HC_COUNT ? &hc_table[nr] : NULL;
    if (!d || !d->fn) {
        vm_set_fault(vm, SIGSYS, "unknown hypercall %u", nr);
        return RUN_STOP;
    }
    /* One fetch: handlers see a private copy the guest cannot change under them. */
    union hc_args a;
    if (!gmem_check(vm, gpa, d->size, true) || gmem_read(vm, &a, gpa, d->size) < 0) {
        vm_set_fault(vm, SIGSEGV, "hypercall %s: argument at 0x%x is outside the guest's "
                     "writable memory", d->name, gpa);
        return RUN_STOP;
    }
    vcpu_cur(vm)->regs_loaded = false;
    int64_t t0 = vm->cfg.stats_fd >= 0 ? clock_ns(CLOCK_MONOTONIC) : 0;
    PROF_CALL_BEGIN(nr);
    enum run_next r = d->fn(vm, &a);
    PROF_CALL_END();
    if (vm->cfg.stats_fd >= 0)
        vm->stats.calls_ns[nr] += (uint64_t)(clock_ns(CLOCK_MONOTONIC) - t0);
    if (gmem_write(vm, gpa, &a, d->size) < 0) { /* results are written back */
        vm_set_fault(vm, SIGSEGV, "hypercall %s: its argument at 0x%x faulted when its "
                     "results were written back", d->name, gpa);
        return RUN_STOP;
    }
    if (vm->cfg.trace_fd >= 0)
        hc_trace_call(vm, d, gpa, &a);
    bool has_ret = d->fn != hc_exit && d->fn != hc_abort;
    bool interrupted = has_ret && (int64_t)a.words[d->nfields - 1] == -EINTR;
    if (r == RUN_CONTINUE && !vcpu_cur(vm)->regs_loaded && (interrupted || gsig_pending()))
        r = hc_return_with_signals(vm, nr, interrupted);
    return r;
}

const char *hc_name(unsigned nr)
{
    return nr < UKMON_HC_COUNT ? hc_table[nr].name : NULL;
}

int ukmon_vm_set_hypercall(struct ukmon_vm *vm, unsigned nr, ukmon_hc_fn fn, void *opaque)
{
    if (nr < UKMON_HC_USER_FIRST || nr >= UKMON_HC_MAX)
        return vm_fail(vm, -EINVAL, "hypercall %u is not in the embedder range %u..%u", nr,
                       UKMON_HC_USER_FIRST, UKMON_HC_MAX - 1);
    vm->user_hc[nr - UKMON_HC_USER_FIRST] = (struct user_hc){fn, opaque};
    return 0;
}
