/* modes.c: the mode of what a program creates: open/creat/mkdir/mknod masks and the umask. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lxtest.h"

static char dir[512];

static const char *at(const char *name)
{
    static char p[1024];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static void show(const char *name)
{
    struct stat st;
    if (lstat(at(name), &st) < 0)
        say("%s: stat %s\n", name, ename(errno));
    else
        say("%s: type %o mode %04o\n", name, (unsigned)(st.st_mode & S_IFMT) >> 12,
            (unsigned)(st.st_mode & 07777));
}

/* open(2) itself, whatever the C library does with the mode */
static long sys_open(const char *p, int flags, long mode)
{
    return syscall(SYS_open, p, flags, mode);
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "/tmp");
    mode_t start = umask(022);
    say("umask at start: %04o\n", (unsigned)start);
    say("umask(022) then umask(0) returns %04o\n", (unsigned)umask(0));
    umask(022);

    /* a file type in the mode (busybox passes 0100644): the type bits are ignored */
    long fd = sys_open(at("typed"), O_CREAT | O_WRONLY, 0100644);
    say("open(O_CREAT, 0100644): %s\n", fd < 0 ? ename(errno) : "ok");
    if (fd >= 0)
        close((int)fd);
    show("typed");
    fd = sys_open(at("high"), O_CREAT | O_WRONLY, 0xfff001ff);
    say("open(O_CREAT, 0xfff001ff): %s\n", fd < 0 ? ename(errno) : "ok");
    if (fd >= 0)
        close((int)fd);
    show("high");
    fd = syscall(SYS_openat, AT_FDCWD, at("at777"), O_CREAT | O_WRONLY, 0777);
    say("openat(O_CREAT, 0777) under 022: %s\n", fd < 0 ? ename(errno) : "ok");
    if (fd >= 0)
        close((int)fd);
    show("at777");
    /* without O_CREAT the mode is not looked at */
    fd = sys_open(at("at777"), O_RDONLY, 0xffffffff);
    say("open(O_RDONLY, 0xffffffff) of it: %s\n", fd < 0 ? ename(errno) : "ok");
    if (fd >= 0)
        close((int)fd);

    umask(0);
    fd = open(at("u0"), O_CREAT | O_WRONLY, 0666);
    say("umask 0, open 0666: %s\n", fd < 0 ? ename(errno) : "ok");
    close((int)fd);
    show("u0");
    umask(027);
    fd = creat(at("creat"), 0666);
    say("umask 027, creat 0666: %s\n", fd < 0 ? ename(errno) : "ok");
    close((int)fd);
    show("creat");
    /* an existing file keeps its mode */
    fd = open(at("creat"), O_CREAT | O_WRONLY, 0777);
    say("open(O_CREAT) of an existing file: %s\n", fd < 0 ? ename(errno) : "ok");
    close((int)fd);
    show("creat");

    umask(077);
    say("umask 077, mkdir 0777: %s\n", RES(mkdir(at("d1"), 0777)));
    show("d1");
    umask(0);
    say("umask 0, mkdir 0755: %s\n", RES(mkdir(at("d2"), 0755)));
    show("d2");
    say("umask 0, mkdir 01777 (sticky kept): %s\n", RES(mkdir(at("d3"), 01777)));
    show("d3");
    say("umask 0, mkdir with a type, 040711: %s\n", RES(syscall(SYS_mkdir, at("d4"), 040711)));
    show("d4");
    umask(022);
    say("umask 022, mkdirat 0777: %s\n", RES(mkdirat(AT_FDCWD, at("d5"), 0777)));
    show("d5");
    say("mkdir of an existing name: %s\n", RES(mkdir(at("d5"), 0777)));
    say("umask(022) returns %04o\n", (unsigned)umask(022));
    return 0;
}
