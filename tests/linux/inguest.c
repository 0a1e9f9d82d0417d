/*
 * inguest.c: system calls the guest-side layer answers with no exit (getpid and the
 * other ids), kept true across fork and reparenting; numbers that are no call; and a
 * program that scribbles over the layer's page, which may lie to itself but must not
 * hurt the monitor or lose its other calls. Same output on the host.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/syscall.h>
#include <time.h>

#include "lxtest.h"

static volatile int in_critical, violations, handled;

static void on_usr1(int s)
{
    (void)s;
    if (in_critical)
        violations++;
    handled++;
}

/*
 * The mask the program sets itself, with no exit, holds against a stream of signals
 * from another VM: a handler never runs while the signal is blocked, and runs once
 * it is not.
 */
static void mask_under_fire(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pid_t me = getpid(), c = fork();
    if (c == 0) {
        for (int i = 0; i < 200; i++) {
            kill(me, SIGUSR1);
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
        _exit(0);
    }
    int st;
    while (waitpid(c, &st, WNOHANG) != c) { /* 0, or EINTR: a handler ran */
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        in_critical = 1;
        for (volatile int k = 0; k < 1000; k++)
            ;
        in_critical = 0;
        sigprocmask(SIG_UNBLOCK, &usr1, NULL);
    }
    say("signals from a sibling against the guest's own mask: never while blocked %s, "
        "delivered %s\n", violations == 0 ? "yes" : "no", handled > 0 ? "yes" : "no");

    /* Signals that land while a call runs through the sled and the layer: the
     * handler's frame must return there. */
    handled = 0;
    c = fork();
    if (c == 0) {
        for (int i = 0; i < 300; i++) {
            kill(me, SIGUSR1);
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
        }
        _exit(0);
    }
    long sum = 0;
    while (waitpid(c, &st, WNOHANG) != c) /* 0, or EINTR: a handler ran */
        for (int i = 0; i < 1000; i++)
            sum += syscall(SYS_getppid) + syscall(SYS_gettid);
    say("signals in the middle of calls answered by the guest: returned from %s\n",
        handled > 0 && sum != 0 ? "yes" : "no");
}

static long sys0(long nr)
{
    return syscall(nr);
}

int main(void)
{
    pid_t me = getpid();
    say("getpid agrees with the raw call: %s\n", (long)me == sys0(SYS_getpid) ? "yes" : "no");
    say("gettid is getpid (one thread): %s\n", sys0(SYS_gettid) == (long)me ? "yes" : "no");
    say("ids agree: %s\n", getuid() == (uid_t)sys0(SYS_getuid) &&
        geteuid() == (uid_t)sys0(SYS_geteuid) && getgid() == (gid_t)sys0(SYS_getgid) &&
        getegid() == (gid_t)sys0(SYS_getegid) ? "yes" : "no");
    for (int i = 0; i < 1000; i++) /* from one call site, many times */
        if (sys0(SYS_getppid) != (long)getppid())
            say("getppid changed\n");

    /* Answered from the page once a site is rewritten: each twice, from one site. */
    for (int round = 0; round < 2; round++) {
        struct utsname u, raw;
        memset(&raw, 0x55, sizeof(raw));
        long ur = syscall(SYS_uname, &raw);
        bool same = uname(&u) == 0 && ur == 0 && !memcmp(&u, &raw, sizeof(u));
        say("uname: %s %s, the raw call agrees: %s\n", raw.sysname, raw.machine,
            same ? "yes" : "no");
        struct rlimit lim, got, via_get;
        getrlimit(RLIMIT_NOFILE, &lim);
        struct rlimit lower = {lim.rlim_cur - 1 - round, lim.rlim_max};
        long sr = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &lower, NULL);
        long pr = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &got);
        long gr = syscall(SYS_getrlimit, RLIMIT_NOFILE, &via_get);
        say("a lowered RLIMIT_NOFILE reads back: %s; a bad resource: %s, %s; to NULL: %s\n",
            sr == 0 && pr == 0 && gr == 0 && got.rlim_cur == lower.rlim_cur &&
            via_get.rlim_cur == lower.rlim_cur && got.rlim_max == lim.rlim_max ? "yes" : "no",
            RES(syscall(SYS_prlimit64, 0, 99, NULL, &got)), RES(syscall(SYS_getrlimit, 99, &got)),
            RES(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, NULL)));
        static int tid_word;
        say("set_tid_address returns the tid: %s; set_robust_list of 24 bytes %s, of 23 %s\n",
            syscall(SYS_set_tid_address, &tid_word) == (long)me ? "yes" : "no",
            RES(syscall(SYS_set_robust_list, &tid_word, 24)),
            RES(syscall(SYS_set_robust_list, &tid_word, 23)));
    }

    {
        /* getrandom: no two calls alike, nor a parent's and its child's */
        unsigned char a[200], b[200], zero[200] = {0}, kid[32], mine[32];
        long n1 = syscall(SYS_getrandom, a, sizeof(a), 0), n2 = syscall(SYS_getrandom, b, 7, 1);
        say("getrandom: %ld and %ld bytes, the two differ: %s, not all zero: %s; ", n1, n2,
            memcmp(a, b, 7) ? "yes" : "no", memcmp(a, zero, sizeof(a)) ? "yes" : "no");
        say("bad flags %s, a bad buffer %s, GRND_RANDOM|GRND_INSECURE %s\n",
            RES(syscall(SYS_getrandom, a, 8, 0x100)), RES(syscall(SYS_getrandom, (void *)16, 8, 0)),
            RES(syscall(SYS_getrandom, a, 8, 6)));
        int rp[2];
        if (pipe(rp) < 0)
            return 1;
        fflush(stdout);
        pid_t k = fork();
        if (k == 0) {
            syscall(SYS_getrandom, kid, sizeof(kid), 0);
            write(rp[1], kid, sizeof(kid));
            _exit(0);
        }
        syscall(SYS_getrandom, mine, sizeof(mine), 0);
        bool got = read(rp[0], kid, sizeof(kid)) == (ssize_t)sizeof(kid);
        waitpid(k, NULL, 0);
        say("a forked child's getrandom is not its parent's: %s\n",
            got && memcmp(kid, mine, sizeof(kid)) ? "yes" : "no");
        close(rp[0]);
        close(rp[1]);
    }

    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t c = fork();
    if (c == 0) { /* the child: its own pid, its parent's */
        long r[2] = {sys0(SYS_getpid), sys0(SYS_getppid)};
        if (write(p[1], r, sizeof(r)) != sizeof(r))
            _exit(1);
        _exit(0);
    }
    long r[2] = {0, 0};
    if (read(p[0], r, sizeof(r)) != sizeof(r))
        return 1;
    int st;
    waitpid(c, &st, 0);
    say("a child's getpid is what fork returned: %s\n", r[0] == (long)c ? "yes" : "no");
    say("its getppid is the parent: %s\n", r[1] == (long)me ? "yes" : "no");

    /* An orphan: its parent exits; getppid then names a new parent, not the old one.
     * The orphan is nobody's to wait for here: it answers through the pipe. */
    pid_t mid = fork();
    if (mid == 0) {
        if (fork() == 0) {
            pid_t old = getppid();
            if (write(p[1], &old, sizeof(old)) != sizeof(old))
                _exit(1);
            for (int i = 0; i < 500 && getppid() == old; i++) {
                struct timespec ts = {0, 10000000};
                nanosleep(&ts, NULL);
            }
            char verdict = getppid() != old ? 'y' : 'n';
            _exit(write(p[1], &verdict, 1) == 1 ? 0 : 1);
        }
        pid_t old;
        _exit(read(p[0], &old, sizeof(old)) == sizeof(old) ? 0 : 1); /* then leaves */
    }
    waitpid(mid, &st, 0);
    char verdict = '?';
    if (read(p[0], &verdict, 1) != 1)
        verdict = '!';
    say("an orphan's getppid names its new parent: %s\n", verdict == 'y' ? "yes" : "no");

    mask_under_fire();

    /* Numbers that are no system call, from one site: Linux's ENOSYS every time. */
    static const long bad[] = {1000, 4095, 4096, 0x100000, -1L, 512, 0x7fffffff};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        say("system call %#lx: %s\n", (unsigned long)bad[i], RES(syscall(bad[i])));

    /* /dev/null and close-on-exec flags, which the layer answers from its copy of the
     * fd table: it must follow every change the monitor makes to the real one. */
    int dn = open("/dev/null", O_RDWR);
    char buf[8];
    say("/dev/null: write from NULL %ld, read %ld, write of 2^60 bytes %s\n",
        syscall(SYS_write, dn, 0, 5), (long)read(dn, buf, sizeof(buf)),
        RES(syscall(SYS_write, dn, buf, 1UL << 60)));
    say("pwrite %ld, pread %ld, pread at -1 %s\n", (long)pwrite(dn, "ab", 2, 7),
        (long)pread(dn, buf, 3, 0), RES(pread(dn, buf, 3, -1)));
    say("F_GETFD: %d", fcntl(dn, F_GETFD));
    fcntl(dn, F_SETFD, FD_CLOEXEC);
    say(", after F_SETFD: %d", fcntl(dn, F_GETFD));
    int d2 = dup(dn);
    say(", its dup: %d", fcntl(d2, F_GETFD));
    int d3 = fcntl(dn, F_DUPFD_CLOEXEC, 0);
    say(", F_DUPFD_CLOEXEC: %d\n", fcntl(d3, F_GETFD));
    close(dn);
    say("closed: F_GETFD %s, write %s; fd 5000: %s, fd -1: %s\n", RES(fcntl(dn, F_GETFD)),
        RES(write(dn, "x", 1)), RES(fcntl(5000, F_GETFD)), RES(fcntl(-1, F_GETFD)));
    int saved = dup(1);
    dup2(d2, 1); /* stdout to /dev/null: this line vanishes */
    say("you should not see this\n");
    dup2(saved, 1);
    int pp[2];
    if (pipe(pp) == 0) {
        dup2(pp[1], d2); /* d2 is a pipe now, not /dev/null */
        say("a dup2 over it: write %ld", (long)write(d2, "hey", 3));
        say(", the pipe got %ld bytes\n", (long)read(pp[0], buf, sizeof(buf)));
    }

    /* The layer's page is the program's to ruin, its signal state with it (under
     * ukmon it is at 0x48000, user read+write; on the host, or with --syscall-exits,
     * that address is unmapped, and mapping it there runs the same code). A child
     * does it: whatever becomes of the child, the monitor and the parent go on. */
    fflush(stdout);
    pid_t wreck = fork();
    if (wreck == 0) {
        uint8_t *page = (uint8_t *)0x48000;
        mmap(page, 0x8000, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        int t[2];
        bool writable = pipe(t) == 0 && write(t[1], "z", 1) == 1 && read(t[0], page, 1) == 1;
        for (int round = 0; writable && round < 2; round++) {
            for (int i = 0; i < 0x8000; i++)
                page[i] = round ? 0xff : (uint8_t)(i * 37 + 11);
            int fd = open("/dev/null", O_WRONLY);
            int q[2];
            char b[4];
            if (fd < 0 || write(fd, "x", 1) < 0 || close(fd) < 0 || pipe(q) < 0 ||
                write(q[1], "abc", 3) != 3 || read(q[0], b, 3) != 3)
                _exit(3);
            kill(getpid(), SIGUSR1);
            sigset_t all;
            sigfillset(&all);
            sigprocmask(SIG_SETMASK, &all, NULL);
        }
        _exit(0);
    }
    waitpid(wreck, &st, 0);
    int fd = open("/dev/null", O_WRONLY);
    say("a child scribbled over its layer's page and ended; here: write %s", RES(write(fd, "x", 1)));
    say(", close %s, getpid agrees %s\n", RES(close(fd)),
        (long)getpid() == sys0(SYS_getpid) ? "yes" : "no");
    return 0;
}
