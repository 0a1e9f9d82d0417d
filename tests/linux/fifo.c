/*
 * fifo.c: mkfifo and mknod, and FIFOs between processes (VMs): opens wait for the
 * other end. The expected output is the host's for an unprivileged process (devices
 * and sockets EPERM: ukmon makes FIFOs and files only) in a container whose /proc is
 * read-only (ukmon's made-up folders are).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "lxtest.h"

static char dir[256], fifo[300];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *at(const char *name)
{
    static char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static const char *kind(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return ename(errno);
    static char b[32];
    snprintf(b, sizeof(b), "%s %04o", S_ISFIFO(st.st_mode) ? "fifo" : S_ISREG(st.st_mode) ? "file" : "other",
             (unsigned)(st.st_mode & 07777));
    return b;
}

/* A child that opens the FIFO after a while (flags), writes msg if it can. */
static pid_t later(int flags, const char *msg)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        usleep(300000);
        int fd = open(fifo, flags);
        if (fd >= 0 && msg)
            write(fd, msg, strlen(msg));
        usleep(100000);
        _exit(fd < 0);
    }
    return p;
}

static void on_alarm(int s)
{
    (void)s;
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "/tmp");
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    umask(022);
    unlink(fifo);
    say("mkfifo 0666: %s", RES(mkfifo(fifo, 0666)));
    say(", %s\n", kind(fifo));
    say("mkfifo again: %s\n", RES(mkfifo(fifo, 0600)));
    say("mknod S_IFIFO: %s", RES(mknod(at("n-fifo"), S_IFIFO | 0640, 0)));
    say(", %s\n", kind(at("n-fifo")));
    say("mknod S_IFREG: %s", RES(mknod(at("n-reg"), S_IFREG | 0600, 0)));
    say(", %s\n", kind(at("n-reg")));
    say("mknod with no type: %s", RES(mknod(at("n-none"), 0644, 0)));
    say(", %s\n", kind(at("n-none")));
    say("mknod S_IFREG of an existing name: %s\n", RES(mknod(at("n-reg"), S_IFREG | 0600, 0)));
    say("mknod S_IFCHR (/dev/null's numbers): %s\n", RES(mknod(at("n-chr"), S_IFCHR | 0666, makedev(1, 3))));
    say("mknod S_IFBLK: %s\n", RES(mknod(at("n-blk"), S_IFBLK | 0666, makedev(7, 0))));
    say("mknod S_IFSOCK: %s\n", RES(mknod(at("n-sock"), S_IFSOCK | 0666, 0)));
    say("mknod S_IFDIR: %s\n", RES(mknod(at("n-dir"), S_IFDIR | 0755, 0)));
    say("mknod with a bad type: %s\n", RES(mknod(at("n-bad"), 0170000 | 0644, 0)));
    say("mkfifo where nothing can be made (/proc/f): %s\n", RES(mkfifo("/proc/f", 0600)));
    say("truncate of a FIFO: %s\n", RES(truncate(fifo, 0)));

    /* non-blocking opens: a reader at once; a writer only with a reader there */
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    char b[64];
    say("O_RDONLY|O_NONBLOCK, no writer: %s", r < 0 ? ename(errno) : "ok");
    say(", read: %zd\n", read(r, b, sizeof(b)));
    int w = open(fifo, O_WRONLY | O_NONBLOCK);
    say("O_WRONLY|O_NONBLOCK with that reader: %s\n", w < 0 ? ename(errno) : "ok");
    close(w);
    close(r);
    say("O_WRONLY|O_NONBLOCK, no reader: %s\n", RES(open(fifo, O_WRONLY | O_NONBLOCK)));
    int rw = open(fifo, O_RDWR);
    say("O_RDWR: %s, no wait\n", rw < 0 ? ename(errno) : "ok");
    close(rw);

    /* blocking opens wait for the other end, in another VM */
    pid_t c = later(O_WRONLY, "to the reader");
    double t0 = now();
    r = open(fifo, O_RDONLY);
    say("O_RDONLY: %s after %s", r < 0 ? ename(errno) : "ok", now() - t0 > 0.2 ? "waiting" : "no wait");
    ssize_t n = read(r, b, sizeof(b) - 1);
    b[n > 0 ? n : 0] = 0;
    say(", read \"%s\"", b);
    waitpid(c, NULL, 0);
    say(", then %zd at the end\n", read(r, b, sizeof(b)));
    close(r);

    c = later(O_RDONLY, NULL);
    t0 = now();
    w = open(fifo, O_WRONLY);
    say("O_WRONLY: %s after %s\n", w < 0 ? ename(errno) : "ok", now() - t0 > 0.2 ? "waiting" : "no wait");
    waitpid(c, NULL, 0);
    signal(SIGPIPE, SIG_IGN);
    say("write with the reader gone: %s\n", RES(write(w, "x", 1)));
    close(w);

    /* a signal cuts the wait short; under SA_RESTART the open is made again */
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    t0 = now();
    r = open(fifo, O_RDONLY);
    say("O_RDONLY cut by SIGALRM: %s after %s\n", r < 0 ? ename(errno) : "ok",
        now() - t0 > 0.5 ? "the alarm" : "no wait");
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        usleep(1500000);
        int fd = open(fifo, O_WRONLY);
        write(fd, "late", 4);
        _exit(0);
    }
    alarm(1);
    r = open(fifo, O_RDONLY);
    n = read(r, b, sizeof(b) - 1);
    b[n > 0 ? n : 0] = 0;
    say("O_RDONLY under SA_RESTART: %s, read \"%s\"\n", r < 0 ? ename(errno) : "ok", b);
    waitpid(c, NULL, 0);

    /* poll: readable once a writer wrote, POLLHUP when it left */
    c = later(O_WRONLY, "p");
    r = open(fifo, O_RDONLY);
    struct pollfd pf = {.fd = r, .events = POLLIN};
    int ready = poll(&pf, 1, 5000);
    say("poll: %d, POLLIN %s", ready, (pf.revents & POLLIN) ? "yes" : "no");
    read(r, b, 1);
    waitpid(c, NULL, 0);
    poll(&pf, 1, 5000);
    say(", then POLLHUP %s\n", (pf.revents & POLLHUP) ? "yes" : "no");
    close(r);

    say("unlink: %s\n", RES(unlink(fifo)));
    unlink(at("n-fifo"));
    unlink(at("n-reg"));
    unlink(at("n-none"));
    return 0;
}
