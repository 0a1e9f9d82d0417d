/*
 * argmax.c: execve at Linux's limits on arguments and environment. Each case execs
 * this program again in a child: at the limit it starts (and says what it got), one
 * byte over it the execve fails with E2BIG. The same output natively on Linux (with
 * an 8 MiB stack limit) as under ukmon: ARG_MAX is a quarter of the stack, each
 * string at most 128 KiB with its NUL, and the pointers count.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/resource.h>

#include "lxtest.h"

#define SELF "/proc/self/exe"
#define STRLEN_MAX (32 * 4096)

/* The exec'd program: what it was given. */
static int child(int argc, char **argv, char **envp)
{
    size_t bytes = 0, envc = 0;
    for (int i = 0; i < argc; i++)
        bytes += strlen(argv[i]) + 1;
    for (; envp[envc]; envc++)
        bytes += strlen(envp[envc]) + 1;
    say("started: argc %d, envc %zu, %zu bytes of strings\n", argc, envc, bytes);
    return 0;
}

/* Execs SELF with argv and envp in a child; says how that went. */
static void try_exec(const char *what, char **argv, char **envp)
{
    say("%s: ", what);
    pid_t p = fork();
    if (p == 0) {
        execve(SELF, argv, envp);
        say("%s\n", ename(errno));
        _exit(0);
    }
    int st = 0;
    if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
        say("fork/exec/wait failed (%s)\n", p < 0 ? ename(errno) : how(st));
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) {
        say("out of memory\n");
        exit(1);
    }
    memset(s, c, n);
    s[n] = 0;
    return s;
}

int main(int argc, char **argv, char **envp)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child(argc, argv, envp);
    /* Linux's own rule (musl's sysconf answers a constant 128 KiB). */
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) < 0)
        return 1;
    long arg_max = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 4 > (6UL << 20) ? 6L << 20
                   : (long)(rl.rlim_cur / 4);
    if (arg_max < STRLEN_MAX)
        arg_max = STRLEN_MAX;
    say("ARG_MAX %ld\n", arg_max);
    size_t max_args = (size_t)arg_max / 8 + 30010;
    char **v = calloc(max_args + 2, sizeof(char *));
    char *noenv[] = {NULL};
    if (!v)
        return 1;
    v[0] = SELF;
    v[1] = "child";

    /* What killed the monitor (SIGSYS, no message): 30,000 short arguments. */
    for (int i = 2; i < 30002; i++)
        v[i] = "x";
    v[30002] = NULL;
    try_exec("30,000 short arguments", v, noenv);

    /* One string: 128 KiB with its NUL is the most, in argv as in envp. */
    char *big = repeat('a', STRLEN_MAX - 1), *bigger = repeat('a', STRLEN_MAX);
    v[2] = big;
    v[3] = NULL;
    try_exec("an argument of 128 KiB - 1 bytes", v, noenv);
    v[2] = bigger;
    try_exec("an argument of 128 KiB bytes", v, noenv);
    char *env[] = {big, NULL};
    v[2] = NULL;
    memcpy(big, "E=", 2);
    try_exec("an environment string of 128 KiB - 1 bytes", v, env);
    env[0] = bigger;
    memcpy(bigger, "E=", 2);
    try_exec("an environment string of 128 KiB bytes", v, env);

    /*
     * Strings and pointers exactly ARG_MAX: the file name, argv[0], "child", then
     * strings of 128 KiB - 1 and one of whatever is left, no environment.
     */
    size_t used = 2 * (sizeof(SELF)) + sizeof("child");
    int n = 2;
    for (;;) {
        size_t ptrs = (size_t)(n + 1) * sizeof(char *);
        size_t room = (size_t)arg_max - ptrs - used;
        if (room <= STRLEN_MAX) {
            v[n++] = repeat('b', room - 1);
            break;
        }
        v[n++] = big;
        used += STRLEN_MAX;
    }
    memset(big, 'b', 2);
    v[n] = NULL;
    try_exec("arguments and their pointers exactly ARG_MAX", v, noenv);
    size_t last = strlen(v[n - 1]);
    v[n - 1] = repeat('b', last + 1);
    try_exec("one byte more", v, noenv);
    v[n - 1] = repeat('b', last);
    char *one[] = {"Z=", NULL};
    try_exec("and an environment string of 3 bytes", v, one);

    /* The most arguments ARG_MAX takes: empty strings, 9 bytes each with the pointer. */
    size_t count = ((size_t)arg_max - 2 * sizeof(SELF) - sizeof("child") - 2 * 8) / 9 + 2;
    for (size_t i = 2; i < count; i++)
        v[i] = "";
    v[count] = NULL;
    try_exec("the most arguments that fit, empty strings", v, noenv);
    v[count] = "";
    v[count + 1] = NULL;
    try_exec("one argument more", v, noenv);
    return 0;
}
