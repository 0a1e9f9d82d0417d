/* lx_vdso.c: the vDSO a Linux program finds through AT_SYSINFO_EHDR (none yet). */
#include "linux/lx.h"

int lx_vdso_setup(struct ukmon_vm *vm)
{
    vm->as.vdso = 0;
    return 0;
}

int lx_vdso_clock(struct ukmon_vm *vm)
{
    (void)vm;
    return 0;
}
