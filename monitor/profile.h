/*
 * profile.h: where a monitor's time goes, in builds with -DUKMON_PROFILE only
 * (bench/profile.sh makes one in build-profile/). Without it every hook below is an
 * empty macro: the normal build has no profiling code at all.
 *
 * With it, and UKMON_PROFILE=FILE in the environment, each monitor process appends to
 * FILE when it ends: its phase marks (VM birth, exec, fork, exit) with their time
 * since the previous mark and on the TSC's own scale (to compare processes: a
 * child's exit and its reaping), and per call number the median split of an exit: the
 * monitor's dispatch, the handler (its io_uring submit and wait, signal masking),
 * the rest up to the next KVM_RUN, and, for guests that say when they made the call
 * (r14 = PROF_GUEST_MAGIC, r12 = TSC before the call, r13 = TSC after the previous
 * one returned: bench/src/syscall_probe.c), the legs inside KVM_RUN on either side.
 * Times are TSC reads: the guest's TSC is the host's (kvm.c), one time base for both.
 */
#ifndef UKMON_PROFILE_H
#define UKMON_PROFILE_H

#define PROF_GUEST_MAGIC 0x756b70726f66ULL /* "ukprof" */

#ifdef UKMON_PROFILE
#include <stdint.h>
#include <x86intrin.h>

struct ukmon_vm;

/* Parts of a handler's time, summed per exit. */
enum prof_part {
    PROF_URING_SUBMIT,  /* io_uring_submit() */
    PROF_URING_WAIT,    /* io_uring_wait_cqes() */
    PROF_SIGMASK,       /* the sigprocmask() pair around the wait */
    PROF_PARTS
};

void prof_init(void);
void prof_mark(const char *what);
void prof_mark_arg(const char *what, long arg);
void prof_rearm(void);
void prof_run_enter(void);
void prof_run_return(struct ukmon_vm *vm);
void prof_call(unsigned nr, int begin);
void prof_add(enum prof_part part, uint64_t tsc);
void prof_forked(int child);
void prof_dump(struct ukmon_vm *vm, const char *why);

#define PROF_INIT() prof_init()
#define PROF_MARK(what) prof_mark(what)
#define PROF_MARK_ARG(what, arg) prof_mark_arg(what, (long)(arg))
#define PROF_REARM() prof_rearm()
#define PROF_RUN_ENTER() prof_run_enter()
#define PROF_RUN_RETURN(vm) prof_run_return(vm)
#define PROF_CALL_BEGIN(nr) prof_call((unsigned)(nr), 1)
#define PROF_CALL_END() prof_call(0, 0)
#define PROF_T0(var) uint64_t var = __rdtsc()
#define PROF_ADD(part, var) prof_add(part, __rdtsc() - (var))
#define PROF_FORKED(child) prof_forked(child)
#define PROF_DUMP(vm, why) prof_dump(vm, why)
#else
#define PROF_INIT() ((void)0)
#define PROF_MARK(what) ((void)0)
#define PROF_MARK_ARG(what, arg) ((void)0)
#define PROF_REARM() ((void)0)
#define PROF_RUN_ENTER() ((void)0)
#define PROF_RUN_RETURN(vm) ((void)0)
#define PROF_CALL_BEGIN(nr) ((void)0)
#define PROF_CALL_END() ((void)0)
#define PROF_T0(var) ((void)0)
#define PROF_ADD(part, var) ((void)0)
#define PROF_FORKED(child) ((void)0)
#define PROF_DUMP(vm, why) ((void)0)
#endif

#endif
