/* files: a unikernel using the files of granted folders through guest/ (ABI 2). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(int r)
{
    return r < 0 ? strerror(errno) : "ok";
}

int main(void)
{
    char line[64] = "";
    FILE *f = fopen("/ro/hello", "r");
    printf("fopen /ro/hello: %s\n", f ? "ok" : strerror(errno));
    if (f && fgets(line, sizeof(line), f))
        printf("fgets: %s", line);
    if (f)
        fclose(f);
    f = fopen("/ro/new", "w");
    printf("fopen /ro/new for writing: %s\n", f ? "opened" : strerror(errno));
    f = fopen("/rw/native.txt", "w");
    printf("fopen /rw/native.txt for writing: %s\n", f ? "ok" : strerror(errno));
    if (f) {
        fputs("written by a unikernel\n", f);
        fprintf(f, "line %d\n", 2);
        fclose(f);
    }
    f = fopen("/rw/native.txt", "r");
    int n = 0;
    while (f && fgets(line, sizeof(line), f))
        n++;
    printf("read back: %d lines\n", n);
    if (f)
        fclose(f);
    struct stat st;
    int r = stat("/rw/native.txt", &st);
    printf("stat: %s, size %ld, regular: %s\n", err(r), (long)st.st_size, S_ISREG(st.st_mode) ? "yes" : "no");
    r = mkdir("/rw/d", 0755);
    printf("mkdir /rw/d: %s\n", err(r));
    DIR *d = opendir("/rw");
    int entries = 0, dirs = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        entries++;
        dirs += e->d_type == DT_DIR;
    }
    if (d)
        closedir(d);
    printf("readdir /rw: %d entries, %d directories (with . and ..)\n", entries, dirs);
    printf("unlink /rw/native.txt: %s\n", err(unlink("/rw/native.txt")));
    printf("rmdir /rw/d: %s\n", err(rmdir("/rw/d")));
    printf("open of a missing file: %s\n", err(open("/rw/missing", O_RDONLY)));
    printf("open of /ro/../../etc/passwd: %s\n", err(open("/ro/../../etc/hostname", O_RDONLY)));
    int fd = open("/ro/hello", O_RDONLY);
    printf("lseek to the end: %ld\n", (long)lseek(fd, 0, SEEK_END));
    close(fd);
    printf("chdir /ro then a relative open: %s ", err(chdir("/ro")));
    printf("%s\n", err(fd = open("hello", O_RDONLY)));
    return 0;
}
