/*
 * pipeline: producer | filter | consumer, three VMs wired as a shell would do it:
 * pipe(), fork(), dup2() onto stdin/stdout, close the rest. The filter keeps every
 * third line and upper-cases it; the consumer counts lines and bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void producer(long count)
{
    for (long i = 1; i <= count; i++)
        printf("item %ld of the pipeline\n", i);
}

static void filter(void)
{
    char line[256];
    long n = 0;
    while (fgets(line, sizeof(line), stdin)) {
        if (++n % 3)
            continue;
        for (char *p = line; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        fputs(line, stdout);
    }
}

static void consumer(void)
{
    char line[256], last[256] = "";
    long lines = 0, bytes = 0;
    unsigned long sum = 0;
    while (fgets(line, sizeof(line), stdin)) {
        lines++;
        bytes += (long)strlen(line);
        for (char *p = line; *p; p++)
            sum = sum * 31 + (unsigned char)*p;
        strcpy(last, line);
    }
    printf("consumer (pid %d): %ld lines, %ld bytes, checksum %lx, last: %s", (int)getpid(),
           lines, bytes, sum, last);
}

/* Runs fn in a child VM with stdin/stdout redirected, like `fn <in >out`. */
static pid_t spawn(void (*fn)(void), int in, int out)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (in >= 0 && dup2(in, 0) < 0)
        exit(1);
    if (out >= 0 && dup2(out, 1) < 0)
        exit(1);
    for (int fd = 3; fd < 16; fd++) /* every pipe end but stdin/stdout: EOF must work */
        close(fd);
    fn();
    exit(0);
}

static long count;
static void run_producer(void) { producer(count); }

int main(int argc, char **argv)
{
    count = argc > 1 ? atol(argv[1]) : 30;
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0) {
        perror("pipeline: pipe");
        return 1;
    }
    pid_t p1 = spawn(run_producer, -1, a[1]);
    pid_t p2 = spawn(filter, a[0], b[1]);
    pid_t p3 = spawn(consumer, b[0], -1);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
    int bad = 0;
    pid_t pids[3] = {p1, p2, p3};
    for (int i = 0; i < 3; i++) {
        int st;
        if (pids[i] < 0 || waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            bad = 1;
    }
    return bad;
}
