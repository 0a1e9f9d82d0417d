/*
 * host.h: what confines the monitor process itself, whatever its guest does: the
 * seccomp filter, Landlock's rules for the granted folders, the --jail namespaces
 * (ukmon_jail_enter() in include/ukmon.h), and the tree's cgroup.
 */
#ifndef UKMON_HOST_HOST_H
#define UKMON_HOST_HOST_H

#include "monitor.h"

/* sandbox.c */
int sandbox_install(struct ukmon_vm *vm);
int sandbox_install_remover(void);

/* cgroup.c: the tree's cgroup, which holds cfg.tree_mem (or why there is none) */
void cgroup_setup(struct ukmon_vm *vm);
int cgroup_started(struct ukmon_vm *vm);
int cgroup_settled(struct ukmon_vm *vm);
unsigned cgroup_oom_kills(const struct ukmon_vm *vm);
int cgroup_describe(const struct ukmon_vm *vm, char *buf, size_t len);
void cgroup_release(struct ukmon_vm *vm);

/* landlock.c: the kernel's Landlock ABI version, or -errno without it */
int landlock_abi(void);
int landlock_confine(struct ukmon_vm *vm);

#endif
