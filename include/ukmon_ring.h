/*
 * ukmon_ring.h: a pipe between two VMs of a tree kept as a ring in memory they share
 * (monitor/kernel/pipe_ring.c serves it; the Linux guest-side layer, guest/lxsys/,
 * moves data through it with no exit).
 */
#ifndef UKMON_RING_H
#define UKMON_RING_H

#include <stdint.h>

/*
 * A pipe between VMs as a ring in shared memory (kernel/pipe_ring.c): this header,
 * then UKMON_RING_DATA bytes. Every VM holding one of the pipe's ends maps it. The
 * host pipe behind the ends stays, for what only the host knows: whether readers or
 * writers are left. The guest-side layer moves data with no exit while it can; to
 * block, and to wake a blocked peer, it goes to its monitor.
 */
#define UKMON_RING_HDR 4096
#define UKMON_RING_DATA 65536
#define UKMON_RING_MAGIC 0x676e6972U /* "ring" */
#define UKMON_RING_DEMOTED 1       /* the data moves through the host pipe from now on */

/*
 * The ring's header. Every field is written by guests (and so trusted by none): a VM
 * that holds the pipe can already send anything through it.
 */
struct ukmon_ring {
    uint32_t magic, flags;
    uint64_t pad0[7];
    uint64_t head;                 /* bytes ever written: writers move it */
    uint64_t pad1[7];
    uint64_t tail;                 /* bytes ever read: readers move it */
    uint64_t pad2[7];
    uint32_t wlock, rlock;         /* 0, or the pid of the writer (reader) at work */
    uint32_t rwait, wwait;         /* a reader (writer) waits, or is about to: wake it */
    uint32_t readers, writers;     /* open ends, as the monitors count them (a hint) */
};

_Static_assert(sizeof(struct ukmon_ring) <= UKMON_RING_HDR, "the header fits its page");

#endif
