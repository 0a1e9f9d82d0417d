/* hypercalls.h: the built-in hypercall handlers, one per call number. */
#ifndef UKMON_HYPERCALLS_H
#define UKMON_HYPERCALLS_H

#include "monitor.h"

/* Each gets the argument struct copied out of guest memory; OUT fields are copied back. */
enum hc_result hc_write(struct ukmon_vm *vm, void *arg);
enum hc_result hc_read(struct ukmon_vm *vm, void *arg);
enum hc_result hc_rwv(struct ukmon_vm *vm, void *arg);
enum hc_result hc_pipe(struct ukmon_vm *vm, void *arg);
enum hc_result hc_close(struct ukmon_vm *vm, void *arg);
enum hc_result hc_dup(struct ukmon_vm *vm, void *arg);
enum hc_result hc_poll(struct ukmon_vm *vm, void *arg);
enum hc_result hc_exit(struct ukmon_vm *vm, void *arg);
enum hc_result hc_abort(struct ukmon_vm *vm, void *arg);
enum hc_result hc_clock(struct ukmon_vm *vm, void *arg);
enum hc_result hc_set_tls(struct ukmon_vm *vm, void *arg);
enum hc_result hc_null(struct ukmon_vm *vm, void *arg);
enum hc_result hc_fork(struct ukmon_vm *vm, void *arg);
enum hc_result hc_waitpid(struct ukmon_vm *vm, void *arg);
enum hc_result hc_getpid(struct ukmon_vm *vm, void *arg);
enum hc_result hc_nanosleep(struct ukmon_vm *vm, void *arg);
enum hc_result hc_yield(struct ukmon_vm *vm, void *arg);
enum hc_result hc_open(struct ukmon_vm *vm, void *arg);
enum hc_result hc_stat(struct ukmon_vm *vm, void *arg);
enum hc_result hc_getdents(struct ukmon_vm *vm, void *arg);
enum hc_result hc_unlink(struct ukmon_vm *vm, void *arg);
enum hc_result hc_mkdir(struct ukmon_vm *vm, void *arg);
enum hc_result hc_chdir(struct ukmon_vm *vm, void *arg);
enum hc_result hc_lseek(struct ukmon_vm *vm, void *arg);
enum hc_result hc_sigaction(struct ukmon_vm *vm, void *arg);
enum hc_result hc_sigprocmask(struct ukmon_vm *vm, void *arg);
enum hc_result hc_kill(struct ukmon_vm *vm, void *arg);
enum hc_result hc_sigreturn(struct ukmon_vm *vm, void *arg);
enum hc_result hc_sigsuspend(struct ukmon_vm *vm, void *arg);
enum hc_result hc_alarm(struct ukmon_vm *vm, void *arg);
enum hc_result hc_socket(struct ukmon_vm *vm, void *arg);
enum hc_result hc_bind(struct ukmon_vm *vm, void *arg);
enum hc_result hc_connect(struct ukmon_vm *vm, void *arg);
enum hc_result hc_listen(struct ukmon_vm *vm, void *arg);
enum hc_result hc_shutdown(struct ukmon_vm *vm, void *arg);
enum hc_result hc_accept(struct ukmon_vm *vm, void *arg);
enum hc_result hc_sockname(struct ukmon_vm *vm, void *arg);
enum hc_result hc_sockopt(struct ukmon_vm *vm, void *arg);
enum hc_result hc_sendrecv(struct ukmon_vm *vm, void *arg);

#endif
