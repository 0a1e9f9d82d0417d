/* fullread.c: read(2) of regular files and character devices is whole unless at the end. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "lxtest.h"

#define MB (1 << 20)

/* A buffer of fresh pages that nothing has touched yet. */
static char *fresh(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void one_read(const char *dev, size_t len)
{
    int fd = open(dev, O_RDONLY);
    char *b = fresh(len);
    ssize_t n = read(fd, b, len);
    say("read(%s, %zu KiB): %s%zd\n", dev, len >> 10, n < 0 ? ename(errno) : "", n);
    if (!strcmp(dev, "/dev/zero")) {
        size_t bad = 0;
        for (size_t i = 0; i < (size_t)(n > 0 ? n : 0); i++)
            bad += b[i] != 0;
        say("  non-zero bytes: %zu\n", bad);
    }
    munmap(b, len);
    close(fd);
}

int main(int argc, char **argv)
{
    one_read("/dev/zero", MB);
    one_read("/dev/zero", 16 * MB);
    one_read("/dev/urandom", MB);
    one_read("/dev/null", MB);

    int z = open("/dev/zero", O_RDONLY);
    struct iovec iov[3];
    for (int i = 0; i < 3; i++)
        iov[i] = (struct iovec){fresh(512 << 10), 512 << 10};
    say("readv(/dev/zero, 3 x 512 KiB): %zd\n", readv(z, iov, 3));
    close(z);

    /* a regular file: whole reads, then what is left, then 0 at the end */
    const char *path = argc > 1 ? argv[1] : "/tmp/fullread";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        say("open %s: %s\n", path, ename(errno));
        return 1;
    }
    char *w = fresh(3 * MB);
    memset(w, 'x', 3 * MB);
    say("write 3 MiB: %zd\n", write(fd, w, 3 * MB));
    lseek(fd, 0, SEEK_SET);
    char *r = fresh(4 * MB);
    say("read 2 MiB: %zd\n", read(fd, r, 2 * MB));
    say("read 2 MiB more: %zd\n", read(fd, r, 2 * MB));
    say("read at the end: %zd\n", read(fd, r, 2 * MB));
    say("pread 4 MiB at 0: %zd\n", pread(fd, fresh(4 * MB), 4 * MB, 0));
    close(fd);
    unlink(path);
    return 0;
}
