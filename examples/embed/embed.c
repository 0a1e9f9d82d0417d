/* embed: runs a unikernel through libukmon and captures its console output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ukmon.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: embed app.elf [args...]\n");
        return 2;
    }
    /* The guest's stdout goes to an in-memory file we read back afterwards. */
    int out = memfd_create("guest-stdout", MFD_CLOEXEC);
    if (out < 0) {
        perror("embed: memfd_create");
        return 1;
    }
    struct ukmon_config cfg;
    ukmon_config_init(&cfg);
    cfg.stdout_fd = out;
    cfg.mem_size = 32ULL << 20;
    cfg.fork_policy = UKMON_FORK_DENY; /* this host program must not be cloned */

    struct ukmon_vm *vm = ukmon_vm_new(&cfg);
    if (!vm) {
        fprintf(stderr, "embed: out of memory\n");
        return 1;
    }
    int r = ukmon_vm_load_file(vm, argv[1], argc - 1, argv + 1);
    struct ukmon_exit ex;
    if (r == 0)
        r = ukmon_vm_run(vm, &ex);
    if (r < 0) {
        fprintf(stderr, "embed: %s (%s)\n", ukmon_vm_errmsg(vm), ukmon_strerror(r));
        ukmon_vm_free(vm);
        return 1;
    }
    ukmon_vm_free(vm);

    char buf[65536];
    ssize_t n = pread(out, buf, sizeof(buf) - 1, 0);
    close(out);
    if (n < 0) {
        perror("embed: reading the guest's output");
        return 1;
    }
    buf[n] = 0;
    printf("captured %zd bytes of guest output:\n", n);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        printf("  | %s\n", line);
    if (ex.kind == UKMON_EXIT_FAULT)
        printf("guest faulted: %s\n", ex.reason);
    printf("guest exit code: %d\n", ukmon_exit_code(&ex));
    return 0;
}
