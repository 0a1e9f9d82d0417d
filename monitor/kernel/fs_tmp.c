/* fs_tmp.c: the tree's private /tmp: a folder of the host's $TMPDIR, gone when the tree is. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/host.h"
#include "kernel/fs.h"

/*
 * Layout on the host: $TMPDIR/ukmon.XXXXXX (mode 0700, made by mkdtemp) holds `tmp`
 * (mode 01777, as a /tmp is), which is granted at /tmp like any --dir HOST:/tmp:rw,
 * Landlock's rule included. Nobody else on the host can reach it through the 0700
 * folder above.
 *
 * Removal: a small process forked now, before the guest runs and before the monitor
 * is confined, waits for the end of a pipe whose write end every monitor of the tree
 * holds (fork(2) hands it down); when the last monitor is gone, however it went
 * (exit, a signal, SIGKILL of ukmon, which takes the tree along), it removes the
 * folder and everything in it, and exits. The root monitor, when the tree has ended,
 * closes its end and waits until that is done (the end of a second pipe), so that
 * ukmon returns with the folder gone. The remover is in a session of its own: Ctrl-C at a terminal and signals to
 * ukmon's process group do not reach it. It could not be done by the monitor itself:
 * Landlock leaves it no right to remove the folder from $TMPDIR.
 */

/* The host's folder for temporary files: $TMPDIR, else /tmp. */
static const char *fs_tmp_parent(void)
{
    const char *t = getenv("TMPDIR");
    return t && t[0] ? t : "/tmp";
}

/*
 * One name (never "..", never with a '/') below dirfd, opened as a folder without
 * following a symlink, and only on dirfd's own file system: a host mount inside
 * the folder is not ours to empty.
 */
static int fs_tmp_open_dir(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat a, b;
    if (fd >= 0 && (fstat(dirfd, &a) < 0 || fstat(fd, &b) < 0 || a.st_dev != b.st_dev)) {
        close(fd);
        errno = EXDEV;
        return -1;
    }
    return fd;
}

/*
 * Removes everything in the folder `fd`. One listing buffer for every level: after
 * each sub-folder the listing starts again from the top (what was removed is gone
 * from it), so the depth costs an fd per level and no memory. Whatever cannot be
 * removed is left and skipped.
 */
static void fs_tmp_empty(int fd, unsigned depth)
{
    static char buf[8192];
    for (;;) {
        if (lseek(fd, 0, SEEK_SET) < 0)
            return;
        long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
        if (n <= 0)
            return;
        bool progress = false, again = false;
        for (long off = 0; off < n && !again;) {
            char name[256]; /* its own copy: buf is the sub-folder's listing next */
            snprintf(name, sizeof(name), "%s", buf + off + 19);
            uint16_t reclen;
            memcpy(&reclen, buf + off + 16, sizeof(reclen));
            off += reclen;
            if (!strcmp(name, ".") || !strcmp(name, ".."))
                continue;
            if (unlinkat(fd, name, 0) == 0) {
                progress = true;
                continue;
            }
            if (errno != EISDIR || depth > 4096)
                continue;
            int sub = fs_tmp_open_dir(fd, name);
            if (sub < 0 && errno == EACCES && fchmodat(fd, name, 0700, 0) == 0)
                sub = fs_tmp_open_dir(fd, name); /* a folder its owner could not read */
            if (sub < 0)
                continue;
            fchmod(sub, 0700); /* and one whose entries it could not remove */
            fs_tmp_empty(sub, depth + 1);
            close(sub);
            progress = unlinkat(fd, name, AT_REMOVEDIR) == 0 || progress;
            again = true; /* buf was the sub-folder's listing meanwhile */
        }
        if (!progress)
            return;
    }
}

/*
 * The remover's name in ps and pgrep: not the command line of the ukmon it was
 * forked from (which would count it among the tree's VMs), but what it is. Its
 * copy of that command line is rewritten in place, where /proc/self/stat says it
 * lies, as setproctitle() does; read before anything is closed.
 */
static void fs_tmp_title(pid_t tree)
{
    prctl(PR_SET_NAME, "ukmon-tmp");
    char st[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, st, sizeof(st) - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return;
    st[n] = 0;
    char *p = strrchr(st, ')'); /* the name may hold anything but this ends it */
    unsigned long long lo = 0, hi = 0;
    for (int field = 2; p && field < 49; field++) {
        p = strchr(p + 1, ' ');
        if (p && field + 1 == 48)
            lo = strtoull(p + 1, NULL, 10);
        if (p && field + 1 == 49)
            hi = strtoull(p + 1, NULL, 10);
    }
    if (!lo || hi <= lo)
        return;
    char *args = (char *)(uintptr_t)lo;
    size_t len = (size_t)(hi - lo);
    memset(args, 0, len);
    snprintf(args, len, "ukmon: private /tmp of tree %d", (int)tree);
}

/* The remover: waits for every monitor of the tree to be gone, then removes the folder. */
static void fs_tmp_remover(struct ukmon_vm *vm, pid_t tree, int alive, int parent,
                           const char *name, int done)
{
    fs_tmp_title(tree);
    setsid();
    static const int quiet[] = {SIGINT, SIGQUIT, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
        signal(quiet[i], SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /*
     * Nothing of the monitor's stays open here: not the guest's stdout (a pipeline
     * would wait for its end), nor /dev/kvm; our own end of `alive` least of all.
     */
    int keep[3] = {alive, parent, done};
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (keep[j] < keep[i]) {
                int t = keep[i];
                keep[i] = keep[j];
                keep[j] = t;
            }
    int from = 0;
    for (int i = 0; i <= 3; i++) {
        unsigned to = i < 3 ? (unsigned)keep[i] - 1 : ~0U;
        if (i < 3 && keep[i] <= from) {
            from = keep[i] + 1;
            continue;
        }
        if (syscall(SYS_close_range, from, to, 0) < 0) /* before Linux 5.9; valgrind */
            for (int fd = from; fd <= (i < 3 ? keep[i] - 1 : 65535); fd++)
                close(fd);
        from = i < 3 ? keep[i] + 1 : from;
    }
    if (vm->cfg.sandbox && sandbox_install_remover() < 0)
        _exit(1);
    for (;;) { /* nothing is ever written: the end comes when the last writer is gone */
        char c;
        ssize_t k = read(alive, &c, 1);
        if (k == 0 || (k < 0 && errno != EINTR))
            break;
    }
    int fd = fs_tmp_open_dir(parent, name);
    if (fd >= 0) {
        fs_tmp_empty(fd, 0);
        close(fd);
    }
    unlinkat(parent, name, AT_REMOVEDIR);
    _exit(0);
}

/*
 * Before the guest runs (fs_setup): the folder, its mount at /tmp, and the remover.
 * Not when a folder is granted at /tmp already, or the config does not ask for it.
 */
int fs_tmp_setup(struct ukmon_vm *vm)
{
    struct fs_state *fs = &vm->fs;
    fs->tmp_on = false;
    fs->tmp_owner = 0;
    fs->tmp_alive = fs->tmp_done = -1;
    if (!vm->cfg.private_tmp || fs_mount_find(vm, "/tmp") >= 0)
        return 0;
    if (fs->nmounts == UKMON_DIRS_MAX)
        return vm_fail(vm, -EINVAL, "--dir: at most %d folders beside the private /tmp "
                       "(--no-tmp: none)", UKMON_DIRS_MAX - 1);
    const char *parent_path = fs_tmp_parent();
    char path[FS_PATH_MAX - 8]; /* room for "/tmp" after it in m->host */
    if ((size_t)snprintf(path, sizeof(path), "%s/ukmon.XXXXXX", parent_path) >= sizeof(path))
        return vm_fail(vm, -ENAMETOOLONG, "private /tmp: $TMPDIR is too long");
    int parent = open(parent_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0 || !mkdtemp(path)) {
        int e = errno;
        if (parent >= 0)
            close(parent);
        return vm_fail(vm, -e, "private /tmp: cannot make a folder in %s: %s (--no-tmp: "
                       "run without one)", parent_path, strerror(e));
    }
    const char *name = strrchr(path, '/') + 1;
    int outer = fs_tmp_open_dir(parent, name), r = 0;
    if (outer < 0 || mkdirat(outer, "tmp", 0700) < 0 || fchmodat(outer, "tmp", 01777, 0) < 0)
        r = -errno;
    struct fs_mount *m = &fs->mounts[fs->nmounts];
    m->dirfd = r < 0 ? -1 : openat(outer, "tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (r == 0 && m->dirfd < 0)
        r = -errno;
    int alive[2] = {-1, -1}, done[2] = {-1, -1};
    if (r == 0 && (pipe2(alive, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0))
        r = -errno;
    /*
     * Forked twice: the remover is no child of ours (ukmon's children are its VMs),
     * and whoever reaps orphans here reaps it. Its end closes `done`: no wait needed.
     * The middle process is reaped later, before the guest runs (fs_tmp_started()):
     * its fork and exit then overlap the rest of the VM's set-up (~0.15 ms here).
     */
    pid_t tree = getpid(), mid = r < 0 ? -1 : fork();
    if (mid == 0) {
        pid_t rm = fork();
        if (rm == 0)
            fs_tmp_remover(vm, tree, alive[0], parent, name, done[1]);
        _exit(rm < 0 ? 1 : 0);
    }
    if (r == 0 && mid < 0)
        r = -errno;
    if (outer >= 0)
        close(outer);
    int fds[] = {alive[0], done[1], parent};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (r < 0) {
        if (m->dirfd >= 0)
            close(m->dirfd);
        if (alive[1] >= 0)
            close(alive[1]);
        if (done[0] >= 0)
            close(done[0]);
        char tmp[FS_PATH_MAX + 8];
        snprintf(tmp, sizeof(tmp), "%s/tmp", path);
        rmdir(tmp);
        rmdir(path);
        return vm_fail(vm, r, "private /tmp in %s: %s", path, strerror(-r));
    }
    snprintf(m->guest, sizeof(m->guest), "/tmp");
    snprintf(m->host, sizeof(m->host), "%s/tmp", path);
    m->rw = true;
    fs->nmounts++;
    fs->tmp_on = true;
    fs->tmp_owner = tree;
    fs->tmp_alive = alive[1];
    fs->tmp_done = done[0];
    fs->tmp_mid = mid;
    return 0;
}

/* The middle process of fs_tmp_setup() reaped: whether it could fork the remover. */
static int fs_tmp_reap_mid(struct fs_state *fs)
{
    int st = 0;
    pid_t mid = fs->tmp_mid;
    fs->tmp_mid = 0;
    if (mid <= 0 || fs->tmp_owner != getpid())
        return 0; /* a jailed root: the outer process made it, and reaps it */
    while (waitpid(mid, &st, 0) < 0)
        if (errno != EINTR)
            return 0; /* reaped by someone else (an embedder's waitpid(-1)): cannot tell */
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EAGAIN;
}

/*
 * Before the guest runs (and before Landlock, which would forbid removing the folder
 * here): the remover is there, or the folder goes now and the run fails.
 */
int fs_tmp_started(struct ukmon_vm *vm)
{
    struct fs_state *fs = &vm->fs;
    if (!fs->tmp_on || fs_tmp_reap_mid(fs) == 0)
        return 0;
    char host[sizeof(fs->mounts[0].host)];
    snprintf(host, sizeof(host), "%s", fs->mounts[fs->nmounts - 1].host);
    rmdir(host);
    char *slash = strrchr(host, '/');
    if (slash)
        *slash = 0;
    rmdir(host);
    return vm_fail(vm, -EAGAIN, "private /tmp in %s: its remover could not be started", host);
}

/*
 * The tree has ended (or never ran): in the process that made the folder, let the
 * remover go and wait until it is done. Elsewhere (a jailed root whose outer process
 * made it), only this process's end of the pipe goes.
 */
void fs_tmp_end(struct ukmon_vm *vm)
{
    struct fs_state *fs = &vm->fs;
    fs_tmp_reap_mid(fs); /* a run that never started: it has not been reaped */
    if (fs->tmp_alive >= 0)
        close(fs->tmp_alive);
    fs->tmp_alive = -1;
    if (fs->tmp_owner != getpid() || !fs->tmp_on) {
        if (fs->tmp_done >= 0)
            close(fs->tmp_done);
        fs->tmp_done = -1;
        return;
    }
    char c;
    while (read(fs->tmp_done, &c, 1) < 0 && errno == EINTR)
        ;
    close(fs->tmp_done);
    fs->tmp_done = -1;
    fs->tmp_owner = 0;
}
