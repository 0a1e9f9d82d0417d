/*
 * files.c: files of granted folders, and every way out of them that must fail.
 * Run by suite-linux.sh with --dir ro:/ro (read-only) and --dir rw:/rw:rw; beside
 * both on the host lies a file named "secret" that no guest path may reach. Its
 * host path comes as argv[1], for the tries that name it outright.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lxtest.h"

/* Opens a path and reads it: "ok <first line>" or the errno. */
static const char *try_read(const char *path)
{
    static char out[128];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return ename(errno);
    char buf[64] = "";
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0)
        return ename(errno);
    buf[n] = 0;
    char *nl = strchr(buf, '\n');
    if (nl)
        *nl = 0;
    snprintf(out, sizeof(out), "ok %s", buf);
    return out;
}

static void listing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        say("ls %s: %s\n", dir, ename(errno));
        return;
    }
    char names[32][64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 32)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(names[n++], sizeof(names[0]), "%.63s", e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++) /* sorted: the host's order is not ours to pin */
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char t[64];
                memcpy(t, names[i], 64);
                memcpy(names[i], names[j], 64);
                memcpy(names[j], t, 64);
            }
    say("ls %s:", dir);
    for (int i = 0; i < n; i++)
        say(" %s", names[i]);
    say("\n");
}

/* The race: a sibling VM swaps /rw/race between a file and links out, without end. */
static void swapper(void)
{
    for (int i = 0; i < 20000; i++) {
        unlink("/rw/race");
        symlink(i % 2 ? "/ro/../../secret" : "../secret", "/rw/race");
        unlink("/rw/race");
        int fd = open("/rw/race", O_CREAT | O_WRONLY, 0644);
        write(fd, "harmless\n", 9);
        close(fd);
    }
}

int main(int argc, char **argv)
{
    const char *host_secret = argc > 1 ? argv[1] : "/nonexistent";
    say("read /ro/hello: %s\n", try_read("/ro/hello"));
    listing("/ro");
    listing("/");
    struct stat st;
    const char *r = RES(stat("/ro/dir", &st));
    say("stat /ro/dir: %s, a directory: %s\n", r, S_ISDIR(st.st_mode) ? "yes" : "no");
    r = RES(lstat("/ro/inlink", &st));
    say("lstat /ro/inlink: %s, a symlink: %s\n", r, S_ISLNK(st.st_mode) ? "yes" : "no");
    say("read /ro/inlink (to hello, inside): %s\n", try_read("/ro/inlink"));
    char lbuf[64] = "";
    ssize_t ln = readlink("/ro/abslink", lbuf, sizeof(lbuf) - 1);
    say("readlink /ro/abslink: %s\n", ln > 0 ? "its text" : ename(errno));

    say("-- writes\n");
    say("create in /ro: %s\n", RES(open("/ro/new", O_CREAT | O_WRONLY, 0644)));
    say("open /ro/hello for writing: %s\n", RES(open("/ro/hello", O_WRONLY)));
    say("mkdir in /ro: %s\n", RES(mkdir("/ro/d", 0755)));
    say("unlink in /ro: %s\n", RES(unlink("/ro/hello")));
    say("chmod in /ro: %s\n", RES(chmod("/ro/hello", 0777)));
    int fd = open("/ro/hello", O_RDONLY);
    say("fchmod of a /ro file opened for reading: %s\n", RES(fchmod(fd, 0777)));
    say("ftruncate of it: %s\n", RES(ftruncate(fd, 0)));
    close(fd);
    fd = open("/rw/out", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    r = fd < 0 ? ename(errno) : "ok";
    ssize_t w = write(fd, "from the guest\n", 15);
    say("create /rw/out: %s, write: %zd\n", r, w);
    close(fd);
    say("mkdir /rw/sub: %s\n", RES(mkdir("/rw/sub", 0755)));
    say("rename into it: %s\n", RES(rename("/rw/out", "/rw/sub/out")));
    say("symlink: %s\n", RES(symlink("sub/out", "/rw/sl")));
    say("link: %s\n", RES(link("/rw/sub/out", "/rw/hard")));
    say("read /rw/sl: %s\n", try_read("/rw/sl"));
    say("rename across folders: %s\n", RES(rename("/rw/hard", "/ro/x")));
    r = RES(chdir("/rw/sub"));
    say("chdir /rw/sub, relative open: %s %s\n", r, try_read("out"));
    char cwd[64] = "";
    say("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : ename(errno));
    say("rmdir of a non-empty directory: %s\n", RES(rmdir("/rw/sub")));
    say("openat relative to a directory fd: ");
    int dfd = open("/rw/sub", O_RDONLY | O_DIRECTORY);
    int rfd = openat(dfd, "out", O_RDONLY);
    say("%s\n", rfd >= 0 ? "ok" : ename(errno));
    close(rfd);
    close(dfd);
    chdir("/");

    say("-- ways out\n");
    say("../ chains: %s\n", try_read("/ro/../../../../secret"));
    say("relative ../ from the cwd: %s\n", try_read("../../../secret"));
    say("the host path itself: %s\n", try_read(host_secret));
    say("an absolute symlink out: %s\n", try_read("/ro/abslink"));
    say("a relative symlink out: %s\n", try_read("/ro/rellink"));
    say("a symlink loop: %s\n", try_read("/ro/loop"));
    say("/proc/self/root: %s\n", try_read("/proc/self/root/etc/passwd"));
    say("/proc/self/cwd: %s\n", try_read("/proc/self/cwd/secret"));
    say("/proc/1/environ: %s\n", try_read("/proc/1/environ"));
    say("/etc/hostname of the host: %s\n", try_read("/etc/hostname"));
    say("/etc/passwd (made up): %s\n", try_read("/etc/passwd"));
    say("a hard link to the secret: %s\n", RES(link("/ro/../secret", "/rw/stolen")));
    say("a hard link through a symlink out: %s\n", RES(linkat(AT_FDCWD, "/ro/abslink", AT_FDCWD, "/rw/stolen", AT_SYMLINK_FOLLOW)));
    r = RES(symlink("/../../secret", "/rw/mine"));
    say("symlink then follow it: %s %s\n", r, try_read("/rw/mine"));
    say("execve of a symlink out: %s\n", RES(execve("/ro/abslink", argv, NULL)));

    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        swapper();
        _exit(0);
    }
    int leaked = 0, opened = 0;
    for (int i = 0; i < 20000; i++) {
        const char *r = try_read("/rw/race");
        if (!strncmp(r, "ok ", 3)) {
            opened++;
            if (strstr(r, "secret")) /* "ok " alone: caught between create and write */
                leaked++;
        }
    }
    int st2;
    waitpid(c, &st2, 0);
    say("a name swapped for a symlink out while it is opened: %s (opened it %s)\n",
        leaked ? "LEAKED" : "never the secret", opened ? "some times" : "never");
    return 0;
}
