/* api.c: the public libukmon entry points: create, load, run, stop, free. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "host/host.h"
#include "kernel/fs.h"
#include "kernel/io.h"
#include "kernel/net.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kernel/thread.h"
#include "kvm/vmm.h"
#include "personality.h"
#include "profile.h"


void ukmon_config_init(struct ukmon_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->mem_size = UKMON_MEM_DEFAULT;
    cfg->stdin_fd = 0;
    cfg->stdout_fd = 1;
    cfg->stderr_fd = 2;
    cfg->trace_fd = -1;
    cfg->stats_fd = -1;
    cfg->log_fd = -1;
    cfg->max_procs = UKMON_MAX_PROCS_DEFAULT;
    cfg->fork_policy = UKMON_FORK_ALLOW;
    cfg->hugepages = 1;
    cfg->syscall_rewrite = 1;
    cfg->landlock = 1;
    cfg->cgroup = 1;
}

uint64_t ukmon_tree_mem_default(void)
{
    struct sysinfo si;
    uint64_t total = sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit : 0;
    uint64_t half = total / 2 / (1ULL << 20) * (1ULL << 20);
    return half < (256ULL << 20) ? 256ULL << 20 : half;
}

struct ukmon_vm *ukmon_vm_new(const struct ukmon_config *cfg)
{
    PROF_INIT();
    PROF_MARK("ukmon_vm_new");
    struct ukmon_vm *vm = calloc(1, sizeof(*vm));
    if (!vm)
        return NULL;
    if (cfg)
        vm->cfg = *cfg;
    else
        ukmon_config_init(&vm->cfg);
    vm->cfg.ignored_signals &= ~SIG_UNBLOCKABLE; /* never ignored, whatever it says */
    if (thread_init(vm) < 0) {
        thread_free(vm);
        free(vm);
        return NULL;
    }
    vm->kvm_fd = vm->vm_fd = -1;
    vm->exe_fd = vm->pre.fd = -1;
    vm->shm_fd = -1;
    vm->is_root = true;
    vm->tss_type = 11;
    vm->born_ns = clock_ns(CLOCK_BOOTTIME);
    vm->net.placeholder_fd = -1;
    vm->fs.tmp_alive = vm->fs.tmp_done = -1;
    /*
     * The guest's fds 0-2 are taken now, before we open anything: were one of the
     * configured fds closed, our next open() (the ELF, /dev/kvm) would get its number,
     * and the guest would be handed that.
     */
    vm->init_err = fdt_init(&vm->fdt, &vm->cfg);
    ring_init_all(vm);
    strcpy(vm->name, "guest");
    return vm;
}

static int check_config(struct ukmon_vm *vm)
{
    const struct ukmon_config *c = &vm->cfg;
    if (c->mem_size < UKMON_MEM_MIN || c->mem_size > UKMON_MEM_MAX ||
        c->mem_size % PAGE_SIZE_2M)
        return vm_fail(vm, -EINVAL, "guest memory size %llu bytes: must be a multiple of "
                       "2 MiB from %llu MiB to %llu GiB", (unsigned long long)c->mem_size,
                       UKMON_MEM_MIN >> 20, UKMON_MEM_MAX >> 30);
    if (c->max_procs < 1 || c->max_procs > UKMON_MAX_PROCS_LIMIT)
        return vm_fail(vm, -EINVAL, "max_procs %u: must be from 1 to %u", c->max_procs,
                       UKMON_MAX_PROCS_LIMIT);
    if (c->tree_mem && c->tree_mem < UKMON_MEM_MIN)
        return vm_fail(vm, -EINVAL, "tree memory %llu bytes: at least %llu MiB (or 0: no "
                       "limit)", (unsigned long long)c->tree_mem, UKMON_MEM_MIN >> 20);
    return 0;
}

/*
 * The tree's memory: its own cgroup where one can be had (before the jail and the
 * sandbox, which would forbid it); else the monitor counts each VM's memory size, and
 * one VM must fit.
 */
static int tree_mem_setup(struct ukmon_vm *vm)
{
    cgroup_setup(vm);
    const struct ukmon_config *c = &vm->cfg;
    if (vm->cg.mode == CG_NONE && c->tree_mem && c->mem_size > c->tree_mem)
        return vm_fail(vm, -EINVAL, "%s: guest memory of %llu MiB is more than the tree may have "
                       "(--tree-mem %llu MiB): without a cgroup (%s) the limit is held by "
                       "counting each VM's memory size", vm->name,
                       (unsigned long long)(c->mem_size >> 20),
                       (unsigned long long)(c->tree_mem >> 20), vm->cg.why);
    return 0;
}

/* Fork's share of the tree: without a cgroup, as many VMs as --tree-mem holds -m. */
static unsigned tree_vm_limit(const struct ukmon_vm *vm)
{
    const struct ukmon_config *c = &vm->cfg;
    if (vm->cg.mode != CG_NONE || !c->tree_mem)
        return c->max_procs;
    uint64_t n = c->tree_mem / c->mem_size;
    return n < c->max_procs ? (unsigned)n : c->max_procs;
}

/*
 * The guest's environment: the configured one, and for socket activation
 * LISTEN_FDS and LISTEN_PID (its getpid() is this process's: under --jail, 1).
 */
static char **guest_env(struct ukmon_vm *vm)
{
    static char fds[32], pid[32];
    size_t n = 0;
    while (vm->cfg.envp && vm->cfg.envp[n])
        n++;
    char **env = calloc(n + 3, sizeof(char *));
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!vm->cfg.listen_fds || (strncmp(vm->cfg.envp[i], "LISTEN_FDS=", 11) &&
                                    strncmp(vm->cfg.envp[i], "LISTEN_PID=", 11)))
            env[k++] = vm->cfg.envp[i];
    if (vm->cfg.listen_fds > 0) {
        snprintf(fds, sizeof(fds), "LISTEN_FDS=%d", vm->cfg.listen_fds);
        snprintf(pid, sizeof(pid), "LISTEN_PID=%d", (int)getpid());
        env[k++] = fds;
        env[k++] = pid;
    }
    return env;
}

/* Checks the program, then builds the VM for it; the file (if any) stays open. */
static int load_program(struct ukmon_vm *vm, struct program_file *pf, const char *name,
                        int argc, char *const argv[])
{
    if (vm->loaded)
        return vm_fail(vm, UKMON_ESTATE, "a program is already loaded in this VM");
    snprintf(vm->name, sizeof(vm->name), "%s", name ? name : "guest");
    if (vm->init_err)
        return vm_fail(vm, vm->init_err, "duplicating the guest's stdin/stdout/stderr: %s",
                       strerror(-vm->init_err));
    if (argc < 0 || (argc > 0 && !argv))
        return vm_fail(vm, -EINVAL, "%s: bad argument vector", vm->name);
    int r = check_config(vm);
    if (r)
        return r;
    struct elf_image img;
    char err[256];
    /* Validate before touching KVM: a bad file costs no VM. */
    if ((r = elf_check_image(pf->data, pf->size, vm->cfg.mem_size, &img, err, sizeof(err))))
        return vm_fail(vm, r, "%s: %s", vm->name, err);
    PROF_MARK("load: ELF checked");
    if ((r = tree_mem_setup(vm)) || (r = fs_setup(vm)) || (r = net_setup(vm)))
        return r;
    PROF_MARK("load: fs_setup, net_setup");
    if (vm->kvm_fd < 0 && (r = kvm_open_dev(vm)))
        return r;
    PROF_MARK("load: /dev/kvm opened, caps, supported CPUID");
    if ((r = gmem_alloc(vm, vm->cfg.mem_size)))
        return r;
    PROF_MARK("load: guest memory mapped");
    net_inherit_fds(vm);
    char **env = guest_env(vm);
    if (!env)
        return vm_fail(vm, -ENOMEM, "out of memory");
    /* A dynamically linked program: its interpreter, from the guest's files. */
    struct program_interp interp;
    bool dynamic = img.interp[0] != 0;
    if (dynamic && (r = fs_open_interp(vm, img.interp, &interp)) < 0) {
        free(env);
        return r;
    }
    /* The first program's dispositions; an execve keeps what the program had. */
    sig_start_ignored(vm, vm->cfg.ignored_signals);
    r = program_build(vm, &img, pf, dynamic ? &interp : NULL, argc, argv, env);
    if (dynamic)
        program_release(&interp.pf, false); /* its mappings keep what they need */
    free(env);
    proc_set_comm(vm, vm->name);
    if (r || (r = uring_setup(vm)))
        return r;
    PROF_MARK("load: io_uring set up");
    vm->loaded = true;
    return 0;
}

int ukmon_vm_load_image(struct ukmon_vm *vm, const void *image, size_t size,
                        const char *name, int argc, char *const argv[])
{
    struct program_file pf = {.fd = -1, .data = image, .size = size};
    return load_program(vm, &pf, name, argc, argv);
}

/*
 * The guest path of the program as the user named it (a link's own name, not its
 * target's: busybox tells its applets apart by argv[0]), for argv[0] and AT_EXECFN;
 * empty when the folder holding the link is not granted.
 */
static void named_guest_path(struct ukmon_vm *vm, const char *path)
{
    char abs[sizeof(vm->exe_named)];
    if (fs_host_absolute(path, abs, sizeof(abs)) < 0)
        return;
    char *slash = strrchr(abs, '/');
    if (!slash || !slash[1])
        return;
    *slash = 0;
    char *dir = realpath(abs[0] ? abs : "/", NULL);
    char joined[sizeof(vm->exe_named)];
    if (dir && snprintf(joined, sizeof(joined), "%s/%s", strcmp(dir, "/") ? dir : "", slash + 1) <
                   (int)sizeof(joined) &&
        fs_guest_path_of(vm, joined, vm->exe_named, sizeof(vm->exe_named)) < 0)
        vm->exe_named[0] = 0;
    free(dir);
}

/*
 * Where the program came from, as /proc/self/exe and AT_EXECFN name it. In a granted
 * folder: its guest path, so that re-executing it by name (`$(MAKE)`, a shell's
 * $0) works without granting it twice. Elsewhere: the path the user named, made
 * absolute as Linux shows it; never a host path the user did not name (a symlink's
 * target, say).
 */
static int note_exe(struct ukmon_vm *vm, const char *path, int fd)
{
    int r = fs_setup(vm);
    if (r < 0)
        return r;
    vm->exe_fd = fd;
    vm->exe_in_folder = false;
    vm->exe_named[0] = 0;
    char *real = realpath(path, NULL);
    if (real && fs_guest_path_of(vm, real, vm->exe_path, sizeof(vm->exe_path)) == 0) {
        vm->exe_in_folder = true;
        named_guest_path(vm, path);
    } else if (fs_host_absolute(path, vm->exe_path, sizeof(vm->exe_path)) < 0) {
        snprintf(vm->exe_path, sizeof(vm->exe_path), "%s", path);
    }
    free(real);
    return 0;
}

/*
 * The caller's argv, but for an argv[0] that names the program as `path` does: the
 * guest path of a program in a granted folder (what the guest would have typed).
 */
static int load_named(struct ukmon_vm *vm, struct program_file *pf, const char *path, int argc,
                      char *const argv[])
{
    if (!vm->exe_in_folder || argc < 1 || !argv || !argv[0] || strcmp(argv[0], path))
        return load_program(vm, pf, path, argc, argv);
    char **v = malloc(((size_t)argc + 1) * sizeof(char *));
    if (!v)
        return vm_fail(vm, -ENOMEM, "out of memory");
    memcpy(v, argv, ((size_t)argc + 1) * sizeof(char *));
    v[0] = vm->exe_named[0] ? vm->exe_named : vm->exe_path;
    int r = load_program(vm, pf, path, argc, v);
    free(v);
    return r;
}

#define SCRIPT_DEPTH 4 /* interpreters of interpreters, as Linux allows */

/* argv for a "#!" script: interp [arg] script argv[1...], in one allocation. */
static char **script_argv(const char *interp, const char *arg, const char *script, int argc,
                          char *const argv[], int *argc_out)
{
    size_t strs = strlen(interp) + strlen(arg) + strlen(script) + 3;
    int n = 0;
    const char *add[3] = {interp, arg[0] ? arg : NULL, script};
    int keep = argc > 1 ? argc - 1 : 0;
    char **v = malloc((3 + (size_t)keep + 1) * sizeof(char *) + strs);
    if (!v)
        return NULL;
    char *pool = (char *)(v + 3 + keep + 1);
    for (int i = 0; i < 3; i++) {
        if (!add[i])
            continue;
        v[n++] = strcpy(pool, add[i]);
        pool += strlen(add[i]) + 1;
    }
    for (int i = 1; i < argc; i++)
        v[n++] = argv[i];
    v[n] = NULL;
    *argc_out = n;
    return v;
}

/*
 * With a root, the program is the guest's: found in its files as execvp would find
 * it, a "#!" script's interpreter run in its place (argv as Linux makes it). On
 * success vm->exe_* name it, *pf holds its bytes and *vp is a new argv to free, or
 * NULL (argv as given).
 */
static int open_in_root(struct ukmon_vm *vm, const char *path, int argc, char *const argv[],
                        struct program_file *pf, char ***vp, int *argc_out)
{
    *vp = NULL;
    *argc_out = argc;
    int r = fs_setup(vm);
    if (r < 0)
        return r;
    char want[sizeof(vm->exe_named)];
    snprintf(want, sizeof(want), "%s", path);
    for (int depth = 0;; depth++) {
        int fd = -1;
        char found[sizeof(vm->exe_named)];
        r = fs_find_program(vm, want, vm->cfg.envp, &fd, found, sizeof(found), vm->exe_path,
                            sizeof(vm->exe_path));
        if (r < 0) {
            if (!strchr(want, '/') && r == -ENOENT)
                return vm_fail(vm, r, "%s: not found in the guest's $PATH", want);
            return vm_fail(vm, r, "%s: %s (in the guest's files)", want, strerror(-r));
        }
        if (fd == vm->exe_fd)
            fd = fcntl(fd, F_DUPFD_CLOEXEC, 0); /* /proc/self/exe of nothing yet: no */
        if (depth == 0)
            snprintf(vm->exe_named, sizeof(vm->exe_named), "%s", found);
        char interp[256], arg[256];
        if (!fs_shebang(fd, interp, sizeof(interp), arg, sizeof(arg))) {
            if ((r = program_from_fd(vm, fd, found, pf)) < 0) {
                close(fd);
                return r;
            }
            vm->exe_fd = fd;
            vm->exe_in_folder = true;
            return 0;
        }
        close(fd);
        if (depth == SCRIPT_DEPTH || !interp[0])
            return vm_fail(vm, interp[0] ? -ELOOP : -ENOEXEC, "%s: %s", found, interp[0] ?
                           "too many levels of #! interpreters" : "empty #! line");
        char **nv = script_argv(interp, arg, found, *argc_out, *vp ? *vp : argv, argc_out);
        free(*vp);
        if (!(*vp = nv))
            return vm_fail(vm, -ENOMEM, "out of memory");
        snprintf(want, sizeof(want), "%s", interp);
        if (!strchr(interp, '/'))
            return vm_fail(vm, -ENOENT, "%s: bad interpreter %s: not an absolute path",
                           found, interp);
    }
}

/* ukmon_vm_load_file() with a root. */
static int load_in_root(struct ukmon_vm *vm, const char *path, int argc, char *const argv[])
{
    snprintf(vm->name, sizeof(vm->name), "%s", path);
    struct program_file pf;
    char **v = NULL;
    int n = argc;
    int r = open_in_root(vm, path, argc, argv, &pf, &v, &n);
    if (r == 0) {
        r = load_program(vm, &pf, path, n, v ? v : argv);
        program_release(&pf, true); /* the fd is vm->exe_fd */
    }
    free(v);
    return r;
}

int ukmon_vm_prepare(struct ukmon_vm *vm, const char *path)
{
    if (vm->pre.data)
        return vm_fail(vm, UKMON_ESTATE, "%s: already prepared", path);
    snprintf(vm->name, sizeof(vm->name), "%s", path);
    if (vm->cfg.root) {
        /* The folders are held now; the program is found in them at the load. */
        int r = fs_setup(vm);
        if (r == 0 && (r = check_config(vm)) == 0 && (r = tree_mem_setup(vm)) == 0 &&
            (r = net_setup(vm)) == 0 && (r = kvm_open_dev(vm)) == 0)
            vm->prepared_root = true;
        return r;
    }
    int r = program_open(vm, path, &vm->pre);
    PROF_MARK("prepare: program file opened");
    if (r == 0 && (r = note_exe(vm, path, vm->pre.fd)) == 0)
        PROF_MARK("prepare: exe noted, fs_setup (private /tmp)");
    if (r == 0 && (r = check_config(vm)) == 0 && (r = tree_mem_setup(vm)) == 0)
        PROF_MARK("prepare: tree memory (cgroup)");
    /*
     * Prepared for the jail: the helpers are this process's children, and it is the
     * outer process that must reap their middle processes, not the jailed one.
     */
    if (r == 0 && (r = net_setup(vm)) == 0 && (r = kvm_open_dev(vm)) == 0 &&
        (r = fs_tmp_started(vm)) == 0 && (r = cgroup_started(vm)) == 0 &&
        (r = cgroup_settled(vm)) == 0) {
        PROF_MARK("prepare: net_setup, /dev/kvm opened, caps, supported CPUID");
        snprintf(vm->pre_path, sizeof(vm->pre_path), "%s", path);
    }
    return r;
}

int ukmon_vm_load_file(struct ukmon_vm *vm, const char *path, int argc, char *const argv[])
{
    if (vm->cfg.root)
        return load_in_root(vm, path, argc, argv);
    if (vm->pre.data && strcmp(vm->pre_path, path) == 0) {
        int r = load_named(vm, &vm->pre, path, argc, argv);
        program_release(&vm->pre, true); /* the fd is vm->exe_fd now */
        return r;
    }
    struct program_file pf;
    int r = program_open(vm, path, &pf);
    if (r < 0)
        return r;
    if ((r = note_exe(vm, path, pf.fd)) < 0) {
        vm->exe_fd = -1;
        program_release(&pf, false);
        return r;
    }
    r = load_named(vm, &pf, path, argc, argv);
    program_release(&pf, true);
    return r;
}

int ukmon_vm_run(struct ukmon_vm *vm, struct ukmon_exit *ex)
{
    if (!vm->loaded || vm->ran)
        return vm_fail(vm, UKMON_ESTATE, "%s", vm->loaded ? "the VM has already run" :
                       "no program loaded");
    vm->ran = true;
    /* A write to a pipe with no reader must be EPIPE for the guest, not our death. */
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    memset(&vm->exit, 0, sizeof(vm->exit));
    int gr = gsig_install();
    if (gr < 0)
        return vm_fail(vm, gr, "installing the guest-signal handler: %s", strerror(-gr));
    PROF_MARK("run: signal handlers installed");
    if ((gr = fs_tmp_started(vm)) < 0 || (gr = cgroup_started(vm)) < 0 ||
        (gr = proc_tree_init(vm, tree_vm_limit(vm))) < 0)
        return gr;
    /*
     * Landlock first (its own calls would not pass the seccomp filter): wherever the
     * kernel has it; folders granted without it are refused unless the config says
     * otherwise (the CLI's --no-landlock). The private /tmp does not count: it holds
     * nothing of the user's for Landlock to keep.
     */
    if (vm->cfg.landlock && (fs_granted(vm) > 0 || landlock_abi() > 0)) {
        int r = landlock_confine(vm);
        if (r < 0)
            return r;
        PROF_MARK("run: Landlock");
    }
    /* For the test suite: a host file outside the folders must now be out of reach. */
    const char *probe = getenv("UKMON_LANDLOCK_SELFTEST");
    if (probe && open(probe, O_RDONLY | O_CLOEXEC) >= 0)
        abort();
    if (vm->cfg.sandbox) {
        /*
         * For the test suite: proves the filter is in force before the first KVM_RUN,
         * or (with "fork") in every forked monitor, and that its refusal is named.
         */
        const char *selftest = getenv("UKMON_SANDBOX_SELFTEST");
        int r = sandbox_install(vm);
        if (r < 0)
            return r;
        PROF_MARK("run: seccomp filter installed");
        if (selftest && !strcmp(selftest, "fork"))
            vm->sandbox_selftest_fork = true;
        else if (selftest)
            syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY);
    }
    fs_run_begin(vm);
    vm->stats.ns_start = clock_ns(CLOCK_MONOTONIC);
    /* A monitor forked by the leader's thread comes back here too, with its own start. */
    int r = thread_run_leader(vm);
    PROF_MARK("run loop ended (the guest's exit)");
    proc_run_ended(vm);
    r = proc_finish(vm, r); /* in a forked child monitor, this does not return */
    fs_run_end(vm);
    fs_tmp_end(vm); /* the tree is gone: so is its /tmp */
    PROF_DUMP(vm, "root: tree ended");
    vm->exit.oom_kills = cgroup_oom_kills(vm);
    if (vm->cfg.stats_fd >= 0) {
        char line[9000];
        int n = snprintf(line, sizeof(line), "ukmon stats tree: ");
        n += cgroup_describe(vm, line + n, sizeof(line) - (size_t)n - 1);
        if (n > (int)sizeof(line) - 2)
            n = (int)sizeof(line) - 2;
        line[n++] = '\n';
        if (write(vm->cfg.stats_fd, line, (size_t)n) < 0) {
            /* the report is lost, the run is not */
        }
    }
    if (ex)
        *ex = vm->exit;
    return r;
}

/* From any context, a signal handler's included: every vCPU's thread is kicked. */
void ukmon_vm_request_stop(struct ukmon_vm *vm, int signal)
{
    vm->stop_signal = signal > 0 ? signal : SIGTERM;
    struct vcpu *c = vcpu_cur(vm);
    if (c && c->run)
        c->run->immediate_exit = 1;
    thread_kick_all(vm);
}

void ukmon_vm_free(struct ukmon_vm *vm)
{
    if (!vm)
        return;
    proc_vm_to_janitor(vm); /* its teardown in the janitor, not here (host/cgroup.c) */
    proc_free(vm); /* first: its SIGCHLD handler touches kvm_run */
    sig_timers_free(vm);
    net_free(vm);
    uring_teardown(vm);
    fdt_close_all(vm);
    kvm_close_machine(vm);
    if (vm->kvm_fd >= 0)
        close(vm->kvm_fd);
    gmem_free(vm);
    if (vm->exe_fd == vm->pre.fd)
        vm->exe_fd = -1; /* prepared, never loaded: the fd is still pre's */
    program_release(&vm->pre, false);
    if (vm->exe_fd >= 0)
        close(vm->exe_fd);
    free(vm->args);
    shm_free(vm);
    fs_free(vm);
    cgroup_release(vm); /* last: the janitor may remove the cgroup once we have left it */
    personality_release_all(vm);
    thread_free(vm);
    free(vm);
}
