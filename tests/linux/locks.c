/* locks.c: fcntl record locks (classic and OFD) and flock between processes (VMs). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <time.h>

#include "lxtest.h"

static char path[512];
static int to_child[2], to_parent[2];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void tell(int fd)
{
    write(fd, "x", 1);
}

static void hear(int fd)
{
    char c;
    read(fd, &c, 1);
}

static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static const char *type_name(short t)
{
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static pid_t child(void (*fn)(pid_t parent))
{
    pid_t parent = getpid();
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        fn(parent);
        _exit(0);
    }
    return p;
}

static void done(pid_t p)
{
    int st;
    waitpid(p, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st))
        say("child: %s\n", how(st));
}

/* The parent holds [0, 10) for writing. */
static void conflicts(pid_t parent)
{
    int fd = open(path, O_RDWR);
    say("child: F_SETLK write [0,10): %s\n", RES(lk(fd, F_SETLK, F_WRLCK, 0, 10)));
    say("child: F_SETLK read [5,6): %s\n", RES(lk(fd, F_SETLK, F_RDLCK, 5, 1)));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 3, .l_len = 2};
    say("child: F_GETLK [3,5): %s", RES(fcntl(fd, F_GETLK, &fl)));
    say(", %s [%ld,+%ld), held by the parent's pid: %s\n", type_name(fl.l_type), (long)fl.l_start,
        (long)fl.l_len, fl.l_pid == parent ? "yes" : "no");
    fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 10};
    fcntl(fd, F_GETLK, &fl);
    say("child: F_GETLK [10,20): %s\n", type_name(fl.l_type));
    say("child: F_SETLK write [10,20): %s\n", RES(lk(fd, F_SETLK, F_WRLCK, 10, 10)));
    /* the lock the parent waits for: it goes when this VM exits */
}

static void waits(pid_t parent)
{
    (void)parent;
    int fd = open(path, O_RDWR);
    tell(to_parent[1]);
    double t0 = now();
    int r = lk(fd, F_SETLKW, F_WRLCK, 0, 10);
    say("child: F_SETLKW: %s, %s\n", r < 0 ? ename(errno) : "ok",
        now() - t0 > 0.15 ? "after the parent let go" : "at once");
}

static void on_alarm(int s)
{
    (void)s;
}

static void interrupted(pid_t parent)
{
    (void)parent;
    int fd = open(path, O_RDWR);
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    double t0 = now();
    int r = lk(fd, F_SETLKW, F_WRLCK, 0, 10);
    say("child: F_SETLKW cut by SIGALRM: %s after %s\n", r < 0 ? ename(errno) : "ok",
        now() - t0 > 0.5 ? "the alarm" : "no wait");
    /* SA_RESTART: the wait goes on after the handler, until the parent lets go */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    tell(to_parent[1]);
    r = lk(fd, F_SETLKW, F_WRLCK, 0, 10);
    say("child: F_SETLKW under SA_RESTART: %s\n", r < 0 ? ename(errno) : "ok, once the parent let go");
}

static void ofd(pid_t parent)
{
    (void)parent;
    int fd = open(path, O_RDWR);
    say("child: F_OFD_SETLK on its own open file: %s\n", RES(lk(fd, F_OFD_SETLK, F_WRLCK, 0, 10)));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    fcntl(fd, F_OFD_GETLK, &fl);
    say("child: F_OFD_GETLK: %s, l_pid %d\n", type_name(fl.l_type), (int)fl.l_pid);
}

/* The parent holds an OFD lock on the open file this child shares (fork). */
static void ofd_shared(pid_t parent)
{
    (void)parent;
    int fd = 3;
    say("child: F_OFD_SETLK on the open file it shares: %s\n",
        RES(lk(fd, F_OFD_SETLK, F_WRLCK, 0, 10)));
}

static void flocks(pid_t parent)
{
    (void)parent;
    int fd = open(path, O_RDWR);
    say("child: flock LOCK_EX|LOCK_NB: %s\n", RES(flock(fd, LOCK_EX | LOCK_NB)));
    say("child: flock LOCK_SH|LOCK_NB: %s\n", RES(flock(fd, LOCK_SH | LOCK_NB)));
    tell(to_parent[1]);
    double t0 = now();
    int r = flock(fd, LOCK_EX);
    say("child: flock LOCK_EX: %s, %s\n", r < 0 ? ename(errno) : "ok",
        now() - t0 > 0.15 ? "after the parent let go" : "at once");
}

static void try_lock(pid_t parent)
{
    (void)parent;
    int fd = open(path, O_RDWR);
    say("child: F_SETLK write [0,10): %s\n", RES(lk(fd, F_SETLK, F_WRLCK, 0, 10)));
}

int main(int argc, char **argv)
{
    snprintf(path, sizeof(path), "%s", argc > 1 ? argv[1] : "/tmp/locks-test");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd != 3) {
        say("open %s: fd %d %s\n", path, fd, ename(errno));
        return 1;
    }
    write(fd, "0123456789abcdefghij", 20);
    pipe(to_child);
    pipe(to_parent);

    say("F_SETLK write [0,10): %s\n", RES(lk(fd, F_SETLK, F_WRLCK, 0, 10)));
    say("F_SETLK again, own lock: %s\n", RES(lk(fd, F_SETLK, F_WRLCK, 0, 10)));
    done(child(conflicts));
    say("the child's lock went with it: %s\n", RES(lk(fd, F_SETLK, F_WRLCK, 10, 10)));

    pid_t c = child(waits);
    hear(to_parent[0]);
    usleep(300000);
    lk(fd, F_SETLK, F_UNLCK, 0, 10);
    done(c);
    say("F_SETLK after the child took and left it: %s\n", RES(lk(fd, F_SETLK, F_WRLCK, 0, 10)));

    c = child(interrupted);
    hear(to_parent[0]);
    usleep(1500000); /* past the child's second alarm */
    lk(fd, F_SETLK, F_UNLCK, 0, 10);
    done(c);

    /* closing any fd of the file drops the process's classic locks */
    lk(fd, F_SETLK, F_WRLCK, 0, 10);
    close(open(path, O_RDONLY));
    done(child(try_lock));

    int ro = open(path, O_RDONLY);
    say("F_SETLK write on a read-only fd: %s\n", RES(lk(ro, F_SETLK, F_WRLCK, 0, 1)));
    say("F_SETLK with a bad type: %s\n", RES(lk(fd, F_SETLK, 99, 0, 1)));
    say("F_SETLK on a bad fd: %s\n", RES(lk(99, F_SETLK, F_WRLCK, 0, 1)));
    say("F_GETLK into a bad pointer: %s\n", RES(fcntl(fd, F_GETLK, (struct flock *)8)));
    close(ro);

    /* OFD locks: the open file's, seen by other open files of this process too */
    say("F_OFD_SETLK write [0,10): %s\n", RES(lk(fd, F_OFD_SETLK, F_WRLCK, 0, 10)));
    int fd2 = open(path, O_RDWR);
    say("F_OFD_SETLK from another open file of this process: %s\n",
        RES(lk(fd2, F_OFD_SETLK, F_WRLCK, 0, 10)));
    done(child(ofd));
    done(child(ofd_shared));
    lk(fd, F_OFD_SETLK, F_UNLCK, 0, 10);
    close(fd2);

    say("flock LOCK_EX: %s\n", RES(flock(fd, LOCK_EX)));
    c = child(flocks);
    hear(to_parent[0]);
    usleep(300000);
    const char *un = RES(flock(fd, LOCK_UN));
    done(c); /* its line first: it wakes as soon as we let go */
    say("flock LOCK_UN: %s\n", un);
    say("flock with no operation: %s\n", RES(flock(fd, LOCK_NB)));
    unlink(path);
    return 0;
}
