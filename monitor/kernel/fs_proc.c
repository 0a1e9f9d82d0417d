/* fs_proc.c: the made-up /proc: the tree's processes, and what a container shows of the system. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kernel/fs.h"
#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "kernel/stats.h"
#include "kvm/vmm.h"

/*
 * /proc shows the tree's VMs only, as a pid namespace would: /proc/PID for each, and
 * /proc/self a link to the caller's. A VM answers for itself from its own state; for
 * another it reads what that VM published in the tree's table (proc_info.c), and asks
 * the host what the host keeps per process anyway (its process group, nice value, CPU
 * time). The system files are what an unprivileged process in a container reads:
 * the host's CPUs (those this VM may run on), uptime and load; memory is the VM's
 * own (its --mem), and CPU time is the tree's (the rest counts as idle), since the
 * host's own /proc is out of the sandbox's reach. Each file's text is made when it is
 * opened, into a sealed memfd of its own.
 */

enum proc_file {
    PF_STAT, PF_STATUS, PF_CMDLINE, PF_COMM, PF_STATM, PF_ENVIRON,
    PF_CPUINFO, PF_MEMINFO, PF_UPTIME, PF_SYSSTAT, PF_LOADAVG, PF_VERSION,
};

static const struct {
    const char *name;
    enum proc_file file;
    bool self_only;          /* another VM's memory is out of reach: not listed */
} pid_files[] = {
    {"cmdline", PF_CMDLINE, false}, {"comm", PF_COMM, false}, {"environ", PF_ENVIRON, true},
    {"stat", PF_STAT, false}, {"statm", PF_STATM, false}, {"status", PF_STATUS, false},
};

static const struct {
    const char *name;
    enum proc_file file;
} sys_files[] = {
    {"cpuinfo", PF_CPUINFO}, {"loadavg", PF_LOADAVG}, {"meminfo", PF_MEMINFO},
    {"stat", PF_SYSSTAT}, {"uptime", PF_UPTIME}, {"version", PF_VERSION},
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define TICKS_NS 10000000LL /* USER_HZ: 100 */

/* "/proc" or a path below it. */
bool fs_proc_dir(const char *path)
{
    return !strncmp(path, "/proc", 5) && (path[5] == 0 || path[5] == '/');
}

/* A pid as /proc names it (digits, no leading zero), then *rest after it; 0 if none. */
static pid_t proc_pid_of(const char *p, const char **rest)
{
    if (*p < '1' || *p > '9')
        return 0;
    long v = 0;
    while (*p >= '0' && *p <= '9' && v < (1L << 30))
        v = v * 10 + (*p++ - '0');
    if (*p && *p != '/')
        return 0;
    *rest = *p == '/' ? p + 1 : p;
    return v < (1L << 30) ? (pid_t)v : 0;
}

static bool proc_is_vm(struct ukmon_vm *vm, pid_t pid)
{
    return pid == getpid() || proc_tree_has(vm, pid);
}

/* An fd number as /proc/PID/fd names it, or -1. */
static int proc_fd_of(const char *p)
{
    if (!*p || strlen(p) > 4 || (p[0] == '0' && p[1]))
        return -1;
    int v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v < FDT_MAX ? v : -1;
}

/* Whether VM pid (not this one) has guest fd `fd` open, as it last published. */
static bool proc_other_has_fd(struct ukmon_vm *vm, pid_t pid, int fd)
{
    static struct pinfo_view v;
    return pinfo_read(vm, pid, &v) == 0 && (v.fds[fd / 64] >> (fd % 64) & 1);
}

/* The node at `path`, if it is in /proc and exists (else false: the walk says ENOENT). */
bool fs_proc_node(struct ukmon_vm *vm, const char *path, struct fs_node *n)
{
    if (!fs_proc_dir(path))
        return false;
    const char *p = path + 5;
    if (!*p) {
        n->kind = FS_VDIR;
        return true;
    }
    p++;
    if (!strcmp(p, "self")) {
        n->kind = FS_LINK;
        return true;
    }
    for (size_t i = 0; i < NELEM(sys_files); i++)
        if (!strcmp(p, sys_files[i].name)) {
            n->kind = FS_PROC;
            n->which = (int)sys_files[i].file;
            return true;
        }
    const char *rest;
    pid_t pid = proc_pid_of(p, &rest);
    if (!pid || !proc_is_vm(vm, pid))
        return false;
    bool self = pid == getpid();
    if (!*rest || !strcmp(rest, "fd")) {
        n->kind = FS_VDIR;
        return true;
    }
    if (!strncmp(rest, "fd/", 3)) {
        int fd = proc_fd_of(rest + 3);
        if (fd < 0)
            return false;
        if (self) { /* the guest's own fd: opening it opens the file (a magic link) */
            if (!fdt_entry(&vm->fdt, fd))
                return false;
            n->kind = FS_STDIO;
            n->which = fd;
            return true;
        }
        n->kind = FS_LINK;
        return proc_other_has_fd(vm, pid, fd);
    }
    if (!strcmp(rest, "exe")) {
        n->kind = self ? FS_EXE : FS_LINK;
        return true;
    }
    if (!strcmp(rest, "cwd") && self) {
        n->kind = FS_LINK;
        return true;
    }
    for (size_t i = 0; i < NELEM(pid_files); i++)
        if (!strcmp(rest, pid_files[i].name) && (self || !pid_files[i].self_only)) {
            n->kind = FS_PROC;
            n->which = (int)pid_files[i].file;
            return true;
        }
    return false;
}

/* The target of a made-up link: its length (buf is NUL-terminated if it fits), or -errno. */
int64_t fs_proc_link(struct ukmon_vm *vm, const char *path, char *buf, size_t len)
{
    char t[FS_PATH_MAX];
    const char *rest = "";
    pid_t pid = fs_proc_dir(path) && path[5] == '/' ? proc_pid_of(path + 6, &rest) : 0;
    if (!strcmp(path, "/proc/self")) {
        snprintf(t, sizeof(t), "%d", (int)getpid());
    } else if (pid && !strcmp(rest, "cwd")) {
        snprintf(t, sizeof(t), "%s", fs_cwd(vm));
    } else if (pid && !strcmp(rest, "exe")) {
        static struct pinfo_view v;
        if (pinfo_read(vm, pid, &v) < 0 || !v.exe[0])
            return -ENOENT;
        snprintf(t, sizeof(t), "%s", v.exe);
    } else {
        return -EACCES; /* another VM's fd: its monitor's, out of reach */
    }
    size_t n = strlen(t);
    if (n > len)
        n = len;
    memcpy(buf, t, n);
    if (n < len)
        buf[n] = 0;
    return (int64_t)n;
}

/* The names in a /proc directory, as getdents lists them (after "." and ".."). */
unsigned fs_proc_names(struct ukmon_vm *vm, const char *dir, char names[][FS_NAME_MAX + 1],
                       unsigned max)
{
    unsigned n = 0;
    if (!strcmp(dir, "/proc")) {
        for (size_t i = 0; i < NELEM(sys_files) && n < max; i++)
            snprintf(names[n++], FS_NAME_MAX + 1, "%s", sys_files[i].name);
        if (n < max)
            snprintf(names[n++], FS_NAME_MAX + 1, "self");
        static pid_t pids[UKMON_MAX_PROCS_LIMIT];
        unsigned k = proc_tree_pids(vm, pids, UKMON_MAX_PROCS_LIMIT);
        for (unsigned i = 1; i < k; i++) /* in order, as Linux lists them */
            for (unsigned j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
                pid_t x = pids[j];
                pids[j] = pids[j - 1];
                pids[j - 1] = x;
            }
        for (unsigned i = 0; i < k && n < max; i++)
            snprintf(names[n++], FS_NAME_MAX + 1, "%d", (int)pids[i]);
        return n;
    }
    const char *rest;
    pid_t pid = proc_pid_of(dir + 6, &rest);
    if (!pid || !proc_is_vm(vm, pid))
        return 0;
    bool self = pid == getpid();
    if (!*rest) {
        for (size_t i = 0; i < NELEM(pid_files) && n < max; i++)
            if (self || !pid_files[i].self_only)
                snprintf(names[n++], FS_NAME_MAX + 1, "%s", pid_files[i].name);
        static const char *const links[] = {"cwd", "exe", "fd"};
        for (size_t i = self ? 0 : 1; i < NELEM(links) && n < max; i++)
            snprintf(names[n++], FS_NAME_MAX + 1, "%s", links[i]);
        return n;
    }
    if (strcmp(rest, "fd"))
        return 0;
    static struct pinfo_view v;
    if (!self && pinfo_read(vm, pid, &v) < 0)
        return 0;
    for (int fd = 0; fd < FDT_MAX && n < max; fd++)
        if (self ? fdt_entry(&vm->fdt, fd) != NULL : (v.fds[fd / 64] >> (fd % 64) & 1))
            snprintf(names[n++], FS_NAME_MAX + 1, "%d", fd);
    return n;
}

/* A growing text. */
struct text {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Room for `need` more bytes and a NUL; false (and the text failed) if there is none. */
static bool text_room(struct text *t, size_t need)
{
    if (t->failed)
        return false;
    if (t->len + need + 1 <= t->cap)
        return true;
    size_t cap = (t->len + need + 1) * 2;
    char *p = realloc(t->p, cap);
    if (!p) {
        t->failed = true;
        return false;
    }
    t->p = p;
    t->cap = cap;
    return true;
}

static void put_bytes(struct text *t, const void *b, size_t n)
{
    if (!text_room(t, n))
        return;
    memcpy(t->p + t->len, b, n);
    t->len += n;
    t->p[t->len] = 0;
}

static void put(struct text *t, const char *fmt, ...)
{
    for (int pass = 0; pass < 2 && !t->failed; pass++) {
        size_t room = t->cap > t->len ? t->cap - t->len : 0;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(room ? t->p + t->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            t->len += (size_t)n;
            return;
        }
        if (!text_room(t, (size_t)n))
            return;
    }
}

/* Its bytes in a sealed memfd of its own (each open has its own offset), or -errno. */
static int proc_text_fd(const struct text *t)
{
    if (t->failed)
        return -ENOMEM;
    int fd = (int)syscall(SYS_memfd_create, "ukmon-proc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0)
        return -errno;
    if ((t->len && write(fd, t->p, t->len) != (ssize_t)t->len) || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -EIO;
    }
    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    return fd;
}

/* CPU time of a VM of the tree, user and system together (the host's clock of it). */
static uint64_t proc_cpu_ns(pid_t pid)
{
    clockid_t c = pid == getpid() ? CLOCK_PROCESS_CPUTIME_ID
                                  : (clockid_t)((~(unsigned)pid << 3) | 2); /* CPUCLOCK_SCHED */
    struct timespec t;
    if (clock_gettime(c, &t) < 0)
        return 0;
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int proc_nice(struct ukmon_vm *vm, pid_t pid)
{
    int asked;
    if (pid != getpid() && (pinfo_pending(vm, pid, &asked, NULL) & PINFO_REQ_NICE))
        return asked;
    long r = syscall(SYS_getpriority, PRIO_PROCESS, pid == getpid() ? 0 : pid);
    return r < 0 ? 0 : 20 - (int)r;
}

/* The CPUs this VM may run on: how many, and their numbers. */
static unsigned proc_cpus(int *ids, unsigned max)
{
    uint64_t mask[PINFO_CPU_WORDS];
    memset(mask, 0, sizeof(mask));
    unsigned n = 0;
    if (syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask) < 0)
        mask[0] = 1;
    for (int c = 0; c < PINFO_CPU_WORDS * 64 && n < max; c++)
        if (mask[c / 64] >> (c % 64) & 1)
            ids[n++] = c;
    return n ? n : (ids[0] = 0, 1);
}

/* The controlling terminal of this VM, as stat's tty_nr encodes it; 0 for none. */
static unsigned proc_tty_nr(struct ukmon_vm *vm)
{
    struct stat st;
    int h = fdt_host(&vm->fdt, 0);
    if (h < 0 || !isatty(h) || fstat(h, &st) < 0)
        return 0;
    unsigned maj = major(st.st_rdev), min = minor(st.st_rdev);
    return (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12);
}

static const char *proc_state_name(char s)
{
    return s == 'R' ? "R (running)" : s == 'Z' ? "Z (zombie)" : "S (sleeping)";
}

static void proc_pid_stat(struct ukmon_vm *vm, struct text *t, const struct pinfo_view *v)
{
    bool self = v->pid == getpid();
    uint64_t ticks = proc_cpu_ns(v->pid) / TICKS_NS;
    int nice = proc_nice(vm, v->pid);
    pid_t pgrp = getpgid(v->pid), sid = getsid(v->pid);
    uint64_t pending = self ? gsig_pending() : 0;
    const struct addrspace *as = &vm->as;
    put(t, "%d (%s) %c %d %d %d %u %d %u 0 0 0 0 %llu 0 0 0 %d %d 1 0 %llu %llu %llu "
        "18446744073709551615 %llu %llu %llu 0 0 %llu %llu %llu %llu 0 0 0 17 0 0 0 0 0 0 "
        "0 0 %llu %llu %llu %llu %llu %llu\n",
        (int)v->pid, v->comm, v->state, (int)v->ppid, (int)pgrp, (int)sid,
        self ? proc_tty_nr(vm) : 0, -1, 0x400000u /* PF_RANDOMIZE */,
        (unsigned long long)ticks, 20 + nice, nice,
        (unsigned long long)(v->born_ns / TICKS_NS),
        (unsigned long long)(v->mapped_pages * PAGE_SIZE_4K),
        (unsigned long long)(v->rss_kb / 4), (unsigned long long)v->code_lo,
        (unsigned long long)v->code_hi, (unsigned long long)(self ? as->stack_top : 0),
        (unsigned long long)pending, (unsigned long long)v->sig_blocked,
        (unsigned long long)v->sig_ignored, (unsigned long long)v->sig_caught,
        (unsigned long long)(self ? as->brk_start : 0),
        (unsigned long long)(self ? as->arg_start : 0),
        (unsigned long long)(self ? as->arg_end : 0),
        (unsigned long long)(self ? as->env_start : 0),
        (unsigned long long)(self ? as->env_end : 0), 0ULL);
}

static void proc_pid_status(struct ukmon_vm *vm, struct text *t, const struct pinfo_view *v)
{
    unsigned u = getuid(), g = getgid();
    int fds = 0;
    for (int i = FDT_MAX - 1; i >= 0 && !fds; i--)
        if (v->fds[i / 64] >> (i % 64) & 1)
            fds = i + 1;
    int cpus[PINFO_CPU_WORDS * 64];
    unsigned ncpu = proc_cpus(cpus, PINFO_CPU_WORDS * 64);
    pid_t pgrp = getpgid(v->pid), sid = getsid(v->pid);
    uint64_t pending = v->pid == getpid() ? gsig_pending() : 0;
    put(t, "Name:\t%s\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n"
        "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t\n"
        "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n",
        v->comm, v->umask, proc_state_name(v->state), (int)v->pid, (int)v->pid, (int)v->ppid,
        u, u, u, u, g, g, g, g, fds < 64 ? 64 : (fds + 63) / 64 * 64, (int)v->pid,
        (int)v->pid, (int)pgrp, (int)sid);
    uint64_t kb = v->mapped_pages * 4;
    put(t, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n"
        "VmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\nRssAnon:\t%8llu kB\nRssFile:\t       0 kB\n"
        "RssShmem:\t       0 kB\nVmData:\t%8llu kB\nVmStk:\t%8llu kB\nVmExe:\t%8llu kB\n"
        "VmLib:\t       0 kB\nVmSwap:\t       0 kB\nThreads:\t1\nSigQ:\t0/%u\n",
        (unsigned long long)kb, (unsigned long long)kb, (unsigned long long)v->rss_kb,
        (unsigned long long)v->rss_kb, (unsigned long long)v->rss_kb, (unsigned long long)kb,
        (unsigned long long)(boot_stack_size(vm->mem_size) / 1024),
        (unsigned long long)((v->code_hi - v->code_lo) / 1024), 64u);
    put(t, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
        "SigCgt:\t%016llx\nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
        "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\n"
        "NoNewPrivs:\t1\nSeccomp:\t0\nCpus_allowed_list:\t",
        0ULL, (unsigned long long)pending, (unsigned long long)v->sig_blocked,
        (unsigned long long)v->sig_ignored, (unsigned long long)v->sig_caught);
    for (unsigned i = 0; i < ncpu; i++)
        put(t, "%s%d", i ? "," : "", cpus[i]);
    put(t, "\nvoluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

/*
 * The host CPU's CPUID, as a container's /proc/cpuinfo shows it: the guest runs on
 * that CPU (what its own CPUID instruction says depends on the KVM backend).
 */
static int host_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    *a = *b = *c = *d = 0;
    uint32_t max = (uint32_t)__get_cpuid_max(leaf & 0x80000000, NULL);
    if (max < leaf)
        return -1;
    __cpuid_count(leaf, 0, *a, *b, *c, *d);
    return 0;
}

/* x86 feature flags as /proc/cpuinfo names them. */
static const struct {
    uint32_t leaf;
    uint8_t reg, bit;        /* reg: 0 eax, 1 ebx, 2 ecx, 3 edx */
    const char *name;
} cpu_flags[] = {
    {1, 3, 0, "fpu"}, {1, 3, 1, "vme"}, {1, 3, 2, "de"}, {1, 3, 3, "pse"}, {1, 3, 4, "tsc"},
    {1, 3, 5, "msr"}, {1, 3, 6, "pae"}, {1, 3, 7, "mce"}, {1, 3, 8, "cx8"}, {1, 3, 9, "apic"},
    {1, 3, 11, "sep"}, {1, 3, 12, "mtrr"}, {1, 3, 13, "pge"}, {1, 3, 14, "mca"},
    {1, 3, 15, "cmov"}, {1, 3, 16, "pat"}, {1, 3, 17, "pse36"}, {1, 3, 19, "clflush"},
    {1, 3, 23, "mmx"}, {1, 3, 24, "fxsr"}, {1, 3, 25, "sse"}, {1, 3, 26, "sse2"},
    {1, 3, 27, "ss"}, {1, 3, 28, "ht"},
    {0x80000001, 3, 11, "syscall"}, {0x80000001, 3, 20, "nx"}, {0x80000001, 3, 22, "mmxext"},
    {0x80000001, 3, 26, "pdpe1gb"}, {0x80000001, 3, 27, "rdtscp"}, {0x80000001, 3, 29, "lm"},
    {1, 2, 0, "pni"}, {1, 2, 1, "pclmulqdq"}, {1, 2, 9, "ssse3"}, {1, 2, 12, "fma"},
    {1, 2, 13, "cx16"}, {1, 2, 17, "pcid"}, {1, 2, 19, "sse4_1"}, {1, 2, 20, "sse4_2"},
    {1, 2, 21, "x2apic"}, {1, 2, 22, "movbe"}, {1, 2, 23, "popcnt"},
    {1, 2, 24, "tsc_deadline_timer"}, {1, 2, 25, "aes"}, {1, 2, 26, "xsave"},
    {1, 2, 28, "avx"}, {1, 2, 29, "f16c"}, {1, 2, 30, "rdrand"}, {1, 2, 31, "hypervisor"},
    {0x80000001, 2, 0, "lahf_lm"}, {0x80000001, 2, 5, "abm"}, {0x80000001, 2, 6, "sse4a"},
    {0x80000001, 2, 8, "3dnowprefetch"},
    {7, 1, 0, "fsgsbase"}, {7, 1, 3, "bmi1"}, {7, 1, 4, "hle"}, {7, 1, 5, "avx2"},
    {7, 1, 7, "smep"}, {7, 1, 8, "bmi2"}, {7, 1, 9, "erms"}, {7, 1, 10, "invpcid"},
    {7, 1, 11, "rtm"}, {7, 1, 16, "avx512f"}, {7, 1, 17, "avx512dq"}, {7, 1, 18, "rdseed"},
    {7, 1, 19, "adx"}, {7, 1, 20, "smap"}, {7, 1, 21, "avx512ifma"}, {7, 1, 23, "clflushopt"},
    {7, 1, 24, "clwb"}, {7, 1, 28, "avx512cd"}, {7, 1, 29, "sha_ni"}, {7, 1, 30, "avx512bw"},
    {7, 1, 31, "avx512vl"}, {7, 2, 1, "avx512vbmi"}, {7, 2, 2, "umip"}, {7, 2, 3, "pku"},
    {7, 2, 6, "avx512_vbmi2"}, {7, 2, 8, "gfni"}, {7, 2, 9, "vaes"}, {7, 2, 10, "vpclmulqdq"},
    {7, 2, 11, "avx512_vnni"}, {7, 2, 12, "avx512_bitalg"}, {7, 2, 14, "avx512_vpopcntdq"},
    {7, 2, 22, "rdpid"}, {7, 3, 4, "fsrm"}, {7, 3, 10, "md_clear"}, {7, 3, 26, "ibrs"},
    {7, 3, 27, "stibp"}, {7, 3, 28, "flush_l1d"}, {7, 3, 29, "arch_capabilities"},
    {7, 3, 31, "ssbd"},
};

static void proc_cpuinfo(struct ukmon_vm *vm, struct text *t)
{
    uint32_t r[4], vendor[4] = {0}, brand[13] = {0};
    host_cpuid(0, &r[0], &vendor[0], &vendor[2], &vendor[1]);
    uint32_t max_leaf = r[0];
    host_cpuid(1, &r[0], &r[1], &r[2], &r[3]);
    unsigned stepping = r[0] & 0xf, model = (r[0] >> 4) & 0xf, family = (r[0] >> 8) & 0xf;
    if (family == 0xf)
        family += (r[0] >> 20) & 0xff;
    if (family == 6 || family >= 0xf)
        model += ((r[0] >> 16) & 0xf) << 4;
    for (uint32_t i = 0; i < 3; i++)
        host_cpuid(0x80000002 + i, &brand[i * 4], &brand[i * 4 + 1], &brand[i * 4 + 2],
                   &brand[i * 4 + 3]);
    const char *name = (const char *)brand;
    while (*name == ' ')
        name++;
    host_cpuid(0x80000008, &r[0], &r[1], &r[2], &r[3]);
    unsigned phys_bits = r[0] & 0xff ? r[0] & 0xff : 36, virt_bits = (r[0] >> 8) & 0xff ? (r[0] >> 8) & 0xff : 48;
    char flags[1600] = "";
    size_t fl = 0;
    for (size_t i = 0; i < NELEM(cpu_flags); i++) {
        uint32_t v[4];
        if (host_cpuid(cpu_flags[i].leaf, &v[0], &v[1], &v[2], &v[3]) < 0 ||
            !(v[cpu_flags[i].reg] >> cpu_flags[i].bit & 1))
            continue;
        int n = snprintf(flags + fl, sizeof(flags) - fl, "%s%s", fl ? " " : "", cpu_flags[i].name);
        if (n > 0 && (size_t)n < sizeof(flags) - fl)
            fl += (size_t)n;
    }
    double mhz = vm->tsc_khz > 0 ? vm->tsc_khz / 1000.0 : 0;
    int ids[PINFO_CPU_WORDS * 64];
    unsigned n = proc_cpus(ids, PINFO_CPU_WORDS * 64);
    for (unsigned i = 0; i < n; i++)
        put(t, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
            "model name\t: %s\nstepping\t: %u\ncpu MHz\t\t: %.3f\nphysical id\t: 0\n"
            "siblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\napicid\t\t: %d\n"
            "initial apicid\t: %d\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: %u\n"
            "wp\t\t: yes\nflags\t\t: %s\nbogomips\t: %.2f\nclflush size\t: 64\n"
            "cache_alignment\t: 64\naddress sizes\t: %u bits physical, %u bits virtual\n"
            "power management:\n\n",
            ids[i], (const char *)vendor, family, model, name[0] ? name : "unknown", stepping,
            mhz, n, i, n, ids[i], ids[i], max_leaf, flags, 2 * mhz, phys_bits, virt_bits);
}

/* The tree's CPU time in ticks, and how many of its VMs run guest code now. */
static uint64_t proc_tree_ticks(struct ukmon_vm *vm, unsigned *running, unsigned *total,
                                pid_t *last)
{
    static pid_t pids[UKMON_MAX_PROCS_LIMIT];
    unsigned k = proc_tree_pids(vm, pids, UKMON_MAX_PROCS_LIMIT);
    uint64_t ns = 0;
    *running = 0;
    *last = 0;
    static struct pinfo_view v;
    for (unsigned i = 0; i < k; i++) {
        ns += proc_cpu_ns(pids[i]);
        if (pids[i] == getpid() || (pinfo_read(vm, pids[i], &v) == 0 && v.state == 'R'))
            (*running)++;
        *last = pids[i] > *last ? pids[i] : *last;
    }
    *total = k;
    return ns / TICKS_NS;
}

static void proc_sys_file(struct ukmon_vm *vm, struct text *t, enum proc_file f)
{
    struct timespec up;
    clock_gettime(CLOCK_BOOTTIME, &up);
    uint64_t up_ticks = (uint64_t)up.tv_sec * 100 + (uint64_t)up.tv_nsec / TICKS_NS;
    int ids[PINFO_CPU_WORDS * 64];
    unsigned ncpu = proc_cpus(ids, PINFO_CPU_WORDS * 64);
    unsigned running, total;
    pid_t last;
    switch (f) {
    case PF_CPUINFO:
        proc_cpuinfo(vm, t);
        break;
    case PF_MEMINFO: {
        uint64_t total_kb = vm->mem_size / 1024;
        uint64_t used_kb = vm->as.mapped_pages * 4;
        uint64_t free_kb = used_kb < total_kb ? total_kb - used_kb : 0;
        put(t, "MemTotal:       %8llu kB\nMemFree:        %8llu kB\nMemAvailable:   %8llu kB\n"
            "Buffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
            "Active:         %8llu kB\nInactive:              0 kB\nShmem:                 0 kB\n"
            "SwapTotal:             0 kB\nSwapFree:              0 kB\nDirty:                 0 kB\n"
            "AnonPages:      %8llu kB\nMapped:                0 kB\nSlab:                  0 kB\n"
            "CommitLimit:    %8llu kB\nCommitted_AS:   %8llu kB\n",
            (unsigned long long)total_kb, (unsigned long long)free_kb,
            (unsigned long long)free_kb, (unsigned long long)used_kb,
            (unsigned long long)used_kb, (unsigned long long)total_kb,
            (unsigned long long)used_kb);
        break;
    }
    case PF_UPTIME: {
        uint64_t busy = proc_tree_ticks(vm, &running, &total, &last);
        uint64_t idle = ncpu * up_ticks > busy ? ncpu * up_ticks - busy : 0;
        put(t, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up_ticks / 100),
            (unsigned long long)(up_ticks % 100), (unsigned long long)(idle / 100),
            (unsigned long long)(idle % 100));
        break;
    }
    case PF_SYSSTAT: {
        uint64_t busy = proc_tree_ticks(vm, &running, &total, &last);
        uint64_t idle = ncpu * up_ticks > busy ? ncpu * up_ticks - busy : 0;
        put(t, "cpu  %llu 0 0 %llu 0 0 0 0 0 0\n", (unsigned long long)busy,
            (unsigned long long)idle);
        for (unsigned i = 0; i < ncpu; i++)
            put(t, "cpu%d %llu 0 0 %llu 0 0 0 0 0 0\n", ids[i],
                (unsigned long long)(busy / ncpu), (unsigned long long)(idle / ncpu));
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        put(t, "intr 0\nctxt 0\nbtime %lld\nprocesses %u\nprocs_running %u\nprocs_blocked 0\n"
            "softirq 0 0 0 0 0 0 0 0 0 0 0\n", (long long)(now.tv_sec - up.tv_sec), total,
            running);
        break;
    }
    case PF_LOADAVG: {
        struct sysinfo si;
        memset(&si, 0, sizeof(si));
        sysinfo(&si); /* the host's load, as a container sees it */
        proc_tree_ticks(vm, &running, &total, &last);
        put(t, "%.2f %.2f %.2f %u/%u %d\n", si.loads[0] / 65536.0, si.loads[1] / 65536.0,
            si.loads[2] / 65536.0, running, total, (int)last);
        break;
    }
    case PF_VERSION: {
        struct utsname u;
        uname(&u);
        put(t, "Linux version %s (ukmon) %s\n", u.release, u.version);
        break;
    }
    default:
        break;
    }
}

/* The text of a /proc file, made now into a file of its own: its host fd, or -errno. */
int fs_proc_open(struct ukmon_vm *vm, const struct fs_node *n)
{
    struct text t = {0};
    const char *rest = "";
    pid_t pid = proc_pid_of(n->path + 6, &rest);
    enum proc_file f = (enum proc_file)n->which;
    if (!pid) {
        proc_sys_file(vm, &t, f);
    } else {
        static struct pinfo_view v;
        if (pinfo_read(vm, pid, &v) < 0)
            return -ESRCH; /* it ended, or has not told the tree about itself yet */
        switch (f) {
        case PF_STAT: proc_pid_stat(vm, &t, &v); break;
        case PF_STATUS: proc_pid_status(vm, &t, &v); break;
        case PF_CMDLINE: put_bytes(&t, v.args, v.args_len); break;
        case PF_COMM: put(&t, "%s\n", v.comm); break;
        case PF_STATM:
            put(&t, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)v.mapped_pages,
                (unsigned long long)(v.rss_kb / 4),
                (unsigned long long)((v.code_hi - v.code_lo + PAGE_SIZE_4K - 1) / PAGE_SIZE_4K),
                (unsigned long long)v.mapped_pages);
            break;
        case PF_ENVIRON: { /* this VM's own: its memory */
            const struct addrspace *as = &vm->as;
            if (as->env_end > as->env_start && as->env_end - as->env_start <= (1 << 20)) {
                char *e = malloc(as->env_end - as->env_start);
                if (e && gmem_read(vm, e, as->env_start, as->env_end - as->env_start) == 0)
                    put_bytes(&t, e, as->env_end - as->env_start);
                free(e);
            }
            break;
        }
        default:
            break;
        }
    }
    int fd = proc_text_fd(&t);
    free(t.p);
    return fd;
}
