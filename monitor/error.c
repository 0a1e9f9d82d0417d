/* error.c: error codes, their names and the per-VM error message. */
#include <stdio.h>
#include <string.h>

#include "monitor.h"

/* Records the one-line message for ukmon_vm_errmsg() and hands the code back. */
int vm_fail(struct ukmon_vm *vm, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vm->errmsg, sizeof(vm->errmsg), fmt, ap);
    va_end(ap);
    return code;
}

const char *ukmon_vm_errmsg(const struct ukmon_vm *vm)
{
    if (!vm)
        return "out of memory";
    return vm->errmsg[0] ? vm->errmsg : "no error";
}

const char *ukmon_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case UKMON_EBADELF:
        return "malformed or unsupported ELF file";
    case UKMON_ENOKVM:
        return "KVM is not available or lacks a needed feature";
    case UKMON_EABI:
        return "guest built for another ukmon ABI version";
    case UKMON_ESTATE:
        return "call made in the wrong state";
    case UKMON_EFORK:
        return "forked monitor could not start its VM";
    default:
        if (err < 0 && err > -UKMON_EBASE)
            return strerror(-err);
        return "unknown error";
    }
}

int ukmon_exit_code(const struct ukmon_exit *ex)
{
    switch (ex->kind) {
    case UKMON_EXIT_STATUS:
        return ex->status & 0xff;
    case UKMON_EXIT_FAULT:
    case UKMON_EXIT_STOPPED:
    case UKMON_EXIT_SIGNALED:
        return 128 + ex->signal;
    }
    return 125;
}
