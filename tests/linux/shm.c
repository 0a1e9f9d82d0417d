/*
 * shm.c: memory shared between processes: MAP_SHARED|MAP_ANONYMOUS and /dev/zero
 * across fork (and private memory that stays private), a futex and a semaphore
 * between processes in it, System V segments between a parent and its child and
 * between two siblings, their counts and errors, execve dropping attachments, and
 * POSIX shm_open (a granted /dev/shm).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>

#include "lxtest.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1

/* The child writes 2 over the parent's 1: what the parent reads after. */
static int child_writes(volatile int *p)
{
    *p = 1;
    pid_t c = fork();
    if (c == 0) {
        *p = 2;
        _exit(0);
    }
    waitpid(c, NULL, 0);
    return *p;
}

static int exec_check(const char *id_s)
{
    /* After execve: the parent's attachment counts, ours is gone, as is all our memory. */
    struct shmid_ds ds;
    int r = shmctl(atoi(id_s), IPC_STAT, &ds);
    say("after execve in the child: the segment has %lu attachment(s)\n", r < 0 ? 99UL : (unsigned long)ds.shm_nattch);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "exec-check"))
        return exec_check(argv[2]);

    int *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    say("MAP_SHARED|MAP_ANONYMOUS: %s, a child's write seen: %s\n",
        sh == MAP_FAILED ? ename(errno) : "ok", sh != MAP_FAILED && child_writes(sh) == 2 ? "yes" : "no");
    int *pr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("MAP_PRIVATE|MAP_ANONYMOUS: a child's write seen: %s\n", child_writes(pr) == 2 ? "yes" : "no");
    int z = open("/dev/zero", O_RDWR);
    int *dz = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    say("MAP_SHARED of /dev/zero: %s, zero: %s, a child's write seen: %s\n",
        dz == MAP_FAILED ? ename(errno) : "ok", dz != MAP_FAILED && dz[2047] == 0 ? "yes" : "no",
        dz != MAP_FAILED && child_writes(dz + 1024) == 2 ? "yes" : "no");
    int *dzp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
    say("MAP_PRIVATE of /dev/zero: a child's write seen: %s\n",
        dzp != MAP_FAILED && child_writes(dzp) == 2 ? "yes" : "no");
    close(z);
    say("munmap of shared memory: %s\n", RES(munmap(dz, 8192)));

    /* A futex between processes: the child waits on a shared word, we wake it. */
    volatile uint32_t *word = (uint32_t *)(sh + 16);
    *word = 0;
    pid_t c = fork();
    if (c == 0) {
        struct timespec t = {5, 0};
        long r;
        /*
         * EAGAIN: the word was 1 as we went to sleep, one of the parent's tries that
         * found nobody asleep yet (it puts 0 back): go to sleep again.
         */
        do
            r = syscall(SYS_futex, word, FUTEX_WAIT, 0, &t, NULL, 0);
        while (r < 0 && errno == EAGAIN);
        _exit(r == 0 && *word == 1 ? 0 : r == 0 ? 2 : errno == ETIMEDOUT ? 3 : 4);
    }
    long woke = 0;
    for (int i = 0; i < 200 && woke == 0; i++) { /* until the child is asleep on it */
        struct timespec d = {0, 10000000};
        nanosleep(&d, NULL);
        *word = 1;
        woke = syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
        if (!woke)
            *word = 0;
    }
    int st;
    waitpid(c, &st, 0);
    say("FUTEX_WAKE of a waiter in another process: woke %ld, the waiter: %s\n", woke, how(st));

    /* A process-shared semaphore in it. */
    sem_t *sem = (sem_t *)(sh + 64);
    sem_init(sem, 1, 0);
    c = fork();
    if (c == 0)
        _exit(sem_wait(sem) == 0 ? 0 : 1);
    struct timespec d = {0, 50000000};
    nanosleep(&d, NULL);
    sem_post(sem);
    waitpid(c, &st, 0);
    say("sem_wait in a child, sem_post here: %s\n", how(st));

    /* System V: a private segment, attached here and again in a child. */
    int id = shmget(IPC_PRIVATE, 8192, 0600);
    char *seg = shmat(id, NULL, 0);
    say("shmget(IPC_PRIVATE, 8192): %s, shmat: %s\n", id < 0 ? ename(errno) : "ok",
        seg == (void *)-1 ? ename(errno) : "ok");
    strcpy(seg, "hello");
    c = fork();
    if (c == 0) {
        char *again = shmat(id, NULL, 0);
        int ok = again != (void *)-1 && !strcmp(again, "hello");
        strcpy(again, "world");
        struct shmid_ds ds;
        shmctl(id, IPC_STAT, &ds);
        _exit(ok && ds.shm_nattch == 3 ? 0 : 1); /* ours, the inherited one, ours again */
    }
    waitpid(c, &st, 0);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    say("a child attaches it too (3 attachments then): %s; its write seen: %s\n", how(st),
        !strcmp(seg, "world") ? "yes" : "no");
    say("IPC_STAT: size %zu, mode %o, creator us: %s, attachments %lu\n", (size_t)ds.shm_segsz,
        (unsigned)ds.shm_perm.mode & 0777, ds.shm_cpid == getpid() ? "yes" : "no",
        (unsigned long)ds.shm_nattch);

    /* execve drops the child's attachments. */
    c = fork();
    if (c == 0) {
        char ids[16];
        snprintf(ids, sizeof(ids), "%d", id);
        char *args[] = {argv[0], "exec-check", ids, NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    waitpid(c, &st, 0);

    /* Two siblings: one makes a keyed segment, the other finds it by its key. */
    key_t key = 0x75b0 + (getpid() & 0xff);
    int ready[2], done[2];
    pipe(ready);
    pipe(done);
    pid_t finder = fork();
    if (finder == 0) {
        char x;
        read(ready[0], &x, 1);
        int fid = shmget(key, 0, 0);
        char *m = fid < 0 ? (void *)-1 : shmat(fid, NULL, SHM_RDONLY);
        int ok = m != (void *)-1 && !strcmp(m, "made by a sibling");
        _exit(ok ? 0 : 1);
    }
    pid_t maker = fork();
    if (maker == 0) {
        int mid = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
        char *m = shmat(mid, NULL, 0);
        strcpy(m, "made by a sibling");
        shmdt(m);
        write(ready[1], "r", 1);
        _exit(mid < 0 ? 1 : 0);
    }
    waitpid(maker, &st, 0);
    say("a sibling makes a keyed segment and leaves: %s\n", how(st));
    waitpid(finder, &st, 0);
    say("the other finds it by its key, reads it: %s\n", how(st));
    int kid = shmget(key, 0, 0);
    say("shmget of it with IPC_CREAT|IPC_EXCL: %s\n", RES(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600)));
    say("shmget of it, larger: %s\n", RES(shmget(key, 8192, 0)));
    say("shmget of a key nobody made: %s\n", RES(shmget(key + 0x10000, 4096, 0)));
    char *k = shmat(kid, NULL, 0);
    const char *r1 = RES(shmctl(kid, IPC_RMID, NULL));
    const char *r2 = RES(shmget(key, 0, 0));
    say("IPC_RMID while attached: %s; its key now: %s; still readable: %s\n", r1, r2,
        k != (void *)-1 && !strcmp(k, "made by a sibling") ? "yes" : "no");
    r1 = RES(shmdt(k));
    r2 = RES(shmctl(kid, IPC_STAT, &ds));
    say("shmdt: %s, then IPC_STAT: %s\n", r1, r2);
    say("shmdt where nothing is attached: %s\n", RES(shmdt(k)));
    say("shmat of a removed id: %s\n", shmat(kid, NULL, 0) == (void *)-1 ? ename(errno) : "ok");
    r1 = RES(shmdt(seg));
    say("shmdt, IPC_RMID of the first: %s %s\n", r1, RES(shmctl(id, IPC_RMID, NULL)));

    /* POSIX shared memory: a file of /dev/shm, mapped shared. */
    int fd = shm_open("/ukmon-test-shm", O_RDWR | O_CREAT | O_EXCL, 0600);
    say("shm_open: %s\n", fd < 0 ? ename(errno) : "ok");
    if (fd >= 0) {
        ftruncate(fd, 4096);
        int *ps = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        say("its mapping: a child's write seen: %s\n", ps != MAP_FAILED && child_writes(ps) == 2 ? "yes" : "no");
        say("shm_unlink: %s\n", RES(shm_unlink("/ukmon-test-shm")));
    }
    return 0;
}
