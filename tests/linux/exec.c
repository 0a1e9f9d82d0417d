/* exec.c: execve under the Linux personality: same process, new program, fds kept. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "lxtest.h"

extern char **environ;

/* The second stage, after execve: what the first stage left for it. */
static int stage2(char **argv)
{
    say("stage 2: argv[0] %s, argv[2] %s, pid kept: %s\n", argv[0], argv[2],
        atoi(argv[3]) == getpid() ? "yes" : "no");
    say("stage 2: environment X=%s\n", getenv("X") ? getenv("X") : "(none)");
    say("stage 2: fd 5 (kept) %s, fd 6 (close-on-exec) %s\n",
        fcntl(5, F_GETFD) < 0 ? "closed" : "open", fcntl(6, F_GETFD) < 0 ? "closed" : "open");
    char c = 0;
    read(5, &c, 1);
    say("stage 2: read through the kept pipe: %c\n", c);
    return 7;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "stage2"))
        return stage2(argv);
    if (argc > 1 && !strcmp(argv[1], "spawned"))
        return 3;
    char link[256] = "";
    ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
    say("readlink(/proc/self/exe): %s\n", n > 0 && link[0] == '/' ? "an absolute path" : "wrong");
    say("execve of a missing file: %s\n", RES(execve("/no/such/file", argv, environ)));
    say("execve of a directory: %s\n", RES(execve("/", argv, environ)));
    char **bad = (char **)16;
    __asm__("" : "+r"(bad));
    say("execve with a bad argv: %s\n", RES(execve("/proc/self/exe", bad, environ)));

    /* posix_spawn of a missing file: the error must not pass for a success. */
    pid_t sp;
    char *sargv[] = {"nothing", NULL};
    int e = posix_spawn(&sp, "/no/such/file", NULL, NULL, sargv, environ);
    int st = 0;
    if (e == 0)
        waitpid(sp, &st, 0);
    say("posix_spawn of a missing file: %s\n",
        e ? ename(e) : WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "started, exit 127" : how(st));

    /*
     * posix_spawn with POSIX_SPAWN_RESETIDS (GNU make's): the child sets its effective
     * ids to the real ones first (setresuid, setresgid), which it already has.
     */
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_RESETIDS);
    char *rargv[] = {"again", "spawned", NULL};
    e = posix_spawn(&sp, "/proc/self/exe", NULL, &at, rargv, environ);
    st = 0;
    if (e == 0)
        waitpid(sp, &st, 0);
    say("posix_spawn with POSIX_SPAWN_RESETIDS: %s\n", e ? ename(e) : how(st));
    say("setresuid, setreuid, setresgid, setregid to the ids we have: %d %d %d %d\n",
        setresuid(-1, geteuid(), -1), setreuid(getuid(), -1), setresgid(getgid(), -1, -1),
        setregid(-1, getegid()));

    /* exec through a child, and the child's status reaches us */
    pid_t c = fork();
    if (c == 0) {
        int p[2];
        pipe(p);
        dup2(p[0], 5);
        write(p[1], "k", 1);
        int q = open("/", O_RDONLY);
        (void)q;
        dup2(p[1], 6);
        fcntl(6, F_SETFD, FD_CLOEXEC);
        char pid[16];
        snprintf(pid, sizeof(pid), "%d", getpid());
        char *nargv[] = {"second", "stage2", "x", pid, NULL};
        char *nenv[] = {"X=from-the-first-stage", NULL};
        execve("/proc/self/exe", nargv, nenv);
        say("execve failed: %s\n", ename(errno));
        _exit(99);
    }
    waitpid(c, &st, 0);
    say("the exec'd child %s\n", how(st));
    return 0;
}
