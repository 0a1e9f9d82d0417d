/*
 * file_bench: the cost of reaching a file of a granted folder: open+read+close of a
 * 4 KiB file, and stat() of it. On the host these are system calls; under ukmon each
 * call is an exit to the monitor, which walks the guest path one name at a time
 * (openat2 below the folder's fd) and does the call for the guest.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/* Usage: file_bench FILE [N] (FILE: 4 KiB at least) */
int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: file_bench FILE [N]\n");
        return 2;
    }
    const char *path = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    if (n < 1)
        return 2;
    int64_t *t = calloc((size_t)n, 8);
    static char buf[4096];
    for (int i = 0; i < n; i++) {
        int64_t t0 = now_ns();
        int fd = open(path, O_RDONLY);
        if (fd < 0 || read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
            fprintf(stderr, "file_bench: cannot read 4 KiB of %s\n", path);
            return 1;
        }
        close(fd);
        t[i] = now_ns() - t0;
    }
    report_us("file_open_read_4k", t, n);
    for (int i = 0; i < n; i++) {
        struct stat st;
        int64_t t0 = now_ns();
        if (stat(path, &st) < 0 || st.st_size != (off_t)sizeof(buf)) {
            fprintf(stderr, "file_bench: cannot stat %s\n", path);
            return 1;
        }
        t[i] = now_ns() - t0;
    }
    report_us("file_stat", t, n);
    return 0;
}
