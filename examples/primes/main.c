/*
 * primes: the concurrent prime sieve. A generator VM feeds 2..N into a pipe; each
 * prime found gets a VM of its own that filters out its multiples and passes the
 * rest down the chain to the next VM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define BATCH 1024 /* numbers per write: a pipe hop costs a VM exit, not a number */

struct out {
    int fd;
    int n;
    uint32_t buf[BATCH];
};

static void out_flush(struct out *o)
{
    const char *p = (const char *)o->buf;
    size_t left = (size_t)o->n * sizeof(uint32_t);
    while (left > 0) {
        ssize_t w = write(o->fd, p, left);
        if (w < 0) {
            perror("primes: write");
            exit(1);
        }
        p += w;
        left -= (size_t)w;
    }
    o->n = 0;
}

static void out_put(struct out *o, uint32_t v)
{
    o->buf[o->n++] = v;
    if (o->n == BATCH)
        out_flush(o);
}

/* Reads whole numbers; returns how many (0 at end of input). */
static int in_get(int fd, uint32_t *buf, int max)
{
    size_t got = 0, want = (size_t)max * sizeof(uint32_t);
    char *p = (char *)buf;
    while (got == 0 || got % sizeof(uint32_t)) {
        ssize_t r = read(fd, p + got, want - got);
        if (r < 0) {
            perror("primes: read");
            exit(1);
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (int)(got / sizeof(uint32_t));
}

static void wait_child(pid_t pid)
{
    int st;
    if (pid > 0 && waitpid(pid, &st, 0) == pid && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        exit(1);
}

/* One VM per prime: print it, pass on everything it does not divide. */
static _Noreturn void filter(int in)
{
    static uint32_t buf[BATCH];
    static struct out o;
    for (;;) {
        int n = in_get(in, buf, BATCH);
        if (n == 0)
            exit(0);
        uint32_t p = buf[0];
        printf("%u\n", p);
        fflush(stdout);
        int fds[2];
        if (pipe(fds) < 0) {
            perror("primes: pipe");
            exit(1);
        }
        pid_t next = fork();
        if (next < 0) {
            perror("primes: fork");
            exit(1);
        }
        if (next == 0) { /* the next VM of the chain: filter what this one passes on */
            close(in);
            close(fds[1]);
            in = fds[0];
            continue;
        }
        close(fds[0]);
        o.fd = fds[1];
        for (int i = 1;; i = 0) {
            for (; i < n; i++)
                if (buf[i] % p)
                    out_put(&o, buf[i]);
            n = in_get(in, buf, BATCH);
            if (n == 0)
                break;
        }
        out_flush(&o);
        close(o.fd);
        close(in);
        wait_child(next);
        exit(0);
    }
}

int main(int argc, char **argv)
{
    long limit = argc > 1 ? atol(argv[1]) : 100;
    if (limit < 2 || limit > 10000000) {
        fprintf(stderr, "usage: primes N (2 <= N <= 10^7)\n");
        return 2;
    }
    int fds[2];
    if (pipe(fds) < 0) {
        perror("primes: pipe");
        return 1;
    }
    pid_t first = fork();
    if (first < 0) {
        perror("primes: fork");
        return 1;
    }
    if (first == 0) {
        close(fds[1]);
        filter(fds[0]);
    }
    close(fds[0]);
    static struct out o;
    o.fd = fds[1];
    for (uint32_t v = 2; v <= (uint32_t)limit; v++)
        out_put(&o, v);
    out_flush(&o);
    close(o.fd);
    wait_child(first);
    return 0;
}
