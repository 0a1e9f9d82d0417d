/* sig.h: guest signals, one implementation for both kinds of program. */
#ifndef UKMON_SIG_H
#define UKMON_SIG_H

#include "monitor.h"

#define SIGBIT(s) (1ULL << ((s) - 1))
/* The id ITIMER_REAL's timer has in a host timer signal's value (sig_timer.c). */
#define SIG_ITIMER_ID 0xffff
/* Never blocked, caught or ignored. */
#define SIG_UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* What a handler's siginfo says about one signal, and where it came from. */
struct sig_info {
    int signo;
    int code;              /* si_code: SI_USER, SI_TKILL, SI_KERNEL, SI_TIMER, CLD_*, SEGV_*... */
    pid_t pid;             /* the sender, or the child (SIGCHLD) */
    uid_t uid;
    int status;            /* SIGCHLD: exit code or signal */
    uint64_t addr;         /* faults: the address */
    int timer, overrun;    /* SI_TIMER */
    uint64_t value;        /* SI_TIMER: the timer's sigev_value */
    int trapno;            /* faults: the vector, for the sigcontext */
    uint64_t err;          /* faults: the error code */
};

enum sig_default { SIG_DEF_TERM, SIG_DEF_CORE, SIG_DEF_IGN, SIG_DEF_STOP, SIG_DEF_CONT };

/* sig_action.c: dispositions and masks */
enum sig_default sig_default_action(int sig);
int sig_action(struct ukmon_vm *vm, int sig, const struct ukmon_sigaction *nw,
               struct ukmon_sigaction *old);
void sig_set_mask(struct ukmon_vm *vm, uint64_t mask);
int sig_procmask(struct ukmon_vm *vm, uint64_t how, uint64_t set, bool change, uint64_t *old);
int sig_altstack(struct ukmon_vm *vm, uint64_t rsp, const uint64_t *nsp, const uint64_t *nsize,
                 bool disable, uint64_t *osp, uint64_t *osize, int *oflags);
bool sig_on_altstack(const struct ukmon_vm *vm, uint64_t rsp);
bool sig_ignored(const struct ukmon_vm *vm, int sig);
uint64_t sig_ready(struct ukmon_vm *vm);
bool sig_interrupts(struct ukmon_vm *vm);
void sig_raise_self(int sig, int code);
bool sig_child_autoreap(const struct ukmon_vm *vm);
void sig_reset_for_abi1(struct ukmon_vm *vm);
void sig_start_ignored(struct ukmon_vm *vm, uint64_t set);
void sig_exec(struct ukmon_vm *vm);
void sig_fork_child(struct ukmon_vm *vm);
const char *sig_name(int sig);

/* sig_frame.c: the frame a handler runs on, and rt_sigreturn */
int sig_push_frame(struct ukmon_vm *vm, const struct sig_info *si,
                   const struct ukmon_sigaction *act, uint64_t oldmask, struct kvm_regs *ctx);
int sig_pop_frame(struct ukmon_vm *vm, struct kvm_regs *ctx);
#define SIG_SIGINFO_SIZE 128
void sig_siginfo_out(const struct sig_info *si, void *out);

/* sig_deliver.c: where pending signals reach the guest */
struct sig_call {
    bool interrupted;       /* the call was cut short by a signal (-EINTR) */
    bool restartable;       /* SA_RESTART brings it back (read, wait...) */
    bool restart_always;    /* made again after any handler (fork: ERESTARTNOINTR) */
    struct kvm_regs restart; /* the registers that make the call again */
};
enum run_next sig_after_call(struct ukmon_vm *vm, struct kvm_regs *ctx,
                              const struct sig_call *call);
enum run_next sig_async(struct ukmon_vm *vm);
enum run_next sig_return(struct ukmon_vm *vm);
enum run_next sig_fault(struct ukmon_vm *vm, const struct sig_info *si, struct kvm_regs *ctx);
void sig_resume_user(struct ukmon_vm *vm, const struct kvm_regs *ctx);
int sig_sleep(struct ukmon_vm *vm, int64_t deadline_ns, uint64_t wake_mask);
struct pollfd;
int sig_wait_fds(struct ukmon_vm *vm, struct pollfd *fds, unsigned nfds);

/* sig_timer.c */
int64_t sig_alarm(struct ukmon_vm *vm, uint64_t seconds);
int sig_itimer_real(struct ukmon_vm *vm, const struct itimerspec *nw, struct itimerspec *old);
int sig_timer_create(struct ukmon_vm *vm, clockid_t clock, int signo, uint64_t value);
int sig_timer_settime(struct ukmon_vm *vm, int id, bool absolute, const struct itimerspec *nw,
                      struct itimerspec *old);
int sig_timer_gettime(struct ukmon_vm *vm, int id, struct itimerspec *cur);
int sig_timer_overrun(struct ukmon_vm *vm, int id);
int sig_timer_delete(struct ukmon_vm *vm, int id);
uint64_t sig_timer_value(const struct ukmon_vm *vm, int id);
void sig_timers_exec(struct ukmon_vm *vm);
void sig_timers_free(struct ukmon_vm *vm);
void sig_timers_fork_child(struct ukmon_vm *vm);

/* sig_host.c: host signals that mean something for the guests */
int sig_kill(struct ukmon_vm *vm, int64_t pid, int sig, int code);
void sig_host_child_setup(void);
void sig_forward_pending(struct ukmon_vm *vm);

/* gsig.c: guest signals between monitors; the rest above */
#define GSIG_MAX 64
struct sig_info;
int gsig_host_signal(void);
int gsig_install(void);
void gsig_raise(const struct sig_info *si);
int gsig_send(struct ukmon_vm *vm, pid_t pid, int sig, int code, bool group);
void gsig_fork_unblock(pid_t child, const sigset_t *old);
uint64_t gsig_pending(void);
uint64_t gsig_pending_process(void);
bool gsig_take(int sig, struct sig_info *out);
void gsig_discard(uint64_t mask);
void gsig_reset(void);
void gsig_set_vm(struct ukmon_vm *vm);
void gsig_raise_thread(struct vcpu *c, const struct sig_info *si);
void gsig_thread_reset(unsigned index);
void gsig_thread_move(unsigned from, unsigned to);
void gsig_retarget(uint64_t mask);
int gsig_send_thread(struct ukmon_vm *vm, pid_t pid, pid_t tid, int sig);
int gsig_queue_thread(pid_t pid, pid_t tid, uint64_t value);
/* A host signal's value that only makes the receiving thread look (kernel/thread.c). */
#define GSIG_VAL_KICK (1ULL << 61)
uint64_t gsig_timer_value(int sig, int id);

#endif
