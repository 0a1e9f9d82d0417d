/*
 * sitecache.c: a `syscall` site a program ran once is rewritten before the first call
 * of the next run of the same program in the tree (monitor/linux/lx_sites.c): the
 * program reads its own code at one site, before and after calling through it, over
 * three generations of execve, and in a forked child whose parent never called. On
 * the host, and with --syscall-exits, the bytes never change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lxtest.h"

extern const unsigned char probe_site[], child_site[];

static long __attribute__((noinline)) probe_call(void)
{
    long r;
    __asm__ volatile(".globl probe_site\nprobe_site: syscall"
                     : "=a"(r) : "a"(SYS_getppid) : "rcx", "r11", "memory");
    return r;
}

static long __attribute__((noinline)) child_call(void)
{
    long r;
    __asm__ volatile(".globl child_site\nchild_site: syscall"
                     : "=a"(r) : "a"(SYS_getpid) : "rcx", "r11", "memory");
    return r;
}

/* Read as memory every time: the compiler would take the bytes of a const object as known. */
static const char *code(const volatile unsigned char *at)
{
    if (at[0] == 0x0f && at[1] == 0x05)
        return "syscall";
    if (at[0] == 0xff && at[1] == 0xd0)
        return "call *%rax";
    return "something else";
}

int main(int argc, char **argv)
{
    int gen = argc > 1 ? atoi(argv[1]) : 1;
    char before[32];
    snprintf(before, sizeof(before), "%s", code(probe_site));
    long r = probe_call();
    say("generation %d: the site before its first call: %s; after: %s; the call %s\n", gen,
        before, code(probe_site), r == (long)getppid() ? "right" : "wrong");
    if (gen == 1) { /* a site only a child runs: the parent learns it from the tree */
        pid_t c = fork();
        if (c == 0)
            _exit(child_call() == (long)getpid() ? 0 : 1);
        int st;
        waitpid(c, &st, 0);
        probe_call(); /* an exit of the parent's own, after which it has looked */
        say("a child's site, in the parent that never ran it: %s (child %s)\n",
            code(child_site), WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "right" : "wrong");
    }
    if (gen < 3) {
        char next[16];
        snprintf(next, sizeof(next), "%d", gen + 1);
        char *nargv[] = {argv[0], next, NULL};
        execv("/proc/self/exe", nargv);
        say("execv: %s\n", ename(errno));
        return 1;
    }
    return 0;
}
