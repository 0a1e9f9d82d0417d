/* lx_vdso.c: the vDSO a Linux program finds through AT_SYSINFO_EHDR, and its clock page. */
#include <string.h>

#include "linux/lx.h"
#include "vdso/vvar.h"

/* guest/vdso/vdso.c, built and turned into bytes by the Makefile (gen/vdso_image.c). */
extern const unsigned char lx_vdso_image[];
extern const size_t lx_vdso_image_size;

_Static_assert(LX_VVAR_ADDR == GL_LX_VVAR, "the vDSO reads its page at GL_LX_VVAR");
_Static_assert(sizeof(struct lx_vvar) <= PAGE_SIZE_4K, "one page of clock constants");

/*
 * The image is one read+execute segment linked at 0, headers included (vdso.lds):
 * its bytes at GL_LX_VDSO are the loaded library. The clock page next to it is
 * user read-only.
 */
int lx_vdso_setup(struct ukmon_vm *vm)
{
    if (lx_vdso_image_size > GL_LX_VDSO_END - GL_LX_VDSO)
        return vm_fail(vm, -EFBIG, "the vDSO (%zu bytes) does not fit its pages",
                       lx_vdso_image_size);
    memcpy(gmem_low(vm, GL_LX_VDSO, lx_vdso_image_size), lx_vdso_image, lx_vdso_image_size);
    boot_perm_range(vm->page_perm, GL_LX_VDSO, GL_LX_VDSO_END, PG_P | PG_U | PG_X, false);
    boot_perm_range(vm->page_perm, GL_LX_VVAR, GL_LX_VVAR + PAGE_SIZE_4K, PG_P | PG_U, false);
    vm->as.vdso = GL_LX_VDSO;
    return 0;
}

/* Clock constants, known once the vCPU (its TSC rate) exists; else the vDSO asks us. */
int lx_vdso_clock(struct ukmon_vm *vm)
{
    struct lx_vvar *v = gmem_low(vm, GL_LX_VVAR, sizeof(*v));
    struct boot_clock c;
    memset(v, 0, sizeof(*v));
    if (boot_tsc_clock(vm, &c)) {
        v->tsc_base = c.tsc_base;
        v->tsc_mult = c.tsc_mult;
        v->mono_base_ns = c.mono_base_ns;
        v->wall_base_ns = c.wall_base_ns;
        v->valid = 1;
    }
    return 0;
}
