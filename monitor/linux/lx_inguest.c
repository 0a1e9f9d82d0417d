/*
 * lx_inguest.c: the guest-side system-call layer of Linux programs (guest/lxsys/):
 * installing it at boot, keeping its page of answers, and rewriting each `syscall`
 * instruction that traps into a call of it.
 *
 * Why: on the paravirtual KVM backends these machines have, a SYSCALL from ring 3 to
 * the ring-0 stub costs about 27 us before the stub's OUT even exits (measured: 109
 * against 82 us for an OUT straight from ring 3). zpoline's trick avoids it: the
 * 2-byte `syscall` (0f 05) becomes the 2-byte `call *%rax` (ff d0), which with the
 * call's number in %rax lands in a nop sled on page 0 and slides into the layer, at
 * ring 3. The layer answers what it can from its page, with no exit at all, and
 * sends the rest to the monitor by a plain OUT.
 *
 * The price: page 0 is the sled, executable, so a program reading through a NULL
 * pointer reads nops (0x90) instead of faulting (writes still fault; the monitor
 * still answers EFAULT for a NULL buffer). --syscall-exits turns all of it off.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "kernel/proc.h"
#include "linux/lx.h"
#include "lxsys/lxsys.h"

/* guest/lxsys/, built and turned into bytes by the Makefile (gen/lxsys_image.c). */
extern const unsigned char lx_lxsys_image[];
extern const size_t lx_lxsys_image_size;

_Static_assert(LXSYS_PAGE_ADDR >= GL_PERS2_LO && LXSYS_TEXT_ADDR + LXSYS_TEXT_MAX <= GL_PERS2_HI,
               "the layer lies in the personality's second part of the low area");

/* The sled's end: movabs $LXSYS_TEXT_ADDR, %r11; jmp *%r11 (the layer's entry is first). */
#define SLED_JUMP_LEN 13

static struct lxsys_page *lx_page(struct ukmon_vm *vm)
{
    return gmem_low(vm, LXSYS_PAGE_ADDR, sizeof(struct lxsys_page));
}

bool lx_inguest_on(const struct ukmon_vm *vm)
{
    return vm->cfg.syscall_rewrite && vm->lx && vm->lx->inguest;
}

/* The answers the layer gives, as of now. Under --trace it gives none: every call exits. */
void lx_inguest_sync(struct ukmon_vm *vm)
{
    if (!lx_inguest_on(vm))
        return;
    struct lxsys_page *p = lx_page(vm);
    p->magic = LXSYS_MAGIC;
    p->version = LXSYS_VERSION;
    p->pid = p->tid = (int32_t)getpid();
    p->ppid = (int32_t)getppid();
    p->uid = getuid();
    p->euid = geteuid();
    p->gid = getgid();
    p->egid = getegid();
    static const uint16_t answered[] = {39 /* getpid */, 110 /* getppid */, 186 /* gettid */,
                                        102 /* getuid */, 107 /* geteuid */, 104 /* getgid */,
                                        108 /* getegid */, 0 /* read */, 1 /* write */,
                                        17 /* pread64 */, 18 /* pwrite64 */, 72 /* fcntl */};
    memset(p->answer, 0, sizeof(p->answer));
    for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
        p->answer[answered[i]] = vm->cfg.trace_fd < 0;
    /* An orphan's new parent: the parent-death handler writes it here (kernel/proc.c). */
    proc_ppid_mirror = &p->ppid;
    vm->lx->fd_gen = vm->fdt.gen - 1;
    lx_inguest_fds(vm);
}

/*
 * What the layer knows of the fds: whether each is open, close-on-exec, /dev/null.
 * Rewritten after any call that changed the table (every change goes through
 * fdt_install(), which bumps its generation) or a close-on-exec flag (lx_fd.c).
 */
void lx_inguest_fds(struct ukmon_vm *vm)
{
    if (!lx_inguest_on(vm) || vm->lx->fd_gen == vm->fdt.gen)
        return;
    vm->lx->fd_gen = vm->fdt.gen;
    struct lxsys_page *p = lx_page(vm);
    _Static_assert(LXSYS_FDS == FDT_MAX, "the layer knows every fd");
    for (int i = 0; i < FDT_MAX; i++) {
        const struct fd_entry *e = &vm->fdt.fd[i];
        p->fd[i] = e->host_fd < 0 ? 0 : (uint8_t)(LXSYS_FD_OPEN |
                   (e->cloexec ? LXSYS_FD_CLOEXEC : 0) | (e->devnull ? LXSYS_FD_NULL : 0));
    }
}

/*
 * At boot and at execve: page 0 the sled, the layer's code and its page in the low
 * area. page_perm keeps page 0 closed to the monitor's checks (a NULL buffer is still
 * EFAULT); the page tables open it to ring 3 for execution: see lx_page_tables().
 */
int lx_inguest_setup(struct ukmon_vm *vm)
{
    vm->lx->inguest = vm->cfg.syscall_rewrite != 0;
    vm->lx->nsites = 0;
    memset(vm->lx->sites, 0, sizeof(vm->lx->sites));
    if (!vm->lx->inguest)
        return 0;
    if (lx_lxsys_image_size > LXSYS_TEXT_MAX)
        return vm_fail(vm, -EFBIG, "the guest-side system-call layer (%zu bytes) does not fit "
                       "its pages", lx_lxsys_image_size);
    uint8_t *sled = gmem_low(vm, GL_PAGE0, PAGE_SIZE_4K);
    memset(sled, 0x90, PAGE_SIZE_4K - SLED_JUMP_LEN);
    uint8_t *j = sled + PAGE_SIZE_4K - SLED_JUMP_LEN;
    uint64_t entry = LXSYS_TEXT_ADDR;
    j[0] = 0x49, j[1] = 0xbb;                 /* movabs $entry, %r11 */
    memcpy(j + 2, &entry, 8);
    j[10] = 0x41, j[11] = 0xff, j[12] = 0xe3; /* jmp *%r11 */
    memcpy(gmem_low(vm, LXSYS_TEXT_ADDR, lx_lxsys_image_size), lx_lxsys_image,
           lx_lxsys_image_size);
    memset(gmem_low(vm, LXSYS_PAGE_ADDR, LXSYS_PAGE_SIZE), 0, LXSYS_PAGE_SIZE);
    boot_perm_range(vm->page_perm, LXSYS_TEXT_ADDR, LXSYS_TEXT_ADDR + LXSYS_TEXT_MAX,
                    PG_P | PG_U | PG_X, false);
    boot_perm_range(vm->page_perm, LXSYS_PAGE_ADDR, LXSYS_PAGE_ADDR + LXSYS_PAGE_SIZE,
                    PG_P | PG_U | PG_W, false);
    lx_inguest_sync(vm);
    return 0;
}

/* Open addressing over the sites rewritten so far; 0 is never a site. */
static unsigned site_slot(uint64_t site)
{
    return (unsigned)((site * 0x9e3779b97f4a7c15ULL) >> 52) % LX_SITES_MAX;
}

bool lx_inguest_site(const struct ukmon_vm *vm, uint64_t site)
{
    if (!vm->lx || !site)
        return false;
    for (unsigned i = site_slot(site), n = 0; n < LX_SITES_MAX; i = (i + 1) % LX_SITES_MAX, n++) {
        if (vm->lx->sites[i] == site)
            return true;
        if (!vm->lx->sites[i])
            return false;
    }
    return false;
}

/*
 * A `syscall` at `site` trapped (through the SYSCALL stub): from now on it calls the
 * layer. Only in code the program cannot write (no JIT buffer, no shared file: the
 * bytes would reach the file) and while there is room to remember it, so that a
 * fault of a rewritten call can be told from any other.
 */
void lx_inguest_rewrite(struct ukmon_vm *vm, uint64_t site)
{
    if (!lx_inguest_on(vm) || vm->lx->nsites >= LX_SITES_MAX * 3 / 4 || site < GL_PERS_LO ||
        site + 2 > vm->mem_size || lx_inguest_site(vm, site))
        return;
    for (uint64_t pg = site / PAGE_SIZE_4K; pg <= (site + 1) / PAGE_SIZE_4K; pg++)
        if ((vm->page_perm[pg] & (PG_P | PG_U | PG_X | PG_W | PG_S)) != (PG_P | PG_U | PG_X))
            return;
    uint8_t insn[2];
    static const uint8_t call_rax[2] = {0xff, 0xd0};
    if (gmem_peek(vm, insn, site, 2) < 0 || insn[0] != 0x0f || insn[1] != 0x05 ||
        as_patch(vm, site, call_rax, 2) < 0)
        return;
    unsigned i = site_slot(site);
    while (vm->lx->sites[i])
        i = (i + 1) % LX_SITES_MAX;
    vm->lx->sites[i] = site;
    vm->lx->nsites++;
}

/*
 * A rewritten call whose number is no call at all: `call *%rax` with a non-canonical
 * %rax faults at the call itself (#GP); with a number past page 0 it faults where it
 * landed, in the low area (#PF on the fetch); with one of the 13 numbers that land
 * in the sled's closing jump (4083..4095), in whatever those bytes make. In each
 * case the return address is on the stack: Linux answers ENOSYS. (A number that
 * lands in the program's own memory, from 2 MiB up, or 4094, which becomes `jmp
 * *%rbx`, runs what it reaches: no real program makes such a call.)
 */
bool lx_inguest_fault_is_call(struct ukmon_vm *vm, unsigned vector, uint64_t err, uint64_t cr2,
                              struct kvm_regs *ctx)
{
    if (!lx_inguest_on(vm))
        return false;
    uint8_t insn[2];
    if (vector == 13 && err == 0 && lx_inguest_site(vm, ctx->rip) &&
        gmem_peek(vm, insn, ctx->rip, 2) == 0 && insn[0] == 0xff && insn[1] == 0xd0) {
        ctx->rip += 2;
    } else if ((vector == 14 && (err & 16) && cr2 == ctx->rip && ctx->rax == ctx->rip) ||
               ctx->rip < PAGE_SIZE_4K) {
        uint64_t ret;
        if (gmem_read(vm, &ret, ctx->rsp, 8) < 0 || !lx_inguest_site(vm, ret - 2))
            return false;
        ctx->rip = ret;
        ctx->rsp += 8;
    } else {
        return false;
    }
    vm->stats.calls[STATS_CALLS_MAX]++;
    vm->stats.calls_enosys++;
    ctx->rax = (uint64_t)-ENOSYS;
    return true;
}

/* How many calls of number nr the layer answered (its own count: for --stats only). */
uint64_t lx_inguest_answered(struct ukmon_vm *vm, uint64_t nr)
{
    if (!lx_inguest_on(vm) || nr >= LXSYS_NR)
        return 0;
    return lx_page(vm)->answered[nr];
}
