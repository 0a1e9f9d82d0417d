/*
 * wakereuse.c: 300 pipes one after another, each read here while a forked child
 * writes to it after a pause, so that the reader blocks and must be woken; then the
 * same with the roles turned (the writer fills the pipe and blocks until the child
 * reads). Under ukmon each pipe is a ring in a slot used again and again, and the
 * ring wakes run out of ioeventfd values halfway (monitor/linux/lx_wake.c): every
 * byte must still arrive, every wait end, in both halves.
 */
#include <stdbool.h>
#include <time.h>

#include "lxtest.h"

static void pause_us(long us)
{
    struct timespec t = {0, us * 1000};
    nanosleep(&t, NULL);
}

/* The child writes 64 bytes after a pause, into fd. */
static int child_writes(int fd, int i)
{
    pause_us(300);
    char b[64];
    memset(b, 'a' + i % 26, sizeof(b));
    return write(fd, b, sizeof(b)) == (ssize_t)sizeof(b) ? 0 : 1;
}

/* ... and we read them all. Nonzero: wrong. */
static int parent_reads(int fd, int i)
{
    char b[80];
    size_t got = 0;
    ssize_t n;
    while ((n = read(fd, b + got, sizeof(b) - got)) > 0)
        got += (size_t)n;
    int bad = got != 64;
    for (size_t k = 0; k < got && !bad; k++)
        bad = b[k] != 'a' + i % 26;
    return bad;
}

/* The child reads 256 KiB after a pause, from fd. */
static int child_reads(int fd, int i)
{
    pause_us(300);
    static char b[65536];
    unsigned long got = 0, sum = 0;
    ssize_t n;
    while ((n = read(fd, b, sizeof(b))) > 0)
        for (ssize_t k = 0; k < n; k++, got++)
            sum += (unsigned char)b[k] == (got + (unsigned long)i) % 251;
    return got == 262144 && sum == got ? 0 : 1;
}

/* ... which we write at once, more than a pipe holds. */
static int parent_writes(int fd, int i)
{
    static char b[262144];
    for (size_t k = 0; k < sizeof(b); k++)
        b[k] = (char)((k + (size_t)i) % 251);
    return write(fd, b, sizeof(b)) != (ssize_t)sizeof(b);
}

/*
 * A pipe between us and a forked child: the child's side runs `child` on its end,
 * ours `parent` on ours (the read end is ours when child_writes_it). Nonzero: wrong.
 */
static int one_pipe(int i, bool child_writes_it, int (*child)(int, int), int (*parent)(int, int))
{
    int p[2];
    if (pipe(p) < 0)
        return 1;
    int theirs = child_writes_it ? p[1] : p[0], ours = child_writes_it ? p[0] : p[1];
    pid_t c = fork();
    if (c < 0)
        return 1;
    if (c == 0) {
        close(ours);
        _exit(child(theirs, i));
    }
    close(theirs);
    int bad = parent(ours, i), st = 0;
    close(ours);
    return waitpid(c, &st, 0) != c || st != 0 || bad;
}

int main(void)
{
    int bad = 0;
    for (int i = 0; i < 300; i++)
        bad += one_pipe(i, true, child_writes, parent_reads);
    say("300 pipes, the reader woken: %d wrong\n", bad);
    bad = 0;
    for (int i = 0; i < 150; i++)
        bad += one_pipe(i, false, child_reads, parent_writes);
    say("150 pipes, the writer woken: %d wrong\n", bad);
    return 0;
}
