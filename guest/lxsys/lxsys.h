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
#define LXSYS_PAGE_SIZE 0x2000UL
#define LXSYS_TEXT_ADDR 0x4a000UL  /* the code: user read+execute */
#define LXSYS_TEXT_MAX 0x6000UL
#define LXSYS_NR 512               /* call numbers the layer may answer: 0 .. LXSYS_NR - 1 */
#define LXSYS_FDS 1024             /* the fds it knows of: 0 .. LXSYS_FDS - 1 (all there are) */
/* What it knows of an fd: one byte each. */
#define LXSYS_FD_OPEN 1
#define LXSYS_FD_CLOEXEC 2
#define LXSYS_FD_NULL 4            /* /dev/null: reads see EOF, writes vanish whole */
#define LXSYS_MAGIC 0x73797378U    /* "xsys" */
#define LXSYS_VERSION 1
/* Offsets the entry code needs (checked against the struct by the C side). */
#define LXSYS_ANSWER_OFF 64

#ifndef __ASSEMBLER__
#include <stdint.h>

struct lxsys_page {
    uint32_t magic, version;
    /* Written by the monitor: the answers, as of the last exit. */
    int32_t pid, ppid, tid;
    uint32_t uid, euid, gid, egid;
    uint8_t pad[28];
    uint8_t answer[LXSYS_NR];      /* nonzero: the guest answers call nr itself */
    uint8_t fd[LXSYS_FDS];         /* LXSYS_FD_* for each fd */
    /* Written by the guest: how many calls of each number it answered (--stats). */
    uint64_t answered[LXSYS_NR];
};

_Static_assert(__builtin_offsetof(struct lxsys_page, answer) == LXSYS_ANSWER_OFF,
               "the entry code indexes answer[] at LXSYS_ANSWER_OFF");
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
