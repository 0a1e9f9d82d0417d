/*
 * badptr.c: system calls handed buffers that fault: a PROT_NONE mapping, a hole (a
 * mapping since unmapped), and, given a writable folder, a shared file mapping whose
 * file a sibling process cut to nothing (its pages raise SIGBUS when touched). Each
 * call must fail as on Linux (EFAULT, mostly) and the program go on.
 * Usage: badptr [WRITABLE-DIR]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#include "lxtest.h"

#define LEN 8192

static int pr, pw; /* a pipe with data waiting in it */

static void refill(void)
{
    close(pr);
    close(pw);
    int p[2];
    if (pipe(p) < 0)
        exit(2);
    pr = p[0];
    pw = p[1];
    if (write(pw, "0123456789abcdef", 16) != 16)
        exit(2);
}

static void calls(const char *kind, char *p)
{
    struct stat st;
    char buf[64];
    struct timespec ts0 = {0, 0};
    struct timeval tv0 = {0, 0};
    refill();
    say("%s: write from it: %s\n", kind, RES(write(pw, p, 16)));
    say("%s: read into it: %s\n", kind, RES(read(pr, p, 16)));
    refill();
    struct iovec iov = {p, 16};
    say("%s: writev of an iovec pointing there: %s\n", kind, RES(writev(pw, &iov, 1)));
    say("%s: readv with the iovec array there: %s\n", kind, RES(readv(pr, (struct iovec *)p, 1)));
    int exe = open("/proc/self/exe", O_RDONLY);
    say("%s: pread into it: %s\n", kind, RES(pread(exe, p, 16, 0)));
    close(exe);
    say("%s: open of a path there: %s\n", kind, RES(open(p, O_RDONLY)));
    say("%s: stat of a path there: %s\n", kind, RES(stat(p, &st)));
    say("%s: stat into it: %s\n", kind, RES(syscall(SYS_newfstatat, AT_FDCWD, "/", p, 0)));
    say("%s: fstat into it: %s\n", kind, RES(syscall(SYS_fstat, 0, p)));
    say("%s: readlink into it: %s\n", kind, RES(readlink("/proc/self/exe", p, 16)));
    say("%s: uname into it: %s\n", kind, RES(syscall(SYS_uname, p)));
    say("%s: getrandom into it: %s\n", kind, RES(syscall(SYS_getrandom, p, 16, 0)));
    say("%s: clock_gettime into it: %s\n", kind, RES(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p)));
    say("%s: gettimeofday into it: %s\n", kind, RES(syscall(SYS_gettimeofday, p, NULL)));
    say("%s: nanosleep of a time there: %s\n", kind, RES(syscall(SYS_nanosleep, p, NULL)));
    say("%s: rt_sigaction from it: %s\n", kind, RES(syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8)));
    say("%s: rt_sigaction into it: %s\n", kind, RES(syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8)));
    say("%s: rt_sigprocmask from it: %s\n", kind,
        RES(syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8)));
    say("%s: sigaltstack from it: %s\n", kind, RES(syscall(SYS_sigaltstack, p, NULL)));
    say("%s: setitimer from it: %s\n", kind, RES(syscall(SYS_setitimer, ITIMER_REAL, p, NULL)));
    say("%s: pipe into it: %s\n", kind, RES(syscall(SYS_pipe, p)));
    say("%s: socketpair into it: %s\n", kind, RES(socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)p)));
    say("%s: poll of an array there: %s\n", kind, RES(poll((struct pollfd *)p, 1, 0)));
    say("%s: select of a set there: %s\n", kind, RES(select(1, (fd_set *)p, NULL, NULL, &tv0)));
    say("%s: ppoll's timeout there: %s\n", kind,
        RES(syscall(SYS_ppoll, NULL, 0, p, NULL, 8)));
    say("%s: getcwd into it: %s\n", kind, RES(syscall(SYS_getcwd, p, 64)));
    say("%s: execve of a path there: %s\n", kind, RES(syscall(SYS_execve, p, NULL, NULL)));
    int d = open("/", O_RDONLY | O_DIRECTORY);
    say("%s: getdents64 into it: %s\n", kind, RES(syscall(SYS_getdents64, d, p, 256)));
    close(d);
    say("%s: getrlimit into it: %s\n", kind, RES(syscall(SYS_getrlimit, RLIMIT_NOFILE, p)));
    say("%s: sysinfo into it: %s\n", kind, RES(syscall(SYS_sysinfo, p)));
    say("%s: getresuid into it: %s\n", kind, RES(syscall(SYS_getresuid, p, p, p)));
    say("%s: prctl(PR_SET_NAME) from it: %s\n", kind, RES(prctl(PR_SET_NAME, p)));
    int ep = epoll_create1(0);
    say("%s: epoll_ctl from it: %s\n", kind, RES(epoll_ctl(ep, EPOLL_CTL_ADD, pr, (void *)p)));
    close(ep);
    say("%s: timer_create from it: %s\n", kind,
        RES(syscall(SYS_timer_create, CLOCK_MONOTONIC, p, buf)));
    (void)ts0;
    char *moved = mremap(p, LEN, 2 * LEN, MREMAP_MAYMOVE);
    say("%s: mremap of it: %s\n", kind, moved == MAP_FAILED ? ename(errno) : "ok");
    if (moved != MAP_FAILED)
        munmap(moved, 2 * LEN);
}

int main(int argc, char **argv)
{
    pr = open("/dev/null", O_RDONLY);
    pw = open("/dev/null", O_WRONLY);
    char *none = mmap(NULL, LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    calls("PROT_NONE", none);
    char *hole = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, LEN);
    calls("hole", hole);
    if (argc > 1) {
        char path[256];
        snprintf(path, sizeof(path), "%s/badptr.data", argv[1]);
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, LEN) < 0) {
            say("cannot make %s: %s\n", path, ename(errno));
            return 1;
        }
        char *sh = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        memset(sh, 'x', LEN);
        fflush(stdout);
        pid_t c = fork(); /* the sibling that cuts the file */
        if (c == 0)
            _exit(ftruncate(fd, 0) < 0);
        int st = 0;
        waitpid(c, &st, 0);
        say("a sibling truncated the mapped file: %s\n", how(st));
        calls("truncated", sh);
        close(fd);
        unlink(path);
    }
    say("still running\n");
    return 0;
}
