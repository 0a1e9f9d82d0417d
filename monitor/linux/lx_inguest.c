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
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/thread.h"
#include "linux/lx.h"
#include "lxsys/lxsys.h"

/* guest/lxsys/, built and turned into bytes by the Makefile (gen/lxsys_image.c). */
extern const unsigned char lx_lxsys_image[];
extern const size_t lx_lxsys_image_size;

_Static_assert(LXSYS_WAKE_PORT == LX_WAKE_PORT, "the layer wakes on the monitor's port");
_Static_assert(LXSYS_LOW_END == GL_LOAD_MIN, "the layer knows where the program's memory starts");
_Static_assert(LXSYS_PAGE_ADDR >= GL_PERS2_LO && LXSYS_TEXT_ADDR + LXSYS_TEXT_MAX <= GL_PERS2_HI,
               "the layer lies in the personality's second part of the low area");

/* The sled's end: movabs $LXSYS_TEXT_ADDR, %r11; jmp *%r11 (the layer's entry is first). */
#define SLED_JUMP_LEN 13

/* The calls the layer may answer (its page says which, as of the last exit). */
static const uint16_t answered[] = {39 /* getpid */, 110 /* getppid */, 186 /* gettid */,
                                    102 /* getuid */, 107 /* geteuid */, 104 /* getgid */,
                                    108 /* getegid */, 0 /* read */, 1 /* write */,
                                    17 /* pread64 */, 18 /* pwrite64 */, 72 /* fcntl */,
                                    13 /* rt_sigaction */, 14 /* rt_sigprocmask */,
                                    63 /* uname */, 97 /* getrlimit */,
                                    302 /* prlimit64 */, 218 /* set_tid_address */,
                                    273 /* set_robust_list */, 334 /* rseq */,
                                    318 /* getrandom */};

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

    memset(p->answer, 0, sizeof(p->answer));
    for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
        p->answer[answered[i]] = vm->cfg.trace_fd < 0;
    struct utsname u;
    _Static_assert(sizeof(u) == LXSYS_UTSNAME, "the page holds a struct utsname");
    if (lx_utsname(&u) == 0)
        memcpy(p->utsname, &u, sizeof(u));
    else
        p->answer[63] = 0; /* the monitor answers, with the host's error */
    if (vm->lx->threaded)
        memset(p->answer, 0, sizeof(p->answer)); /* see lx_inguest_threads() */
    lx_inguest_limits(vm);
    /* getrandom's key: new at every start, execve and fork, never a parent's. */
    if (getrandom(p->rng_key, sizeof(p->rng_key), 0) == (ssize_t)sizeof(p->rng_key))
        p->rng_counter = 0;
    else
        p->answer[318] = 0; /* the monitor answers, with the host's error */
    /* An orphan's new parent: the parent-death handler writes it here (kernel/proc.c). */
    proc_ppid_mirror = &p->ppid;
    vm->lx->fd_gen = vm->fdt.gen - 1;
    /* A reader or writer watches its ring this long before it blocks: less than an exit. */
    p->spin_tsc = vm->tsc_khz > 0 ? (uint64_t)vm->tsc_khz * 30 / 1000 : 0;
    lx_inguest_fds(vm);
    vm->lx->act_gen = p->act_gen;
    memset(vm->lx->acts_shown, 0xff, sizeof(vm->lx->acts_shown)); /* none shown yet */
    lx_inguest_push(vm);
}

/* The limits prlimit64 reads, as of now: at start and after the monitor changed one. */
void lx_inguest_limits(struct ukmon_vm *vm)
{
    if (!lx_inguest_on(vm))
        return;
    struct lxsys_page *p = lx_page(vm);
    _Static_assert(LXSYS_RLIMITS == RLIM_NLIMITS, "the page holds every limit");
    for (unsigned i = 0; i < RLIM_NLIMITS; i++) {
        struct rlimit r = lx_rlimit(vm, i);
        p->rlim[i].cur = r.rlim_cur;
        p->rlim[i].max = r.rlim_max;
    }
}

/*
 * After every exit: the signal mask and the actions the guest set itself, taken as
 * the monitor's own, through the same checks a call of the monitor's would pass
 * (SIGKILL and SIGSTOP neither blocked nor caught; a pending signal now ignored
 * dropped). What the guest wrote is only ever its own signal state.
 */
void lx_inguest_pull(struct ukmon_vm *vm)
{
    if (!lx_inguest_on(vm) || vm->lx->threaded)
        return;
    struct lxsys_page *p = lx_page(vm);
    /* Addresses the monitor only ever reaches through its checked copies. */
    vcpu_cur(vm)->clear_tid = p->clear_child_tid;
    vcpu_cur(vm)->robust_list = p->robust_list;
    vcpu_cur(vm)->robust_len = p->robust_len;
    sig_set_mask(vm, __atomic_load_n(&p->sigmask, __ATOMIC_RELAXED));
    uint64_t gen = __atomic_load_n(&p->act_gen, __ATOMIC_RELAXED);
    if (gen == vm->lx->act_gen)
        return;
    vm->lx->act_gen = gen;
    for (int s = 1; s <= UKMON_NSIG; s++) {
        struct ukmon_sigaction a;
        memcpy(&a, (const void *)&p->act[s], sizeof(a));
        if (s == SIGKILL || s == SIGSTOP || !memcmp(&a, &vm->sig.act[s], sizeof(a)))
            continue;
        sig_action(vm, s, &a, NULL);
    }
}

/* Before every entry: the monitor's signal state, as the guest-side layer sees it. */
void lx_inguest_push(struct ukmon_vm *vm)
{
    if (!lx_inguest_on(vm))
        return;
    if (vm->lx->threaded) {
        if (thread_count(vm) > 1)
            return;
        lx_inguest_threads(vm, false); /* one thread again: its state into the page */
    }
    if (vm->lx->sites_pending) { /* a program's first entry: its file is vm->exe_fd now */
        vm->lx->sites_pending = false;
        lx_sites_apply(vm);
    } else {
        lx_sites_refresh(vm);
    }
    lx_windows_refresh(vm);
    struct lxsys_page *p = lx_page(vm);
    if (!p->spin_tsc && vm->tsc_khz > 0) /* known once the first vCPU exists */
        p->spin_tsc = (uint64_t)vm->tsc_khz * 30 / 1000;
    p->clear_child_tid = vcpu_cur(vm)->clear_tid;
    p->robust_list = vcpu_cur(vm)->robust_list;
    p->robust_len = vcpu_cur(vm)->robust_len;
    __atomic_store_n(&p->sigmask, vcpu_cur(vm)->sig.mask, __ATOMIC_RELAXED);
    __atomic_store_n(&p->sigpending, gsig_pending(), __ATOMIC_RELAXED);
    _Static_assert(sizeof(p->act) == sizeof(vm->sig.act), "the page holds every action");
    if (memcmp(vm->lx->acts_shown, vm->sig.act, sizeof(vm->sig.act))) {
        memcpy((void *)p->act, vm->sig.act, sizeof(vm->sig.act));
        memcpy(vm->lx->acts_shown, vm->sig.act, sizeof(vm->sig.act));
    }
}

/*
 * The layer's C code faulted on a buffer the program passed (rip in the layer, its
 * frame in the page): the program's state at its call comes back from the frame,
 * and the call is made again, by the monitor this time, through the layer's OUT,
 * which then fails as Linux's would. A frame that is not readable is the program's
 * own undoing: its fault stands. The rule this sets for guest/lxsys/: nothing after
 * a call's effect is done (a ring's head or tail moved, a window written) may fault,
 * or the call is made twice (an `outl` to the wake port did, before it became `outb`).
 */
static bool lx_inguest_fault_in_layer(struct ukmon_vm *vm, struct kvm_regs *ctx)
{
    struct lxsys_page *p = lx_page(vm);
    uint64_t f = p->frame;
    uint64_t v[LXSYS_F_RET / 8 - LXSYS_F_R15 / 8 + 1]; /* frame - 96 .. frame + 144 */
    if (!f || f < (uint64_t)-LXSYS_F_R15 || gmem_read(vm, v, f + LXSYS_F_R15, sizeof(v)) < 0)
        return false;
#define FV(off) v[((off) - LXSYS_F_R15) / 8]
    ctx->r15 = FV(LXSYS_F_R15), ctx->r14 = FV(LXSYS_F_R14), ctx->r13 = FV(LXSYS_F_R13);
    ctx->r12 = FV(LXSYS_F_R12), ctx->rbx = FV(LXSYS_F_RBX), ctx->rax = FV(LXSYS_F_RAX);
    ctx->r10 = FV(LXSYS_F_R10), ctx->r9 = FV(LXSYS_F_R9), ctx->r8 = FV(LXSYS_F_R8);
    ctx->rdx = FV(LXSYS_F_RDX), ctx->rsi = FV(LXSYS_F_RSI), ctx->rdi = FV(LXSYS_F_RDI);
    ctx->rbp = FV(LXSYS_F_RBP);
    ctx->r11 = (FV(LXSYS_F_FLAGS) & USER_RFLAGS) | RFLAGS_FIXED;
    ctx->rcx = FV(LXSYS_F_RET);
#undef FV
    ctx->rsp = f + LXSYS_F_RET + 8;
    ctx->rip = LXSYS_TEXT_ADDR + LXSYS_OUT_OFF;
    p->frame = 0;
    return true;
}

/*
 * A process with more than one thread (threads: kernel/thread.c). The page is one per
 * VM, and some of what it holds is a thread's own: the signal mask, the tid, the
 * words of set_tid_address and set_robust_list, the frame and results of a call in
 * progress. So while there are threads the layer answers nothing itself (every call
 * goes on to the monitor, which keeps each thread's state in its struct vcpu, and
 * no copy is taken from the page after an exit), and no `syscall` site is rewritten
 * (code another vCPU may be running). Called before the second thread exists, from
 * the only one, which is in the monitor: no thread is inside the layer. Back to one
 * thread (the others ended, a fork's child, an execve), its state goes back into the
 * page and the layer answers again.
 */
void lx_inguest_threads(struct ukmon_vm *vm, bool many)
{
    if (!vm->lx || vm->lx->threaded == many)
        return;
    vm->lx->threaded = many;
    if (!lx_inguest_on(vm))
        return;
    if (many)
        memset(lx_page(vm)->answer, 0, sizeof(lx_page(vm)->answer));
    else
        lx_inguest_sync(vm);
}

/* A forked child: its own ids; the counts of answered calls start again, as its stats do. */
void lx_inguest_forked(struct ukmon_vm *vm)
{
    vm->lx->threaded = false; /* only the thread that forked is in the child */
    if (!lx_inguest_on(vm))
        return;
    memset(lx_page(vm)->answered, 0, sizeof(lx_page(vm)->answered));
    lx_wake_forked(vm);
    lx_inguest_sync(vm);
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
    _Static_assert(LXSYS_RINGS == RINGS_MAX, "the layer knows every ring");
    lx_inguest_rings(vm);
    for (int i = 0; i < FDT_MAX; i++) {
        const struct fd_entry *e = &vm->fdt.fd[i];
        uint8_t k = e->host_fd < 0 ? 0 : (uint8_t)(LXSYS_FD_OPEN |
                    (e->cloexec ? LXSYS_FD_CLOEXEC : 0) | (e->devnull ? LXSYS_FD_NULL : 0));
        p->fd_ring[i] = 0;
        if (k && e->ring && p->ring[e->ring - 1]) {
            int fl = fcntl(e->host_fd, F_GETFL);
            k |= (e->ring_w ? LXSYS_FD_WRITE : LXSYS_FD_READ) |
                 (fl >= 0 && (fl & O_NONBLOCK) ? LXSYS_FD_NONBLOCK : 0);
            p->fd_ring[i] = e->ring;
        }
        p->fd[i] = k;
    }
}

/*
 * The rings this VM holds, mapped into the low area where the layer finds them (a
 * fixed place per slot, user read+write in the page tables from boot on); those it
 * no longer holds, replaced by plain memory again.
 */
void lx_inguest_rings(struct ukmon_vm *vm)
{
    struct lxsys_page *p = lx_page(vm);
    _Static_assert(LXSYS_RING_AREA >= LXSYS_TEXT_ADDR + LXSYS_TEXT_MAX &&
                   LXSYS_RING_AREA + LXSYS_RINGS_MAPPED * LXSYS_RING_STRIDE <= GL_PERS2_HI &&
                   LXSYS_RING_STRIDE >= UKMON_RING_HDR + UKMON_RING_DATA,
                   "the rings fit the personality's part of the low area");
    for (int s = 0; s < LXSYS_RINGS_MAPPED; s++) {
        struct pipe_ring *r = &vm->rings[s];
        uint64_t at = LXSYS_RING_AREA + (uint64_t)s * LXSYS_RING_STRIDE;
        bool want = r->memfd >= 0;
        if (vm->lx->ring_at[s] && (!want || vm->lx->ring_gen[s] != r->gen)) {
            gmem_low_unmap(vm, at, LXSYS_RING_STRIDE);
            vm->lx->ring_at[s] = p->ring[s] = 0;
            p->ring_wake[s] = 0;
            lx_wake_detach(vm, s);
        }
        if (!want || vm->lx->ring_at[s])
            continue;
        if (gmem_low_map(vm, at, UKMON_RING_HDR + UKMON_RING_DATA, r->memfd) < 0)
            continue; /* the monitor serves that pipe alone */
        vm->lx->ring_at[s] = p->ring[s] = at;
        vm->lx->ring_gen[s] = r->gen;
        p->ring_wake[s] = lx_wake_attach(vm, s);
    }
}

/*
 * At boot and at execve: page 0 the sled, the layer's code and its page in the low
 * area. page_perm gives page 0 no PG_P, so that it is no buffer to the monitor's
 * checks (a NULL buffer is still EFAULT); the page tables open it to ring 3 for
 * execution: see lx_page_tables().
 */
int lx_inguest_setup(struct ukmon_vm *vm)
{
    vm->lx->inguest = vm->cfg.syscall_rewrite != 0;
    vm->lx->threaded = false; /* an execve leaves one thread */
    vm->pipe_rings = vm->lx->inguest;
    vm->lx->nsites = 0;
    memset(vm->lx->sites, 0, sizeof(vm->lx->sites));
    vm->lx->site_prog = -1;
    vm->lx->sites_pending = false; /* set below, once the sync's push is done */
    memset(vm->lx->ring_at, 0, sizeof(vm->lx->ring_at)); /* the memory they were in is gone */
    /* Rings still held keep their wake values (lx_wake.c): KVM is slow to drop them. */
    for (int s = 0; s < RINGS_MAX; s++)
        if (vm->rings[s].memfd < 0)
            lx_wake_detach(vm, s);
    lx_windows_reset(vm);
    if (!vm->lx->inguest)
        return 0;
    boot_perm_range(vm->page_perm, LXSYS_RING_AREA,
                    LXSYS_RING_AREA + LXSYS_RINGS_MAPPED * LXSYS_RING_STRIDE,
                    PG_P | PG_U | PG_W, false);
    if (lx_lxsys_image_size > LXSYS_TEXT_MAX)
        return vm_fail(vm, -EFBIG, "the guest-side system-call layer (%zu bytes) does not fit "
                       "its pages", lx_lxsys_image_size);
    uint8_t *sled = gmem_low(vm, GL_PAGE0, PAGE_SIZE_4K);
    memset(sled, 0x90, PAGE_SIZE_4K - SLED_JUMP_LEN);
    uint8_t *j = sled + PAGE_SIZE_4K - SLED_JUMP_LEN;
    uint64_t entry = LXSYS_TEXT_ADDR + LXSYS_ENTRY_OFF;
    j[0] = 0x49, j[1] = 0xbb;                 /* movabs $entry, %r11 */
    memcpy(j + 2, &entry, 8);
    j[10] = 0x41, j[11] = 0xff, j[12] = 0xe3; /* jmp *%r11 */
    memcpy(gmem_low(vm, LXSYS_TEXT_ADDR, lx_lxsys_image_size), lx_lxsys_image,
           lx_lxsys_image_size);
    memset(gmem_low(vm, LXSYS_PAGE_ADDR, LXSYS_PAGE_SIZE), 0, LXSYS_PAGE_SIZE);
    /* Page 0 runs (a signal's frame may return there) but is no buffer: no PG_P. */
    boot_perm_range(vm->page_perm, GL_PAGE0, GL_PAGE0 + PAGE_SIZE_4K, PG_U | PG_X, false);
    boot_perm_range(vm->page_perm, LXSYS_TEXT_ADDR, LXSYS_TEXT_ADDR + LXSYS_TEXT_MAX,
                    PG_P | PG_U | PG_X, false);
    boot_perm_range(vm->page_perm, LXSYS_PAGE_ADDR, LXSYS_PAGE_ADDR + LXSYS_PAGE_SIZE,
                    PG_P | PG_U | PG_W, false);
    lx_inguest_sync(vm);
    /*
     * The tree's sites for this program at its first entry (lx_inguest_push from the
     * run loop), not in the sync above: at execve, vm->exe_fd is still the old
     * program's until program_build() returns, and its key found the old program's
     * sites (a busybox exec'd by bash got bash's, and added its own to bash's entry).
     */
    vm->lx->sites_pending = true;
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
 * Whether a `syscall` at `site` may be rewritten: only in code the program cannot
 * write (no JIT buffer, no shared file: the bytes would reach the file), once, and
 * while there is room to remember it, so that a fault of a rewritten call can be
 * told from any other.
 */
static bool site_may_change(const struct ukmon_vm *vm, uint64_t site)
{
    if (!lx_inguest_on(vm) || vm->lx->threaded || vm->lx->nsites >= LX_SITES_MAX * 3 / 4 ||
        site < GL_PERS_LO ||
        site + 2 > vm->mem_size || lx_inguest_site(vm, site))
        return false;
    for (uint64_t pg = site / PAGE_SIZE_4K; pg <= (site + 1) / PAGE_SIZE_4K; pg++)
        if ((vm->page_perm[pg] & (PG_P | PG_U | PG_X | PG_W | PG_S)) != (PG_P | PG_U | PG_X))
            return false;
    uint8_t insn[2];
    return gmem_peek(vm, insn, site, 2) == 0 && insn[0] == 0x0f && insn[1] == 0x05;
}

static void site_remember(struct ukmon_vm *vm, uint64_t site)
{
    unsigned i = site_slot(site);
    while (vm->lx->sites[i])
        i = (i + 1) % LX_SITES_MAX;
    vm->lx->sites[i] = site;
    vm->lx->nsites++;
}

static const uint8_t call_rax[2] = {0xff, 0xd0};

/* A `syscall` at `site` trapped (through the SYSCALL stub): from now on it calls the layer. */
void lx_inguest_rewrite(struct ukmon_vm *vm, uint64_t site)
{
    if (!site_may_change(vm, site) || as_patch(vm, site, call_rax, 2) < 0)
        return;
    site_remember(vm, site);
    lx_sites_note(vm, site);
}

/*
 * Sites known to the tree for this program (lx_sites.c), at base + offs[i], offs in
 * ascending order: each checked as a trapped one would be, then rewritten a page of
 * code at a time.
 */
void lx_inguest_rewrite_many(struct ukmon_vm *vm, uint64_t base, const uint32_t *offs,
                             unsigned n)
{
    uint64_t batch[64];
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        uint64_t site = base + offs[i];
        if ((k && batch[k - 1] == site) || !site_may_change(vm, site))
            continue;
        if (site / PAGE_SIZE_4K != (site + 1) / PAGE_SIZE_4K) { /* across two pages: alone */
            if (as_patch(vm, site, call_rax, 2) == 0)
                site_remember(vm, site);
            continue;
        }
        if (k && (k == 64 || site / PAGE_SIZE_4K != batch[0] / PAGE_SIZE_4K)) {
            if (as_patch_many(vm, batch, k, call_rax, 2) < 0)
                return;
            for (unsigned j = 0; j < k; j++)
                site_remember(vm, batch[j]);
            k = 0;
        }
        batch[k++] = site;
    }
    if (k && as_patch_many(vm, batch, k, call_rax, 2) == 0)
        for (unsigned j = 0; j < k; j++)
            site_remember(vm, batch[j]);
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
static bool canonical(uint64_t va)
{
    return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

bool lx_inguest_fault_is_call(struct ukmon_vm *vm, unsigned vector, uint64_t err, uint64_t cr2,
                              struct kvm_regs *ctx)
{
    if (!lx_inguest_on(vm))
        return false;
    if ((vector == 14 || vector == 13) && ctx->rip - LXSYS_TEXT_ADDR < LXSYS_TEXT_MAX)
        return lx_inguest_fault_in_layer(vm, ctx);
    uint8_t insn[2];
    if (vector == 13 && err == 0 && lx_inguest_site(vm, ctx->rip) &&
        gmem_peek(vm, insn, ctx->rip, 2) == 0 && insn[0] == 0xff && insn[1] == 0xd0) {
        ctx->rip += 2;
    } else if ((vector == 14 && (err & 16) && cr2 == ctx->rip && ctx->rax == ctx->rip) ||
               (vector == 13 && err == 0 && ctx->rax == ctx->rip && !canonical(ctx->rip)) ||
               ctx->rip < PAGE_SIZE_4K) {
        /* (QEMU's TCG takes a non-canonical call target and faults on its fetch) */
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

/*
 * The layer answered a call whose change let pending signals in (an unblocking
 * rt_sigprocmask): its result, kept in the page, goes back to the program once the
 * signals are delivered. Counted as the call it was, for --stats.
 */
bool lx_inguest_deliver(struct ukmon_vm *vm, uint64_t nr, int64_t *ret)
{
    if (nr != (uint64_t)LXSYS_NR_DELIVER || !lx_inguest_on(vm))
        return false;
    struct lxsys_page *p = lx_page(vm);
    *ret = p->deliver_ret;
    uint64_t was = (uint64_t)p->deliver_nr;
    vm->stats.calls[was < STATS_CALLS_MAX ? was : STATS_CALLS_MAX]++;
    return true;
}

/*
 * A call the layer began and the monitor finishes (LXSYS_NR_CONTINUE): *nr becomes
 * the call it is (a write: nothing else is continued), and what the layer did of it
 * is returned, to be added to the monitor's result. 0 for any other call.
 */
int64_t lx_inguest_carry(struct ukmon_vm *vm, uint64_t *nr)
{
    if (*nr != (uint64_t)LXSYS_NR_CONTINUE || !lx_inguest_on(vm))
        return 0;
    struct lxsys_page *p = lx_page(vm);
    int64_t carry = p->carry;
    p->carry = 0;
    *nr = 1; /* write */
    return carry > 0 && carry <= 0x7ffff000 ? carry : 0;
}

/* How many calls of number nr the layer answered (its own count: for --stats only). */
uint64_t lx_inguest_answered(struct ukmon_vm *vm, uint64_t nr)
{
    if (!lx_inguest_on(vm) || nr >= LXSYS_NR)
        return 0;
    for (size_t i = 0; i < sizeof(answered) / sizeof(answered[0]); i++)
        if (answered[i] == nr) /* only those: the rest of the page may say anything */
            return lx_page(vm)->answered[nr];
    return 0;
}
