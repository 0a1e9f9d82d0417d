/* fork_isolation: after fork, neither VM sees the other's writes (static, heap, stack). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (16 << 20)
static unsigned char big[BIG];

static int all(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

int main(void)
{
    unsigned char *heap = malloc(BIG);
    unsigned char stack[4096];
    memset(big, 'A', BIG);
    memset(heap, 'A', BIG);
    memset(stack, 'A', sizeof(stack));
    pid_t pid = fork();
    if (pid < 0)
        return 10;
    if (pid == 0) {
        usleep(20000); /* let the parent write first */
        int ok = all(big, BIG, 'A') && all(heap, BIG, 'A') && all(stack, sizeof(stack), 'A');
        memset(big, 'B', BIG);
        memset(heap, 'B', BIG);
        memset(stack, 'B', sizeof(stack));
        void *more = malloc(1 << 20); /* the child's heap grows on its own */
        memset(more, 'B', 1 << 20);
        return ok ? 0 : 1;
    }
    memset(big, 'C', BIG);
    memset(heap, 'C', BIG);
    memset(stack, 'C', sizeof(stack));
    int st;
    waitpid(pid, &st, 0);
    printf("child saw only its own copy: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
    int ok = all(big, BIG, 'C') && all(heap, BIG, 'C') && all(stack, sizeof(stack), 'C');
    printf("parent saw none of the child's writes: %s\n", ok ? "yes" : "no");
    void *p = malloc(1 << 20);
    printf("parent heap still works: %s\n", p ? "yes" : "no");
    return 0;
}
