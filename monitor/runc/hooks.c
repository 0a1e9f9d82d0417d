/*
 * hooks.c: the config's hooks, as runc runs them: each its own process, execve of
 * `path` with `args` and `env`, the container's state as JSON on its stdin, within
 * its `timeout`. A hook that fails (exit status not 0, a signal, the timeout) ends
 * create and start with an error naming it and what it printed; poststart and
 * poststop hooks only warn, as the spec says. They run in the runtime's own
 * namespaces: a VM has none of its own for them to enter.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runc/runc.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One hook: 0, or -1 with why in `why`. */
static int run_hook(const struct spec_hook *h, const char *state, char *why, size_t whylen)
{
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return snprintf(why, whylen, "pipe: %s", strerror(errno)), -1;
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return snprintf(why, whylen, "pipe: %s", strerror(errno)), -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        const char *path_only[] = {h->path, NULL};
        const char *const *args = h->args && h->args[0] ? h->args : path_only;
        static const char *const no_env[] = {NULL};
        execve(h->path, (char *const *)args, (char *const *)(h->env ? h->env : no_env));
        dprintf(2, "execve %s: %s\n", h->path, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return snprintf(why, whylen, "fork: %s", strerror(errno)), -1;
    }
    /* The state, then EOF: a hook that does not read it gets EPIPE, not us. */
    size_t len = strlen(state), done = 0;
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGPIPE, &ign, &old);
    while (done < len) {
        ssize_t n = write(in[1], state + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    sigaction(SIGPIPE, &old, NULL);
    close(in[1]);
    char said[512];
    size_t nsaid = 0;
    int64_t deadline = h->timeout > 0 ? now_ms() + (int64_t)h->timeout * 1000 : -1;
    bool timed_out = false;
    for (;;) {
        int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());
        if (deadline >= 0 && wait <= 0) {
            timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        int r = poll(&p, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char buf[512];
        ssize_t n = read(out[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        size_t take = (size_t)n < sizeof(said) - 1 - nsaid ? (size_t)n : sizeof(said) - 1 - nsaid;
        memcpy(said + nsaid, buf, take);
        nsaid += take;
    }
    close(out[0]);
    said[nsaid] = 0;
    for (char *c = said; *c; c++)
        if (*c == '\n')
            *c = ' ';
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (timed_out)
        return snprintf(why, whylen, "timed out after %d s", h->timeout), -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFEXITED(st))
        snprintf(why, whylen, "exit status %d%s%s", WEXITSTATUS(st), nsaid ? ": " : "", said);
    else
        snprintf(why, whylen, "killed by signal %d%s%s", WTERMSIG(st), nsaid ? ": " : "", said);
    return -1;
}

int runc_hooks(const struct spec *sp, enum spec_hook_kind kind, const struct runc_state *st,
               bool fatal)
{
    if (!sp || !sp->nhooks[kind])
        return 0;
    char *state = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&state, &len);
    if (!f) {
        runc_error("out of memory");
        return -1;
    }
    runc_state_print(f, st, sp);
    fclose(f);
    int r = 0;
    for (size_t i = 0; i < sp->nhooks[kind] && r == 0; i++) {
        char why[700];
        runc_debug("running %s hook %s", spec_hook_names[kind], sp->hooks[kind][i].path);
        if (run_hook(&sp->hooks[kind][i], state, why, sizeof(why)) == 0)
            continue;
        if (fatal) {
            runc_error("%s hook %s failed: %s", spec_hook_names[kind], sp->hooks[kind][i].path,
                       why);
            r = -1;
        } else {
            runc_warn("%s hook %s failed: %s", spec_hook_names[kind], sp->hooks[kind][i].path,
                      why);
        }
    }
    free(state);
    return r;
}
