/*
 * pwindow.c: pread64 and pwrite64 on files read and written again and again, which
 * ukmon serves through a window in the guest (monitor/linux/lx_window.c), against
 * everything that changes the file or the fd behind the window's back: other fds,
 * another process, growth, shrinking, dup2, O_APPEND, bad buffers. The output is the
 * host's (tests/linux/pwindow.expected).
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "lxtest.h"

#define SIZE 100000

static char pat(long off)
{
    return (char)('a' + (off * 7 + off / 251) % 26);
}

static int check(int fd, long off, long len, const char *what)
{
    char buf[4096];
    ssize_t n = pread(fd, buf, (size_t)len, off);
    if (n != len) {
        printf("%s: pread at %ld: %zd (%s)\n", what, off, n, ename(errno));
        return 1;
    }
    for (long i = 0; i < len; i++)
        if (buf[i] != pat(off + i)) {
            printf("%s: byte %ld is %c, not %c\n", what, off + i, buf[i], pat(off + i));
            return 1;
        }
    return 0;
}

static long fsize(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (long)st.st_size : -1;
}

int main(void)
{
    static char data[SIZE];
    const char *path = "/tmp/pwindow.dat", *other = "/tmp/pwindow.other";
    for (long i = 0; i < SIZE; i++)
        data[i] = pat(i);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, SIZE) != SIZE)
        return printf("setup: %s\n", ename(errno)), 1;

    int bad = 0;
    ssize_t n;
    for (long off = 0; off + 4096 <= SIZE; off += 3001)
        bad |= check(fd, off, 4096, "pread");
    printf("pread, 33 times: %s\n", bad ? "wrong" : "ok");

    /* pwrite within the size, read back by another fd with read(2) */
    for (int i = 0; i < 50; i++)
        if (pwrite(fd, "XYZ", 3, 1000 + i * 100) != 3)
            printf("pwrite %d: %s\n", i, ename(errno));
    int fd2 = open(path, O_RDWR);
    char b[8] = {0};
    lseek(fd2, 1000 + 49 * 100, SEEK_SET);
    printf("pwrite seen by read(2) of another fd: %zd %.3s\n", read(fd2, b, 3), b);

    /* written by the other fd, read through the first */
    for (int i = 0; i < 5; i++)
        pwrite(fd2, "Q", 1, 2000 + i);
    char q[6] = {0};
    printf("a write by another fd, seen by pread: %zd %s\n", pread(fd, q, 5, 2000), q);
    pwrite(fd2, data + 1000, 6000, 1000);

    /* growth: past the end, and well past the first window's pages */
    n = pwrite(fd, "END", 3, SIZE);
    printf("pwrite at the end: %zd, size %ld\n", n, fsize(fd));
    memset(q, 0, sizeof(q));
    printf("pread of what was added: %zd %s\n", pread(fd, q, 3, SIZE), q);
    static char chunk[65536];
    memset(chunk, 'g', sizeof(chunk));
    long at = SIZE + 3;
    for (int i = 0; i < 40; i++, at += (long)sizeof(chunk))
        if (pwrite(fd, chunk, sizeof(chunk), at) != (ssize_t)sizeof(chunk))
            printf("growth %d: %s\n", i, ename(errno));
    memset(q, 0, sizeof(q));
    printf("grown to %ld; its last bytes: %zd %s\n", fsize(fd), pread(fd, q, 2, at - 2), q);
    printf("a read across the end: %zd\n", pread(fd, chunk, 100, at - 40));
    printf("a read past the end: %zd\n", pread(fd, chunk, 100, at + 4096));

    /* shrunk by another fd, then by another process */
    printf("ftruncate by another fd: %d\n", ftruncate(fd2, 5000));
    printf("pread across the new end: %zd\n", pread(fd, chunk, 100, 4950));
    printf("pread past it: %zd\n", pread(fd, chunk, 100, 6000));
    bad = 0;
    for (int i = 0; i < 10; i++)
        bad |= check(fd, 3000 + i * 100, 50, "after ftruncate");
    printf("within it: %s\n", bad ? "wrong" : "ok");
    pid_t pid = fork();
    if (pid == 0) {
        /* the child's window is its parent's: same file, same fd */
        int cbad = check(fd, 3000, 100, "child") | check(fd, 3100, 100, "child");
        if (pwrite(fd, "kid", 3, 10) != 3)
            cbad = 1;
        _exit(ftruncate(fd, 2000) != 0 || cbad);
    }
    int st;
    waitpid(pid, &st, 0);
    memset(q, 0, sizeof(q));
    printf("child: %d; its pwrite seen: %zd %s\n", WEXITSTATUS(st), pread(fd, q, 3, 10), q);
    printf("its ftruncate seen: %zd %zd\n", pread(fd, chunk, 100, 1950), pread(fd, chunk, 10, 3000));

    /*
     * Shrunk by another process while this one makes no call at all: a read from the
     * pages gone faults in the window, and the monitor makes the call again.
     */
    for (long i = 0; i < 16; i++)
        pwrite(fd, data + i * 4096, 4096, i * 4096);
    volatile int *flag = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid = fork();
    if (pid == 0) {
        while (!*flag)
            ;
        int r = ftruncate(fd, 4096);
        *flag = 2;
        while (*flag != 3) /* until the parent has read: its exit would be a call there */
            ;
        _exit(r != 0);
    }
    check(fd, 8192, 100, "before");
    *flag = 1;
    while (*flag != 2)
        ;
    n = pread(fd, chunk, 100, 12288);
    *flag = 3;
    waitpid(pid, &st, 0);
    printf("shrunk by another process meanwhile: %zd; child %d\n", n, WEXITSTATUS(st));

    /* the fd number is another file now: dup2, then close and open */
    int fo = open(other, O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fo, "other file contents", 19);
    dup2(fo, fd);
    memset(q, 0, sizeof(q));
    printf("after dup2: %zd %.5s\n", pread(fd, q, 5, 0), q);
    close(fd);
    close(fo);
    fd = open(path, O_RDONLY);
    memset(q, 0, sizeof(q));
    pread(fd, q, 3, 10);
    printf("reopened read-only: %zd %s, ", pread(fd, q, 3, 10), q);
    n = pwrite(fd, "no", 2, 0);
    printf("pwrite: %zd %s\n", n, ename(errno));
    close(fd);

    /* O_APPEND: Linux's pwrite appends whatever the offset */
    fd = open(path, O_RDWR);
    pread(fd, q, 1, 0);
    pwrite(fd, "ab", 2, 0);
    fcntl(fd, F_SETFL, O_APPEND);
    n = pwrite(fd, "zz", 2, 0);
    printf("O_APPEND pwrite: %zd, size %ld\n", n, fsize(fd));
    memset(q, 0, sizeof(q));
    printf("offset 0 unchanged: %zd %.2s\n", pread(fd, q, 2, 0), q);
    close(fd);

    /* bad arguments stay the kernel's answers */
    fd = open(path, O_RDWR);
    pread(fd, q, 1, 0);
    pread(fd, q, 1, 1);
    char *volatile badp = (char *)16; /* page 0, as the compiler cannot see */
    n = pread(fd, badp, 10, 0);
    printf("bad buffer: %zd %s, ", n, ename(errno));
    n = pwrite(fd, badp, 10, 0);
    printf("%zd %s; ", n, ename(errno));
    n = pread(fd, q, 1, -1);
    printf("negative offset: %zd %s; ", n, ename(errno));
    printf("zero length: %zd\n", pread(fd, q, 0, 0));

    /* the program's own shared map of the file sees the window's writes */
    char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    pwrite(fd, "MAP", 3, 100);
    printf("the program's mmap sees a pwrite: %.3s\n", m == MAP_FAILED ? "---" : m + 100);
    close(fd);
    unlink(path);
    unlink(other);
    return 0;
}
