/* fs.h: the guest's file system: granted host folders, synthesized files, path walks. */
#ifndef UKMON_FS_H
#define UKMON_FS_H

#include <sys/stat.h>

#include "monitor.h"

#define FS_PATH_MAX 4096
#define FS_NAME_MAX 255
#define FS_LINKS_MAX 40

/* What a guest path leads to. */
enum fs_kind {
    FS_HOST = 1,    /* a file or directory of a granted folder */
    FS_VDIR,        /* a directory the monitor makes up: "/", "/dev", a mount's parents */
    FS_DEV,         /* /dev/null, /dev/zero, /dev/urandom, /dev/tty: a pre-opened host fd */
    FS_STDIO,       /* /dev/stdin, /dev/stdout, /dev/stderr: the guest's fd 0, 1, 2 */
    FS_EXE,         /* /proc/self/exe */
    FS_ETC,         /* /etc/passwd or /etc/group, made up when no folder has them */
    FS_PROC,        /* a file of /proc, its text made when it is opened (fs_proc.c) */
    FS_LINK,        /* a symbolic link the monitor makes up: /proc/self, /proc/PID/exe... */
};

/*
 * The end of a walk. For FS_HOST: `fd` is an O_PATH fd of the object itself, and
 * `dirfd` + `name` its parent and name (for opening it with real flags: an O_PATH fd
 * cannot be reopened without /proc). For creations the object may not exist: then
 * fd is -1, `dirfd` + `name` say where it would go.
 */
struct fs_node {
    enum fs_kind kind;
    int fd;                      /* owned, or -1 */
    int dirfd;                   /* owned, or -1 */
    int mount;                   /* FS_HOST: index in the mount table */
    int which;                   /* FS_DEV, FS_STDIO, FS_ETC: which one */
    char name[FS_NAME_MAX + 1];
    char path[FS_PATH_MAX];      /* the guest's own path of it, symlinks resolved */
    struct stat st;              /* valid when it exists */
    bool exists;
};

/* fs_walk() flags */
#define FS_FOLLOW 1              /* follow a symlink in the last component */
#define FS_MAY_NOT_EXIST 2       /* a missing last component is no error (creations) */

int fs_walk(struct ukmon_vm *vm, const char *start, const char *path, int flags,
            struct fs_node *out);
void fs_node_init(struct fs_node *n);
void fs_node_release(struct fs_node *n);
const char *fs_etc_text(int which);
const char *fs_cwd(const struct ukmon_vm *vm);

/* fs_mounts.c */
int fs_mount_find(const struct ukmon_vm *vm, const char *guest_path);
bool fs_is_mount_parent(const struct ukmon_vm *vm, const char *guest_path);
bool fs_mount_writable(const struct ukmon_vm *vm, int mount);
unsigned fs_granted(const struct ukmon_vm *vm);
int fs_guest_path_of(const struct ukmon_vm *vm, const char *real, char *out, size_t outlen);
int fs_host_absolute(const char *path, char *out, size_t outlen);

/* fs_ops.c: the calls, on guest paths (already copied out of guest memory) */
int64_t fs_open(struct ukmon_vm *vm, const char *start, const char *path, int flags,
                unsigned mode);
int fs_stat(struct ukmon_vm *vm, const char *start, const char *path, bool follow,
            struct stat *st);
int fs_access(struct ukmon_vm *vm, const char *start, const char *path, int mode,
              bool follow);
int64_t fs_readlink(struct ukmon_vm *vm, const char *start, const char *path, char *buf,
                    size_t len);
int fs_mkdir(struct ukmon_vm *vm, const char *start, const char *path, unsigned mode);
int fs_mknod(struct ukmon_vm *vm, const char *start, const char *path, unsigned mode);
int fs_unlink(struct ukmon_vm *vm, const char *start, const char *path, bool dir);
int fs_rename(struct ukmon_vm *vm, const char *start1, const char *from, const char *start2,
              const char *to, unsigned flags);
int fs_link(struct ukmon_vm *vm, const char *start1, const char *from, const char *start2,
            const char *to, bool follow);
int fs_symlink(struct ukmon_vm *vm, const char *target, const char *start, const char *path);
int fs_chmod(struct ukmon_vm *vm, const char *start, const char *path, unsigned mode);
unsigned fs_chmod_bits(unsigned mode);
int fs_chown(struct ukmon_vm *vm, const char *start, const char *path, uint32_t uid,
             uint32_t gid, bool follow);
int fs_chown_ids(const struct stat *st, uint32_t uid, uint32_t gid);
int fs_utimens(struct ukmon_vm *vm, const char *start, const char *path,
               const struct timespec ts[2], bool follow);
int fs_truncate(struct ukmon_vm *vm, const char *start, const char *path, int64_t len);
int fs_chdir(struct ukmon_vm *vm, const char *start, const char *path);
int64_t fs_getdents(struct ukmon_vm *vm, int64_t fd, ukmon_gpa_t buf, uint64_t len);
int fs_fstat(struct ukmon_vm *vm, int64_t fd, struct stat *st);
int fs_open_exec(struct ukmon_vm *vm, const char *path, int *fd, char *real, size_t reallen);
const char *fs_fd_path(const struct ukmon_vm *vm, int64_t fd);

/* fs_proc.c: the made-up /proc */
bool fs_proc_node(struct ukmon_vm *vm, const char *path, struct fs_node *n);
bool fs_proc_dir(const char *path);
unsigned fs_proc_names(struct ukmon_vm *vm, const char *dir, char names[][FS_NAME_MAX + 1],
                       unsigned max);
int fs_proc_open(struct ukmon_vm *vm, const struct fs_node *n);
int64_t fs_proc_link(struct ukmon_vm *vm, const char *path, char *buf, size_t len);

/* fs_mounts.c */
int fs_setup(struct ukmon_vm *vm);
void fs_run_begin(struct ukmon_vm *vm);
void fs_run_end(struct ukmon_vm *vm);
void fs_free(struct ukmon_vm *vm);

/* fs_exec.c */
bool fs_shebang(int fd, char *interp, size_t ilen, char *arg, size_t alen);
int fs_open_interp(struct ukmon_vm *vm, const char *path, struct program_interp *out);
int fs_find_program(struct ukmon_vm *vm, const char *name, char *const envp[], int *fd,
                    char *found, size_t foundlen, char *real, size_t reallen);

/* fs_lock.c */
struct flock;
int64_t fs_host_wait(struct ukmon_vm *vm, int64_t (*call)(void *arg), void *arg);
int64_t fs_fcntl_lock(struct ukmon_vm *vm, int64_t fd, int cmd, struct flock *fl);
int64_t fs_flock(struct ukmon_vm *vm, int64_t fd, int op);

/* fs_tmp.c */
int fs_tmp_setup(struct ukmon_vm *vm);
int fs_tmp_started(struct ukmon_vm *vm);
void fs_tmp_end(struct ukmon_vm *vm);

#endif
