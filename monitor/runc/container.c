/*
 * container.c: the commands that make, start and end a container. The container's
 * process is the root monitor of a VM tree: `create` forks it, it builds the VM
 * (finding the program in the root file system, so that a missing one fails create,
 * as with runc) and waits on the exec FIFO; `start` lets it run; the tree's exit
 * status is its own, which conmon or the runc shim collects.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <net/if.h>
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runc/guestcfg.h"
#include "runc/runc.h"

#define SYNC_OK "ok"

/* ---- the container's process ---- */

static struct ukmon_vm *the_vm;

/* A host signal for the container (podman stop, kill): the guest's to act on. */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (the_vm)
        ukmon_vm_forward_signal(the_vm, sig, si->si_code == SI_KERNEL);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* Tells create why the container cannot be, and ends. */
static void __attribute__((noreturn)) child_fail(int sync, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void child_fail(int sync, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n > 0 && write(sync, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0) {
        /* create sees EOF without "ok": it says the process ended */
    }
    _exit(RUNC_FAIL);
}

/* Every fd but 0, 1, 2 and those in keep[] (ascending) is closed. */
static void close_others(const int *keep, int n)
{
    unsigned lo = 3;
    for (int i = 0; i < n; i++) {
        if (keep[i] < 3)
            continue;
        if ((unsigned)keep[i] > lo)
            close_range(lo, (unsigned)keep[i] - 1, 0);
        lo = (unsigned)keep[i] + 1;
    }
    close_range(lo, ~0U, 0);
}

/* A new network namespace has only lo, down: it is brought up, as runc does. */
static int lo_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -1;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
    return r;
}

/* rlimits: as asked, or (where raising is not allowed) up to the hard limit we have. */
static void set_rlimits(const struct spec *sp)
{
    for (size_t i = 0; i < sp->nrlimits; i++) {
        const struct spec_rlimit *l = &sp->rlimits[i];
        struct rlimit rl = {l->soft, l->hard}, cur;
        if (setrlimit(l->resource, &rl) == 0 || errno != EPERM || getrlimit(l->resource, &cur) < 0)
            continue;
        if (rl.rlim_max > cur.rlim_max)
            rl.rlim_max = cur.rlim_max;
        if (rl.rlim_cur > rl.rlim_max)
            rl.rlim_cur = rl.rlim_max;
        if (setrlimit(l->resource, &rl) == 0)
            runc_warn("rlimit %d: %llu/%llu is above this process's hard limit: %llu/%llu set",
                      l->resource, (unsigned long long)l->soft, (unsigned long long)l->hard,
                      (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    }
}

struct child_args {
    const struct spec *sp;
    struct guest_cfg *g;
    const char *state_dir;
    const char *slave;        /* the pty's slave, or NULL */
    int sync;                 /* write end: "ok", or why not */
};

static void __attribute__((noreturn)) container_main(const struct child_args *a)
{
    const struct spec *sp = a->sp;
    int sync = a->sync;
    /* Nothing of the runtime's caller but stdio reaches the tree. */
    int keep[2] = {sync, runc_log_fd()};
    if (keep[1] >= 0 && keep[1] < keep[0]) {
        keep[1] = keep[0];
        keep[0] = runc_log_fd();
    }
    close_others(keep, keep[1] >= 0 ? 2 : 1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        signal(forwarded[i], SIG_DFL);
    if (setsid() < 0)
        child_fail(sync, "setsid: %s", strerror(errno));
    if (a->slave) {
        int t = open(a->slave, O_RDWR | O_CLOEXEC);
        if (t < 0 || ioctl(t, TIOCSCTTY, 0) < 0)
            child_fail(sync, "terminal %s: %s", a->slave, strerror(errno));
        if (dup2(t, 0) < 0 || dup2(t, 1) < 0 || dup2(t, 2) < 0)
            child_fail(sync, "terminal: dup2: %s", strerror(errno));
        if (t > 2)
            close(t);
    }
    if (sp->netns_path) {
        int fd = open(sp->netns_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
            child_fail(sync, "joining the network namespace %s: %s", sp->netns_path,
                       strerror(errno));
        close(fd);
    } else if (sp->ns_network) {
        if (unshare(CLONE_NEWNET) < 0 || lo_up() < 0)
            child_fail(sync, "a new network namespace: %s", strerror(errno));
    }
    if (sp->hostname && sp->hostname[0]) {
        if (!sp->ns_uts)
            child_fail(sync, "hostname %s: no private UTS namespace in linux.namespaces",
                       sp->hostname);
        if (unshare(CLONE_NEWUTS) < 0 || sethostname(sp->hostname, strlen(sp->hostname)) < 0)
            child_fail(sync, "hostname %s: %s", sp->hostname, strerror(errno));
    }
    set_rlimits(sp);
    if (sp->has_umask)
        umask(sp->umask);
    if (sp->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(sync, "no_new_privs: %s", strerror(errno));
    struct ukmon_vm *vm = ukmon_vm_new(&a->g->cfg);
    if (!vm)
        child_fail(sync, "out of memory");
    const char *prog = sp->args[0];
    if (ukmon_vm_prepare(vm, prog) < 0)
        child_fail(sync, "%s", ukmon_vm_errmsg(vm));
    /* The user: after /dev/kvm and the folders are held, before the program is found. */
    if (sp->gid != getegid() || sp->uid != geteuid()) {
        if (setgroups(sp->ngids, sp->gids) < 0 || setgid(sp->gid) < 0 || setuid(sp->uid) < 0)
            child_fail(sync, "user %u:%u: %s", sp->uid, sp->gid, strerror(errno));
    }
    if (ukmon_vm_load_file(vm, prog, (int)sp->nargs, (char *const *)sp->args) < 0)
        child_fail(sync, "%s", ukmon_vm_errmsg(vm));
    if (write(sync, SYNC_OK, sizeof(SYNC_OK) - 1) < 0)
        _exit(RUNC_FAIL);
    close(sync);
    /* Until `start` opens the FIFO; a signal before it ends us by its default action. */
    char fifo[4200];
    snprintf(fifo, sizeof(fifo), "%s/exec.fifo", a->state_dir);
    int f = open(fifo, O_WRONLY | O_CLOEXEC);
    if (f < 0 || write(f, "0", 1) != 1)
        _exit(RUNC_FAIL);
    close(f);
    the_vm = vm;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &sa, NULL);
    struct ukmon_exit ex;
    if (ukmon_vm_run(vm, &ex) < 0) {
        fprintf(stderr, "ukmon: %s\n", ukmon_vm_errmsg(vm));
        _exit(125);
    }
    if (ex.kind == UKMON_EXIT_FAULT)
        fprintf(stderr, "ukmon: %s\n", ex.reason);
    _exit(ukmon_exit_code(&ex));
}

/* ---- create, start, run ---- */

static void now_rfc3339(char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char s[40];
    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%09ldZ", s, ts.tv_nsec);
}

/* A file written whole under a temporary name and renamed into place. */
static int write_file(const char *path, const char *text, size_t len, mode_t mode)
{
    char tmp[4200];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= sizeof(tmp))
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);
        if (n <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        done += (size_t)n;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[4096];
    if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
        return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

/* Waits for `pid` (our child) to end: its exit code as a shell shows it. */
static int wait_child(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return RUNC_FAIL;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int runc_create(const struct runc_opts *o, const char *id, pid_t *pid_out)
{
    struct runc_state st;
    memset(&st, 0, sizeof(st));
    if (runc_state_dir(o, id, st.dir, sizeof(st.dir)) < 0)
        return -1;
    snprintf(st.id, sizeof(st.id), "%s", id);
    char bundle[PATH_MAX];
    if (!realpath(o->bundle ? o->bundle : ".", bundle)) {
        runc_error("bundle %s: %s", o->bundle ? o->bundle : ".", strerror(errno));
        return -1;
    }
    snprintf(st.bundle, sizeof(st.bundle), "%s", bundle);
    if (mkdir_p(o->root, 0711) < 0) {
        runc_error("--root %s: %s", o->root, strerror(errno));
        return -1;
    }
    if (mkdir(st.dir, 0711) < 0) {
        if (errno == EEXIST)
            runc_error("container with id %s already exists", id);
        else
            runc_error("%s: %s", st.dir, strerror(errno));
        return -1;
    }
    /* From here on, a failure takes the state directory away again. */
    int rc = -1, sync[2] = {-1, -1}, master = -1;
    pid_t pid = -1;
    struct spec sp;
    memset(&sp, 0, sizeof(sp));
    struct guest_cfg *g = calloc(1, sizeof(*g));
    char path[4200], err[600], slave[128];
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    char *text = spec_read_file(path, JSON_TEXT_MAX, &len);
    if (!g) {
        runc_error("out of memory");
        goto out;
    }
    if (!text) {
        runc_error("%s: %s", path, errno == EFBIG ? "larger than 16 MiB" : strerror(errno));
        goto out;
    }
    if (spec_parse(&sp, text, len, err, sizeof(err)) < 0) {
        runc_error("%s", err);
        goto out;
    }
    snprintf(path, sizeof(path), "%s/config.json", st.dir);
    if (write_file(path, text, len, 0600) < 0) {
        runc_error("%s: %s", path, strerror(errno));
        goto out;
    }
    if (guest_cfg_make(&sp, bundle, st.dir, g) < 0)
        goto out;
    snprintf(st.rootfs, sizeof(st.rootfs), "%s", g->rootfs);
    snprintf(path, sizeof(path), "%s/exec.fifo", st.dir);
    if (mkfifo(path, 0600) < 0) {
        runc_error("%s: %s", path, strerror(errno));
        goto out;
    }
    if (sp.terminal) {
        if (!o->console_socket) {
            runc_error("process.terminal is true: --console-socket is needed for the pty");
            goto out;
        }
        if (runc_console_open(sp.console_height, sp.console_width, &master, slave,
                              sizeof(slave)) < 0 ||
            runc_console_send(o->console_socket, master) < 0)
            goto out;
    }
    if (pipe2(sync, O_CLOEXEC) < 0) {
        runc_error("pipe: %s", strerror(errno));
        goto out;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        runc_error("fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        close(sync[0]);
        if (master >= 0)
            close(master);
        struct child_args a = {&sp, g, st.dir, sp.terminal ? slave : NULL, sync[1]};
        container_main(&a);
    }
    close(sync[1]);
    sync[1] = -1;
    /* "ok" once the VM is built and the program found; else why not; EOF if it died. */
    char msg[1024];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(sync[0], msg + got, sizeof(msg) - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || (got += (size_t)n) == sizeof(msg) - 1)
            break;
    }
    msg[got] = 0;
    if (strcmp(msg, SYNC_OK)) {
        int code = got ? 0 : wait_child(pid);
        if (got)
            runc_error("%s", msg);
        else
            runc_error("the container's process ended while it was made (exit code %d)", code);
        goto out;
    }
    st.pid = pid;
    st.start_time = runc_proc_start_time(pid);
    now_rfc3339(st.created, sizeof(st.created));
    if (runc_state_write(&st, &sp) < 0)
        goto out;
    if (o->pid_file) {
        char num[32];
        int n = snprintf(num, sizeof(num), "%d", (int)pid);
        if (write_file(o->pid_file, num, (size_t)n, 0644) < 0) {
            runc_error("--pid-file %s: %s", o->pid_file, strerror(errno));
            goto out;
        }
    }
    if (runc_hooks(&sp, HOOK_PRESTART, &st, true) < 0 ||
        runc_hooks(&sp, HOOK_CREATE_RUNTIME, &st, true) < 0 ||
        runc_hooks(&sp, HOOK_CREATE_CONTAINER, &st, true) < 0)
        goto out;
    rc = 0;
    if (pid_out)
        *pid_out = pid;
out:
    if (rc < 0 && pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (rc < 0)
        runc_rm_rf(st.dir);
    if (sync[0] >= 0)
        close(sync[0]);
    if (sync[1] >= 0)
        close(sync[1]);
    if (master >= 0)
        close(master);
    free(text);
    spec_free(&sp);
    free(g);
    return rc;
}

int runc_start(const struct runc_opts *o, const char *id)
{
    struct runc_state st;
    struct spec sp;
    if (runc_state_read(o, id, &st, &sp) < 0)
        return -1;
    int rc = -1;
    enum runc_status s = runc_status(&st);
    if (s != ST_CREATED) {
        runc_error("cannot start a container that is %s", runc_status_name(s));
        goto out;
    }
    if (runc_hooks(&sp, HOOK_START_CONTAINER, &st, true) < 0)
        goto out;
    char fifo[4200];
    snprintf(fifo, sizeof(fifo), "%s/exec.fifo", st.dir);
    int f = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) {
        runc_error("%s: %s", fifo, strerror(errno));
        goto out;
    }
    /* The process writes one byte once it sees us; it may also have died meanwhile. */
    for (;;) {
        struct pollfd p = {.fd = f, .events = POLLIN};
        int r = poll(&p, 1, 100);
        char c;
        if (r > 0 && read(f, &c, 1) == 1) {
            rc = 0;
            break;
        }
        if (r < 0 && errno != EINTR) {
            runc_error("poll: %s", strerror(errno));
            break;
        }
        if (runc_status(&st) == ST_STOPPED) {
            runc_error("the container's process ended before it was started");
            break;
        }
    }
    close(f);
    unlink(fifo);
    if (rc == 0)
        runc_hooks(&sp, HOOK_POSTSTART, &st, false);
out:
    spec_free(&sp);
    return rc;
}

/* ---- kill, delete ---- */

static int parse_signal(const char *s)
{
    static const struct { const char *name; int sig; } names[] = {
        {"HUP", SIGHUP}, {"INT", SIGINT}, {"QUIT", SIGQUIT}, {"ILL", SIGILL},
        {"TRAP", SIGTRAP}, {"ABRT", SIGABRT}, {"IOT", SIGIOT}, {"BUS", SIGBUS},
        {"FPE", SIGFPE}, {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
        {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM}, {"TERM", SIGTERM},
        {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
        {"TSTP", SIGTSTP}, {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
        {"WINCH", SIGWINCH}, {"IO", SIGIO}, {"PWR", SIGPWR}, {"SYS", SIGSYS},
    };
    if (!s)
        return SIGTERM;
    if (*s >= '0' && *s <= '9') {
        char *end;
        long v = strtol(s, &end, 10);
        return *end || v < 1 || v > 64 ? -1 : (int)v;
    }
    if (!strncmp(s, "SIG", 3))
        s += 3;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i].name, s))
            return names[i].sig;
    return -1;
}

/*
 * kill: the signal goes to the container's process, the tree's root monitor, which
 * hands it to the guest as a terminal or kill(1) would (the foreground process group
 * of the tree); SIGKILL ends the whole tree at once. --all is the same: every VM of
 * the tree is reached through its root.
 */
int runc_kill(const struct runc_opts *o, const char *id, const char *signal)
{
    struct runc_state st;
    if (runc_state_read(o, id, &st, NULL) < 0)
        return -1;
    int sig = parse_signal(signal);
    if (sig < 0) {
        runc_error("invalid signal %.32s", signal);
        return -1;
    }
    if (runc_status(&st) == ST_STOPPED) {
        runc_error("container %s is not running", id);
        return -1;
    }
    if (kill(st.pid, sig) < 0 && errno != ESRCH) {
        runc_error("kill %d: %s", (int)st.pid, strerror(errno));
        return -1;
    }
    return 0;
}

/* Every process below `root` (by their parents), with their start times. */
#define TREE_MAX 8192
struct proc_id {
    pid_t pid;
    uint64_t start;
};

/* The parent of `pid` (field 4 of /proc/PID/stat), or 0. */
static pid_t parent_of(pid_t pid)
{
    char buf[512];
    const char *p = runc_proc_stat(pid, buf, sizeof(buf));
    int ppid = 0;
    return p && sscanf(p, "%*c %d", &ppid) == 1 ? (pid_t)ppid : 0;
}

static size_t descendants(pid_t root, struct proc_id *out, size_t max)
{
    static pid_t pids[TREE_MAX], parents[TREE_MAX];
    size_t n = 0, k = 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d)) && n < TREE_MAX;) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        if (*end || v <= 0)
            continue;
        pids[n] = (pid_t)v;
        parents[n++] = parent_of((pid_t)v);
    }
    closedir(d);
    /* Breadth first from root: a process is taken once its parent is. */
    out[k++] = (struct proc_id){root, runc_proc_start_time(root)};
    for (size_t at = 0; at < k && k < max; at++)
        for (size_t i = 0; i < n && k < max; i++)
            if (parents[i] == out[at].pid)
                out[k++] = (struct proc_id){pids[i], runc_proc_start_time(pids[i])};
    return k;
}

static bool alive(const struct proc_id *p)
{
    return p->start && runc_proc_start_time(p->pid) == p->start;
}

/*
 * Ends the tree: SIGKILL of its root monitor, which takes every VM with it; its
 * helpers (the private /tmp's remover, the cgroup's janitor) then finish their work
 * and go. Whatever is still there after 10 s is killed: nothing is left behind.
 */
static void end_tree(const struct runc_state *st)
{
    static struct proc_id tree[TREE_MAX];
    size_t n = descendants(st->pid, tree, TREE_MAX);
    if (tree[0].start == st->start_time)
        kill(st->pid, SIGKILL);
    for (int tries = 0; tries < 200; tries++) {
        size_t left = 0;
        for (size_t i = 0; i < n; i++)
            left += alive(&tree[i]);
        if (!left)
            return;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        if (alive(&tree[i])) {
            runc_warn("process %d of the container was still there: killed", (int)tree[i].pid);
            kill(tree[i].pid, SIGKILL);
        }
    }
}

int runc_delete(const struct runc_opts *o, const char *id)
{
    struct runc_state st;
    struct spec sp;
    /*
     * --force of a container that is not there succeeds, as with runc: containerd's
     * shim deletes once more when it cleans up after a container that ended.
     */
    char dir[4096], path[4200];
    if (o->force) {
        if (runc_state_dir(o, id, dir, sizeof(dir)) < 0)
            return -1;
        snprintf(path, sizeof(path), "%s/state.json", dir);
        if (access(path, F_OK) < 0 && errno == ENOENT) {
            if (runc_rm_rf(dir) < 0) {
                runc_error("removing %s: %s", dir, strerror(errno));
                return -1;
            }
            return 0;
        }
    }
    if (runc_state_read(o, id, &st, &sp) < 0)
        return -1;
    enum runc_status s = runc_status(&st);
    if (s == ST_RUNNING && !o->force) {
        runc_error("cannot delete container %s that is not stopped: running (use --force)", id);
        spec_free(&sp);
        return -1;
    }
    if (s != ST_STOPPED)
        end_tree(&st);
    runc_hooks(&sp, HOOK_POSTSTOP, &st, false);
    spec_free(&sp);
    if (runc_rm_rf(st.dir) < 0) {
        runc_error("removing %s: %s", st.dir, strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * run: create and start; in the foreground (no --detach) it waits for the container,
 * hands on the signals it gets, deletes it and exits with its code.
 */
static volatile pid_t run_child;

static void on_run_signal(int sig)
{
    if (run_child > 0)
        kill(run_child, sig);
}

int runc_run(const struct runc_opts *o, const char *id)
{
    pid_t pid;
    if (runc_create(o, id, &pid) < 0)
        return RUNC_FAIL;
    if (runc_start(o, id) < 0) {
        struct runc_opts f = *o;
        f.force = true;
        runc_delete(&f, id);
        return RUNC_FAIL;
    }
    if (o->detach)
        return 0;
    run_child = pid;
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        signal(forwarded[i], on_run_signal);
    int code = wait_child(pid);
    struct runc_opts f = *o;
    f.force = true;
    runc_delete(&f, id);
    return code;
}
