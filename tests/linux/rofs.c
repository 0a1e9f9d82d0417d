/*
 * rofs.c: read-only means read-only, for metadata as for data, and mount points are
 * pinned. Run with: --dir RO:/ro --dir X:/x:rw --dir X/d/sub:/x/d/sub (read-only),
 * where RO holds file, dir/ and link -> file, and X holds d/ and f/.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "lxtest.h"

static void meta(const char *what, const char *path)
{
    say("%s: chmod: %s\n", what, RES(chmod(path, 0777)));
    say("%s: fchmodat: %s\n", what, RES(syscall(SYS_fchmodat, AT_FDCWD, path, 0777)));
    say("%s: utimensat: %s\n", what, RES(utimensat(AT_FDCWD, path, NULL, 0)));
    say("%s: utimensat nofollow: %s\n", what,
        RES(utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW)));
    say("%s: truncate: %s\n", what, RES(truncate(path, 0)));
    say("%s: chown: %s\n", what, RES(chown(path, getuid(), getgid())));
    say("%s: lchown: %s\n", what, RES(lchown(path, (uid_t)-1, (gid_t)-1)));
    say("%s: fchownat nofollow: %s\n", what,
        RES(fchownat(AT_FDCWD, path, getuid(), getgid(), AT_SYMLINK_NOFOLLOW)));
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        say("%s: open: %s\n", what, ename(errno));
        return;
    }
    say("%s: fchmod: %s\n", what, RES(fchmod(fd, 0777)));
    say("%s: futimens: %s\n", what, RES(futimens(fd, NULL)));
    say("%s: ftruncate: %s\n", what, RES(ftruncate(fd, 0)));
    say("%s: fchown: %s\n", what, RES(fchown(fd, getuid(), getgid())));
    say("%s: fchownat AT_EMPTY_PATH: %s\n", what,
        RES(fchownat(fd, "", (uid_t)-1, (gid_t)-1, AT_EMPTY_PATH)));
    close(fd);
}

int main(void)
{
    meta("ro file", "/ro/file");
    meta("ro dir", "/ro/dir");
    meta("ro root", "/ro");
    meta("ro link", "/ro/link");
    meta("ro folder inside a rw one", "/x/d/sub");
    meta("made-up /", "/");
    int d = open("/ro", O_RDONLY | O_DIRECTORY);
    say("fchmodat relative to a ro dir fd: %s\n", RES(syscall(SYS_fchmodat, d, "file", 0777)));
    say("utimensat relative to a ro dir fd: %s\n", RES(utimensat(d, "file", NULL, 0)));
    say("create in the inner ro folder: %s\n", RES(open("/x/d/sub/new", O_CREAT | O_WRONLY, 0644)));
    say("mkfifo in a ro folder: %s\n", RES(mkfifo("/ro/fifo", 0644)));
    say("mknod of a file in a ro folder: %s\n", RES(mknod("/ro/node", S_IFREG | 0644, 0)));
    say("chown in a ro folder, relative to its dir fd: %s\n",
        RES(fchownat(d, "file", getuid(), getgid(), 0)));
    say("rename of a dir holding a mount point: %s\n", RES(rename("/x/d", "/x/e")));
    say("rename of the mount point: %s\n", RES(rename("/x/d/sub", "/x/sub2")));
    say("rename over a dir holding a mount point: %s\n", RES(rename("/x/f", "/x/d")));
    say("rmdir of the mount point: %s\n", RES(rmdir("/x/d/sub")));
    say("rmdir of a dir holding it: %s\n", RES(rmdir("/x/d")));
    say("rename of a rw folder's root: %s\n", RES(rename("/x", "/y")));
    say("chmod of a dir holding a mount point, in a rw folder: %s\n", RES(chmod("/x/d", 0755)));
    say("chmod of a rw folder's root: %s\n", RES(chmod("/x", 0755)));
    say("rename in the rw folder otherwise: %s\n", RES(rename("/x/f", "/x/g")));
    say("chown of a rw folder's root to its own ids: %s\n", RES(chown("/x", getuid(), getgid())));
    close(d);
    return 0;
}
