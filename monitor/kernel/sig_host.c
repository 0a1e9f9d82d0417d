/* sig_host.c: kill() between VMs, and host signals (a terminal's, a supervisor's) made guest signals. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"

/* Whether `pid` is among the first n of pids. */
static bool listed(const pid_t *pids, unsigned n, pid_t pid)
{
    for (unsigned i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/*
 * kill() of every VM of group `pgid` or, with `others`, of every VM of the tree but
 * this one. A group may be 0: under --jail, the group's leader is outside the pid
 * namespace, and every VM's group reads as 0.
 *
 * Linux signals a group atomically against fork; here a VM may fork between our
 * look at the table and our signal. A signal that reaches the parent during its fork
 * is passed on to the child (gsig_fork_unblock); a child that entered the table
 * later, before the signal, is found by looking again, until the table holds no one
 * new (a few rounds: a tree that keeps forking cannot hold us).
 */
static int kill_many(struct ukmon_vm *vm, pid_t pgid, bool others, int sig, int code)
{
    static pid_t sent[UKMON_MAX_PROCS_LIMIT], pids[UKMON_MAX_PROCS_LIMIT];
    unsigned nsent = 0;
    int r = -ESRCH;
    pid_t self = getpid();
    bool to_self = false;
    for (int round = 0; round < 4; round++) {
        unsigned n = proc_tree_pids(vm, pids, UKMON_MAX_PROCS_LIMIT), fresh = 0;
        for (unsigned i = 0; i < n; i++) {
            if (listed(sent, nsent, pids[i]))
                continue;
            if (nsent < UKMON_MAX_PROCS_LIMIT)
                sent[nsent++] = pids[i];
            if (others ? pids[i] == self : getpgid(pids[i]) != pgid)
                continue;
            if (pids[i] == self) { /* last: our own default action may end us */
                to_self = true;
                continue;
            }
            fresh++;
            int e = gsig_send(vm, pids[i], sig, code, true);
            if (e == 0 || r == -ESRCH)
                r = e;
        }
        if (!fresh)
            break;
    }
    if (to_self) {
        int e = gsig_send(vm, self, sig, code, true);
        if (e == 0 || r == -ESRCH)
            r = e;
    }
    return r;
}

/*
 * kill(2) for both personalities, with kill's `pid`. Only VMs of this tree can be
 * signalled: the rest of the host is not there (ESRCH), whatever its pids.
 */
int sig_kill(struct ukmon_vm *vm, int64_t pid, int sig, int code)
{
    if (sig < 0 || sig > UKMON_NSIG)
        return -EINVAL;
    if (pid < INT32_MIN || pid > INT32_MAX || pid == INT32_MIN)
        return -ESRCH;
    if (pid > 0)
        return gsig_send(vm, (pid_t)pid, sig, code, false);
    if (pid == 0)
        return kill_many(vm, getpgid(0), false, sig, code);
    if (pid == -1)
        return kill_many(vm, 0, true, sig, code);
    return kill_many(vm, (pid_t)-pid, false, sig, code);
}

/*
 * A forked monitor that gets SIGINT, SIGTERM, SIGHUP or SIGQUIT from the host (a
 * terminal sends them to its whole foreground process group, which VMs share with
 * ukmon unless the guest moved them) hands it to its own VM as that guest signal:
 * each VM gets it once, from the one place Linux would send it from. The monitor
 * itself does not die of it; the guest's action decides.
 */
static void on_host_terminal_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    struct sig_info in = {.signo = sig, .code = si->si_code == SI_KERNEL ? SI_KERNEL : SI_USER,
                          .pid = si->si_code == SI_KERNEL ? 0 : si->si_pid};
    gsig_raise(&in);
}

static const int terminal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void sig_host_child_setup(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_host_terminal_signal;
    sa.sa_flags = SA_SIGINFO; /* no SA_RESTART: a blocked wait returns and looks */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(terminal_signals) / sizeof(terminal_signals[0]); i++)
        sigaction(terminal_signals[i], &sa, NULL);
}

/*
 * The root monitor's host signal, from its embedder (the CLI's handler: any context,
 * async-signal-safe). A terminal's signal (from_terminal) reached every monitor of
 * the foreground group already: this VM takes its own. Another sender (kill, a
 * supervisor) meant the whole program: it goes to the tree's foreground group, as a
 * terminal would send it. It ends everything at once when the program cannot act
 * on it: its first VM has ended, or the previous such signal is still pending;
 * unless ukmon was started with it ignored, and then it is dropped.
 */
void ukmon_vm_forward_signal(struct ukmon_vm *vm, int sig, int from_terminal)
{
    if (sig < 1 || sig > UKMON_NSIG)
        return;
    if (!vm->ran || vm->guest_ended || vm->forward_signal || (gsig_pending() & SIGBIT(sig))) {
        /*
         * Not one ukmon was started with ignored (nohup's SIGHUP): the programs
         * started with it ignored, and it must not end them from outside.
         */
        if (!(vm->cfg.ignored_signals & SIGBIT(sig)))
            ukmon_vm_request_stop(vm, sig);
        return;
    }
    if (from_terminal) {
        struct sig_info in = {.signo = sig, .code = SI_KERNEL};
        gsig_raise(&in);
        return;
    }
    vm->forward_signal = sig;
    kvm_kick();
    thread_kick_others_async(); /* this thread may be a parked one, or blocked in a wait */
}

/* Whether any VM of the tree is in process group `pgid`. */
static bool tree_has_group(struct ukmon_vm *vm, pid_t pgid)
{
    pid_t pids[UKMON_MAX_PROCS_LIMIT];
    unsigned n = proc_tree_pids(vm, pids, UKMON_MAX_PROCS_LIMIT);
    for (unsigned i = 0; i < n; i++)
        if (getpgid(pids[i]) == pgid)
            return true;
    return false;
}

/*
 * Hands on a forwarded host signal (see above): to the terminal's foreground group
 * when the guest made one of its groups that, else to the first VM's group.
 */
void sig_forward_pending(struct ukmon_vm *vm)
{
    int sig = vm->forward_signal;
    if (!sig)
        return;
    vm->forward_signal = 0;
    pid_t fg = tcgetpgrp(vm->cfg.stdin_fd);
    pid_t pgid = fg > 0 && tree_has_group(vm, fg) ? fg : getpgid(0);
    if (kill_many(vm, pgid, false, sig, SI_KERNEL) < 0)
        gsig_send(vm, getpid(), sig, SI_KERNEL, false);
}
