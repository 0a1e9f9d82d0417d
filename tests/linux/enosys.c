/*
 * enosys.c: calls ukmon does not serve are ENOSYS, never fatal, and --trace names
 * them: inotify (libraries fall back to polling), fanotify, and a number that is no
 * system call at all. The expected output is ukmon's, not the host's.
 */
#define _GNU_SOURCE
#include <sys/inotify.h>
#include <sys/syscall.h>

#include "lxtest.h"

int main(void)
{
    say("inotify_init1: %s\n", RES(syscall(SYS_inotify_init1, IN_CLOEXEC)));
    say("inotify_add_watch: %s\n", RES(syscall(SYS_inotify_add_watch, 3, "/tmp", IN_CREATE)));
    say("inotify_rm_watch: %s\n", RES(syscall(SYS_inotify_rm_watch, 3, 1)));
    say("fanotify_init: %s\n", RES(syscall(SYS_fanotify_init, 0, 0)));
    say("number 1000: %s\n", RES(syscall(1000, 1, 2, 3)));
    say("still running\n");
    return 0;
}
