/* hypercalls.h: the built-in hypercall handlers, one per call number. */
#ifndef UKMON_HYPERCALLS_H
#define UKMON_HYPERCALLS_H

#include "monitor.h"

/* Each gets the argument struct copied out of guest memory; OUT fields are copied back. */
enum run_next hc_write(struct ukmon_vm *vm, void *arg);
enum run_next hc_read(struct ukmon_vm *vm, void *arg);
enum run_next hc_rwv(struct ukmon_vm *vm, void *arg);
enum run_next hc_pipe(struct ukmon_vm *vm, void *arg);
enum run_next hc_close(struct ukmon_vm *vm, void *arg);
enum run_next hc_dup(struct ukmon_vm *vm, void *arg);
enum run_next hc_poll(struct ukmon_vm *vm, void *arg);
enum run_next hc_exit(struct ukmon_vm *vm, void *arg);
enum run_next hc_abort(struct ukmon_vm *vm, void *arg);
enum run_next hc_clock(struct ukmon_vm *vm, void *arg);
enum run_next hc_set_tls(struct ukmon_vm *vm, void *arg);
enum run_next hc_null(struct ukmon_vm *vm, void *arg);
enum run_next hc_fork(struct ukmon_vm *vm, void *arg);
enum run_next hc_waitpid(struct ukmon_vm *vm, void *arg);
enum run_next hc_getpid(struct ukmon_vm *vm, void *arg);
enum run_next hc_nanosleep(struct ukmon_vm *vm, void *arg);
enum run_next hc_yield(struct ukmon_vm *vm, void *arg);
enum run_next hc_open(struct ukmon_vm *vm, void *arg);
enum run_next hc_stat(struct ukmon_vm *vm, void *arg);
enum run_next hc_getdents(struct ukmon_vm *vm, void *arg);
enum run_next hc_unlink(struct ukmon_vm *vm, void *arg);
enum run_next hc_mkdir(struct ukmon_vm *vm, void *arg);
enum run_next hc_chdir(struct ukmon_vm *vm, void *arg);
enum run_next hc_lseek(struct ukmon_vm *vm, void *arg);
enum run_next hc_sigaction(struct ukmon_vm *vm, void *arg);
enum run_next hc_sigprocmask(struct ukmon_vm *vm, void *arg);
enum run_next hc_kill(struct ukmon_vm *vm, void *arg);
enum run_next hc_sigreturn(struct ukmon_vm *vm, void *arg);
enum run_next hc_sigsuspend(struct ukmon_vm *vm, void *arg);
enum run_next hc_alarm(struct ukmon_vm *vm, void *arg);
enum run_next hc_socket(struct ukmon_vm *vm, void *arg);
enum run_next hc_bind(struct ukmon_vm *vm, void *arg);
enum run_next hc_connect(struct ukmon_vm *vm, void *arg);
enum run_next hc_listen(struct ukmon_vm *vm, void *arg);
enum run_next hc_shutdown(struct ukmon_vm *vm, void *arg);
enum run_next hc_accept(struct ukmon_vm *vm, void *arg);
enum run_next hc_sockname(struct ukmon_vm *vm, void *arg);
enum run_next hc_sockopt(struct ukmon_vm *vm, void *arg);
enum run_next hc_sendrecv(struct ukmon_vm *vm, void *arg);

/* hypercalls.c: a hypercall exit (an OUT to UKMON_HC_PORT_BASE + nr) and its table */
enum run_next hc_dispatch(struct ukmon_vm *vm, unsigned nr, uint32_t arg_gpa);
const char *hc_name(unsigned nr);

/* native.c: the native personality's ports and boot */
extern const struct personality native_personality;

#endif
