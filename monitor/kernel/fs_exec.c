/* fs_exec.c: programs in the guest's files: $PATH lookup, "#!" lines, ELF interpreters. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kvm/vmm.h"

/*
 * A "#!" line: the interpreter and its one optional argument (the rest of the line,
 * trimmed, as Linux takes it). Returns false if the file does not start with "#!".
 */
bool fs_shebang(int fd, char *interp, size_t ilen, char *arg, size_t alen)
{
    char line[256];
    ssize_t n = pread(fd, line, sizeof(line) - 1, 0);
    if (n < 2 || line[0] != '#' || line[1] != '!')
        return false;
    line[n] = 0;
    char *nl = strchr(line, '\n');
    if (nl)
        *nl = 0;
    char *p = line + 2;
    while (*p == ' ' || *p == '\t')
        p++;
    char *e = p;
    while (*e && *e != ' ' && *e != '\t')
        e++;
    snprintf(interp, ilen, "%.*s", (int)(e - p), p);
    while (*e == ' ' || *e == '\t')
        e++;
    char *end = e + strlen(e);
    while (end > e && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    snprintf(arg, alen, "%.*s", (int)(end - e), e);
    return true;
}

/*
 * A dynamically linked program's interpreter (PT_INTERP), looked up in the guest's
 * own files, as Linux looks it up under the process's root, then checked. Errors
 * are execve's: -ENOENT when it is missing (a shell says "required file not found"),
 * -EACCES, or UKMON_EBADELF when it is no interpreter; the VM's message names it.
 */
int fs_open_interp(struct ukmon_vm *vm, const char *path, struct program_interp *out)
{
    char real[FS_PATH_MAX];
    int fd = -1;
    int r = fs_open_exec(vm, path, &fd, real, sizeof(real));
    if (r == 0 && fd == vm->exe_fd && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
        r = -errno;
    if (r < 0)
        return vm_fail(vm, r, "%s: cannot execute: %s (its interpreter %s%s)", vm->name,
                       r == -ENOENT ? "required file not found" : strerror(-r), path,
                       r == -ENOENT ? " is not in the guest's files" : "");
    r = program_interp_check(vm, fd, path, out);
    if (r < 0)
        close(fd);
    return r;
}

/* $PATH of an environment, or the default a shell (and runc) uses without one. */
static const char *fs_env_path(char *const envp[])
{
    for (size_t i = 0; envp && envp[i]; i++)
        if (!strncmp(envp[i], "PATH=", 5))
            return envp[i] + 5;
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/*
 * The program a user names, found in the guest's files as execvp finds it: a name
 * with a '/' is walked as it is (relative to the cwd), a bare name in each folder of
 * $PATH in turn (an empty entry is the cwd). *fd gets the file opened for running,
 * `found` the path it was found at (argv[0]'s and AT_EXECFN's), `real` where its
 * symlinks lead (/proc/self/exe's). -ENOENT, or -EACCES when only files that may
 * not be run were found.
 */
int fs_find_program(struct ukmon_vm *vm, const char *name, char *const envp[], int *fd,
                    char *found, size_t foundlen, char *real, size_t reallen)
{
    if (!name[0])
        return -ENOENT;
    if (strchr(name, '/')) {
        if ((size_t)snprintf(found, foundlen, "%s", name) >= foundlen)
            return -ENAMETOOLONG;
        return fs_open_exec(vm, name, fd, real, reallen);
    }
    if (strlen(name) > FS_NAME_MAX)
        return -ENAMETOOLONG;
    const char *p = fs_env_path(envp);
    int err = -ENOENT;
    for (;;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char cand[FS_PATH_MAX];
        int w = snprintf(cand, sizeof(cand), "%.*s%s%s", (int)n, p, n ? "/" : "", name);
        if (w > 0 && (size_t)w < sizeof(cand)) {
            int r = fs_open_exec(vm, cand, fd, real, reallen);
            if (r == 0) {
                snprintf(found, foundlen, "%s", cand);
                return 0;
            }
            if (r == -EACCES)
                err = r; /* as execvp: go on, but say so if nothing better comes */
        }
        if (!e)
            return err;
        p = e + 1;
    }
}
