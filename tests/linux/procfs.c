/*
 * procfs.c: /proc as a process of the tree reads it: itself, a child (its name, its
 * arguments rewritten in memory, its state, its fds, a zombie, then gone), the
 * directory listing, and the system files programs read.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "lxtest.h"

static char text[65536];

/* The whole of a file, NUL-terminated; its length or -errno. */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    long n = 0, r;
    while ((r = read(fd, text + n, sizeof(text) - 1 - (size_t)n)) > 0)
        n += r;
    close(fd);
    text[n] = 0;
    return n;
}

/* Field k (1-based) of a /proc/PID/stat line, after the ")" of the name. */
static const char *stat_field(const char *line, int k, char *out, size_t outlen)
{
    const char *p = strrchr(line, ')');
    if (!p || k < 3)
        return "?";
    p += 2;
    for (int i = 3; i < k && p; i++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (!p)
        return "?";
    size_t n = strcspn(p, " \n");
    snprintf(out, outlen, "%.*s", (int)(n < outlen ? n : outlen - 1), p);
    return out;
}

static int words(const char *s)
{
    int n = 0;
    for (const char *p = s; *p;) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p)
            break;
        n++;
        while (*p && *p != ' ' && *p != '\n')
            p++;
    }
    return n;
}

static const char *status_line(const char *key)
{
    static char b[256];
    const char *p = strstr(text, key);
    if (!p)
        return "missing";
    size_t n = strcspn(p, "\n");
    snprintf(b, sizeof(b), "%.*s", (int)n, p);
    return b;
}

static volatile int got_chld;
static void on_chld(int s)
{
    (void)s;
    got_chld = 1;
}

int main(int argc, char **argv)
{
    (void)argc;
    char buf[256], f[64], f4[64], exe[4096], self_exe[4096];
    pid_t me = getpid();
    long n = readlink("/proc/self", buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    say("/proc/self links to our pid: %s\n", atoi(buf) == me ? "yes" : "no");
    prctl(PR_SET_NAME, "procfs-main");
    slurp("/proc/self/stat");
    say("/proc/self/stat: %d fields, pid %s, name %s, state %s, ppid ours: %s\n", words(text),
        atoi(text) == me ? "ours" : "wrong",
        strstr(text, "(procfs-main)") ? "procfs-main" : "wrong", stat_field(text, 3, f, sizeof(f)),
        atoi(stat_field(text, 4, f4, sizeof(f4))) == getppid() ? "yes" : "no");
    n = slurp("/proc/self/cmdline");
    say("/proc/self/cmdline is argv: %s\n",
        n == (long)strlen(argv[0]) + 1 && !strcmp(text, argv[0]) ? "yes" : "no");
    slurp("/proc/self/comm");
    say("/proc/self/comm: %s", text);

    size_t alen = strlen(argv[0]) + 1;
    int go[2], ready[2];
    pipe(go);
    pipe(ready);
    signal(SIGCHLD, on_chld);
    pid_t c = fork();
    if (c == 0) {
        prctl(PR_SET_NAME, "kid");
        strcpy(argv[0], "w"); /* a title of its own, over its arguments (setproctitle) */
        sched_yield();
        write(ready[1], "r", 1);
        char x;
        read(go[0], &x, 1);
        _exit(3);
    }
    char x;
    read(ready[0], &x, 1);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)c);
    /* Until it sleeps in its read: between its write and its read it still runs. */
    for (int i = 0; i < 200; i++) {
        slurp(path);
        if (!strcmp(stat_field(text, 3, f, sizeof(f)), "S"))
            break;
        struct timespec d = {0, 10000000};
        nanosleep(&d, NULL);
    }
    say("a child's stat: name %s, state %s, its parent is us: %s\n",
        strstr(text, "(kid)") ? "kid" : text, stat_field(text, 3, f, sizeof(f)),
        atoi(stat_field(text, 4, f4, sizeof(f4))) == me ? "yes" : "no");
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)c);
    n = slurp(path);
    say("its cmdline, rewritten in its memory: %s, the whole argument area: %s\n", text,
        n == (long)alen ? "yes" : "no");
    snprintf(path, sizeof(path), "/proc/%d/status", (int)c);
    slurp(path);
    say("its status: %s; ", status_line("Name:"));
    say("%s\n", status_line("State:"));
    char want[32];
    snprintf(want, sizeof(want), "PPid:\t%d", (int)me);
    say("its status names us as its parent: %s\n", strstr(text, want) ? "yes" : "no");
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)c);
    n = readlink(path, exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
    self_exe[n > 0 ? n : 0] = 0;
    say("its exe is ours: %s\n", !strcmp(exe, self_exe) ? "yes" : "no");
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)c);
    DIR *d = opendir(path);
    int has0 = 0, has_pipes = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            has0 |= !strcmp(e->d_name, "0");
            has_pipes += atoi(e->d_name) == go[0] || atoi(e->d_name) == ready[1];
        }
    if (d)
        closedir(d);
    say("its fd directory lists 0 and its pipes: %s %s\n", has0 ? "yes" : "no",
        has_pipes == 2 ? "yes" : "no");

    d = opendir("/proc");
    int saw_me = 0, saw_child = 0, saw_self = 0;
    while (d && (e = readdir(d))) {
        saw_me |= atoi(e->d_name) == me;
        saw_child |= atoi(e->d_name) == c;
        saw_self |= !strcmp(e->d_name, "self");
    }
    if (d)
        closedir(d);
    say("/proc lists us, the child and self: %s %s %s\n", saw_me ? "yes" : "no",
        saw_child ? "yes" : "no", saw_self ? "yes" : "no");

    /* Ended, not yet waited for: a zombie; waited for: gone. */
    sigset_t none, chld;
    sigemptyset(&none);
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    write(go[1], "g", 1);
    while (!got_chld)
        sigsuspend(&none);
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)c);
    slurp(path);
    say("the child ended, not waited for: state %s\n", stat_field(text, 3, f, sizeof(f)));
    int st;
    waitpid(c, &st, 0);
    say("waited for (%s): its /proc entry: %s\n", how(st), ename(-(int)slurp(path)));
    say("/proc of a pid that does not exist: %s\n", ename(-(int)slurp("/proc/999999999/stat")));

    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    sched_getaffinity(0, sizeof(cpus), &cpus);
    slurp("/proc/cpuinfo");
    int procs = 0;
    for (const char *p = text; (p = strstr(p, "processor\t:")); p++)
        procs++;
    say("/proc/cpuinfo: a processor for each CPU we may use: %s, model name: %s\n",
        procs == CPU_COUNT(&cpus) ? "yes" : "no", strstr(text, "model name\t:") ? "yes" : "no");
    slurp("/proc/meminfo");
    say("/proc/meminfo: %s\n", !strncmp(text, "MemTotal:", 9) && strstr(text, "MemAvailable:") ? "MemTotal, MemAvailable" : "wrong");
    slurp("/proc/uptime");
    double up = 0, idle = -1;
    sscanf(text, "%lf %lf", &up, &idle);
    say("/proc/uptime: %s\n", up > 0 && idle >= 0 ? "two numbers" : "wrong");
    slurp("/proc/loadavg");
    say("/proc/loadavg: %d fields\n", words(text));
    slurp("/proc/stat");
    say("/proc/stat starts with the CPU line: %s\n", !strncmp(text, "cpu ", 4) ? "yes" : "no");
    say("writing /proc/self/stat: %s\n", RES(open("/proc/self/stat", O_WRONLY)));
    return 0;
}
