/*
 * cpuid_cache.c: KVM_GET_SUPPORTED_CPUID once per host, not once per ukmon start.
 *
 * The ioctl took ~385 µs here (59 entries; on this nested backend KVM's own CPUID
 * probes trap out), at every start, for an answer that changes only when KVM does.
 * The answer is kept in a file: /run/ukmon/cpuid for root, else
 * $XDG_RUNTIME_DIR/ukmon-cpuid (both on tmpfs: a reboot, a new kernel or CPU
 * microcode, starts afresh); without either, nothing is kept. The file names the
 * KVM it came from: the kernel (uname's release and version) and /dev/kvm's node
 * (device, inode and change time: loading kvm_intel or kvm_amd again, with other
 * parameters, makes a new node). A file that does not match, is not ours, or is
 * writable by others is not used (and a good answer replaces it). Every failure
 * here only means one more ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kvm/vmm.h"

#define CACHE_MAGIC 0x646970637563756bULL /* "ukcupcid" */
#define CACHE_MAX_ENT 4096

struct cache_key {
    uint64_t magic;
    uint64_t rdev, ino;
    int64_t ctime_sec, ctime_nsec;
    char release[65], version[65];
    uint8_t pad[6];
    uint32_t nent;
    uint32_t unused;
};

static int cache_path(char *buf, size_t len, bool make_dir)
{
    if (geteuid() == 0) {
        if (make_dir && mkdir("/run/ukmon", 0755) < 0 && errno != EEXIST)
            return -1;
        return snprintf(buf, len, "/run/ukmon/cpuid") < (int)len ? 0 : -1;
    }
    const char *run = getenv("XDG_RUNTIME_DIR");
    if (!run || run[0] != '/')
        return -1;
    return snprintf(buf, len, "%s/ukmon-cpuid", run) < (int)len ? 0 : -1;
}

static int cache_key_now(int kvm_fd, struct cache_key *k)
{
    memset(k, 0, sizeof(*k));
    struct stat st;
    struct utsname u;
    if (fstat(kvm_fd, &st) < 0 || uname(&u) < 0)
        return -1;
    k->magic = CACHE_MAGIC;
    k->rdev = st.st_rdev;
    k->ino = st.st_ino;
    k->ctime_sec = st.st_ctim.tv_sec;
    k->ctime_nsec = st.st_ctim.tv_nsec;
    snprintf(k->release, sizeof(k->release), "%s", u.release);
    snprintf(k->version, sizeof(k->version), "%s", u.version);
    return 0;
}

struct kvm_cpuid2 *cpuid_cache_load(int kvm_fd)
{
    char path[4096];
    struct cache_key want, got;
    if (cache_path(path, sizeof(path), false) < 0 || cache_key_now(kvm_fd, &want) < 0)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    struct stat st;
    struct kvm_cpuid2 *c = NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 022) || pread(fd, &got, sizeof(got), 0) != (ssize_t)sizeof(got))
        goto out;
    want.nent = got.nent;
    if (memcmp(&want, &got, sizeof(want)) || got.nent == 0 || got.nent > CACHE_MAX_ENT)
        goto out;
    size_t bytes = got.nent * sizeof(c->entries[0]);
    if ((uint64_t)st.st_size != sizeof(got) + bytes)
        goto out;
    c = calloc(1, sizeof(*c) + bytes);
    if (!c)
        goto out;
    c->nent = got.nent;
    if (pread(fd, c->entries, bytes, sizeof(got)) != (ssize_t)bytes) {
        free(c);
        c = NULL;
    }
out:
    close(fd);
    return c;
}

/* Written whole under another name, then renamed: a reader never sees half of it. */
void cpuid_cache_store(int kvm_fd, const struct kvm_cpuid2 *c)
{
    char path[4096], tmp[4096 + 32];
    struct cache_key k;
    if (c->nent == 0 || c->nent > CACHE_MAX_ENT || cache_path(path, sizeof(path), true) < 0 ||
        cache_key_now(kvm_fd, &k) < 0)
        return;
    k.nent = c->nent;
    if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp))
        return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return;
    size_t bytes = c->nent * sizeof(c->entries[0]);
    bool ok = write(fd, &k, sizeof(k)) == (ssize_t)sizeof(k) &&
              write(fd, c->entries, bytes) == (ssize_t)bytes;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) < 0)
        unlink(tmp);
}
