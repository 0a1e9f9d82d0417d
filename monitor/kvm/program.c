/* program.c: a program file, and the VM built to run it: at load and at execve. */
#include <errno.h>
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm/vmm.h"
#include "personality.h"
#include "profile.h"

#define IMAGE_MAX (1ULL << 30)

/*
 * The file's bytes for the ELF checks: mapped read-only where the file system allows
 * it (no copy), else read. `name` is for messages. The fd stays the caller's.
 */
int program_from_fd(struct ukmon_vm *vm, int fd, const char *name, struct program_file *pf)
{
    struct stat st;
    memset(pf, 0, sizeof(*pf));
    pf->fd = fd;
    if (fstat(fd, &st) < 0)
        return vm_fail(vm, -errno, "%s: %s", name, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return vm_fail(vm, S_ISDIR(st.st_mode) ? -EISDIR : -EACCES, "%s: %s", name,
                       S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    if ((uint64_t)st.st_size > IMAGE_MAX || (uint64_t)st.st_size > vm->cfg.mem_size)
        return vm_fail(vm, -EFBIG, "%s: file of %lld bytes is larger than guest memory",
                       name, (long long)st.st_size);
    pf->size = (size_t)st.st_size;
    if (pf->size == 0) {
        pf->data = (const uint8_t *)"";
        return 0;
    }
    void *p = mmap(NULL, pf->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
        pf->data = p;
        pf->mapped = true;
        return 0;
    }
    uint8_t *buf = malloc(pf->size);
    if (!buf)
        return vm_fail(vm, -ENOMEM, "%s: out of memory", name);
    size_t got = 0;
    while (got < pf->size) {
        ssize_t n = pread(fd, buf + got, pf->size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            free(buf);
            return vm_fail(vm, -e, "%s: read: %s", name, n < 0 ? strerror(e) :
                           "file shrank while being read");
        }
        got += (size_t)n;
    }
    pf->data = buf;
    return 0;
}

/* Opens a host path for running (before the sandbox: it allows no open). */
int program_open(struct ukmon_vm *vm, const char *path, struct program_file *pf)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return vm_fail(vm, -errno, "%s: %s", path, strerror(errno));
    int r = program_from_fd(vm, fd, path, pf);
    if (r < 0)
        close(fd);
    return r;
}

/* Lets go of the bytes; the fd too unless `keep_fd`. */
void program_release(struct program_file *pf, bool keep_fd)
{
    if (pf->mapped)
        munmap((void *)(uintptr_t)pf->data, pf->size);
    else if (pf->size)
        free((void *)(uintptr_t)pf->data);
    if (!keep_fd && pf->fd >= 0)
        close(pf->fd);
    memset(pf, 0, sizeof(*pf));
    pf->fd = -1;
}

/*
 * A dynamically linked program's interpreter, from its open file: checked as an ELF
 * of its own (hostile as any), a position-independent Linux object naming no
 * interpreter itself. On success out->pf holds the fd (the caller's) and the bytes.
 */
int program_interp_check(struct ukmon_vm *vm, int fd, const char *path,
                         struct program_interp *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->path, sizeof(out->path), "%s", path);
    int r = program_from_fd(vm, fd, path, &out->pf);
    if (r < 0)
        return r;
    char err[256];
    const char *why = NULL;
    if ((r = elf_check_image(out->pf.data, out->pf.size, vm->mem_size, &out->img, err,
                             sizeof(err))) < 0)
        why = err;
    else if (out->img.kind != ELF_LINUX)
        why = "not a Linux ELF object";
    else if (out->img.interp[0])
        why = "it names an interpreter of its own";
    else if (!out->img.relocatable)
        why = "not position-independent (ET_EXEC)";
    if (why) {
        program_release(&out->pf, true);
        return vm_fail(vm, UKMON_EBADELF, "%s: interpreter %s: %s", vm->name, path, why);
    }
    return 0;
}

/*
 * The interpreter's segments at `base` (where its lowest page goes), as the kernel's
 * ELF loader maps them: file pages MAP_PRIVATE from its file (the host page cache's,
 * shared by every VM that runs it, until one writes a page), the rest of a segment's
 * last file page zeroed, zero pages for its bss. They are mappings like mmap's, in
 * the dynamic area: the guest may unmap or protect them. The image's entry, phdr
 * and segments are moved to where they now are.
 */
int program_map_interp(struct ukmon_vm *vm, struct program_interp *in, uint64_t base)
{
    struct elf_image *img = &in->img;
    uint64_t delta = base - (img->lo & ~(PAGE_SIZE_4K - 1));
    for (unsigned i = 0; i < img->nseg; i++) {
        struct elf_seg *s = &img->seg[i];
        s->vaddr += delta;
        uint64_t lo = s->vaddr & ~(PAGE_SIZE_4K - 1), in_page = s->vaddr - lo;
        uint64_t file_end = s->vaddr + s->filesz;
        uint64_t file_hi = (file_end + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
        uint64_t hi = (s->vaddr + s->memsz + PAGE_SIZE_4K - 1) & ~(PAGE_SIZE_4K - 1);
        uint8_t perm = PG_M | PG_P | PG_U | ((s->flags & PF_W) ? PG_W : 0) |
                       ((s->flags & PF_X) ? PG_X : 0);
        if (s->offset % PAGE_SIZE_4K != in_page)
            return vm_fail(vm, UKMON_EBADELF, "%s: interpreter %s: segment %u cannot be "
                           "mapped (file offset and address differ modulo the page size)",
                           vm->name, in->path, i);
        int r = 0;
        if (s->filesz == 0)
            file_hi = lo;
        else
            r = as_map_file(vm, lo, file_hi, perm, in->pf.fd, s->offset - in_page, false);
        /* The last file page holds other bytes of the file after the segment's. */
        if (r == 0 && s->memsz > s->filesz && s->filesz && file_hi > file_end) {
            static const uint8_t zero[PAGE_SIZE_4K];
            r = as_patch(vm, file_end, zero, file_hi - file_end);
        }
        if (r == 0 && hi > file_hi)
            r = as_replace(vm, file_hi, hi, perm);
        if (r < 0)
            return vm_fail(vm, r, "%s: mapping its interpreter %s: %s", vm->name, in->path,
                           strerror(-r));
    }
    img->entry += delta;
    img->phdr += delta;
    img->lo += delta;
    img->hi += delta;
    img->bias += delta;
    return 0;
}

/*
 * Builds the VM for a checked image over fresh guest memory: segments in (mapped from
 * the file where they can be), the personality's layout (which places the
 * interpreter of a dynamically linked program, if any), then everything at the entry
 * point. A first load creates the KVM VM and vCPU. An execve keeps them: the memory
 * behind every page was replaced (gmem_reset), page tables included, and KVM drops
 * what it had derived from the old pages through its MMU notifiers (measured under
 * PVM's shadow paging too), while a new VM cost up to 30 ms here when other VMs ran.
 */
int program_build(struct ukmon_vm *vm, const struct elf_image *img,
                  const struct program_file *pf, struct program_interp *interp, int argc,
                  char *const argv[], char *const envp[])
{
    int r = elf_load_segments(img, pf->data, pf->fd, vm->mem);
    if (r < 0)
        return vm_fail(vm, r, "%s: loading its segments: %s", vm->name, strerror(-r));
    PROF_MARK("build: ELF segments in guest memory");
    vm->img = *img;
    vm->pers = personality_of(img);
    vm->as = (struct addrspace){.image_lo = img->lo, .image_hi = img->hi};
    /* argv as it started, for /proc/PID/cmdline of a program that keeps no copy */
    size_t alen = 0;
    for (int i = 0; i < argc; i++)
        alen += strlen(argv[i]) + 1;
    char *args = malloc(alen + 1);
    if (!args)
        return vm_fail(vm, -ENOMEM, "out of memory");
    alen = 0;
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]) + 1;
        memcpy(args + alen, argv[i], l);
        alen += l;
    }
    free(vm->args);
    vm->args = args;
    vm->args_len = alen;
    if ((r = vm->pers->boot_setup(vm, img, interp, argc, argv, envp)))
        return r;
    PROF_MARK("build: boot_setup (page tables, GDT/IDT, stack, args)");
    /* KVM knows the low area, the image and the stack from the start; the rest as used. */
    uint64_t stack_lo = vm->stack_top - boot_stack_size(vm->mem_size) - PAGE_SIZE_4K;
    if ((r = kvm_cover(vm, 0, img->hi)) || (r = kvm_cover(vm, stack_lo, vm->stack_top)))
        return vm_fail(vm, r, "%s: registering guest memory with KVM: %s", vm->name,
                       strerror(-r));
    if (vcpu_cur(vm)->fd < 0) {
        if ((r = kvm_create_machine(vm)) || (r = kvm_create_vcpu(vm, vcpu_cur(vm))))
            return r;
    } else if ((r = kvm_reset_vcpu(vm))) {
        return r;
    } else {
        PROF_MARK("build: vCPU reset (exec)");
    }
    if ((r = boot_set_initial_vcpu(vm)))
        return r;
    PROF_MARK("build: sregs, regs, FPU set");
    /* Clock fields need the vCPU's TSC facts, known only now. */
    return vm->pers->clock_setup(vm);
}
