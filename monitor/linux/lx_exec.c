/* lx_exec.c: execve: the same process, its VM rebuilt in place for another program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/thread.h"
#include "linux/lx.h"
#include "profile.h"

struct lx_strvec {
    char **v;            /* NULL-terminated, pointing into pool */
    size_t n;
};

/*
 * A NULL-terminated vector of guest strings, copied into `pool` (shared by argv and
 * envp, lx_args_max() bytes). The pointers are counted first and the vector allocated
 * once: grown one entry at a time, glibc moved it with mremap, which the sandbox
 * refused (30,000 arguments killed the monitor). Each string is at most
 * LX_ARG_STRLEN_MAX bytes with its NUL, and all must fit in the pool: else E2BIG.
 */
static int lx_copy_vector(struct ukmon_vm *vm, uint64_t gva, struct lx_strvec *out,
                          char *pool, size_t pool_size, size_t *used)
{
    size_t n = 0;
    for (; gva; n++) {
        uint64_t s;
        if (lx_copy_in(vm, &s, gva + 8 * n, 8) < 0)
            return -EFAULT;
        if (!s)
            break;
        if ((n + 1) * sizeof(char *) >= pool_size)
            return -E2BIG; /* the pointers alone are over ARG_MAX */
    }
    out->n = 0;
    out->v = calloc(n + 1, sizeof(char *));
    if (!out->v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        uint64_t s;
        if (lx_copy_in(vm, &s, gva + 8 * i, 8) < 0)
            return -EFAULT;
        size_t room = pool_size - *used;
        int r = lx_copy_string(vm, s, pool + *used,
                               room < LX_ARG_STRLEN_MAX ? room : LX_ARG_STRLEN_MAX);
        if (r < 0)
            return r == -ENAMETOOLONG ? -E2BIG : r;
        out->v[out->n++] = pool + *used;
        *used += strlen(pool + *used) + 1;
    }
    out->v[out->n] = NULL;
    return 0;
}

/*
 * The new program replaces the old one: close-on-exec fds go, handlers reset, the
 * old VM and its memory are dropped, and a new VM starts at the new entry point. Up
 * to the check of the new file, a failure is an error for the caller; after it, the
 * old program is gone and a failure ends the process.
 */
static int64_t lx_exec_file(struct ukmon_vm *vm, int fd, const char *path,
                            const char *execfn, const struct lx_strvec *argv,
                            const struct lx_strvec *envp, const uint64_t a[6])
{
    PROF_MARK("execve: begin");
    /* Linux's E2BIG, while the caller can still be told. */
    if (lx_args_check(vm, execfn, argv->n, argv->v, envp->v) < 0)
        return -E2BIG;
    struct program_file pf;
    int r = program_from_fd(vm, fd, path, &pf);
    if (r < 0)
        return r == -EISDIR ? -EACCES : r == -EFBIG ? -ENOMEM : r;
    struct elf_image img;
    char err[256];
    if (elf_check_image(pf.data, pf.size, vm->mem_size, &img, err, sizeof(err)) < 0) {
        program_release(&pf, true);
        return -ENOEXEC;
    }
    /* Its interpreter, while the caller can still be told it is missing (ENOENT). */
    struct program_interp interp;
    bool dynamic = img.interp[0] != 0;
    if (dynamic && (r = fs_open_interp(vm, img.interp, &interp)) < 0) {
        program_release(&pf, true);
        return r == UKMON_EBADELF ? -ELIBBAD : r == -EISDIR ? -EACCES : r;
    }
    if (vm->cfg.trace_fd >= 0) {
        vcpu_cur(vm)->call.new_state = true; /* the line must be written while argv still exists */
        lx_trace_call(vm, vcpu_cur(vm)->call.nr, vcpu_cur(vm)->call.cur, a, 0);
    }
    /*
     * Every other thread ends first, while the old program's memory is there for
     * their ends to write (CLONE_CHILD_CLEARTID); the new program runs on the
     * leader's vCPU (kernel/thread.c). A process ending otherwise meanwhile (another
     * execve, exit_group) ends this thread too.
     */
    if (thread_exec_begin(vm) < 0) {
        program_release(&pf, true);
        return -EINTR;
    }
    /* The point of no return. */
    lx_vfork_release(vm);
    io_close_on_exec(vm);
    sig_exec(vm);
    shm_detach_all(vm); /* the old memory goes, and its attachments */
    snprintf(vm->name, sizeof(vm->name), "%.*s", (int)sizeof(vm->name) - 1, path);
    PROF_MARK("execve: file checked, old state dropped");
    vm->lx->execfn = execfn; /* AT_EXECFN: the path as the caller gave it, as on Linux */
    if ((r = gmem_reset(vm)) == 0)
        r = program_build(vm, &img, &pf, dynamic ? &interp : NULL, (int)argv->n, argv->v,
                          envp->v);
    if (dynamic)
        program_release(&interp.pf, false);
    vm->lx->execfn = NULL;
    if (r < 0) {
        program_release(&pf, true);
        lx_kill_self(vm, SIGSEGV, "execve of %s failed after the old program was gone: %s",
                     path, vm->errmsg);
        thread_exec_end(vm);
        thread_group_exit(vm);
        return 0;
    }
    program_release(&pf, true);
    PROF_REARM();
    if (fd != vm->exe_fd) {
        if (vm->exe_fd >= 0)
            close(vm->exe_fd);
        vm->exe_fd = fd;
        snprintf(vm->exe_path, sizeof(vm->exe_path), "%s", path);
        vm->exe_named[0] = 0;
    }
    vcpu_cur(vm)->call.new_state = true;
    thread_exec_end(vm); /* a thread other than the leader ends here */
    return 0;
}

#define LX_INTERP_DEPTH 4

/* argv for an interpreter: interp [arg] script argv[1...]; strings in the pool. */
static int lx_interp_argv(struct lx_strvec *v, const char *interp, const char *arg,
                          const char *script, char *pool, size_t pool_size, size_t *used)
{
    const char *add[3] = {interp, arg[0] ? arg : NULL, script};
    size_t keep = v->n > 1 ? v->n - 1 : 0; /* argv[0] is replaced by the script */
    char **nv = calloc(3 + keep + 1, sizeof(char *));
    if (!nv)
        return -ENOMEM;
    size_t k = 0;
    for (int i = 0; i < 3; i++) {
        if (!add[i])
            continue;
        size_t l = strlen(add[i]) + 1;
        if (*used + l > pool_size) {
            free(nv);
            return -E2BIG;
        }
        memcpy(pool + *used, add[i], l);
        nv[k++] = pool + *used;
        *used += l;
    }
    for (size_t i = 1; i < v->n; i++)
        nv[k++] = v->v[i];
    nv[k] = NULL;
    free(v->v);
    v->v = nv;
    v->n = k;
    return 0;
}

LX_HANDLER(lx_execve)
{
    char path[4096], real[4096], given[4096];
    int r = lx_copy_string(vm, a[0], path, sizeof(path));
    if (r < 0)
        return r;
    memcpy(given, path, sizeof(given));
    /* Its name is the file's named, a script's rather than its interpreter's, as Linux has it. */
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    char comm[16];
    size_t cl = strnlen(base, sizeof(comm) - 1);
    memcpy(comm, base, cl);
    comm[cl] = 0;
    size_t pool_size = lx_args_max(vm);
    char *pool = malloc(pool_size);
    struct lx_strvec argv = {NULL, 0}, envp = {NULL, 0};
    size_t used = 0;
    int64_t ret = -ENOMEM;
    int fd = -1;
    if (!pool || (ret = lx_copy_vector(vm, a[1], &argv, pool, pool_size, &used)) < 0 ||
        (ret = lx_copy_vector(vm, a[2], &envp, pool, pool_size, &used)) < 0)
        goto out;
    for (int depth = 0;; depth++) {
        if ((ret = fs_open_exec(vm, path, &fd, real, sizeof(real))) < 0)
            goto out;
        char interp[256], arg[256];
        if (!fs_shebang(fd, interp, sizeof(interp), arg, sizeof(arg)))
            break;
        if (fd != vm->exe_fd)
            close(fd);
        fd = -1;
        if (depth == LX_INTERP_DEPTH || !interp[0]) {
            ret = interp[0] ? -ELOOP : -ENOEXEC;
            goto out;
        }
        if ((ret = lx_interp_argv(&argv, interp, arg, path, pool, pool_size, &used)) < 0)
            goto out;
        snprintf(path, sizeof(path), "%s", interp);
    }
    ret = lx_exec_file(vm, fd, real, given, &argv, &envp, a);
    if (ret == 0 && vcpu_cur(vm)->call.new_state) {
        memcpy(vm->comm, comm, sizeof(comm));
        pinfo_publish(vm);
    }
out:
    if (ret < 0 && fd >= 0 && fd != vm->exe_fd)
        close(fd);
    free(argv.v);
    free(envp.v);
    free(pool);
    return ret;
}
