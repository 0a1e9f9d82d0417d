/* proc.h: the process tree of VMs: fork, wait, limits and teardown. */
#ifndef UKMON_PROC_H
#define UKMON_PROC_H

#include "monitor.h"

/* KVM_RUN or a blocking call returned EINTR: reap orphans, notice parent death. */
void proc_on_interrupt(struct ukmon_vm *vm);

/*
 * After the run loop: in the root, waits for (or on a stop request kills) every VM of
 * the tree and returns run_rc. In a forked child monitor it never returns: the process
 * ends with the guest's status, or dies of the signal matching its fault.
 */
int proc_finish(struct ukmon_vm *vm, int run_rc);
void proc_vm_to_janitor(struct ukmon_vm *vm);
void proc_run_ended(struct ukmon_vm *vm);

/* Services of both personalities: see proc.c. */
enum run_next proc_fork(struct ukmon_vm *vm, int64_t *ret);
int64_t proc_wait(struct ukmon_vm *vm, int64_t want_pid, int options, int *status);
bool proc_tree_has(const struct ukmon_vm *vm, pid_t pid);
unsigned proc_tree_pids(const struct ukmon_vm *vm, pid_t *pids, unsigned max);
/* A blocking call was interrupted by something the guest must see now (a signal). */
bool proc_interrupted(struct ukmon_vm *vm);

/*
 * Where this process's parent pid is mirrored, if anywhere (the Linux personality's
 * guest-side answer to getppid): an orphan's new parent is written there.
 */
extern volatile int32_t *proc_ppid_mirror;

/* proc_info.c: what each VM of a tree tells the others about itself */
#define PINFO_ARGS_MAX 2048
#define PINFO_PATH_MAX 1024
#define PINFO_CPU_WORDS 16       /* a CPU mask of up to 1024 CPUs */
struct pinfo_view {
    int32_t pid, ppid;
    char state;                  /* 'R' running guest code, 'S' in the monitor, 'Z' ended */
    int64_t born_ns;             /* CLOCK_BOOTTIME at its fork */
    uint64_t mapped_pages;
    uint64_t rss_kb;             /* its monitor's peak resident memory */
    uint64_t code_lo, code_hi;   /* the program's image */
    uint64_t sig_blocked, sig_ignored, sig_caught;
    uint32_t umask;
    uint32_t args_len;
    uint64_t fds[FDT_MAX / 64];  /* open guest fds */
    char comm[16];
    char args[PINFO_ARGS_MAX];   /* argv, NUL-separated, as /proc/PID/cmdline */
    char exe[PINFO_PATH_MAX];
};
enum { PINFO_REQ_NICE = 1, PINFO_REQ_CPUS = 2 };
int pinfo_create(struct ukmon_vm *vm, unsigned max_procs);
void pinfo_attach(struct ukmon_vm *vm, int slot);
void pinfo_free(struct ukmon_vm *vm);
void pinfo_publish(struct ukmon_vm *vm);
void pinfo_refresh(struct ukmon_vm *vm);
void pinfo_set_state(struct ukmon_vm *vm, char state);
void pinfo_self(struct ukmon_vm *vm, struct pinfo_view *v);
int pinfo_read(struct ukmon_vm *vm, pid_t pid, struct pinfo_view *out);
int pinfo_request(struct ukmon_vm *vm, pid_t pid, unsigned what, int nice, const uint64_t *cpus);
void pinfo_apply(struct ukmon_vm *vm);
unsigned pinfo_pending(struct ukmon_vm *vm, pid_t pid, int *nice, uint64_t *cpus);
size_t proc_cmdline(struct ukmon_vm *vm, char *buf, size_t max);
void proc_set_comm(struct ukmon_vm *vm, const char *path);

/* futex.c: waits on a word of guest memory, and wakes */
struct timespec;
int64_t futex_wait(struct ukmon_vm *vm, uint64_t gva, uint32_t val, bool private,
                   uint32_t bitset, const struct timespec *deadline, clockid_t clk);
int64_t futex_wake(struct ukmon_vm *vm, int op, uint64_t gva, uint32_t val, uint32_t val2,
                   uint64_t gva2, uint32_t val3);

/* shm.c: System V shared memory within the tree */
int shm_setup(struct ukmon_vm *vm);
void shm_free(struct ukmon_vm *vm);
int64_t shm_get(struct ukmon_vm *vm, int32_t key, uint64_t size, int flags);
int shm_size(struct ukmon_vm *vm, int64_t id, bool rdonly, uint64_t *size);
int shm_attach(struct ukmon_vm *vm, int64_t id, uint64_t lo, uint8_t perm);
int shm_detach(struct ukmon_vm *vm, uint64_t addr, uint64_t *lo, uint64_t *hi);
void shm_unmapped(struct ukmon_vm *vm, uint64_t lo, uint64_t hi);
void shm_moved(struct ukmon_vm *vm, uint64_t old, uint64_t old_len, uint64_t to);
void shm_detach_all(struct ukmon_vm *vm);
void shm_fork_child(struct ukmon_vm *vm);
int64_t shm_ctl(struct ukmon_vm *vm, int64_t id, int cmd, void *buf, size_t *out_len);

/* Releases the tree mapping (root, after proc_finish). */
void proc_free(struct ukmon_vm *vm);

/* The tree table, before the first program runs (ukmon_vm_run); vm_limit: see there. */
int proc_tree_init(struct ukmon_vm *vm, unsigned vm_limit);

/* proc_acct.c: what the tree's VMs hold together (files, pipes, sockets), its limits */
size_t proc_acct_size(unsigned max_procs);
void proc_acct_init(struct proc_tree *t, size_t obj_off);
int64_t proc_acct_new(struct ukmon_vm *vm, int kind, uint32_t *pages);
void proc_acct_drop(struct proc_tree *t, unsigned slot, uint32_t id);
int proc_acct_pipe_resize(struct ukmon_vm *vm, uint32_t id, uint32_t pages, bool undo);
void proc_acct_fork(struct proc_tree *t, const struct fd_table *fdt, unsigned child_slot);
void proc_acct_slot_clear(struct proc_tree *t, unsigned slot);

#endif
