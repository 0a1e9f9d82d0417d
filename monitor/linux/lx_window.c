/*
 * lx_window.c: file windows. A regular file a Linux program reads or writes with
 * pread64/pwrite64 (sqlite and most databases do nothing else) is mapped MAP_SHARED
 * into the program's address space after its second such call served here; the
 * guest-side layer then copies from or to it for the calls that stay within the
 * file's size, with no exit (guest/lxsys/lxsys.c, win_rw).
 *
 * Why it is still pread: the page cache is the same one, and a shared mapping is
 * coherent with every other process's read(2) and write(2) of the file, as Linux
 * promises for mmap. What the layer cannot know, it leaves to us: calls past the
 * size (growing the file), fds whose file may have changed size or flags. The size
 * it trusts is the one we saw at the last exit: every entry refreshes it with one
 * fstat per window. A file shrunk by another process while this program reads it
 * with no call in between can give zeros up to the old size within the last page;
 * past it the copy faults, and the call is made again here (lx_inguest.c). Programs
 * that share a file across processes take a lock (fcntl, flock: exits) first.
 *
 * Nothing in the page is trusted: the guest may rewrite it, and then copies from or
 * to its own memory. Our record of each window is in struct lx_state.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/io.h"
#include "linux/lx.h"
#include "lxsys/lxsys.h"

_Static_assert(LX_WINDOWS == LXSYS_WINDOWS, "the page shows every window");

/* Room past the size for the file to grow into before its window is made again. */
#define WIN_HEADROOM_MIN (1ULL << 20)
#define WIN_LEN_MAX (256ULL << 20)

static struct lxsys_page *win_page(struct ukmon_vm *vm)
{
    return gmem_low(vm, LXSYS_PAGE_ADDR, sizeof(struct lxsys_page));
}

/* Window i goes: its pages unmapped, the layer's entries cleared. */
static void win_drop(struct ukmon_vm *vm, unsigned i)
{
    struct lx_window *w = &vm->lx->win[i];
    if (!w->len)
        return;
    struct lxsys_page *p = win_page(vm);
    p->win[i].flags = 0;
    if (w->fd >= 0 && w->fd < FDT_MAX && p->fd_win[w->fd] == i + 1)
        p->fd_win[w->fd] = 0;
    as_replace(vm, w->base, w->base + w->len, 0); /* a hole again: it cannot fail on a
                                                   * range we mapped */
    vm->lx->win_bytes -= w->len;
    *w = (struct lx_window){.fd = -1};
}

/* What the layer may do through window i now, from the file's size and status flags. */
static void win_show(struct ukmon_vm *vm, unsigned i, uint64_t size, int fl)
{
    struct lx_window *w = &vm->lx->win[i];
    struct lxsys_page *p = win_page(vm);
    uint32_t flags = LXSYS_WIN_READ;
    /* pwrite on an O_APPEND file appends (Linux's documented quirk): ours to do. */
    if (w->writable && (fl & O_ACCMODE) == O_RDWR && !(fl & O_APPEND))
        flags |= LXSYS_WIN_WRITE;
    p->win[i].base = w->base;
    p->win[i].size = size;
    p->win[i].flags = flags;
    p->fd_win[w->fd] = (uint8_t)(i + 1);
}

/*
 * After a pread64 or pwrite64 we served on guest fd `fd`: the second one on a regular
 * file opens a window on it, if there is room for one.
 */
void lx_window_note(struct ukmon_vm *vm, int fd)
{
    struct lx_state *lx = vm->lx;
    const struct fd_entry *e = fdt_entry(&vm->fdt, fd);
    if (!lx_inguest_on(vm) || vm->cfg.trace_fd >= 0 || !e || e->vdir)
        return;
    if (lx->prw_calls[fd] < 255)
        lx->prw_calls[fd]++;
    if (lx->prw_calls[fd] < 2)
        return;
    unsigned slot = LX_WINDOWS;
    for (unsigned i = 0; i < LX_WINDOWS; i++) {
        if (lx->win[i].len && lx->win[i].fd == fd)
            return; /* one already (a call past the size came here) */
        if (!lx->win[i].len && slot == LX_WINDOWS)
            slot = i;
    }
    struct stat st;
    int fl = fcntl(e->host_fd, F_GETFL);
    if (slot == LX_WINDOWS || fl < 0 || (fl & O_ACCMODE) == O_WRONLY ||
        fstat(e->host_fd, &st) < 0 || !S_ISREG(st.st_mode))
        return; /* a write-only fd cannot be mapped: the monitor serves it */
    uint64_t size = (uint64_t)st.st_size, room = size / 2;
    uint64_t len = PAGE_UP(size + (room > WIN_HEADROOM_MIN ? room : WIN_HEADROOM_MIN));
    if (len > WIN_LEN_MAX || lx->win_bytes + len > vm->mem_size / 4)
        return;
    uint64_t lo = as_find_free(vm, len, PAGE_UP(vm->as.brk), vm->as.mmap_top);
    bool writable = (fl & O_ACCMODE) == O_RDWR;
    uint8_t perm = PG_M | PG_P | PG_U | (writable ? PG_W : 0);
    if (!lo || as_map_file(vm, lo, lo + len, perm, e->host_fd, 0, true) < 0)
        return; /* no room, or the file system maps nothing: served as before */
    lx->win[slot] = (struct lx_window){.base = lo, .len = len, .fd = fd, .serial = e->serial,
                                       .writable = writable};
    lx->win_bytes += len;
    win_show(vm, slot, size, fl);
}

/*
 * Before every entry: each window's fd still the one it was made for, its size as
 * of now (a file grown past the window's pages gets a new window at its next call
 * here), its flags (another VM sharing the file may have set O_APPEND).
 */
void lx_windows_refresh(struct ukmon_vm *vm)
{
    struct lx_state *lx = vm->lx;
    if (!lx->win_bytes)
        return;
    for (unsigned i = 0; i < LX_WINDOWS; i++) {
        struct lx_window *w = &lx->win[i];
        if (!w->len)
            continue;
        const struct fd_entry *e = fdt_entry(&vm->fdt, w->fd);
        struct stat st;
        int fl = e && e->serial == w->serial ? fcntl(e->host_fd, F_GETFL) : -1;
        if (fl < 0 || fstat(e->host_fd, &st) < 0 || (uint64_t)st.st_size > w->len) {
            win_drop(vm, i);
            continue;
        }
        win_show(vm, i, (uint64_t)st.st_size, fl);
    }
}

/* The program maps, unmaps or protects [lo, hi): windows in its way go first. */
void lx_windows_clear_range(struct ukmon_vm *vm, uint64_t lo, uint64_t hi)
{
    for (unsigned i = 0; i < LX_WINDOWS && vm->lx->win_bytes; i++) {
        const struct lx_window *w = &vm->lx->win[i];
        if (w->len && w->base < hi && lo < w->base + w->len)
            win_drop(vm, i);
    }
}

/* A new program (execve): its memory, windows and all, is new; so are the counts. */
void lx_windows_reset(struct ukmon_vm *vm)
{
    for (unsigned i = 0; i < LX_WINDOWS; i++)
        vm->lx->win[i] = (struct lx_window){.fd = -1};
    vm->lx->win_bytes = 0;
    memset(vm->lx->prw_calls, 0, sizeof(vm->lx->prw_calls));
}
