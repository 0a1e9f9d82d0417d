/*
 * chown.c: owners and set-id bits of host files. ukmon's model (README, Files): the
 * file's own ids (or -1) always succeed and change nothing; other ids succeed for a
 * root guest, changing nothing on the host, and are EPERM for any other. chmod and
 * creation never give a host file a set-user-id or set-group-id bit.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lxtest.h"

static char dir[256];

static const char *at(const char *name)
{
    static char p[2][512];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
    return p[k];
}

static struct stat st_of(const char *name)
{
    struct stat st;
    memset(&st, 0, sizeof(st));
    lstat(at(name), &st);
    return st;
}

/* The result as the model wants it: "ok"/"EPERM" for the own ids, the other ones. */
static const char *other_ids(int r)
{
    bool root = geteuid() == 0;
    if (root ? r == 0 : (r < 0 && errno == EPERM))
        return "as the model says"; /* root: ok, nothing changes; others: EPERM */
    return r < 0 ? ename(errno) : "ok, NOT EXPECTED";
}

static void owner_same(const char *what, const char *name, const struct stat *before)
{
    struct stat now = st_of(name);
    say("%s: owner %s\n", what,
        now.st_uid == before->st_uid && now.st_gid == before->st_gid ? "unchanged" : "CHANGED");
}

int main(int argc, char **argv)
{
    snprintf(dir, sizeof(dir), "%s", argc > 1 ? argv[1] : "/tmp");
    umask(0);
    int fd = open(at("f"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    mkdir(at("d"), 0755);
    symlink("f", at("l"));
    struct stat f0 = st_of("f");
    uid_t u = getuid();
    gid_t g = getgid();

    say("chown -1 -1: %s\n", RES(chown(at("f"), (uid_t)-1, (gid_t)-1)));
    say("chown to its own ids: %s\n", RES(chown(at("f"), u, g)));
    say("chown to its owner, group -1: %s\n", RES(chown(at("f"), u, (gid_t)-1)));
    say("fchown to its own ids: %s\n", RES(fchown(fd, u, g)));
    say("lchown of a link to its own ids: %s\n", RES(lchown(at("l"), u, g)));
    say("fchownat AT_SYMLINK_NOFOLLOW: %s\n",
        RES(fchownat(AT_FDCWD, at("l"), u, g, AT_SYMLINK_NOFOLLOW)));
    say("fchownat AT_EMPTY_PATH: %s\n", RES(fchownat(fd, "", u, g, AT_EMPTY_PATH)));
    say("fchownat with a bad flag: %s\n", RES(fchownat(AT_FDCWD, at("f"), u, g, 0x1)));
    say("chown of a missing file: %s\n", RES(chown(at("missing"), u, g)));
    say("chown to 1234:1234: %s\n", other_ids(chown(at("f"), 1234, 1234)));
    say("chown to uid 1234: %s\n", other_ids(chown(at("f"), 1234, (gid_t)-1)));
    say("chown to gid 1234: %s\n", other_ids(chown(at("f"), (uid_t)-1, 1234)));
    say("fchown to 1234:1234: %s\n", other_ids(fchown(fd, 1234, 1234)));
    say("lchown to 1234:1234: %s\n", other_ids(lchown(at("l"), 1234, 1234)));
    say("chown of a folder to 1234:1234: %s\n", other_ids(chown(at("d"), 1234, 1234)));
    owner_same("after all that, the file's", "f", &f0);
    int p[2];
    pipe(p);
    say("fchown of a pipe, -1 -1: %s\n", RES(fchown(p[0], (uid_t)-1, (gid_t)-1)));
    say("fchown of a bad fd: %s\n", RES(fchown(99, u, g)));

    /* set-id bits never reach a host file */
    say("chmod 04755: %s", RES(chmod(at("f"), 04755)));
    say(", mode %04o\n", (unsigned)(st_of("f").st_mode & 07777));
    say("chmod 02755: %s", RES(chmod(at("f"), 02755)));
    say(", mode %04o\n", (unsigned)(st_of("f").st_mode & 07777));
    say("fchmod 06777: %s", RES(fchmod(fd, 06777)));
    say(", mode %04o\n", (unsigned)(st_of("f").st_mode & 07777));
    say("chmod 01777 of a folder (sticky): %s", RES(chmod(at("d"), 01777)));
    say(", mode %04o\n", (unsigned)(st_of("d").st_mode & 07777));
    int c = open(at("suid"), O_CREAT | O_WRONLY, 04755);
    say("open(O_CREAT, 04755): %s", c < 0 ? ename(errno) : "ok");
    say(", mode %04o\n", (unsigned)(st_of("suid").st_mode & 07777));
    close(c);
    say("mkdir 02775: %s", RES(mkdir(at("sgid"), 02775)));
    say(", mode %04o\n", (unsigned)(st_of("sgid").st_mode & 07777));
    say("mkfifo 06666: %s", RES(mkfifo(at("fifo"), 06666)));
    say(", mode %04o\n", (unsigned)(st_of("fifo").st_mode & 07777));

    close(fd);
    unlink(at("f"));
    unlink(at("l"));
    unlink(at("suid"));
    unlink(at("fifo"));
    rmdir(at("d"));
    rmdir(at("sgid"));
    return 0;
}
