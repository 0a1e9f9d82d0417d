/* fork_basic: fork returns 0 in the child and the child's pid in the parent. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int shared = 41;
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        shared++;
        printf("child: fork returned 0, ppid is parent: %s, shared=%d\n",
               getppid() == me ? "yes" : "no", shared);
        return 7;
    }
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    printf("parent: waitpid matched: %s, exited: %d, status: %d, shared=%d\n",
           w == pid ? "yes" : "no", WIFEXITED(st), WEXITSTATUS(st), shared);
    return 0;
}
