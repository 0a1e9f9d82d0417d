/* lxtest.h: helpers the Linux test programs share (built with musl and with glibc). */
#ifndef LXTEST_H
#define LXTEST_H
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* errno as its name: the two C libraries word strerror() differently. */
static inline const char *ename(int e)
{
    static char b[16];
    switch (e) {
    case 0: return "ok";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOTTY: return "ENOTTY";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EPIPE: return "EPIPE";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOEXEC: return "ENOEXEC";
    case ENODEV: return "ENODEV";
    case E2BIG: return "E2BIG";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ETXTBSY: return "ETXTBSY";
    case EBUSY: return "EBUSY";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ENOTSOCK: return "ENOTSOCK";
    case ENOTCONN: return "ENOTCONN";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EISCONN: return "EISCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EINPROGRESS: return "EINPROGRESS";
    case ENXIO: return "ENXIO";
    case EDEADLK: return "EDEADLK";
    case ENOLCK: return "ENOLCK";
    case EOVERFLOW: return "EOVERFLOW";
    case EOWNERDEAD: return "EOWNERDEAD";
    }
    snprintf(b, sizeof(b), "errno %d", e);
    return b;
}

/* The result of a call that returns -1 with errno: "ok" or the errno's name. */
#define RES(call) ((call) < 0 ? ename(errno) : "ok")

/* One line of output, flushed: forked children must not repeat buffered text. */
#define say(...) do { printf(__VA_ARGS__); fflush(stdout); } while (0)

/* How a child ended, as one word. */
static inline const char *how(int st)
{
    static char b[32];
    if (WIFEXITED(st))
        snprintf(b, sizeof(b), "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(b, sizeof(b), "signal %d", WTERMSIG(st));
    else
        snprintf(b, sizeof(b), "status %#x", st);
    return b;
}

/* Runs fn in a child and reports how it ended. */
static inline const char *in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        fn();
        _exit(0);
    }
    int st = 0;
    if (p < 0 || waitpid(p, &st, 0) != p)
        return "fork/wait failed";
    return how(st);
}
#endif
