/*
 * lxsys.h: what the monitor and the guest-side system-call layer of a Linux program
 * share: where the layer lives in the low area, and its page of data.
 *
 * The layer is the guest's own code (trust domain of the guest): the monitor writes
 * the answers it may give (pids, ids...) into the page, and never trusts what it
 * finds there; a guest that scribbles on it only lies to itself.
 */
#ifndef UKMON_LXSYS_H
#define UKMON_LXSYS_H

#define LXSYS_PAGE_ADDR 0x48000UL  /* the page of data: user read+write */
#define LXSYS_PAGE_SIZE 0x8000UL   /* (the pages: the hot fields first, few are touched) */
#define LXSYS_TEXT_ADDR 0x50000UL  /* the code: user read+execute (lxsys.lds says it too) */
#define LXSYS_TEXT_MAX 0x10000UL
#define LXSYS_NR 512               /* call numbers the layer may answer: 0 .. LXSYS_NR - 1 */
#define LXSYS_FDS 1024             /* the fds it knows of: 0 .. LXSYS_FDS - 1 (all there are) */
/* What it knows of an fd: one byte each. */
#define LXSYS_FD_OPEN 1
#define LXSYS_FD_CLOEXEC 2
#define LXSYS_FD_NULL 4            /* /dev/null: reads see EOF, writes vanish whole */
#define LXSYS_FD_NONBLOCK 8        /* O_NONBLOCK */
#define LXSYS_FD_READ 16           /* open for reading (a ring's read end) */
#define LXSYS_FD_WRITE 32          /* open for writing (a ring's write end) */
#define LXSYS_RINGS 64             /* pipes a VM may hold as rings: UKMON_RINGS_MAX */
/*
 * Where the layer sees them: ring slot s at LXSYS_RING_AREA + s * LXSYS_RING_STRIDE,
 * for the first LXSYS_RINGS_MAPPED slots (the rest the monitor serves alone). In the
 * low area, user read+write: no address of the program's own is taken.
 */
#define LXSYS_RING_AREA 0x60000UL
#define LXSYS_RING_STRIDE 0x11000UL
#define LXSYS_RINGS_MAPPED 23

#define LXSYS_RLIMITS 16           /* RLIM_NLIMITS */
#define LXSYS_UTSNAME 390          /* sizeof(struct utsname) */
/*
 * Windows: regular files the monitor mapped (MAP_SHARED) into the program's address
 * space, so that pread64 and pwrite64 within the file's size are copies, with no exit
 * (monitor/linux/lx_window.c). The size is the one the monitor saw at its last exit.
 */
#define LXSYS_WAKE_PORT 0xde       /* outb of ring_wake[slot] (| LXSYS_WAKE_SPACE): a wake */
#define LXSYS_WAKE_SPACE 0x80      /* ... of the writer, waiting for room */
#define LXSYS_WINDOWS 16
#define LXSYS_LOW_END 0x200000UL   /* the low area's end (GL_LOAD_MIN): no buffer below */
#define LXSYS_WIN_READ 1
#define LXSYS_WIN_WRITE 2

#define LXSYS_MAGIC 0x73797378U    /* "xsys" */
#define LXSYS_VERSION 5
/* The layer's code: its OUT to the monitor first, then the entry the sled jumps to. */
#define LXSYS_OUT_OFF 0
#define LXSYS_ENTRY_OFF 16
/* Offsets the entry code needs (checked against the struct by the C side). */
#define LXSYS_FRAME_OFF 56
#define LXSYS_ANSWER_OFF 64
/*
 * The entry's frame, below the red zone (offsets from its base, which the page's
 * `frame` holds while C runs): what the program had in each register at its call.
 */
#define LXSYS_F_RBP 0
#define LXSYS_F_FLAGS 8
#define LXSYS_F_RET 144            /* the call's return address; the program's %rsp is 8 above */
#define LXSYS_F_RDI (-8)
#define LXSYS_F_RSI (-16)
#define LXSYS_F_RDX (-24)
#define LXSYS_F_R8 (-32)
#define LXSYS_F_R9 (-40)
#define LXSYS_F_R10 (-48)
#define LXSYS_F_RAX (-56)
#define LXSYS_F_RBX (-64)
#define LXSYS_F_R12 (-72)
#define LXSYS_F_R13 (-80)
#define LXSYS_F_R14 (-88)
#define LXSYS_F_R15 (-96)
/*
 * Calls the layer sends to the monitor. DELIVER: the call was answered (its result in
 * the page's deliver_ret), only work of the monitor's is left: signals to deliver, a
 * ring's peer to wake. CONTINUE: the call (carry_nr) was begun by the layer, which did
 * `carry` of it (bytes written); its registers say what is left, and the monitor's
 * result is added to what was done.
 */
#define LXSYS_NR_DELIVER 0x4c585344L
#define LXSYS_NR_CONTINUE 0x4c585343L

#ifndef __ASSEMBLER__
#include <stdint.h>

#include "ukmon_ring.h"

/* A signal's action as Linux's rt_sigaction takes it (struct ukmon_sigaction). */
struct lxsys_sigaction {
    uint64_t handler, flags, restorer, mask;
};

struct lxsys_page {
    uint32_t magic, version;
    /* Written by the monitor: the answers, as of the last exit. */
    int32_t pid, ppid, tid;
    uint32_t uid, euid, gid, egid;
    uint32_t pad;
    uint64_t reserved;
    uint64_t sigpending;           /* signals pending for the guest (the blocked ones) */
    uint64_t frame;                /* the entry's frame while C runs, else 0 */
    uint8_t answer[LXSYS_NR];      /* nonzero: the guest answers call nr itself */
    uint8_t fd[LXSYS_FDS];         /* LXSYS_FD_* for each fd */
    /*
     * Both sides: the signal mask and actions. The guest changes them itself; the
     * monitor takes them (checked) after every exit and writes its own back before
     * every entry. act_gen moves with each change the guest makes.
     */
    uint64_t sigmask;
    uint64_t act_gen;
    struct lxsys_sigaction act[65];
    int64_t deliver_ret;           /* LXSYS_NR_DELIVER: the call's result, to return */
    int64_t deliver_nr;            /* ... and its number, for --stats */
    int64_t carry_nr, carry;       /* LXSYS_NR_CONTINUE: the call, and what is done */
    uint64_t spin_tsc;             /* TSC ticks a reader or writer spins before it blocks */
    uint64_t ring[LXSYS_RINGS];    /* where each ring is mapped, or 0 */
    uint8_t fd_ring[LXSYS_FDS];    /* the ring slot + 1 of each fd, or 0 */
    uint8_t ring_wake[LXSYS_RINGS]; /* the byte to OUT to LXSYS_WAKE_PORT for its peer */
    /* Written by the guest: how many calls of each number it answered (--stats). */
    uint32_t answered[LXSYS_NR];
    /*
     * Both sides: what set_tid_address and set_robust_list record (the guest writes
     * them, the monitor takes them after every exit, as the calls' own).
     */
    uint64_t clear_child_tid, robust_list, robust_len;
    /* Written by the monitor: the windows, and which fd has which (index + 1, or 0). */
    struct lxsys_window {
        uint64_t base;             /* where the file's offset 0 is in guest memory */
        uint64_t size;             /* the file's size at the monitor's last look */
        uint32_t flags;            /* LXSYS_WIN_READ, LXSYS_WIN_WRITE */
        uint32_t pad;
    } win[LXSYS_WINDOWS];
    uint8_t fd_win[LXSYS_FDS];
    /*
     * getrandom: a ChaCha20 key the monitor draws from the host's getrandom at every
     * start, execve and fork (a child never shares its parent's), and the block
     * counter the guest moves on (atomically: threads share it).
     */
    uint32_t rng_key[8];
    uint64_t rng_counter;
    /* Written by the monitor: the resource limits as prlimit64 reads them, and uname. */
    struct lxsys_rlimit { uint64_t cur, max; } rlim[LXSYS_RLIMITS];
    char utsname[LXSYS_UTSNAME];
};

_Static_assert(__builtin_offsetof(struct lxsys_page, answer) == LXSYS_ANSWER_OFF,
               "the entry code indexes answer[] at LXSYS_ANSWER_OFF");
_Static_assert(__builtin_offsetof(struct lxsys_page, frame) == LXSYS_FRAME_OFF,
               "the entry code keeps its frame at LXSYS_FRAME_OFF");
_Static_assert(sizeof(struct lxsys_page) <= LXSYS_PAGE_SIZE, "the page holds its data");


/* A call as the entry code hands it to C. */
struct lxsys_call {
    long nr, a[6];
};

/* The result, or to_monitor set: the monitor makes the call after all. */
struct lxsys_ret {
    long ret, to_monitor;
};
#endif

#endif
