/*
 * wakereuse.c: 300 pipes one after another, each read here while a forked child
 * writes to it after a pause, so that the reader blocks and must be woken; then the
 * same with the roles turned (the writer fills the pipe and blocks until the child
 * reads). Under ukmon each pipe is a ring in a slot used again and again, and the
 * ring wakes run out of ioeventfd values halfway (monitor/linux/lx_wake.c): every
 * byte must still arrive, every wait end, in both halves.
 */
#include <time.h>

#include "lxtest.h"

static void pause_us(long us)
{
    struct timespec t = {0, us * 1000};
    nanosleep(&t, NULL);
}

/* The child writes 64 bytes after a pause; we read them all. Nonzero: wrong. */
static int reader_woken(int i)
{
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t c = fork();
    if (c < 0)
        return 1;
    if (c == 0) {
        close(p[0]);
        pause_us(300);
        char b[64];
        memset(b, 'a' + i % 26, sizeof(b));
        _exit(write(p[1], b, sizeof(b)) == (ssize_t)sizeof(b) ? 0 : 1);
    }
    close(p[1]);
    char b[80];
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], b + got, sizeof(b) - got)) > 0)
        got += (size_t)n;
    int st = 0, bad = got != 64;
    for (size_t k = 0; k < got && !bad; k++)
        bad = b[k] != 'a' + i % 26;
    close(p[0]);
    return waitpid(c, &st, 0) != c || st != 0 || bad;
}

/* We write 256 KiB, more than a pipe holds; the child reads after a pause. */
static int writer_woken(int i)
{
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t c = fork();
    if (c < 0)
        return 1;
    if (c == 0) {
        close(p[1]);
        pause_us(300);
        static char b[65536];
        unsigned long got = 0, sum = 0;
        ssize_t n;
        while ((n = read(p[0], b, sizeof(b))) > 0)
            for (ssize_t k = 0; k < n; k++, got++)
                sum += (unsigned char)b[k] == (got + (unsigned long)i) % 251;
        _exit(got == 262144 && sum == got ? 0 : 1);
    }
    close(p[0]);
    static char b[262144];
    for (size_t k = 0; k < sizeof(b); k++)
        b[k] = (char)((k + (size_t)i) % 251);
    int bad = write(p[1], b, sizeof(b)) != (ssize_t)sizeof(b);
    close(p[1]);
    int st = 0;
    return waitpid(c, &st, 0) != c || st != 0 || bad;
}

int main(void)
{
    int bad = 0;
    for (int i = 0; i < 300; i++)
        bad += reader_woken(i);
    say("300 pipes, the reader woken: %d wrong\n", bad);
    bad = 0;
    for (int i = 0; i < 150; i++)
        bad += writer_woken(i);
    say("150 pipes, the writer woken: %d wrong\n", bad);
    return 0;
}
