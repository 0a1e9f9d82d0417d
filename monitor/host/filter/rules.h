/*
 * rules.h: the seccomp filters of ukmon's processes, as libseccomp rules. Not part of
 * libukmon: the build runs them once (gen.c) and libukmon loads the BPF they made
 * (host/sandbox.c), so no monitor builds a filter at its start (libseccomp took
 * ~0.5 ms to build one here, at every start).
 */
#ifndef UKMON_FILTER_RULES_H
#define UKMON_FILTER_RULES_H

#include <seccomp.h>
#include <stdbool.h>

/*
 * The guest-signal signal (kernel/gsig.c: SIGRTMIN + 4), as this libc numbers it; the
 * generated file records the number, and the monitor checks it at load.
 */
#define FILTER_GSIG_OFFSET 4

/* What a monitor may do with TCP sockets, beside its published ones. */
#define FILTER_NET_CONNECT 1u /* socket and connect (--connect) */
#define FILTER_NET_BIND 2u    /* socket and bind (bind_any: a network namespace of its own) */

/* The monitor's filter (trap on anything else); `net`: FILTER_NET_* bits. */
int filter_rules_monitor(scmp_filter_ctx ctx, unsigned net);
/* The private /tmp's remover (kernel/fs_tmp.c); default action: kill. */
int filter_rules_remover(scmp_filter_ctx ctx);

#endif
