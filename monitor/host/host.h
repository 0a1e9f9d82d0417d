/*
 * host.h: what confines the monitor process itself, whatever its guest does: the
 * seccomp filter, Landlock's rules for the granted folders, and the --jail namespaces
 * (ukmon_jail_enter() in include/ukmon.h).
 */
#ifndef UKMON_HOST_HOST_H
#define UKMON_HOST_HOST_H

#include "monitor.h"

/* sandbox.c */
int sandbox_install(struct ukmon_vm *vm);
int sandbox_install_remover(void);

/* landlock.c: the kernel's Landlock ABI version, or -errno without it */
int landlock_abi(void);
int landlock_confine(struct ukmon_vm *vm);

#endif
