/* main.c: the ukmon command line, a thin user of libukmon. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ukmon.h"

/*
 * Sanitizer runtimes need system calls the sandbox refuses (sigaltstack, ptrace and
 * threads for leak checking): builds with them run without it, and say so.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED_BUILD 1
#endif
#endif
#ifndef SANITIZED_BUILD
#define SANITIZED_BUILD 0
#endif

/* Exit codes of ukmon itself; guest statuses pass through unchanged. */
#define EXIT_MONITOR_ERROR 125 /* usage, unreadable or bad ELF, KVM unavailable */

extern char **environ;

static struct ukmon_vm *the_vm;
static volatile pid_t jail_child; /* in the process outside the jail: the jailed one */
static int use_jail;

/*
 * SIGINT, SIGTERM, SIGHUP, SIGQUIT: the guest's to act on (libukmon hands them on as
 * a terminal or kill would). A terminal's signal (SI_KERNEL) reached the jailed
 * monitors already: they share our process group.
 */
static void on_host_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    bool from_terminal = si->si_code == SI_KERNEL;
    if (jail_child > 0) {
        if (!from_terminal)
            kill(jail_child, sig);
    } else if (the_vm) {
        ukmon_vm_forward_signal(the_vm, sig, from_terminal);
    }
}

/*
 * The signals ukmon was started with ignored (nohup; a non-interactive shell's
 * background job, SIGINT and SIGQUIT): the guest starts with them ignored, as a
 * program execve'd in our place would. Read before we install any handler.
 */
static uint64_t signals_ignored_at_start(void)
{
    uint64_t set = 0;
    for (int s = 1; s <= 64; s++) {
        struct sigaction old;
        if (s != SIGKILL && s != SIGSTOP && sigaction(s, NULL, &old) == 0 &&
            !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN)
            set |= 1ULL << (s - 1);
    }
    return set;
}

static int die(const char *msg)
{
    fprintf(stderr, "ukmon: %s\n", msg);
    return EXIT_MONITOR_ERROR;
}

/* Outside the jail: wait for the jailed tree and hand its ending on as our own. */
static int wait_jail(pid_t child)
{
    int st;
    while (waitpid(child, &st, 0) < 0) {
        if (errno != EINTR)
            return die("jail: waitpid failed");
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    return 128 + WTERMSIG(st);
}

/* A size as the options spell it: "12G", "300M". */
static const char *size_text(uint64_t v)
{
    static char b[32];
    if (v && v % (1ULL << 30) == 0)
        snprintf(b, sizeof(b), "%lluG", (unsigned long long)(v >> 30));
    else
        snprintf(b, sizeof(b), "%lluM", (unsigned long long)(v >> 20));
    return b;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: ukmon [options] app.elf [args...]\n"
        "       ukmon [options] --root DIR program [args...]\n"
        "Runs an x86-64 unikernel or Linux program in its own KVM virtual machine;\n"
        "a guest fork() clones the VM. Exits with the guest's exit status.\n"
        "\n"
        "options:\n"
        "  -m, --mem SIZE       guest memory, e.g. 64M, 1G (default 1G; 8M..4G,\n"
        "                       a multiple of 2M)\n"
        "  -p, --max-procs N    VMs alive at once in the tree, root included\n"
        "                       (default %d, at most %d); past it fork() fails with EAGAIN\n"
        "      --tree-mem SIZE  memory of the whole tree: all its VMs and the kernel\n"
        "                       memory they pin (default: half of the host's RAM, here\n"
        "                       %s; 0: no limit). Held by a cgroup of the tree's own (v2,\n"
        "                       or v1 memory+pids): past it the kernel's OOM killer ends\n"
        "                       VMs of this tree only. Without a cgroup, a fork whose -m\n"
        "                       would take the tree's sum past it fails with ENOMEM\n"
        "      --no-cgroup      make no cgroup: --tree-mem is held by that count only\n"
        "      --no-fork        guest fork() fails with ENOSYS\n"
        "      --no-hugepages   keep the guest heap in 4 KiB pages (by default it uses\n"
        "                       transparent huge pages: faster fork, memory in 2 MiB steps)\n"
        "      --no-sandbox     run without the seccomp filter (debugging only)\n"
        "      --syscall-exits  every system call of a Linux program exits to the monitor:\n"
        "                       no rewriting into guest-side calls (debugging, comparison)\n"
        "      --jail           run the VM tree in new pid/mount/net/ipc/uts namespaces,\n"
        "                       an empty read-only root, no capabilities, rlimits\n"
        "  -d, --dir HOST[:GUEST][:ro|:rw]\n"
        "                       let the guest see the host folder HOST at GUEST (default:\n"
        "                       the same path), read-only unless :rw (repeatable)\n"
        "      --no-landlock    run granted folders without Landlock's confinement of\n"
        "                       the monitor (kernels without Landlock; prints a warning)\n"
        "      --no-tmp         no private /tmp (by default the tree gets an empty one, a\n"
        "                       folder in $TMPDIR removed at the end, unless --dir maps /tmp)\n"
        "      --root DIR[:ro|:rw]\n"
        "                       DIR is the guest's / (read-only unless :rw), as with chroot;\n"
        "                       --dir folders and the made-up /dev, /proc, /tmp on top. The\n"
        "                       program is then a guest path, or a name looked up in the\n"
        "                       guest's $PATH (-e PATH=...; else PATH is set to\n"
        "                       /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)\n"
        "      --cwd DIR        the guest's working directory at start (default /)\n"
        "      --publish [HOSTADDR:]HOSTPORT[:GUESTPORT]\n"
        "                       a guest that listens on TCP port GUESTPORT (default\n"
        "                       HOSTPORT) gets the host's HOSTADDR:HOSTPORT (default every\n"
        "                       address, IPv6 in brackets) (repeatable)\n"
        "      --connect ADDR[/BITS]:PORT[-PORT]\n"
        "                       let the guest connect to that TCP address or network and\n"
        "                       port (range); others are refused (repeatable)\n"
        "  -e, --env NAME=VAL   add to the guest's environment (repeatable)\n"
        "  -t, --trace          one line per hypercall on stderr (and -v)\n"
        "  -v, --verbose        a forked VM that dies of a fault says why on stderr\n"
        "                       (without it, only its parent's wait status says so)\n"
        "      --log FILE       append those lines to FILE instead\n"
        "  -s, --stats          VM exit and hypercall counts per VM on stderr at the end\n"
        "  -h, --help           this text\n"
        "  -V, --version        the version and ABI\n"
        "\n"
        "exit status: the guest's exit(n); 128+N when the guest faults (N is the signal a\n"
        "process would die of: 11 SEGV, 4 ILL, 8 FPE, 6 ABRT, 31 SYS) or ukmon is\n"
        "stopped by signal N; 125 when ukmon cannot start the guest.\n",
        UKMON_MAX_PROCS_DEFAULT, UKMON_MAX_PROCS_LIMIT, size_text(ukmon_tree_mem_default()));
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    case '\0': break;
    default: return -1;
    }
    if (*end == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B')
        end++;
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}


static int run_guest(struct ukmon_config *cfg, int argc, char **argv);

static struct ukmon_dir dirs[UKMON_DIRS_MAX];

/*
 * --dir HOST[:GUEST][:ro|:rw]. A trailing :ro or :rw is the mode; what is left is
 * HOST, or HOST:GUEST. HOST may not contain ':' (nor GUEST).
 */
static int parse_dir(char *arg, struct ukmon_config *cfg, char *msg, size_t msglen)
{
    if (cfg->ndirs == UKMON_DIRS_MAX) {
        snprintf(msg, msglen, "--dir: at most %d folders", UKMON_DIRS_MAX);
        return -1;
    }
    struct ukmon_dir *d = &dirs[cfg->ndirs];
    char *spec = strdup(arg);
    if (!spec) {
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    d->writable = 0;
    char *last = strrchr(spec, ':');
    if (last && (!strcmp(last, ":ro") || !strcmp(last, ":rw"))) {
        d->writable = last[2] == 'w';
        *last = 0;
    }
    char *colon = strchr(spec, ':');
    if (colon) {
        *colon = 0;
        d->guest = colon + 1;
    } else {
        d->guest = spec;
    }
    d->host = spec;
    if (!d->host[0] || d->guest[0] != '/' || strchr(d->guest, ':')) {
        snprintf(msg, msglen, "--dir %s: expected HOST[:GUEST][:ro|:rw], GUEST an absolute "
                 "path (HOST alone must be absolute too)", arg);
        return -1;
    }
    cfg->dirs = dirs;
    cfg->ndirs++;
    return 0;
}

static struct ukmon_publish publish[UKMON_PUBLISH_MAX];
static struct ukmon_connect connects[UKMON_CONNECT_MAX];

/*
 * systemd socket activation: LISTEN_FDS sockets from fd 3, meant for us when
 * LISTEN_PID is our pid. They are handed to the guest as its fds 3 and up.
 */
static int listen_fds(void)
{
    const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    if (!pid || !fds || atol(pid) != (long)getpid())
        return 0;
    long n = atol(fds);
    return n > 0 && n < 256 ? (int)n : 0;
}

/* Long options with no letter of their own: values past any char. */
enum { OPT_NO_TMP = 256, OPT_ROOT, OPT_CWD };

/* Parses the options into cfg; returns -1 to go on, else the exit code to use. */
static int parse_options(int argc, char **argv, struct ukmon_config *cfg, char **env)
{
    int nenv = 0;
    static const struct option opts[] = {
        {"mem", required_argument, NULL, 'm'},
        {"max-procs", required_argument, NULL, 'p'},
        {"tree-mem", required_argument, NULL, 'T'},
        {"no-cgroup", no_argument, NULL, 'G'},
        {"no-fork", no_argument, NULL, 'F'},
        {"no-hugepages", no_argument, NULL, 'H'},
        {"no-sandbox", no_argument, NULL, 'S'},
        {"syscall-exits", no_argument, NULL, 'X'},
        {"jail", no_argument, NULL, 'J'},
        {"env", required_argument, NULL, 'e'},
        {"dir", required_argument, NULL, 'd'},
        {"no-landlock", no_argument, NULL, 'L'},
        {"no-tmp", no_argument, NULL, OPT_NO_TMP},
        {"root", required_argument, NULL, OPT_ROOT},
        {"cwd", required_argument, NULL, OPT_CWD},
        {"publish", required_argument, NULL, 'P'},
        {"connect", required_argument, NULL, 'C'},
        {"trace", no_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'},
        {"log", required_argument, NULL, 'O'},
        {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char msg[300];
    /* '+': options stop at the ELF file; what follows belongs to the guest. */
    while ((c = getopt_long(argc, argv, "+m:p:e:d:tvshV", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (parse_size(optarg, &cfg->mem_size) < 0) {
                snprintf(msg, sizeof(msg), "--mem %s: not a size (examples: 64M, 1G)", optarg);
                return die(msg);
            }
            break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > UKMON_MAX_PROCS_LIMIT) {
                snprintf(msg, sizeof(msg), "--max-procs %s: must be a number from 1 to %d",
                         optarg, UKMON_MAX_PROCS_LIMIT);
                return die(msg);
            }
            cfg->max_procs = (unsigned)v;
            break;
        }
        case 'T':
            if (parse_size(optarg, &cfg->tree_mem) < 0 ||
                (cfg->tree_mem && cfg->tree_mem < UKMON_MEM_MIN)) {
                snprintf(msg, sizeof(msg), "--tree-mem %s: not a size of %lluM or more, or 0 "
                         "(examples: 512M, 8G)", optarg, UKMON_MEM_MIN >> 20);
                return die(msg);
            }
            break;
        case 'G':
            cfg->cgroup = 0;
            break;
        case 'F':
            cfg->fork_policy = UKMON_FORK_DENY;
            break;
        case 'H':
            cfg->hugepages = 0;
            break;
        case 'J':
            use_jail = 1;
            break;
        case 'X':
            cfg->syscall_rewrite = 0;
            break;
        case 'S':
            cfg->sandbox = 0;
            fprintf(stderr, "ukmon: WARNING: --no-sandbox: the monitor runs WITHOUT its "
                    "seccomp filter; a guest that breaks the monitor gets all of its "
                    "privileges. For debugging only.\n");
            break;
        case 'd':
            if (parse_dir(optarg, cfg, msg, sizeof(msg)) < 0)
                return die(msg);
            break;
        case 'L':
            cfg->landlock = 0;
            fprintf(stderr, "ukmon: WARNING: --no-landlock: granted folders are guarded by "
                    "ukmon's own path checks only; a guest that took over the monitor could "
                    "reach the whole file system it can.\n");
            break;
        case OPT_NO_TMP:
            cfg->private_tmp = 0;
            break;
        case OPT_ROOT: {
            /* DIR[:rw|:ro]: a trailing mode, as for --dir; the rest is the folder. */
            char *spec = strdup(optarg), *last = spec ? strrchr(spec, ':') : NULL;
            if (!spec)
                return die("out of memory");
            if (last && (!strcmp(last, ":ro") || !strcmp(last, ":rw"))) {
                cfg->root_writable = last[2] == 'w';
                *last = 0;
            }
            if (!spec[0] || cfg->root) {
                snprintf(msg, sizeof(msg), "--root %s: %s", optarg, spec[0] ?
                         "only one root" : "expected DIR[:ro|:rw]");
                free(spec);
                return die(msg);
            }
            cfg->root = spec;
            break;
        }
        case OPT_CWD:
            if (optarg[0] != '/') {
                snprintf(msg, sizeof(msg), "--cwd %s: must be an absolute guest path", optarg);
                return die(msg);
            }
            cfg->cwd = optarg;
            break;
        case 'P':
            if (cfg->npublish == UKMON_PUBLISH_MAX) {
                snprintf(msg, sizeof(msg), "--publish: at most %d ports", UKMON_PUBLISH_MAX);
                return die(msg);
            }
            if (ukmon_parse_publish(optarg, &publish[cfg->npublish], msg, sizeof(msg)) < 0)
                return die(msg);
            cfg->publish = publish;
            cfg->npublish++;
            break;
        case 'C':
            if (cfg->nconnect == UKMON_CONNECT_MAX) {
                snprintf(msg, sizeof(msg), "--connect: at most %d rules", UKMON_CONNECT_MAX);
                return die(msg);
            }
            if (ukmon_parse_connect(optarg, &connects[cfg->nconnect], msg, sizeof(msg)) < 0)
                return die(msg);
            cfg->connect = connects;
            cfg->nconnect++;
            break;
        case 'e':
            if (!strchr(optarg, '=')) {
                snprintf(msg, sizeof(msg), "--env %s: expected NAME=VALUE", optarg);
                return die(msg);
            }
            env[nenv++] = optarg;
            break;
        case 't':
            cfg->trace_fd = 2;
            if (cfg->log_fd < 0)
                cfg->log_fd = 2;
            break;
        case 'v':
            if (cfg->log_fd < 0)
                cfg->log_fd = 2;
            break;
        case 'O': {
            /* Opened now: before the jail, Landlock and the sandbox, which allow no open. */
            int fd = open(optarg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
            if (fd < 0) {
                snprintf(msg, sizeof(msg), "--log %s: %s", optarg, strerror(errno));
                return die(msg);
            }
            if (cfg->log_fd > 2)
                close(cfg->log_fd);
            cfg->log_fd = fd;
            break;
        }
        case 's':
            cfg->stats_fd = 2;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("ukmon %s (hypercall ABI %d)%s\n", UKMON_VERSION, UKMON_ABI_VERSION,
                   SANITIZED_BUILD ? " sanitizer build: no seccomp sandbox, no Landlock" : "");
            return 0;
        default:
            usage(stderr);
            return EXIT_MONITOR_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "ukmon: no unikernel given\n");
        usage(stderr);
        return EXIT_MONITOR_ERROR;
    }
    /* With a root, the guest's $PATH is what found its program: a shell's default. */
    bool has_path = false;
    for (int i = 0; i < nenv; i++)
        has_path |= !strncmp(env[i], "PATH=", 5);
    if (cfg->root && !has_path)
        env[nenv++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    cfg->envp = env;
    return -1;
}

/*
 * A guest may hold up to 1024 fds, each one a host fd of the monitor's, beside the
 * monitor's own: the usual soft limit of 1024 is too tight, so take what the hard
 * limit allows (up to 4096).
 */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
        rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    raise_fd_limit();
    struct ukmon_config cfg;
    ukmon_config_init(&cfg);
    cfg.sandbox = !SANITIZED_BUILD;
    cfg.landlock = !SANITIZED_BUILD; /* LeakSanitizer reads /proc at exit */
    cfg.private_tmp = 1;
    cfg.exit_after_free = 1; /* no move back out of the tree's cgroup: we exit */
    cfg.listen_fds = listen_fds();
    cfg.ignored_signals = signals_ignored_at_start();
    cfg.tree_mem = ukmon_tree_mem_default();
    char **env = calloc((size_t)argc + 1, sizeof(char *));
    if (!env)
        return die("out of memory");
    int code = parse_options(argc, argv, &cfg, env);
    if (code < 0)
        code = run_guest(&cfg, argc - optind, argv + optind);
    free(env);
    free((char *)cfg.root); /* --root's copy, without its :ro or :rw */
    return code;
}

static int run_guest(struct ukmon_config *cfg, int argc, char **argv)
{
    struct ukmon_vm *vm = ukmon_vm_new(cfg);
    if (!vm)
        return die("out of memory");
    /* No SA_RESTART: a blocked wait must return so the signal is seen at once. */
    the_vm = vm;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_host_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &sa, NULL);

    int r = 0;
    if (use_jail) {
        pid_t child = 0;
        r = ukmon_vm_prepare(vm, argv[0]);
        if (r == 0)
            r = ukmon_jail_enter(vm, &child);
        if (r == 1) {
            jail_child = child;
            int code = wait_jail(child);
            ukmon_vm_free(vm);
            return code;
        }
    }
    if (r == 0)
        r = ukmon_vm_load_file(vm, argv[0], argc, argv);
    if (r < 0) {
        int code = die(ukmon_vm_errmsg(vm));
        ukmon_vm_free(vm);
        return code;
    }

    struct ukmon_exit ex;
    r = ukmon_vm_run(vm, &ex);
    if (r < 0) {
        int code = die(ukmon_vm_errmsg(vm));
        ukmon_vm_free(vm);
        return code;
    }
    if (ex.kind == UKMON_EXIT_FAULT) {
        fprintf(stderr, "ukmon: %s\n", ex.reason);
        if (cfg->log_fd > 2) /* --log: every VM's fault, the first's too */
            dprintf(cfg->log_fd, "ukmon: %s\n", ex.reason);
    }
    if (ex.oom_kills)
        fprintf(stderr, "ukmon: %s: the tree reached its memory limit (--tree-mem %s): the "
                "kernel's OOM killer ended %u of its VMs\n", argv[0], size_text(cfg->tree_mem),
                ex.oom_kills);
    int code = ukmon_exit_code(&ex);
    ukmon_vm_free(vm);
    return code;
}
