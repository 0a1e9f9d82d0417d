/*
 * prefork: a pre-forking HTTP server. The parent listens on one socket and forks
 * WORKERS processes (each a VM under ukmon) that accept on it in turn and answer
 * every request, keep-alive included, with a small page. A worker that dies is
 * replaced; SIGTERM or SIGINT stops them all. The same source builds for the host
 * (bench/ compares the two).
 *
 *   ukmon --publish 8080:8080 prefork.elf 8080 [WORKERS]
 *   curl http://127.0.0.1:8080/
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_WORKERS 64

static const char page[] = "hello from a prefork worker\n";
static volatile sig_atomic_t stopping, child_ended;

static void on_stop(int sig)
{
    stopping = sig;
}

static void on_child(int sig)
{
    (void)sig;
    child_ended = 1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Answers requests on one connection until the client closes it or asks to. */
static void serve(int c)
{
    char req[4096];
    size_t have = 0;
    char head[160];
    int hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      "Content-Length: %zu\r\n\r\n", sizeof(page) - 1);
    for (;;) {
        char *end;
        req[have] = 0;
        while (!(end = strstr(req, "\r\n\r\n"))) {
            if (have == sizeof(req) - 1)
                return; /* a request larger than we serve */
            ssize_t n = read(c, req + have, sizeof(req) - 1 - have);
            if (n <= 0)
                return;
            have += (size_t)n;
            req[have] = 0;
        }
        int close_after = strstr(req, "Connection: close") != NULL &&
                          strstr(req, "Connection: close") < end;
        char out[sizeof(head) + sizeof(page)];
        memcpy(out, head, (size_t)hl);
        memcpy(out + hl, page, sizeof(page) - 1);
        if (write_all(c, out, (size_t)hl + sizeof(page) - 1) < 0 || close_after)
            return;
        size_t used = (size_t)(end + 4 - req);
        memmove(req, req + used, have - used);
        have -= used;
    }
}

static _Noreturn void worker(int ls)
{
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_IGN); /* the parent stops us */
    signal(SIGCHLD, SIG_DFL);
    sigset_t none; /* fork kept the parent's mask, which holds SIGTERM back */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (;;) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            perror("prefork: accept");
            _exit(1);
        }
        serve(c);
        close(c);
    }
}

static pid_t spawn(int ls)
{
    pid_t p = fork();
    if (p == 0)
        worker(ls);
    return p;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: prefork PORT [WORKERS]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    int n = argc > 2 ? atoi(argv[2]) : 4;
    if (port < 1 || port > 65535 || n < 1 || n > MAX_WORKERS) {
        fprintf(stderr, "prefork: PORT 1..65535, WORKERS 1..%d\n", MAX_WORKERS);
        return 2;
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 512) < 0) {
        perror("prefork: listening");
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);

    pid_t workers[MAX_WORKERS];
    for (int i = 0; i < n; i++)
        workers[i] = spawn(ls);
    printf("prefork: %d workers on port %d\n", n, port);
    fflush(stdout);
    while (!stopping) {
        sigsuspend(&old);
        if (!child_ended)
            continue;
        child_ended = 0;
        int st;
        pid_t p;
        while ((p = waitpid(-1, &st, WNOHANG)) > 0)
            for (int i = 0; i < n; i++)
                if (workers[i] == p && !stopping)
                    workers[i] = spawn(ls); /* a worker died: another takes its place */
    }
    for (int i = 0; i < n; i++)
        kill(workers[i], SIGTERM);
    for (int i = 0; i < n; i++)
        waitpid(workers[i], NULL, 0);
    printf("prefork: stopped\n");
    return 0;
}
