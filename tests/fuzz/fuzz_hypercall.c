/*
 * fuzz_hypercall.c: libFuzzer target for hc_dispatch(), the monitor's decoding of a
 * hypercall's argument struct from guest memory, and for every built-in handler.
 *
 * Input: byte 0 = hypercall, bytes 1..4 = arg_gpa (little-endian), the rest is
 * written into guest memory at DATA_GPA (0x300000). The low 7 bits of byte 0 are the
 * call number: 0..127 is every number the vCPU loop can hand to hc_dispatch()
 * (vcpu_exit_io() refuses ports at or above UKMON_HC_PORT_BASE + UKMON_HC_MAX, and
 * hc_dispatch() relies on that), built-in, unknown and embedder ones alike. Bit 7
 * turns on --trace output (to /dev/null), so hc_trace_call() is fuzzed as well.
 *
 * The VM is made once, with no KVM at all: the vCPU's fd stays -1, so set_tls fails with
 * EBADF, and fork is refused by UKMON_FORK_DENY. Guest memory is 8 MiB from
 * gmem_alloc(), moved between two PROT_NONE guard pages so that any access just
 * outside it crashes (AddressSanitizer does not watch mmap'ed memory).
 *
 * The only guest fds open when a call is dispatched, none of which can block:
 *   0, 1, 2  /dev/null: reads end at once, writes succeed at once, always "ready"
 *   3        the write end of a pipe whose read end a thread of the harness drains
 *            all the time: writes of any size complete, a read is EBADF, and a
 *            poll for input never succeeds, so poll really waits (up to its
 *            timeout) and its timeout and cancel paths run
 *   4        an empty memfd, a regular file: its I/O takes the read(2)/write(2)
 *            path of "syscalls" fds (read(2)/write(2)) instead of io_uring; emptied after each call
 * (A pipe's read end would not do: an io_uring read of an empty pipe waits for data
 * even with O_NONBLOCK.) Whatever a call opened (pipe, dup) is closed after it, and a
 * slot 0-4 the call closed or replaced is set up again. The lowest free descriptor
 * numbers are compared before and after each input to catch a descriptor left open.
 *
 * Skipped, because they would block the fuzzer: poll with a timeout outside 0..10 ms
 * (-1 would wait for ever on fd 3), and nanosleep of more than 1 ms.
 *
 * Checked after each call: the result is RUN_STOP exactly when an exit was recorded,
 * the exit reason is a terminated string, and every guest fd stands for a distinct,
 * open, close-on-exec host fd, marked "syscalls" exactly when it is a regular file or non-blocking.
 * Embedder hypercall 64 checks ukmon_vm_guest_ptr() against an independent model of
 * "inside guest memory".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/sig.h"
#include "kvm/vmm.h"
#include "native/hypercalls.h"

#define MEM_SIZE (8ULL << 20)
#define DATA_GPA 0x300000ULL
#define HDR_SIZE 5
#define ARG_MAX_SIZE 64          /* no argument struct is larger (union hc_args) */
#define USER_NR UKMON_HC_USER_FIRST
#define POLL_TIMEOUT_MAX 10      /* ms */
#define SLEEP_MAX 1000000        /* ns */
#ifndef MEM_CHECK_EVERY
#define MEM_CHECK_EVERY 4096
#endif

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz_hypercall: invariant broken at %s:%d: %s\n",         \
                    __FILE__, __LINE__, #cond);                                        \
            __builtin_trap();                                                          \
        }                                                                              \
    } while (0)

static struct ukmon_vm *vm;
#define NFIXED 5
static int fixed[NFIXED];        /* host fds behind guest fds 0-4: see the top */
static int pipe_rd, pipe_wr;     /* the harness's own ends of that pipe */
static int trace_null = -1;      /* where --trace lines go when bit 7 is set */
static unsigned long runs;
static unsigned long user_calls; /* the user handler's opaque points here */

static int open_null(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        perror("fuzz_hypercall: /dev/null");
        abort();
    }
    return fd;
}

/* Empties the pipe behind guest fd 3 for ever; pipe_wr keeps it from seeing EOF. */
static void *drain_pipe(void *arg)
{
    (void)arg;
    static char buf[65536];
    for (;;)
        if (read(pipe_rd, buf, sizeof(buf)) < 0 && errno != EINTR)
            return NULL;
}

/* Guest fd `fd` stands for host fd h, as fdt_init() would install it. */
static void install(int fd, int h)
{
    CHECK(h >= 0);
    fixed[fd] = h;
    fdt_install(&vm->fdt, fd, h, fdt_wants_syscalls(h));
}

/* Guest fd 3: a write end of the drained pipe. */
static void open_pipe_end(void)
{
    install(3, fcntl(pipe_wr, F_DUPFD_CLOEXEC, 3));
}

/* Guest fd 4: an empty regular file. */
static void open_file(void)
{
    install(4, memfd_create("fuzz_hypercall", MFD_CLOEXEC));
    CHECK(vm->fdt.fd[4].syscalls);
}

static void start_pipe(void)
{
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    pipe_rd = p[0];
    pipe_wr = p[1];
    pthread_t t;
    CHECK(pthread_create(&t, NULL, drain_pipe, NULL) == 0);
    pthread_detach(t);
    open_pipe_end();
}

#define PROBE_FDS 4

/*
 * The PROBE_FDS lowest free descriptor numbers. pipe2() and F_DUPFD take the lowest
 * free numbers, and one call opens at most two, so a descriptor a call leaves open
 * shows as a change of this set between before the call and after the clean-up.
 * (A count of /proc/self/fd would also see the sanitizers' own symbolizer pipes.)
 */
static void lowest_free(int out[PROBE_FDS])
{
    for (int k = 0; k < PROBE_FDS; k++)
        out[k] = fcntl(trace_null, F_DUPFD, 0);
    for (int k = 0; k < PROBE_FDS; k++)
        if (out[k] >= 0)
            close(out[k]);
}

static void list_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], target[256];
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = 0;
        fprintf(stderr, "  fd %s -> %s\n", e->d_name, target);
    }
    closedir(d);
}

/* The model: [gpa, gpa + len) lies inside guest memory (no overflow possible). */
static bool inside(uint64_t gpa, uint64_t len)
{
    return (unsigned __int128)gpa + len <= MEM_SIZE;
}

static void touch(const void *p, uint64_t len)
{
    if (len == 0)
        return;
    volatile const uint8_t *b = p;
    (void)b[0];
    (void)b[len - 1];
}

/*
 * Embedder hypercall: the struct at gpa is {len, base2, len2}. ukmon_vm_guest_ptr()
 * is asked for [gpa, gpa + len) and [base2, base2 + len2); each answer must agree
 * with the model, and the ends of every range granted are read.
 */
static int user_hc(struct ukmon_vm *v, void *opaque, ukmon_gpa_t gpa)
{
    CHECK(v == vm && opaque == &user_calls);
    user_calls++;
    uint64_t w[3];
    const void *hdr = ukmon_vm_guest_ptr(v, gpa, 8);
    CHECK((hdr != NULL) == inside(gpa, 8));
    if (!hdr)
        return -EFAULT;
    memcpy(&w[0], hdr, 8);
    const void *p = ukmon_vm_guest_ptr(v, gpa, w[0]);
    CHECK((p != NULL) == inside(gpa, w[0]));
    if (p)
        touch(p, w[0]);
    const void *h2 = ukmon_vm_guest_ptr(v, gpa, sizeof(w));
    CHECK((h2 != NULL) == inside(gpa, sizeof(w)));
    if (h2) {
        memcpy(w, h2, sizeof(w));
        const void *q = ukmon_vm_guest_ptr(v, w[1], w[2]);
        CHECK((q != NULL) == inside(w[1], w[2]));
        if (q)
            touch(q, w[2]);
    }
    return p ? 0 : -EFAULT;
}

/* Guest memory from gmem_alloc(), moved into the middle of a PROT_NONE reservation. */
static void guard_guest_memory(void)
{
    size_t guard = PAGE_SIZE_4K;
    uint8_t *res = mmap(NULL, MEM_SIZE + 2 * guard, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(res != MAP_FAILED);
    void *moved = mremap(vm->mem, MEM_SIZE, MEM_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
                         res + guard);
    CHECK(moved == res + guard);
    vm->mem = moved;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct ukmon_config cfg;
    ukmon_config_init(&cfg);
    cfg.mem_size = MEM_SIZE;
    cfg.fork_policy = UKMON_FORK_DENY;
    cfg.trace_fd = -1;
    cfg.stats_fd = -1;
    vm = ukmon_vm_new(&cfg);
    CHECK(vm != NULL);
    CHECK(vm->leader->fd == -1 && vm->kvm_fd == -1 && vm->vm_fd == -1);
    CHECK(gmem_alloc(vm, MEM_SIZE) == 0);
    /* A fresh page map says no page is the guest's: all of them are, as a unikernel's heap. */
    memset(vm->page_perm, PG_P | PG_W | PG_U, MEM_SIZE / PAGE_SIZE_4K);
    vm->pers = &native_personality;
    guard_guest_memory();
    /* Registers for the signal paths (a frame, sigreturn): ring 3, all zero. */
    static struct kvm_run fake_run;
    fake_run.s.regs.sregs.cs.selector = 0x23;
    vm->leader->run = &fake_run;
    for (int i = 0; i < 3; i++)
        install(i, open_null());
    start_pipe();
    open_file();
    trace_null = open_null();
    CHECK(ukmon_vm_set_hypercall(vm, USER_NR, user_hc, &user_calls) == 0);
    /* As ukmon_vm_run() does: a write to a pipe without reader is EPIPE, not death. */
    signal(SIGPIPE, SIG_IGN);
    CHECK(gsig_install() == 0); /* alarm() fires the guest-signal signal */
    /* The ring is made at the first I/O; made now, its fd is not taken for a leak. */
    int r = uring_ensure(vm);
    if (r < 0)
        fprintf(stderr, "fuzz_hypercall: no io_uring (%s): I/O calls will fail\n",
                strerror(-r));
    return 0;
}

/* The harness's own look at guest memory: in range, whatever the page's permissions. */
static const void *guest_at(uint64_t gpa, uint64_t len)
{
    return gmem_range_ok(vm->mem_size, gpa, len) ? vm->mem + gpa : NULL;
}

static uint64_t rd64(uint64_t gpa)
{
    uint64_t v = 0;
    const void *p = guest_at(gpa, 8);
    if (p)
        memcpy(&v, p, 8);
    return v;
}

/* Calls that could block the fuzzer for long: skipped, see the top of the file. */
static bool would_block(unsigned nr, uint32_t gpa)
{
    if (nr == UKMON_HC_SIGSUSPEND)
        return true; /* until a signal comes */
    if (nr == UKMON_HC_KILL && guest_at(gpa, sizeof(struct ukmon_hc_kill))) {
        int64_t sig = (int64_t)rd64(gpa + offsetof(struct ukmon_hc_kill, sig));
        /* a stop signal's default action stops the process: this fuzzer, for good */
        return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
    }
    if (nr == UKMON_HC_POLL && guest_at(gpa, sizeof(struct ukmon_hc_poll))) {
        int64_t t = (int64_t)rd64(gpa + offsetof(struct ukmon_hc_poll, timeout_ms));
        return t < 0 || t > POLL_TIMEOUT_MAX;
    }
    if (nr == UKMON_HC_NANOSLEEP && guest_at(gpa, sizeof(struct ukmon_hc_nanosleep))) {
        int64_t ns = (int64_t)rd64(gpa + offsetof(struct ukmon_hc_nanosleep, ns));
        return ns > SLEEP_MAX;
    }
    return false;
}

static void zero_guest(uint64_t gpa, uint64_t len)
{
    if (gpa >= MEM_SIZE)
        return;
    if (len > MEM_SIZE - gpa)
        len = MEM_SIZE - gpa;
    memset(vm->mem + gpa, 0, len);
}

/* Every guest fd stands for its own open host fd, close-on-exec like all of ours. */
static void check_fd_table(void)
{
    static unsigned gen[4096];
    static unsigned cur;
    cur++;
    for (int i = 0; i < FDT_MAX; i++) {
        int h = vm->fdt.fd[i].host_fd;
        if (h < 0) {
            CHECK(h == -1);
            continue;
        }
        int fl = fcntl(h, F_GETFD);
        CHECK(fl >= 0);
        CHECK(fl & FD_CLOEXEC);
        CHECK(h != trace_null && h != pipe_rd && h != pipe_wr);
        CHECK(vm->fdt.fd[i].syscalls == fdt_wants_syscalls(h));
        CHECK(!vm->leader->ring_ok || h != vm->leader->ring.ring_fd);
        if (h < (int)(sizeof(gen) / sizeof(gen[0]))) {
            CHECK(gen[h] != cur); /* two guest fds on one host fd: a double close */
            gen[h] = cur;
        }
    }
}

/* Back to the starting state: guest fds 0-4 as at the start, nothing else open. */
static void reset_fds(void)
{
    for (int i = 0; i < FDT_MAX; i++) {
        int h = vm->fdt.fd[i].host_fd;
        if (i < NFIXED && h == fixed[i])
            continue;
        if (h >= 0)
            close(h);
        fdt_install(&vm->fdt, i, -1, false);
    }
    /* A fixed slot that changed had its host fd closed by close() or dup2(): reopen. */
    for (int i = 0; i < 3; i++)
        if (vm->fdt.fd[i].host_fd != fixed[i])
            install(i, open_null());
    if (vm->fdt.fd[3].host_fd != fixed[3])
        open_pipe_end();
    if (vm->fdt.fd[4].host_fd != fixed[4]) {
        open_file();
    } else {
        CHECK(ftruncate(fixed[4], 0) == 0);
        CHECK(lseek(fixed[4], 0, SEEK_SET) == 0);
    }
}

static void periodic_checks(void)
{
    if (runs % MEM_CHECK_EVERY == 0) {
        for (uint64_t off = 0; off < MEM_SIZE; off += 8) {
            uint64_t v;
            memcpy(&v, vm->mem + off, 8);
            if (v) {
                /* Harness bookkeeping, not a monitor bug: say so and start clean. */
                fprintf(stderr, "fuzz_hypercall: guest memory not clean at 0x%llx\n",
                        (unsigned long long)off);
                memset(vm->mem, 0, MEM_SIZE);
                break;
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR_SIZE)
        return 0;
    unsigned nr = data[0] & 0x7f;
    bool trace = data[0] & 0x80;
    uint32_t gpa = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
                   (uint32_t)data[4] << 24;
    size_t n = size - HDR_SIZE;
    if (n > MEM_SIZE - DATA_GPA)
        n = MEM_SIZE - DATA_GPA;
    memcpy(vm->mem + DATA_GPA, data + HDR_SIZE, n);

    int free_before[PROBE_FDS], free_after[PROBE_FDS];
    lowest_free(free_before);
    memset(&vm->exit, 0, sizeof(vm->exit));
    vm->cfg.trace_fd = trace ? trace_null : -1;
    runs++;
    if (!would_block(nr, gpa)) {
        enum run_next r = hc_dispatch(vm, nr, gpa);
        CHECK(r == RUN_CONTINUE || r == RUN_STOP);
        CHECK((r == RUN_STOP) == (vm->exit.kind != 0));
        if (vm->exit.kind == UKMON_EXIT_STATUS)
            CHECK(vm->exit.status >= 0 && vm->exit.status <= 255);
        if (vm->exit.kind == UKMON_EXIT_FAULT)
            CHECK(vm->exit.signal > 0 &&
                  memchr(vm->exit.reason, 0, sizeof(vm->exit.reason)) != NULL);
        check_fd_table();
    }

    /* Undo every write to guest memory: the poll array, the struct, the data. */
    if (nr == UKMON_HC_POLL && guest_at(gpa, sizeof(struct ukmon_hc_poll))) {
        uint64_t fds = rd64(gpa + offsetof(struct ukmon_hc_poll, fds));
        uint64_t nfds = rd64(gpa + offsetof(struct ukmon_hc_poll, nfds));
        if (nfds <= UKMON_POLL_MAX)
            zero_guest(fds, nfds * sizeof(struct ukmon_pollfd));
    }
    zero_guest(gpa, ARG_MAX_SIZE);
    memset(vm->mem + DATA_GPA, 0, n);
    reset_fds();
    gsig_reset();
    sig_timers_free(vm);
    memset(&vm->sig, 0, sizeof(vm->sig));
    memset(&vm->leader->run->s.regs.regs, 0, sizeof(vm->leader->run->s.regs.regs));
    lowest_free(free_after);
    if (memcmp(free_before, free_after, sizeof(free_before)) != 0) {
        fprintf(stderr, "fuzz_hypercall: call %u left a descriptor open; lowest free fds "
                "%d %d %d %d before, %d %d %d %d after; open now:\n", nr, free_before[0],
                free_before[1], free_before[2], free_before[3], free_after[0],
                free_after[1], free_after[2], free_after[3]);
        list_fds();
        __builtin_trap();
    }
    periodic_checks();
    return 0;
}
