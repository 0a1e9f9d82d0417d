/* fork_status: a parent sees its children's exits, crashes and aborts as POSIX says. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status 0x%x\n", what, st);
}

static pid_t child(int how)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    switch (how) {
    case 0: exit(0);
    case 1: exit(1);
    case 2: exit(255);
    case 3: {
        uintptr_t addr = 16;
        __asm__("" : "+r"(addr)); /* keep the compiler from proving it NULL */
        *(volatile int *)addr = 1;
        break;
    }
    case 4: abort();
    case 5: __asm__ volatile("ud2");
    }
    exit(9);
}

int main(void)
{
    static const char *names[] = {"exit(0)", "exit(1)", "exit(255)", "NULL write", "abort()", "ud2"};
    for (int how = 0; how < 6; how++) {
        int st;
        pid_t pid = child(how);
        if (waitpid(pid, &st, 0) != pid)
            printf("%s: waitpid failed\n", names[how]);
        else
            report(names[how], st);
    }
    int st;
    errno = 0;
    printf("wait with no children: %s\n", wait(&st) == -1 && errno == ECHILD ? "ECHILD" : "wrong");
    errno = 0;
    printf("waitpid of a stranger: %s\n", waitpid(1, &st, 0) == -1 && errno == ECHILD ? "ECHILD" : "wrong");
    errno = 0;
    printf("waitpid of a bad pid: %s\n", waitpid(-5, &st, 0) == -1 && errno == ECHILD ? "ECHILD" : "wrong");
    int fds[2];
    pipe(fds);
    pid_t slow = fork();
    if (slow == 0) {
        char c;
        close(fds[1]);
        read(fds[0], &c, 1);
        exit(3);
    }
    close(fds[0]);
    printf("WNOHANG while the child runs: %d\n", (int)waitpid(slow, &st, WNOHANG));
    close(fds[1]);
    printf("then blocking waitpid: %s\n", waitpid(slow, &st, 0) == slow && WEXITSTATUS(st) == 3 ? "ok" : "wrong");
    printf("waitpid of a reaped child: %s\n", waitpid(slow, &st, 0) == -1 && errno == ECHILD ? "ECHILD" : "wrong");
    return 0;
}
