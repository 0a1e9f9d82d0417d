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
