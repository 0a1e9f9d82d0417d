/*
 * fuzz_syscall.c: libFuzzer target for the Linux personality's system-call layer:
 * the Linux personality's port exit, every handler behind it, and --trace's decoding of them.
 *
 * Input: byte 0 = flags (bit 0 turns on --trace, to /dev/null; bits 1 and 2 set a trap
 * at TRAP_GPA, two pages just after the first page of data: bit 1 makes them PROT_NONE
 * on the host while the monitor's page map still says readable, bit 2 maps them from
 * a shared file that is then truncated to nothing, so that touching them raises
 * SIGBUS, as when a sibling VM truncates a file the guest mapped), bytes 1..2 = the
 * system-call number (little-endian, taken modulo 512: the table and numbers beyond
 * it), bytes 3..50 = the six argument registers, the rest is written into guest
 * memory at DATA_GPA (0x300000). Seeds point their arguments there.
 *
 * The guest is a Linux program as lx_boot_setup() lays it out, over a small fake
 * image, rebuilt before every input: memory, page permissions, host protections,
 * stack, vDSO. There is no KVM: kvm_run is a plain struct whose registers the
 * handlers read and write. fork is refused (UKMON_FORK_DENY), execve finds no
 * program file (the VM was loaded from memory), setsid, setpgid, setpriority and
 * sched_setaffinity are skipped (they would change the fuzzer's own session, priority
 * or CPUs), and pause is skipped (it waits for a
 * signal). Anything else that blocks is cut short: a timer stops the call after
 * 20 ms, as ukmon_vm_request_stop() would.
 *
 * Guest fds: 0, 1, 2 /dev/null; 3 the write end of a pipe drained by a thread; 4 an
 * empty regular file.
 *
 * Checked after each call: the result is a value or -errno (-1..-4095); the VM
 * stopped exactly when a handler said so; the monitor's low pages kept their
 * permissions; SIGKILL and SIGSTOP are never blocked; every guest fd stands for a
 * distinct, open, close-on-exec host fd; no descriptor was left open; and every
 * 64 inputs, every page marked present is readable on the host (the monitor's view
 * and the host protection agree, or this faults).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kernel/io.h"
#include "kernel/proc.h"
#include "kernel/sig.h"
#include "linux/lx.h"

#define MEM_SIZE (8ULL << 20)
#define DATA_GPA 0x300000ULL
#define TRAP_GPA (DATA_GPA + 0x1000)
#define TRAP_LEN 0x2000ULL
#define HDR_SIZE 51
#define CALL_MAX_MS 20

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "fuzz_syscall: invariant broken at %s:%d: %s\n", __FILE__, \
                    __LINE__, #cond);                                                  \
            __builtin_trap();                                                          \
        }                                                                              \
    } while (0)

static struct ukmon_vm *vm;
static struct kvm_run *fake_run;
static int fixed[5], pipe_wr, trace_null;
static uint8_t low_perm[GL_LOAD_MIN / 4096];
static unsigned long runs;
static timer_t stop_timer;

/*
 * A tiny static program: text at 0x200000 (headers in it), data from 0x201000 to
 * 4 MiB, so that DATA_GPA is in it; the break, mmap space and stack above.
 */
static const struct elf_image fake_img = {
    .kind = ELF_LINUX, .entry = 0x200100, .lo = 0x200000, .hi = 0x400000,
    .phdr = 0x200040, .phnum = 2, .nseg = 2,
    .seg = {{.vaddr = 0x200000, .memsz = 0x1000, .filesz = 0x1000, .flags = 5},
            {.vaddr = 0x201000, .memsz = 0x1ff000, .filesz = 0, .flags = 6}},
};

static int open_null(void)
{
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0);
    return fd;
}

static void *drain_pipe(void *arg)
{
    static char buf[65536];
    int rd = (int)(intptr_t)arg;
    for (;;)
        if (read(rd, buf, sizeof(buf)) < 0 && errno != EINTR)
            return NULL;
}

static void install(int fd, int h)
{
    CHECK(h >= 0);
    fixed[fd] = h;
    fdt_install(&vm->fdt, fd, h, fdt_wants_syscalls(h));
}

static void open_pipe_end(void)
{
    install(3, fcntl(pipe_wr, F_DUPFD_CLOEXEC, 3));
}

static void open_file(void)
{
    install(4, memfd_create("fuzz_syscall", MFD_CLOEXEC));
}

/* The timer's signal: whatever the call waits for, it is over (ukmon_vm_request_stop). */
static void on_timer(int sig)
{
    (void)sig;
    vm->stop_signal = SIGALRM;
}

/* Guest memory between PROT_NONE guard pages, so that a stray access outside faults. */
static void guard_guest_memory(void)
{
    uint8_t *res = mmap(NULL, MEM_SIZE + 2 * PAGE_SIZE_4K, PROT_NONE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(res != MAP_FAILED);
    void *moved = mremap(vm->mem, MEM_SIZE, MEM_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
                         res + PAGE_SIZE_4K);
    CHECK(moved == res + PAGE_SIZE_4K);
    vm->mem = moved;
}

/* A fresh Linux program's memory: everything a previous input mapped is gone. */
static void fresh_program(void)
{
    static char *argv[] = {"fuzzed", "arg", NULL};
    static char *envp[] = {"A=1", NULL};
    shm_detach_all(vm); /* as execve does: the old memory goes, and its attachments */
    CHECK(gmem_reset(vm) == 0);
    CHECK(lx_boot_setup(vm, &fake_img, NULL, 2, argv, envp) == 0);
    CHECK(lx_vdso_clock(vm) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct ukmon_config cfg;
    ukmon_config_init(&cfg);
    cfg.mem_size = MEM_SIZE;
    cfg.fork_policy = UKMON_FORK_DENY;
    vm = ukmon_vm_new(&cfg);
    CHECK(vm != NULL);
    CHECK(gmem_alloc(vm, MEM_SIZE) == 0);
    vm->pers = &lx_personality;
    guard_guest_memory();
    fake_run = calloc(1, sizeof(*fake_run));
    CHECK(fake_run != NULL);
    vm->leader->run = fake_run;
    vm->img = fake_img;
    snprintf(vm->name, sizeof(vm->name), "fuzzed");
    fresh_program();
    memcpy(low_perm, vm->page_perm, sizeof(low_perm));
    for (int i = 0; i < 3; i++)
        install(i, open_null());
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    pipe_wr = p[1];
    pthread_t t;
    CHECK(pthread_create(&t, NULL, drain_pipe, (void *)(intptr_t)p[0]) == 0);
    pthread_detach(t);
    open_pipe_end();
    open_file();
    trace_null = open_null();
    signal(SIGPIPE, SIG_IGN);
    CHECK(gsig_install() == 0); /* guest timers fire the guest-signal signal */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_timer; /* no SA_RESTART: blocked calls return EINTR */
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM};
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid); /* this thread, not the drainer */
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &stop_timer) == 0);
    if (uring_ensure(vm) < 0)
        fprintf(stderr, "fuzz_syscall: no io_uring: I/O calls will fail\n");
    /* The System V arena is made at the first shmget: made now, its fd is not a leak. */
    CHECK(shm_setup(vm) == 0);
    return 0;
}

static void arm(long ms)
{
    struct itimerspec it = {.it_value = {ms / 1000, (ms % 1000) * 1000000}};
    CHECK(timer_settime(stop_timer, 0, &it, NULL) == 0);
}

static void check_fd_table(void)
{
    static unsigned gen[8192];
    static unsigned cur;
    cur++;
    for (int i = 0; i < FDT_MAX; i++) {
        int h = vm->fdt.fd[i].host_fd;
        if (h < 0) {
            CHECK(h == -1);
            continue;
        }
        int fl = fcntl(h, F_GETFD);
        CHECK(fl >= 0 && (fl & FD_CLOEXEC));
        CHECK(h != trace_null && h != pipe_wr);
        CHECK(!vm->leader->ring_ok || h != vm->leader->ring.ring_fd);
        if (h < (int)(sizeof(gen) / sizeof(gen[0]))) {
            CHECK(gen[h] != cur);
            gen[h] = cur;
        }
    }
}

static void reset_fds(void)
{
    for (int i = 0; i < FDT_MAX; i++) {
        int h = vm->fdt.fd[i].host_fd;
        if (i < 5 && h == fixed[i]) {
            vm->fdt.fd[i].cloexec = false;
            continue;
        }
        if (vm->fdt.fd[i].ring)
            ring_unref(vm, &vm->fdt.fd[i]); /* a pipe2 made a ring: its memfd and eventfds go too */
        if (h >= 0)
            close(h);
        fdt_install(&vm->fdt, i, -1, false);
    }
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
    fcntl(fixed[3], F_SETFL, 0); /* a call may have made the shared pipe non-blocking */
}

/* Lowest free descriptor numbers: a descriptor left open shows as a change. */
static void lowest_free(int out[4])
{
    for (int k = 0; k < 4; k++)
        out[k] = fcntl(trace_null, F_DUPFD, 0);
    for (int k = 0; k < 4; k++)
        if (out[k] >= 0)
            close(out[k]);
}

/* Every page the monitor marks present must be readable behind it (traps aside). */
static void check_present_pages(void)
{
    for (uint64_t pg = GL_LOAD_MIN / PAGE_SIZE_4K; pg < MEM_SIZE / PAGE_SIZE_4K; pg++)
        if ((vm->page_perm[pg] & PG_P) && (pg < TRAP_GPA / PAGE_SIZE_4K ||
                                            pg >= (TRAP_GPA + TRAP_LEN) / PAGE_SIZE_4K))
            (void)*(volatile uint8_t *)(vm->mem + pg * PAGE_SIZE_4K);
}

/*
 * Pages the monitor believes readable but whose every touch faults: the monitor must
 * answer EFAULT (or end the guest) through its fault-safe copies, never fault itself.
 */
static bool set_trap(uint8_t flags)
{
    if (!(vm->page_perm[TRAP_GPA / PAGE_SIZE_4K] & PG_P))
        return false;
    if (flags & 2)
        return mprotect(vm->mem + TRAP_GPA, TRAP_LEN, PROT_NONE) == 0;
    if (!(flags & 4))
        return false;
    int fd = memfd_create("fuzz_trap", MFD_CLOEXEC);
    bool ok = fd >= 0 && ftruncate(fd, (off_t)TRAP_LEN) == 0 &&
              mmap(vm->mem + TRAP_GPA, TRAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                   fd, 0) != MAP_FAILED &&
              ftruncate(fd, 0) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR_SIZE)
        return 0;
    uint16_t nr16;
    uint64_t a[6];
    memcpy(&nr16, data + 1, 2);
    memcpy(a, data + 3, sizeof(a));
    uint64_t nr = nr16 % 512;
    if (nr == SYS_setsid || nr == SYS_setpgid || nr == SYS_pause || nr == SYS_setpriority ||
        nr == SYS_sched_setaffinity) /* the fuzzer's own session, priority, CPUs */
        return 0;
    /* A stop signal's default action stops the process: this fuzzer, for good. */
    int sig = (int)(nr == SYS_tgkill ? a[2] : a[1]);
    if ((nr == SYS_kill || nr == SYS_tkill || nr == SYS_tgkill) &&
        (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU))
        return 0;
    fresh_program();
    size_t n = size - HDR_SIZE;
    if (n > MEM_SIZE - DATA_GPA)
        n = MEM_SIZE - DATA_GPA;
    if (vm->page_perm[DATA_GPA / PAGE_SIZE_4K] & PG_P)
        memcpy(vm->mem + DATA_GPA, data + HDR_SIZE, n);
    set_trap(data[0]); /* after the data: its bytes there are lost, as the guest's would be */

    int before[4], after[4];
    lowest_free(before);
    memset(&vm->exit, 0, sizeof(vm->exit));
    vm->cfg.trace_fd = (data[0] & 1) ? trace_null : -1;
    struct kvm_regs *r = vcpu_regs(vm);
    memset(r, 0, sizeof(*r));
    r->rax = nr;
    r->rdi = a[0], r->rsi = a[1], r->rdx = a[2], r->r10 = a[3], r->r8 = a[4], r->r9 = a[5];
    r->rcx = 0x200100, r->r11 = 0x202;
    fake_run->s.regs.sregs.cs.selector = 0x23;
    runs++;
    vm->stop_signal = 0;
    arm(CALL_MAX_MS);
    enum run_next res = lx_personality.port_exit(vm, LX_SYSCALL_PORT);
    arm(0);
    vm->stop_signal = 0;

    CHECK(res == RUN_CONTINUE || res == RUN_STOP);
    CHECK((res == RUN_STOP) == vm->leader->call.stop);
    if (res == RUN_CONTINUE && !vm->leader->call.new_state) {
        int64_t ret = (int64_t)vcpu_regs(vm)->rax;
        CHECK(ret >= -4095);
    }
    if (vm->exit.kind == UKMON_EXIT_FAULT)
        CHECK(vm->exit.signal > 0 && memchr(vm->exit.reason, 0, sizeof(vm->exit.reason)));
    CHECK(memcmp(low_perm, vm->page_perm, sizeof(low_perm)) == 0 || vm->leader->call.new_state);
    CHECK(!(vm->leader->sig.mask & ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))));
    check_fd_table();
    if (runs % 64 == 0)
        check_present_pages();

    gsig_reset();
    sig_timers_free(vm);
    memset(&vm->sig, 0, sizeof(vm->sig));
    vm->leader->call.stop = vm->leader->call.new_state = false;
    free(vm->lx);
    vm->lx = lx_state_new();
    CHECK(vm->lx != NULL);
    reset_fds();
    lowest_free(after);
    if (memcmp(before, after, sizeof(before)) != 0) {
        fprintf(stderr, "fuzz_syscall: system call %llu left a descriptor open\n",
                (unsigned long long)nr);
        __builtin_trap();
    }
    return 0;
}
