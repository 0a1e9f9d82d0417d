/* profile.c: the UKMON_PROFILE build's records and report (see profile.h). */
#include "profile.h"

#ifdef UKMON_PROFILE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/stats.h"
#include "monitor.h"
#include "personality.h"

#define PROF_MAX_RECS 32768
#define PROF_MAX_MARKS 256
#define PROF_NO_CALL 0xffffffffu

/* One exit: the KVM_RUN that ended in it, and what the monitor did with it. */
struct prof_rec {
    uint32_t nr;                   /* the call, or PROF_NO_CALL */
    uint64_t t_enter, t_ret;       /* KVM_RUN called, returned */
    uint64_t t_begin, t_end;       /* the call's handler */
    uint64_t parts[PROF_PARTS];
    uint64_t g_before;             /* guest: TSC before its call (0: not told) */
    uint64_t entry_leg;            /* next KVM_RUN's call to the guest's next instruction */
    uint64_t post;                 /* handler's end (or the exit) to the next KVM_RUN */
};

static int prof_fd = -1;
static struct prof_rec *recs;
static unsigned nrecs, dropped;
static struct prof_rec *cur;       /* the exit being handled */
static uint64_t t_enter;
static bool in_run, seen_exit;
static struct {
    uint64_t tsc;
    const char *what;
    long arg;
} marks[PROF_MAX_MARKS];
static unsigned nmarks;

void prof_init(void)
{
    if (prof_fd >= 0)
        return;
    const char *path = getenv("UKMON_PROFILE");
    if (!path || !*path)
        return;
    prof_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (prof_fd < 0)
        return;
    recs = calloc(PROF_MAX_RECS, sizeof(*recs));
    if (!recs) {
        close(prof_fd);
        prof_fd = -1;
    }
}

void prof_mark_arg(const char *what, long arg)
{
    if (prof_fd < 0 || nmarks == PROF_MAX_MARKS)
        return;
    marks[nmarks].tsc = __rdtsc();
    marks[nmarks].arg = arg;
    marks[nmarks++].what = what;
}

void prof_mark(const char *what)
{
    prof_mark_arg(what, 0);
}

/* A new program in this process (execve): its first entry and exit are marked too. */
void prof_rearm(void)
{
    seen_exit = false;
}

void prof_run_enter(void)
{
    if (prof_fd < 0)
        return;
    t_enter = __rdtsc();
    if (cur && !cur->post)
        cur->post = t_enter - (cur->t_end ? cur->t_end : cur->t_ret);
    if (!seen_exit)
        prof_mark("KVM_RUN: first entry");
    in_run = true;
}

void prof_run_return(struct ukmon_vm *vm)
{
    if (prof_fd < 0)
        return;
    uint64_t t = __rdtsc();
    if (!seen_exit) {
        seen_exit = true;
        prof_mark("KVM_RUN: first exit");
    }
    const struct kvm_regs *r = &vcpu_cur(vm)->run->s.regs.regs;
    bool told = r->r14 == PROF_GUEST_MAGIC;
    if (told && cur && r->r13 > t_enter)
        cur->entry_leg = r->r13 - t_enter;
    in_run = false;
    if (nrecs == PROF_MAX_RECS) {
        dropped++;
        cur = NULL;
        return;
    }
    cur = &recs[nrecs++];
    memset(cur, 0, sizeof(*cur));
    cur->nr = PROF_NO_CALL;
    cur->t_enter = t_enter;
    cur->t_ret = t;
    if (told && r->r12 < t && r->r12 > t_enter)
        cur->g_before = r->r12;
}

void prof_call(unsigned nr, int begin)
{
    if (prof_fd < 0 || !cur)
        return;
    if (begin) {
        cur->nr = nr;
        cur->t_begin = __rdtsc();
    } else {
        cur->t_end = __rdtsc();
    }
}

void prof_add(enum prof_part part, uint64_t tsc)
{
    if (prof_fd >= 0 && cur && cur->t_begin && !cur->t_end)
        cur->parts[part] += tsc;
}

/* After fork(2): the child starts its own records and marks; the parent goes on. */
void prof_forked(int child)
{
    if (prof_fd < 0)
        return;
    if (child) {
        uint64_t t = __rdtsc();
        nrecs = dropped = 0;
        cur = NULL;
        seen_exit = false;
        nmarks = 0;
        marks[nmarks].tsc = t;
        marks[nmarks].arg = 0;
        marks[nmarks++].what = "fork: child runs";
    } else {
        prof_mark("fork: parent back from fork(2)");
    }
}

/* The median by quickselect: glibc's qsort() may call sysinfo(), which seccomp forbids. */
static double median_us(uint64_t *v, unsigned n, double tsc_per_us)
{
    if (!n)
        return -1;
    unsigned lo = 0, hi = n - 1, k = n / 2;
    while (lo < hi) {
        uint64_t pivot = v[(lo + hi) / 2];
        unsigned i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                uint64_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return (double)v[k] / tsc_per_us;
}

static double tsc_rate(const struct ukmon_vm *vm)
{
    if (vm && vm->tsc_khz > 0)
        return vm->tsc_khz / 1000.0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t t0 = __rdtsc();
    do
        clock_gettime(CLOCK_MONOTONIC, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) < 2000000);
    uint64_t t1 = __rdtsc();
    return (double)(t1 - t0) / ((b.tv_sec - a.tv_sec) * 1e6 + (b.tv_nsec - a.tv_nsec) / 1e3);
}

/* Appends the report: with one write() per line group, so processes do not interleave. */
static void out(char *buf, size_t *n, size_t cap)
{
    if (*n > cap)
        *n = cap;
    if (*n && write(prof_fd, buf, *n) < 0)
        prof_fd = -1;
    *n = 0;
}

enum { C_LEG_OUT, C_DISPATCH, C_HANDLER, C_SUBMIT, C_WAIT, C_MASK, C_POST, C_LEG_IN, C_RUN,
       C_N };
static const char *const col_names[C_N] = {"exit_leg", "dispatch", "handler", "uring_submit",
                                           "uring_wait", "sigmask", "post", "entry_leg",
                                           "kvm_run"};

void prof_dump(struct ukmon_vm *vm, const char *why)
{
    if (prof_fd < 0)
        return;
    prof_mark(why);
    double rate = tsc_rate(vm);
    static char buf[1 << 16];
    size_t n = 0, cap = sizeof(buf);
#define OUT(...) n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__)
    int pid = (int)getpid();
    OUT("prof %d begin ppid=%d name=%s exits=%u dropped=%u tsc_mhz=%.1f\n", pid,
        (int)getppid(), vm ? vm->name : "?", nrecs, dropped, rate);
    for (unsigned i = 0; i < nmarks; i++) {
        OUT("prof %d mark %10.1f %9.1f %.1f %ld %s\n", pid,
            (double)(marks[i].tsc - marks[0].tsc) / rate,
            i ? (double)(marks[i].tsc - marks[i - 1].tsc) / rate : 0.0,
            (double)marks[i].tsc / rate, marks[i].arg, marks[i].what);
        if (n > cap - 512)
            out(buf, &n, cap);
    }
    out(buf, &n, cap);
    /* Per call number: medians of each part, over the exits that made that call. */
    uint64_t *col[C_N];
    for (int c = 0; c < C_N; c++)
        col[c] = malloc((nrecs + 1) * sizeof(uint64_t));
    bool *done = calloc(nrecs + 1, 1);
    for (unsigned i = 0; col[C_N - 1] && done && i < nrecs; i++) {
        if (done[i])
            continue;
        uint32_t nr = recs[i].nr;
        unsigned k[C_N] = {0};
        for (unsigned j = i; j < nrecs; j++) {
            const struct prof_rec *r = &recs[j];
            if (r->nr != nr)
                continue;
            done[j] = true;
            uint64_t end = r->t_end ? r->t_end : r->t_ret;
            if (r->g_before)
                col[C_LEG_OUT][k[C_LEG_OUT]++] = r->t_ret - r->g_before;
            if (r->t_begin) {
                col[C_DISPATCH][k[C_DISPATCH]++] = r->t_begin - r->t_ret;
                col[C_HANDLER][k[C_HANDLER]++] = end - r->t_begin;
                col[C_SUBMIT][k[C_SUBMIT]++] = r->parts[PROF_URING_SUBMIT];
                col[C_WAIT][k[C_WAIT]++] = r->parts[PROF_URING_WAIT];
                col[C_MASK][k[C_MASK]++] = r->parts[PROF_SIGMASK];
            }
            if (r->post)
                col[C_POST][k[C_POST]++] = r->post;
            if (r->entry_leg)
                col[C_LEG_IN][k[C_LEG_IN]++] = r->entry_leg;
            col[C_RUN][k[C_RUN]++] = r->t_ret - r->t_enter;
        }
        const char *name = nr == PROF_NO_CALL ? "(no call)" :
                           vm && vm->pers && vm->pers->call_name(nr) ? vm->pers->call_name(nr) :
                           "?";
        OUT("prof %d call %-16s n=%-6u", pid, name, k[C_RUN]);
        for (int c = 0; c < C_N; c++)
            if (k[c])
                OUT(" %s=%.2f", col_names[c], median_us(col[c], k[c], rate));
        OUT("\n");
        if (n > cap - 1024)
            out(buf, &n, cap);
    }
    OUT("prof %d end\n", pid);
    out(buf, &n, cap);
    for (int c = 0; c < C_N; c++)
        free(col[c]);
    free(done);
#undef OUT
}

#else
typedef int prof_not_built; /* an ISO C translation unit may not be empty */
#endif
