/*
 * forktree: a tree of VMs; each node forks children, waits, and sums their statuses
 * (a child's exit status is the size of its subtree). Exits 0 when every VM of the
 * tree was counted, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs one node of the tree; returns the number of VMs in its subtree. */
static int node(int depth, int max_depth, int fanout)
{
    printf("%*sdepth %d: pid %d, parent %d\n", depth * 2, "", depth, (int)getpid(),
           (int)getppid());
    fflush(stdout);
    if (depth == max_depth)
        return 1;
    int total = 1;
    for (int i = 0; i < fanout; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            continue;
        }
        if (pid == 0)
            exit(node(depth + 1, max_depth, fanout));
    }
    int st;
    pid_t child;
    while ((child = wait(&st)) > 0) {
        if (WIFEXITED(st))
            total += WEXITSTATUS(st);
        else
            printf("child %d died of signal %d\n", (int)child, WTERMSIG(st));
    }
    return total;
}

int main(int argc, char **argv)
{
    int depth = argc > 1 ? atoi(argv[1]) : 3;
    int fanout = argc > 2 ? atoi(argv[2]) : 2;
    if (depth < 0 || fanout < 1 || depth > 6 || fanout > 6) {
        fprintf(stderr, "usage: forktree [depth 0..6] [fanout 1..6]\n");
        return 2;
    }
    int expected = 1, level = 1;
    for (int d = 1; d <= depth; d++) {
        level *= fanout;
        expected += level;
    }
    int total = node(0, depth, fanout);
    printf("tree of %d VMs (depth %d, fanout %d) done\n", total, depth, fanout);
    if (total != expected) {
        fprintf(stderr, "forktree: counted %d VMs, expected %d\n", total, expected);
        return 1;
    }
    return 0;
}
