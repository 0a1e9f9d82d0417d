/* proc.h: the process tree of VMs: fork, wait, limits and teardown. */
#ifndef UKMON_PROC_H
#define UKMON_PROC_H

#include "monitor.h"

/* KVM_RUN or a blocking call returned EINTR: reap orphans, notice parent death. */
void proc_on_interrupt(struct ukmon_vm *vm);

/*
 * After the run loop: in the root, waits for (or on a stop request kills) every VM of
 * the tree and returns run_rc. In a forked child monitor it never returns: the process
 * ends with the guest's status, or dies of the signal matching its fault.
 */
int proc_finish(struct ukmon_vm *vm, int run_rc);

/* Services of both personalities: see proc.c. */
enum run_next proc_fork(struct ukmon_vm *vm, int64_t *ret);
int64_t proc_wait(struct ukmon_vm *vm, int64_t want_pid, int options, int *status);
bool proc_tree_has(const struct ukmon_vm *vm, pid_t pid);
unsigned proc_tree_pids(const struct ukmon_vm *vm, pid_t *pids, unsigned max);
/* A blocking call was interrupted by something the guest must see now (a signal). */
bool proc_interrupted(struct ukmon_vm *vm);

/*
 * Where this process's parent pid is mirrored, if anywhere (the Linux personality's
 * guest-side answer to getppid): an orphan's new parent is written there.
 */
extern volatile int32_t *proc_ppid_mirror;

/* Releases the tree mapping (root, after proc_finish). */
void proc_free(struct ukmon_vm *vm);

#endif
