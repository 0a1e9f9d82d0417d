/* start.c: from the monitor's entry to main(), and back out through exit(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hypercall.h"
#include "ukmon_guest.h"

int errno;
char **environ;
static const struct ukmon_boot_info *boot_info;

extern int main(int argc, char **argv, char **envp);

/* Linker-script symbols bounding the TLS image. */
extern char __tdata_start[], __tdata_end[], __tbss_end[];
extern char __tls_align[];

#define ATEXIT_MAX 32
static void (*atexit_fns[ATEXIT_MAX])(void);
static int atexit_count;

const struct ukmon_boot_info *ukmon_boot_info(void)
{
    return boot_info;
}

long __syscall_ret(int64_t r)
{
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return (long)r;
}

static _Noreturn void boot_abort(const char *msg)
{
    struct ukmon_hc_abort a = {.msg = (uintptr_t)msg, .len = strlen(msg)};
    for (;;)
        hypercall(UKMON_HC_ABORT, &a);
}

/*
 * x86-64 TLS, variant II: the block sits just below the thread pointer, which points
 * at a word holding its own address. Local-exec code addresses %fs:-offset.
 */
static void tls_init(void)
{
    size_t filesz = (size_t)(__tdata_end - __tdata_start);
    size_t memsz = (size_t)(__tbss_end - __tdata_start);
    size_t align = (size_t)(uintptr_t)__tls_align;
    if (memsz == 0)
        return;
    if (align < 16)
        align = 16;
    size_t block = (memsz + align - 1) & ~(align - 1);
    char *mem = aligned_alloc(align, block + align);
    if (!mem)
        boot_abort("no memory for thread-local storage");
    char *tp = mem + block;
    memcpy(tp - block, __tdata_start, filesz);
    memset(tp - block + filesz, 0, memsz - filesz);
    *(void **)tp = tp;
    struct ukmon_hc_set_tls a = {.fs_base = (uintptr_t)tp};
    hypercall(UKMON_HC_SET_TLS, &a);
    if (a.ret < 0)
        boot_abort("cannot set the thread pointer");
}

_Noreturn void __ukmon_start(const struct ukmon_boot_info *bi);
_Noreturn void __ukmon_start(const struct ukmon_boot_info *bi)
{
    if (bi->magic != UKMON_BOOT_MAGIC || bi->abi_version != UKMON_ABI_VERSION)
        boot_abort("boot info from a monitor of another ABI version");
    boot_info = bi;
    environ = (char **)(uintptr_t)bi->envp;
    __malloc_init((void *)(uintptr_t)bi->heap_start, (void *)(uintptr_t)bi->heap_end);
    tls_init();
    exit(main((int)bi->argc, (char **)(uintptr_t)bi->argv, environ));
}

int atexit(void (*fn)(void))
{
    if (atexit_count == ATEXIT_MAX)
        return -1;
    atexit_fns[atexit_count++] = fn;
    return 0;
}

_Noreturn void _exit(int status)
{
    struct ukmon_hc_exit a = {.status = status};
    for (;;)
        hypercall(UKMON_HC_EXIT, &a);
}

_Noreturn void _Exit(int status)
{
    _exit(status);
}

_Noreturn void exit(int status)
{
    while (atexit_count > 0)
        atexit_fns[--atexit_count]();
    __stdio_flush_all();
    _exit(status);
}

_Noreturn void abort(void)
{
    __stdio_flush_all();
    struct ukmon_hc_abort a = {.msg = 0, .len = 0};
    for (;;)
        hypercall(UKMON_HC_ABORT, &a);
}

void ukmon_null_hypercall(void)
{
    struct ukmon_hc_ret a;
    hypercall(UKMON_HC_NULL, &a);
}
