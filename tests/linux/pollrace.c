/*
 * pollrace.c: two readers poll one pipe; a writer sends single bytes. The reader that
 * is woken and finds the byte gone (the other took it) must wait on: poll() with no
 * timeout never returns 0, and one with a timeout does not end before it.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>

#include "lxtest.h"

#define BYTES 200

struct report {
    int got, zero, early;
};

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads what it can until the end; `timed`: polls with 400 ms, else for ever. */
static void reader(int rfd, int out, int timed)
{
    struct report r = {0, 0, 0};
    for (;;) {
        struct pollfd f = {.fd = rfd, .events = POLLIN};
        int64_t t0 = now_ms();
        int n = poll(&f, 1, timed ? 400 : -1);
        if (n == 0 && (!timed || now_ms() - t0 < 350)) {
            if (timed)
                r.early++;
            else
                r.zero++;
        }
        if (n <= 0)
            continue;
        char c;
        ssize_t k = read(rfd, &c, 1);
        if (k == 1)
            r.got++;
        else if (k == 0)
            break;
    }
    if (write(out, &r, sizeof(r)) != sizeof(r))
        _exit(2);
    _exit(0);
}

int main(void)
{
    int p[2], res[2];
    if (pipe(p) < 0 || pipe(res) < 0)
        return 2;
    fcntl(p[0], F_SETFL, O_NONBLOCK); /* the loser of a race gets EAGAIN, not a wait */
    for (int k = 0; k < 2; k++) {
        if (fork() == 0) {
            close(p[1]);
            close(res[0]);
            reader(p[0], res[1], k);
        }
    }
    close(p[0]);
    close(res[1]);
    struct timespec pause = {0, 300000};
    for (int i = 0; i < BYTES; i++) {
        if (write(p[1], "x", 1) != 1)
            return 2;
        nanosleep(&pause, NULL);
    }
    close(p[1]);
    struct report a, b;
    if (read(res[0], &a, sizeof(a)) != sizeof(a) || read(res[0], &b, sizeof(b)) != sizeof(b))
        return 2;
    while (wait(NULL) > 0)
        ;
    say("two readers, %d bytes one at a time: read %s\n", BYTES,
        a.got + b.got == BYTES ? "each once" : "not each once");
    say("poll with no timeout returned 0: %s\n", a.zero + b.zero ? "yes" : "never");
    say("poll with a timeout returned 0 before it: %s\n", a.early + b.early ? "yes" : "never");
    return 0;
}
