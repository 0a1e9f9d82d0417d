/* pipe_posix: POSIX pipe, fd and poll behaviour, one line per behaviour. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ukmon_guest.h"

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static const char *e(int r)
{
    static char b[32];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EPIPE: return "EPIPE";
    case EMFILE: return "EMFILE";
    case EINVAL: return "EINVAL";
    }
    snprintf(b, sizeof(b), "errno %d", errno);
    return b;
}

static void eof_with_inherited_writers(void)
{
    int p[2];
    pipe(p);
    pid_t writer = fork();
    if (writer == 0) {
        close(p[0]);
        usleep(50000);
        write(p[1], "late", 4);
        _exit(0); /* exit closes the last write end */
    }
    pid_t bystander = fork();
    if (bystander == 0) { /* inherits both ends and just closes them */
        close(p[0]);
        close(p[1]);
        _exit(0);
    }
    close(p[1]);
    char buf[16];
    ssize_t n1 = read(p[0], buf, sizeof(buf));
    ssize_t n2 = read(p[0], buf, sizeof(buf));
    printf("reader blocked until the sleeping writer wrote, then EOF: %s\n",
           n1 == 4 && n2 == 0 ? "yes" : "no");
    close(p[0]);
    waitpid(writer, NULL, 0);
    waitpid(bystander, NULL, 0);
}

static void epipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    int r = (int)write(p[1], "x", 1);
    printf("write with no reader: %s\n", e(r));
    close(p[1]);
}

static void bad_fds(void)
{
    char c;
    int p[2];
    pipe(p);
    close(p[0]);
    printf("read of a closed fd: %s\n", e((int)read(p[0], &c, 1)));
    printf("write of a never-opened fd: %s\n", e((int)write(77, &c, 1)));
    printf("close of a never-opened fd: %s\n", e(close(200)));
    printf("fd out of range: %s\n", e((int)read(100000, &c, 1)));
    printf("negative fd: %s\n", e((int)read(-3, &c, 1)));
    /* The monitor's own host fds (KVM, io_uring, /dev/kvm) are never guest fds. */
    int reach = 0;
    for (int fd = 3; fd < 64; fd++)
        if (fd != p[1] && write(fd, "", 0) == 0)
            reach++;
    printf("guest fds that are not its own: %d\n", reach);
    printf("dup2 to an fd out of range: %s\n", e(dup2(p[1], 100000)));
    printf("dup2 to a negative fd: %s\n", e(dup2(p[1], -1)));
    close(p[1]);
}

static void efault(void)
{
    int p[2];
    pipe(p);
    uint64_t mem = ukmon_boot_info()->mem_size;
    printf("write from past the end: %s\n", e((int)write(p[1], (void *)(uintptr_t)(mem + 4096), 1)));
    printf("read into a wrapping buffer: %s\n", e((int)read(p[0], (void *)(uintptr_t)(mem - 8), (size_t)-1)));
    struct iovec iov[2] = {{(void *)"ok", 2}, {(void *)(uintptr_t)(mem - 1), 2}};
    printf("writev with a bad iovec: %s\n", e((int)writev(p[1], iov, 2)));
    printf("writev with the iovec array outside memory: %s\n",
           e((int)writev(p[1], (struct iovec *)(uintptr_t)(mem - 8), 2)));
    close(p[0]);
    close(p[1]);
}

static void dup2_stdout(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    int saved = dup(1);
    dup2(p[1], 1);
    printf("into the pipe");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(p[1]);
    char buf[64] = "";
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("dup2 redirected stdout into a pipe: %s\n", strcmp(buf, "into the pipe") == 0 ? "yes" : buf);
    close(p[0]);
}

static void vectored(void)
{
    int p[2];
    pipe(p);
    struct iovec out[3] = {{(void *)"ab", 2}, {(void *)"", 0}, {(void *)"cdef", 4}};
    ssize_t w = writev(p[1], out, 3);
    char a[3] = "", b[8] = "";
    struct iovec in[2] = {{a, 2}, {b, 7}};
    ssize_t r = readv(p[0], in, 2);
    printf("writev/readv: %zd %zd %.2s|%.4s\n", w, r, a, b);
    close(p[0]);
    close(p[1]);
}

static void polling(void)
{
    int p[2];
    pipe(p);
    struct pollfd f[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}};
    int n = poll(f, 3, 0);
    printf("poll: empty read end not ready, write end ready, bad fd POLLNVAL: %s\n",
           n == 2 && f[0].revents == 0 && (f[1].revents & POLLOUT) && f[2].revents == POLLNVAL ? "yes" : "no");
    long long t0 = ms_now();
    n = poll(f, 1, 100);
    long long waited = ms_now() - t0;
    printf("poll timeout of 100 ms: returned %d after >= 100 ms: %s\n", n, waited >= 100 ? "yes" : "no");
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        write(p[1], "z", 1);
        _exit(0);
    }
    t0 = ms_now();
    n = poll(f, 1, -1);
    printf("poll without timeout wakes on data: %s\n", n == 1 && (f[0].revents & POLLIN) ? "yes" : "no");
    waitpid(pid, NULL, 0);
    close(p[1]);
    char c;
    read(p[0], &c, 1);
    n = poll(f, 1, 1000);
    printf("poll after the last writer closed: %s\n", n == 1 && (f[0].revents & POLLHUP) ? "POLLHUP" : "no");
    close(p[0]);
}

static void poll_as_sleep(void)
{
    long long t0 = ms_now();
    int n = poll(NULL, 0, 80);
    long long waited = ms_now() - t0;
    struct pollfd ignored = {-1, POLLIN, 0};
    t0 = ms_now();
    int m = poll(&ignored, 1, 80);
    long long waited2 = ms_now() - t0;
    printf("poll with nothing to watch sleeps its timeout: %s\n",
           n == 0 && m == 0 && waited >= 80 && waited2 >= 80 ? "yes" : "no");
}

static void big_write(void)
{
    static char big[1 << 20];
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        static char sink[1 << 16];
        close(p[1]);
        while (read(p[0], sink, sizeof(sink)) > 0)
            ;
        _exit(0);
    }
    close(p[0]);
    ssize_t w = write(p[1], big, sizeof(big));
    close(p[1]);
    waitpid(pid, NULL, 0);
    printf("a 1 MiB write to a pipe returns 1 MiB: %s\n", w == (ssize_t)sizeof(big) ? "yes" : "no");
}

static void fd_table_is_per_vm(void)
{
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]); /* the child's copy only */
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("a child's close leaves the parent's fd open: %s\n", write(p[1], "k", 1) == 1 ? "yes" : "no");
    close(p[0]);
    close(p[1]);
}

static void emfile(void)
{
    int p[2], made = 0;
    while (pipe(p) == 0)
        made += 2;
    printf("pipes until the fd table is full: %s after %d fds\n", errno == EMFILE ? "EMFILE" : "other", made);
    for (int fd = 3; fd < 1024; fd++) /* the guest fd table holds 1024 */
        close(fd);
    printf("and pipe works again after closing: %s\n", pipe(p) == 0 ? "yes" : "no");
}

int main(void)
{
    eof_with_inherited_writers();
    epipe();
    bad_fds();
    efault();
    dup2_stdout();
    vectored();
    polling();
    poll_as_sleep();
    big_write();
    fd_table_is_per_vm();
    emfile();
    return 0;
}
