/*
 * cgroup.c: the tree's own cgroup, which holds --tree-mem. Every VM of the tree and
 * the kernel memory it pins (pipe and socket buffers, page tables, KVM's own) is
 * charged to it, memory.max (v2) or memory.limit_in_bytes (v1) caps the sum, and an
 * OOM then kills inside the tree only. pids.max holds its tasks (VMs, and KVM's and
 * io_uring's workers) as --jail's RLIMIT_NPROC does.
 *
 * Made before the jail, Landlock and seccomp (it needs the file system), as a child
 * of the cgroup ukmon is in. The janitor below moves the process in while the first
 * VM is being made and run, and every VM it forks is born there: a fork waits for the
 * move (cgroup_settled()). Not the process itself, and not before the VM: a move
 * waits for the kernel's cgroup_threadgroup_rwsem, whose writer waits out an RCU
 * grace period when no move came just before (7-18 ms here, measured: more than a
 * whole hello), and what the first VM charges before the move (its first pages, KVM's
 * objects; at most its --mem) stays with the cgroup ukmon came from. cgroup v2 first; else v1's memory (and pids) hierarchies;
 * else none, and the monitor counts instead (see ukmon.h: tree_mem).
 *
 * Removing it needs the tree gone, and a process the sandbox does not hold: a
 * janitor, forked before the move and left outside, waits for the end of a socket that
 * every monitor of the tree holds open (so it ends when the last of them does, killed
 * or not) and then removes the cgroup.
 *
 * The janitor is also where a monitor's VM ends: an ending monitor sends it its VM's
 * fd (proc_vm_to_janitor(), kernel/proc.c), and the janitor closes it a moment later.
 * KVM's teardown of a VM waits out SRCU grace periods (mmu_notifier_unregister,
 * srcu_barrier: 3-9 ms here, seen in perf's sched_switch stacks of exiting monitors);
 * in a monitor's own exit it delayed its reaping, and the root waits for every VM
 * process of the tree before ukmon returns. In the janitor, on threads of their own
 * (their grace periods overlap), it delays nobody.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/host.h"
#include "profile.h"

/* A small file, read whole; -errno or its length. */
static ssize_t cg_read(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    buf[n] = 0;
    return n;
}

static int cg_write(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? e : EIO);
}

static int cg_path(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int cg_write_in(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX];
    int r = cg_path(p, dir, name);
    return r < 0 ? r : cg_write(p, text);
}

/* Whether a space- or comma-separated list holds `word`. */
static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ' || p[-1] == ',') &&
            (p[n] == 0 || p[n] == ' ' || p[n] == ',' || p[n] == '\n'))
            return true;
    return false;
}

/*
 * Where the hierarchy with `fstype` (and, for v1, controller `ctl`) is mounted and
 * the folder of the cgroup this process is in there: from /proc/self/mountinfo and
 * /proc/self/cgroup.
 */
static int cg_own_dir(const char *fstype, const char *ctl, char *dir)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return -errno;
    char line[4096], mnt[PATH_MAX] = "", root[PATH_MAX] = "";
    while (fgets(line, sizeof(line), f)) {
        char r[PATH_MAX], m[PATH_MAX], fs[64], opts[1024];
        const char *dash = strstr(line, " - ");
        if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", r, m) != 2 ||
            sscanf(dash, " - %63s %*s %1023s", fs, opts) != 2 || strcmp(fs, fstype) != 0)
            continue;
        if (ctl && !has_word(opts, ctl))
            continue;
        snprintf(mnt, sizeof(mnt), "%s", m);
        snprintf(root, sizeof(root), "%s", r);
        break;
    }
    fclose(f);
    if (!mnt[0])
        return -ENOENT;
    f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -errno;
    char path[PATH_MAX] = "";
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = 0;
        line[strcspn(line, "\n")] = 0;
        c2[1 + strcspn(c2 + 1, "\n")] = 0;
        found = ctl ? has_word(c1 + 1, ctl) : (c1 == line + 1 && line[0] == '0' && !c1[1]);
        if (found)
            snprintf(path, sizeof(path), "%s", c2 + 1);
    }
    fclose(f);
    if (!found)
        return -ENOENT;
    /* The mount shows the hierarchy from `root` down (a container's cgroup, say). */
    size_t rl = strcmp(root, "/") ? strlen(root) : 0;
    if (strncmp(path, root, rl) != 0 || (path[rl] && path[rl] != '/'))
        return -ENOENT;
    int n = snprintf(dir, PATH_MAX, "%s%s", mnt, path + rl);
    if (n < 0 || n >= PATH_MAX)
        return -ENAMETOOLONG;
    if (n > 1 && dir[n - 1] == '/')
        dir[n - 1] = 0;
    return 0;
}

static int cg_enter_pid(const char *dir, pid_t who)
{
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)who);
    return cg_write_in(dir, "cgroup.procs", pid);
}

static int cg_enter(const char *dir)
{
    return cg_enter_pid(dir, getpid());
}

/* A folder of our own under parent, named after us: a stale one of a pid reused goes. */
static int cg_mkdir(const char *parent, char *dir)
{
    int n = snprintf(dir, PATH_MAX, "%s/ukmon-%d", parent, (int)getpid());
    if (n < 0 || n >= PATH_MAX)
        return -ENAMETOOLONG;
    if (mkdir(dir, 0755) == 0)
        return 0;
    if (errno == EEXIST && rmdir(dir) == 0 && mkdir(dir, 0755) == 0)
        return 0;
    return -errno;
}

/* The limits of a tree cgroup, once it exists; what cannot be set is an error. */
static int cg_limits(struct ukmon_vm *vm, const char *mem_dir, const char *pids_dir, bool v2)
{
    char v[32];
    snprintf(v, sizeof(v), "%llu", (unsigned long long)vm->cfg.tree_mem);
    int r = cg_write_in(mem_dir, v2 ? "memory.max" : "memory.limit_in_bytes", v);
    if (r < 0)
        return r;
    /*
     * Swap is host memory too: v2 keeps the tree out of it, v1 caps memory plus swap
     * (where swap accounting is on). Without the file there is nothing to hold.
     */
    r = v2 ? cg_write_in(mem_dir, "memory.swap.max", "0")
           : cg_write_in(mem_dir, "memory.memsw.limit_in_bytes", v);
    if (r < 0 && r != -ENOENT)
        return r;
    if (pids_dir) {
        snprintf(v, sizeof(v), "%u", 4 * vm->cfg.max_procs + 64);
        if ((r = cg_write_in(pids_dir, "pids.max", v)) < 0)
            return r;
    }
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/*
 * The janitor's own command line says what it is, not ukmon's (which tools looking
 * for the tree's processes would find): the bytes /proc/PID/cmdline shows are those
 * of its own copy of the argument area, found from /proc/self/stat.
 */
static void janitor_rename(void)
{
    char buf[1024];
    if (cg_read("/proc/self/stat", buf, sizeof(buf)) < 0)
        return;
    char *p = strrchr(buf, ')');
    unsigned long start = 0, end = 0;
    /* fields 48 and 49: arg_start and arg_end, 46 fields after the ')' of field 2 */
    for (int field = 3; p && field <= 49; field++) {
        p = strchr(p + 1, ' ');
        if (p && field == 48)
            start = strtoul(p + 1, NULL, 10);
        if (p && field == 49)
            end = strtoul(p + 1, NULL, 10);
    }
    static const char name[] = "ukmon: removing a tree's cgroup";
    if (start && end > start + sizeof(name)) {
        memset((void *)start, 0, end - start);
        memcpy((void *)start, name, sizeof(name));
    }
    prctl(PR_SET_NAME, "ukmon-cgroup");
}

/*
 * In the janitor: wait for the tree to be gone, then remove its folders. Where ukmon
 * had its cgroup to itself (cg->home set), the janitor waited in a leaf of its own
 * there; it then takes back the controllers ukmon enabled, goes back up and removes
 * its leaf, so that the cgroup is as it was.
 */
/*
 * A VM's fd, held a moment first: its sender still has its own references (vCPU fds,
 * kvm_run, the VM fd) until it exits, microseconds to a few ms later, and the teardown
 * comes with the last reference. Should that be the sender's after all, the teardown
 * is where it was before: correct, only slower.
 */
static void *janitor_close(void *fd)
{
    struct timespec t = {0, 100 * 1000000L};
    while (nanosleep(&t, &t) < 0 && errno == EINTR)
        ;
    close((int)(intptr_t)fd);
    return NULL;
}

/* A VM's fd from an ending monitor: closed on a thread of its own (or now, if none). */
static void janitor_take(int fd)
{
    static pthread_attr_t attr;
    static bool attr_ready;
    if (!attr_ready)
        attr_ready = pthread_attr_init(&attr) == 0 &&
                     pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0;
    pthread_t t;
    if (!attr_ready || pthread_create(&t, &attr, janitor_close, (void *)(intptr_t)fd) != 0)
        close(fd);
}

static _Noreturn void janitor(int fd, const struct cg_state *cg)
{
    janitor_rename();
    for (;;) { /* until every monitor's end of the socket is gone: recvmsg says 0 */
        char b[16];
        union {
            struct cmsghdr h;
            char room[CMSG_SPACE(4 * sizeof(int))];
        } ctl;
        struct iovec iov = {b, sizeof(b)};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
                           .msg_controllen = sizeof(ctl)};
        ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
        if (n == 0 || (n < 0 && errno != EINTR))
            break;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int got;
                memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                janitor_take(got);
            }
        }
    }
    /* The last monitors may still be leaving (zombies, io_uring workers): retry. */
    long wait = 5;
    for (;;) {
        bool busy = false;
        for (int i = 0; i < 2; i++)
            if (cg->dir[i][0] && rmdir(cg->dir[i]) < 0 && errno != ENOENT)
                busy = busy || errno == EBUSY;
        if (!busy)
            break;
        sleep_ms(wait);
        wait = wait < 1000 ? wait * 2 : 1000;
    }
    if (cg->home[0]) {
        char up[PATH_MAX];
        snprintf(up, sizeof(up), "%s", cg->home);
        char *slash = strrchr(up, '/');
        if (slash) {
            *slash = 0;
            if (cg_write_in(up, "cgroup.subtree_control", cg->disable) == 0 && cg_enter(up) == 0)
                rmdir(cg->home);
        }
    }
    _exit(0);
}

static void cg_leave(struct cg_state *cg, bool back);

/* The janitor's middle process reaped (it exits as soon as it has forked). */
static void janitor_reap(struct cg_state *cg)
{
    pid_t mid = cg->janitor_mid;
    cg->janitor_mid = 0;
    while (mid > 0 && waitpid(mid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* Whether the janitor is up (and has moved us in, if it was to): its word read. */
static int janitor_check(struct cg_state *cg)
{
    janitor_reap(cg);
    int ready = cg->janitor_ready;
    cg->janitor_ready = -1;
    if (ready < 0)
        return 0;
    char ok = 0;
    ssize_t n;
    while ((n = read(ready, &ok, 1)) < 0 && errno == EINTR)
        ;
    close(ready);
    return n == 1 && ok == 'y' ? 0 : -EIO; /* it could not get where it must wait, and is gone */
}

/*
 * Forks the janitor (twice, so that nobody of ours has to reap it, and in a session
 * of its own, so that the tree's group signals miss it); keeps the pipe's write end.
 * With cg->home, it first moves there and says when it has. Else, with `move`, it
 * moves us into the tree's folders and then says whether it could; that is looked
 * at before our first fork (cgroup_settled()), and the move overlaps the first VM.
 */
static int janitor_start(struct cg_state *cg, bool move)
{
    pid_t tree = getpid();
    int p[2], ready[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) < 0)
        return -errno;
    if (pipe2(ready, O_CLOEXEC) < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        return -e;
    }
    pid_t mid = fork();
    if (mid < 0) {
        int e = errno;
        close(p[0]);
        close(p[1]);
        close(ready[0]);
        close(ready[1]);
        return -e;
    }
    if (mid == 0) {
        if (fork() != 0)
            _exit(0);
        setsid();
        signal(SIGPIPE, SIG_IGN); /* we may have stopped listening: see cg_leave() */
        /*
         * Nothing of ukmon's held open, before anything that may wait: a shell reading
         * ukmon's output must see its end, the private /tmp's remover the end of its
         * pipe. Ours at 3 (the tree's end) and 4 (our word).
         */
        int end = fcntl(p[0], F_DUPFD, 10), word = fcntl(ready[1], F_DUPFD, 10);
        if (end < 0 || word < 0 || dup2(end, 3) < 0 || dup2(word, 4) < 0)
            _exit(1);
        close_range(5, ~0U, 0);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (int fd = 0; fd < 3; fd++)
            if (null < 0 || dup2(null, fd) < 0)
                close(fd);
        if (null > 4)
            close(null);
        char ok = 'y';
        if (cg->home[0])
            ok = cg_enter(cg->home) == 0 ? 'y' : 'n';
        for (int i = 0; i < 2 && move && !cg->home[0]; i++)
            if (cg->dir[i][0] && cg_enter_pid(cg->dir[i], tree) < 0)
                ok = 'n';
        if ((write(4, &ok, 1) != 1 || ok != 'y') && cg->home[0])
            _exit(1); /* a failed move: still the one to remove the folders */
        close(4);
        janitor(3, cg);
    }
    close(p[0]);
    close(ready[1]);
    cg->janitor_fd = p[1];
    cg->janitor_mid = mid;
    cg->janitor_ready = ready[0];
    if (!cg->home[0])
        return 0;
    int r = janitor_check(cg);
    if (r < 0) {
        close(cg->janitor_fd);
        cg->janitor_fd = -1;
    }
    return r;
}

/* Before the guest runs: the janitor's middle process reaped (it forks and goes). */
int cgroup_started(struct ukmon_vm *vm)
{
    janitor_reap(&vm->cg);
    return 0;
}

/*
 * Before a fork (and a jail's fork): the janitor that will remove the tree's cgroup is
 * up and has moved us in, so that the child is born there. Else nothing more is made
 * in a tree the cgroup does not hold: the fork fails (EAGAIN), and the janitor removes
 * the folders at the end.
 */
int cgroup_settled(struct ukmon_vm *vm)
{
    struct cg_state *cg = &vm->cg;
    if (cg->janitor_ready < 0 && !cg->failed)
        return 0;
    PROF_MARK("cgroup: settle: begin");
    if (!cg->failed && janitor_check(cg) == 0) {
        PROF_MARK("cgroup: settle: moved in");
        return 0;
    }
    cg->failed = true;
    return vm_fail(vm, -EIO, "the tree's cgroup: its janitor could not start, or move ukmon in");
}

/* The tree cgroup's folders exist and have their limits: the janitor, who moves us in. */
static int cg_move_in(struct cg_state *cg, const char *from[2], const char *events)
{
    PROF_MARK("cgroup: folders made, limits written");
    int r = janitor_start(cg, true);
    PROF_MARK("cgroup: janitor forked");
    if (r < 0)
        return r;
    for (int i = 0; i < 2 && r == 0; i++) {
        char p[PATH_MAX];
        if (cg->dir[i][0] && from[i] && (r = cg_path(p, from[i], "cgroup.procs")) == 0) {
            cg->back_fd[i] = open(p, O_WRONLY | O_CLOEXEC);
            if (cg->back_fd[i] < 0)
                r = -errno;
        }
    }
    char p[PATH_MAX];
    if (r == 0 && cg_path(p, cg->dir[0], events) == 0)
        cg->events_fd = open(p, O_RDONLY | O_CLOEXEC); /* -1: no OOM count to report */
    return r;
}

/*
 * cgroup v2: the child folder needs the memory controller enabled in its parent,
 * which a cgroup holding processes (ours) cannot have, but the root. So: our own
 * cgroup where it has the controller for its children (the root), or can be given
 * it once we alone have moved down into the child (we were its only process: a
 * service, a container); else a sibling under our parent, where that has it (a
 * systemd slice).
 */
static int cg_v2(struct ukmon_vm *vm, struct cg_state *cg)
{
    char own[PATH_MAX], buf[4096], parent[PATH_MAX];
    int r = cg_own_dir("cgroup2", NULL, own);
    if (r < 0)
        return r;
    char p[PATH_MAX];
    if ((r = cg_path(p, own, "cgroup.controllers")) < 0 || (r = cg_read(p, buf, sizeof(buf))) < 0)
        return r;
    if (!has_word(buf, "memory"))
        return -ENOTSUP; /* v1 has it, or nobody */
    bool pids = has_word(buf, "pids");
    const char *enable = pids ? "+memory +pids" : "+memory";
    const char *from[2] = {own, NULL};
    snprintf(parent, sizeof(parent), "%s", own);
    if ((r = cg_path(p, own, "cgroup.subtree_control")) < 0 || (r = cg_read(p, buf, sizeof(buf))) < 0)
        return r;
    bool ready = has_word(buf, "memory") || cg_write(p, enable) == 0;
    if (!ready) {
        /*
         * Alone in our cgroup (a service, a container)? Then down into a child, the
         * janitor into a leaf beside it, and the controllers enabled above them.
         */
        char procs[PATH_MAX];
        if ((r = cg_path(procs, own, "cgroup.procs")) < 0)
            return r;
        ssize_t n = cg_read(procs, buf, sizeof(buf));
        char me[32];
        int ml = snprintf(me, sizeof(me), "%d\n", (int)getpid());
        int hl = snprintf(cg->home, sizeof(cg->home), "%s/ukmon-%d-janitor", own, (int)getpid());
        if (n == ml && !strcmp(buf, me) && hl < (int)sizeof(cg->home) &&
            cg_mkdir(own, cg->dir[0]) == 0) {
            snprintf(cg->disable, sizeof(cg->disable), "%s", pids ? "-memory -pids" : "-memory");
            if ((mkdir(cg->home, 0755) < 0 && errno != EEXIST) ||
                (r = janitor_start(cg, false)) < 0 || (r = cg_enter(cg->dir[0])) < 0 ||
                (r = cg_write(p, enable)) < 0 ||
                (r = cg_limits(vm, cg->dir[0], pids ? cg->dir[0] : NULL, true)) < 0) {
                if (r == 0)
                    r = -errno;
                cg_enter(own); /* back, if still allowed; the janitor removes the rest */
                if (cg->janitor_fd < 0) {
                    rmdir(cg->dir[0]);
                    rmdir(cg->home);
                }
                return r;
            }
            char ev[PATH_MAX];
            if (cg_path(ev, cg->dir[0], "memory.events") == 0)
                cg->events_fd = open(ev, O_RDONLY | O_CLOEXEC);
            return 0; /* no way back up: our old cgroup now has controllers on */
        }
        cg->home[0] = 0;
        /* A sibling, under a parent that gives its children the controller. */
        char *slash = strrchr(parent, '/');
        if (!slash || slash == parent)
            return -EBUSY;
        *slash = 0;
        if ((r = cg_path(p, parent, "cgroup.subtree_control")) < 0 ||
            (r = cg_read(p, buf, sizeof(buf))) < 0)
            return r;
        if (!has_word(buf, "memory"))
            return -EBUSY;
        pids = has_word(buf, "pids");
    }
    if ((r = cg_mkdir(parent, cg->dir[0])) < 0)
        return r;
    if ((r = cg_limits(vm, cg->dir[0], pids ? cg->dir[0] : NULL, true)) < 0 ||
        (r = cg_move_in(cg, from, "memory.events")) < 0) {
        if (cg->janitor_fd < 0)
            rmdir(cg->dir[0]);
        return r;
    }
    return 0;
}

/* cgroup v1: a child of ours in the memory hierarchy, and in the pids one if mounted. */
static int cg_v1(struct ukmon_vm *vm, struct cg_state *cg)
{
    char mem[PATH_MAX], pids[PATH_MAX];
    int r = cg_own_dir("cgroup", "memory", mem);
    if (r < 0)
        return r;
    bool has_pids = cg_own_dir("cgroup", "pids", pids) == 0;
    if ((r = cg_mkdir(mem, cg->dir[0])) < 0)
        return r;
    if (has_pids && cg_mkdir(pids, cg->dir[1]) < 0)
        cg->dir[1][0] = 0; /* memory alone still holds --tree-mem */
    const char *from[2] = {mem, cg->dir[1][0] ? pids : NULL};
    if ((r = cg_limits(vm, cg->dir[0], cg->dir[1][0] ? cg->dir[1] : NULL, false)) < 0 ||
        (r = cg_move_in(cg, from, "memory.oom_control")) < 0) {
        if (cg->janitor_fd < 0) {
            rmdir(cg->dir[0]);
            if (cg->dir[1][0])
                rmdir(cg->dir[1]);
        }
        return r;
    }
    return 0;
}

/*
 * Back to the cgroup(s) we came from, and the tree's fds closed. A move the janitor
 * may still be making is waited for first: made after ours back, it would leave this
 * process in the tree's cgroup for good.
 */
static void cg_leave(struct cg_state *cg, bool back)
{
    if (!back) { /* the process exits: it leaves the cgroup then */
        janitor_reap(cg);
        if (cg->janitor_ready >= 0)
            close(cg->janitor_ready);
        cg->janitor_ready = -1;
    }
    janitor_check(cg); /* reaped, and done, whatever became of it */
    char pid[32];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    for (int i = 0; i < 2; i++) {
        if (cg->back_fd[i] >= 0 && back && write(cg->back_fd[i], pid, strlen(pid)) < 0) {
            /* it stays in the tree's cgroup, which the janitor removes once empty */
        }
        if (cg->back_fd[i] >= 0)
            close(cg->back_fd[i]);
        cg->back_fd[i] = -1;
    }
    if (cg->events_fd >= 0)
        close(cg->events_fd);
    if (cg->janitor_fd >= 0)
        close(cg->janitor_fd);
    cg->events_fd = cg->janitor_fd = -1;
}

/*
 * Once, before the jail, Landlock and the sandbox: the tree's cgroup, or the reason
 * there is none (cg.why). Never an error: without a cgroup the monitor counts.
 */
void cgroup_setup(struct ukmon_vm *vm)
{
    struct cg_state *cg = &vm->cg;
    if (cg->tried)
        return;
    cg->tried = true;
    cg->janitor_fd = cg->events_fd = cg->back_fd[0] = cg->back_fd[1] = -1;
    cg->janitor_ready = -1;
    if (!vm->cfg.tree_mem) {
        snprintf(cg->why, sizeof(cg->why), "no --tree-mem");
        return;
    }
    if (!vm->cfg.cgroup) {
        snprintf(cg->why, sizeof(cg->why), "--no-cgroup");
        return;
    }
    PROF_MARK("cgroup: begin");
    int r2 = cg_v2(vm, cg);
    PROF_MARK("cgroup: v2 tried");
    if (r2 == 0) {
        cg->mode = CG_V2;
        return;
    }
    cg_leave(cg, true); /* whatever v2 got as far as making, its janitor removes */
    cg->dir[0][0] = cg->dir[1][0] = 0;
    int r1 = r2 == -ENOTSUP || r2 == -ENOENT ? cg_v1(vm, cg) : r2;
    if (r1 == 0) {
        cg->mode = CG_V1;
        return;
    }
    /* Back where we were, if we got as far as moving; the janitor removes what was made. */
    cg_leave(cg, true);
    cg->dir[0][0] = cg->dir[1][0] = 0;
    if (r2 == -EBUSY)
        snprintf(cg->why, sizeof(cg->why), "cgroup v2: ukmon's cgroup has other processes, "
                 "and its parent gives its children no memory controller");
    else if (r2 != -ENOTSUP && r2 != -ENOENT)
        snprintf(cg->why, sizeof(cg->why), "cgroup v2: %s", strerror(-r2));
    else if (r1 != -ENOENT)
        snprintf(cg->why, sizeof(cg->why), "cgroup v1 memory: %s", strerror(-r1));
    else
        snprintf(cg->why, sizeof(cg->why), "%s", r2 == -ENOTSUP ?
                 "cgroup v2 gives ukmon's cgroup no memory controller, and no v1 one is mounted" :
                 "no cgroup v2 or v1 memory hierarchy mounted");
}

/* One line for --stats: how the tree's memory is held. */
int cgroup_describe(const struct ukmon_vm *vm, char *buf, size_t len)
{
    const struct cg_state *cg = &vm->cg;
    unsigned long long mib = vm->cfg.tree_mem >> 20;
    if (!vm->cfg.tree_mem)
        return snprintf(buf, len, "no tree memory limit");
    if (cg->mode == CG_NONE)
        return snprintf(buf, len, "tree memory %llu MiB held by counting -m (no cgroup: %s)",
                         mib, cg->why);
    return snprintf(buf, len, "tree memory %llu MiB held by cgroup %s %s%s%s; OOM kills %u",
                    mib, cg->mode == CG_V2 ? "v2" : "v1", cg->dir[0], cg->dir[1][0] ? " " : "",
                    cg->dir[1], cgroup_oom_kills(vm));
}

/* The VMs the kernel's OOM killer ended in the tree's cgroup so far (0 without one). */
unsigned cgroup_oom_kills(const struct ukmon_vm *vm)
{
    char buf[1024];
    if (vm->cg.events_fd < 0)
        return 0;
    ssize_t n = pread(vm->cg.events_fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    const char *p = strstr(buf, "oom_kill ");
    if (p && (p == buf || p[-1] == '\n'))
        return (unsigned)strtoul(p + 9, NULL, 10);
    return 0;
}

/*
 * The embedder's process goes back where it came from (the CLI exits instead), and
 * lets go of the janitor's pipe: when the tree is gone, the janitor removes the
 * cgroup.
 */
void cgroup_release(struct ukmon_vm *vm)
{
    if (vm->cg.tried)
        cg_leave(&vm->cg, !vm->cfg.exit_after_free);
}
