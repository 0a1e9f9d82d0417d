/* thread.h: a guest process's threads, each one vCPU of its VM served by a monitor thread. */
#ifndef UKMON_THREAD_H
#define UKMON_THREAD_H

#include "monitor.h"

/* What clone asks of a new thread (the personality decodes it). */
struct thread_args {
    uint64_t stack;              /* its %rsp, or 0 for the caller's */
    bool set_tls;
    uint64_t tls;                /* FS base (CLONE_SETTLS) */
    uint64_t parent_tid;         /* where to write its tid for the caller, or 0 */
    uint64_t child_tid;          /* where to write it for the thread (CLONE_CHILD_SETTID), or 0 */
    uint64_t clear_tid;          /* cleared and woken at its end (CLONE_CHILD_CLEARTID), or 0 */
};

/* The VM's threads' bookkeeping: made with the VM, freed with it. */
int thread_init(struct ukmon_vm *vm);
void thread_free(struct ukmon_vm *vm);

/*
 * The run of the leader: the calling thread becomes the leader's, under the big lock,
 * and runs until the guest process ends (every thread ended). 0, or a negative code
 * for a monitor failure.
 */
int thread_run_leader(struct ukmon_vm *vm);

/* A new thread of the calling one's process: its tid, or -EAGAIN, -ENOMEM... */
int64_t thread_clone(struct ukmon_vm *vm, const struct thread_args *ta);

/*
 * exit(2) of the calling thread: true when it was the process's last thread (the
 * caller then ends the process as exit_group would); false: it ends alone.
 */
bool thread_exit(struct ukmon_vm *vm, int code);

/* exit_group, a fatal signal or fault: every other thread ends too. */
void thread_group_exit(struct ukmon_vm *vm);

/* Whether the calling thread must stop what it does and end (exit_group, execve). */
bool thread_must_end(struct ukmon_vm *vm);

/* At the top of a vCPU's loop: whether its thread ends now (the leader may wait there). */
bool thread_loop_check(struct ukmon_vm *vm);

/*
 * execve from the calling thread: every other thread ends, and the caller runs the
 * new program on the leader's vCPU (it is the leader's thread that goes on with it).
 * thread_exec_begin() returns 0 once alone, or -EINTR when the process is ending
 * otherwise (another execve, exit_group); thread_exec_end() lets the leader go on.
 */
int thread_exec_begin(struct ukmon_vm *vm);
void thread_exec_end(struct ukmon_vm *vm);

/* Makes a thread leave KVM_RUN or a blocking wait, to look at what changed. */
void thread_kick(struct vcpu *c);
void thread_kick_all(struct ukmon_vm *vm);
/* The same from a signal handler: every vCPU's thread but the caller's (async-signal-safe). */
void thread_kick_others_async(void);

/* The live thread with guest tid `tid`, or NULL. */
struct vcpu *thread_find(struct ukmon_vm *vm, pid_t tid);
/* How many threads the process has. */
unsigned thread_count(const struct ukmon_vm *vm);

/* A forked monitor: only the thread that forked is there, now its leader. */
void thread_fork_child(struct ukmon_vm *vm);

/*
 * Around a blocking wait: the big lock goes, so that the process's other threads
 * run their calls meanwhile; what the caller read before may have changed after.
 */
static inline void thread_block_begin(struct ukmon_vm *vm)
{
    vm_unlock(vm);
}

static inline void thread_block_end(struct ukmon_vm *vm)
{
    vm_lock(vm);
}

#endif
